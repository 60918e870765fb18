//! Notifications (PRODUCT §12.2): which domain events tell whom what. Pure: the worker reads
//! what an event does not carry (a milestone's parties) and passes it in.

use super::contract::{Milestone, MilestoneState};
use super::dispute::DisputeKind;
use super::events::{DomainEvent, EventPayload};
use super::hourly::{Timesheet, TimesheetId, TimesheetState};
use super::ids::{
    ContractId, DisputeId, EventId, InvitationId, JobId, MilestoneId, OfferId, ProposalId,
    SavedSearchId, UserId,
};
use chrono::{DateTime, Duration, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;
use ulid::Ulid;

/// How long before an automatic release the client is reminded (§7.4).
pub const AUTO_RELEASE_NOTICE: Duration = Duration::hours(48);
/// How long before the end of an hourly review (Saturday 00:00 UTC) the client is reminded:
/// Thursday 00:00 UTC, two days to look at the week.
pub const REVIEW_CLOSING_NOTICE: Duration = Duration::hours(48);

/// An inbox item's id: `ntf_<ulid>`, derived from what caused it and its recipient, so a
/// redelivered event (or a re-run reminder) names the same item and cannot add a second one.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct NotificationId(String);

impl NotificationId {
    pub const PREFIX: &'static str = "ntf";

    /// The time part is `at` (so ids sort newest last), the rest a hash of `cause`+`recipient`.
    pub fn derived(at: DateTime<Utc>, cause: &str, recipient: &UserId) -> Self {
        let basis = format!("{cause}#{recipient}");
        let ms = u64::try_from(at.timestamp_millis()).unwrap_or(0);
        let hash = (u128::from(crate::security::stable_hash(&basis)) << 16)
            | u128::from(crate::security::stable_hash(&format!("{basis}#2")) & 0xffff);
        let ulid = Ulid::from_parts(ms, hash);
        Self(format!(
            "{}_{}",
            Self::PREFIX,
            ulid.to_string().to_lowercase()
        ))
    }

    pub fn for_event(event: &DomainEvent, recipient: &UserId) -> Self {
        Self::derived(event.occurred_at, event.id.as_str(), recipient)
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let rest = raw.strip_prefix("ntf_")?;
        Ulid::from_string(&rest.to_uppercase()).ok()?;
        (rest.len() == 26).then(|| Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NotificationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    ProposalReceived,
    ProposalOutbid,
    InvitationReceived,
    OfferReceived,
    OfferDeclined,
    OfferWithdrawn,
    ContractStarted,
    ContractChanged,
    MilestoneFunded,
    MilestoneSubmitted,
    MilestoneChangesRequested,
    MilestoneReleased,
    MilestoneRefunded,
    BonusPaid,
    AutoReleaseSoon,
    WeekInvoiced,
    WeekCharged,
    WeekPaymentFailed,
    WeekDisputed,
    WeekReleased,
    WeekRefunded,
    DisputeOpened,
    DisputeContested,
    DisputeWithdrawn,
    DisputeResolved,
    ReviewClosing,
    SavedSearchMatched,
    FeedbackReceived,
    FeedbackRevealed,
    IdentityApproved,
    IdentityRejected,
    WithdrawalPaid,
    WithdrawalReturned,
    CardRefunded,
    CardRefundFailed,
    ContentRemoved,
    AccountWarned,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        use NotificationKind::*;
        match self {
            ProposalReceived => "proposal_received",
            ProposalOutbid => "proposal_outbid",
            InvitationReceived => "invitation_received",
            OfferReceived => "offer_received",
            OfferDeclined => "offer_declined",
            OfferWithdrawn => "offer_withdrawn",
            ContractStarted => "contract_started",
            ContractChanged => "contract_changed",
            MilestoneFunded => "milestone_funded",
            MilestoneSubmitted => "milestone_submitted",
            MilestoneChangesRequested => "milestone_changes_requested",
            MilestoneReleased => "milestone_released",
            MilestoneRefunded => "milestone_refunded",
            BonusPaid => "bonus_paid",
            AutoReleaseSoon => "auto_release_soon",
            WeekInvoiced => "week_invoiced",
            WeekCharged => "week_charged",
            WeekPaymentFailed => "week_payment_failed",
            WeekDisputed => "week_disputed",
            WeekReleased => "week_released",
            WeekRefunded => "week_refunded",
            DisputeOpened => "dispute_opened",
            DisputeContested => "dispute_contested",
            DisputeWithdrawn => "dispute_withdrawn",
            DisputeResolved => "dispute_resolved",
            ReviewClosing => "review_closing",
            SavedSearchMatched => "saved_search_matched",
            FeedbackReceived => "feedback_received",
            FeedbackRevealed => "feedback_revealed",
            IdentityApproved => "identity_approved",
            IdentityRejected => "identity_rejected",
            WithdrawalPaid => "withdrawal_paid",
            WithdrawalReturned => "withdrawal_returned",
            CardRefunded => "card_refunded",
            CardRefundFailed => "card_refund_failed",
            ContentRemoved => "content_removed",
            AccountWarned => "account_warned",
        }
    }

    /// The ones that also go out by email: money the recipient must act on or has received,
    /// a deadline, a new contract or offer. The rest only wait in the inbox.
    pub fn emailed(self) -> bool {
        use NotificationKind::*;
        matches!(
            self,
            InvitationReceived
                | OfferReceived
                | ContractStarted
                | MilestoneSubmitted
                | MilestoneReleased
                | AutoReleaseSoon
                | WeekPaymentFailed
                | WeekDisputed
                | DisputeOpened
                | DisputeResolved
                | ReviewClosing
                | FeedbackReceived
                | IdentityRejected
                | WithdrawalPaid
                | WithdrawalReturned
                | CardRefunded
                | CardRefundFailed
                | ContentRemoved
                | AccountWarned
        )
    }
}

/// The ids an inbox item points at, so an app can open the job, contract, milestone, ….
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Links {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<JobId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal_id: Option<ProposalId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation_id: Option<InvitationId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer_id: Option<OfferId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_id: Option<ContractId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub milestone_id: Option<MilestoneId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timesheet_id: Option<TimesheetId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispute_id: Option<DisputeId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saved_search_id: Option<SavedSearchId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal_id: Option<super::ids::WithdrawalId>,
}

/// One inbox item as its owner sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Notification {
    pub id: NotificationId,
    pub kind: NotificationKind,
    pub title: String,
    pub text: String,
    pub links: Links,
    /// When the thing happened (the event's time, or the reminder's).
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub read_at: Option<DateTime<Utc>>,
}

/// What to tell one recipient.
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    pub recipient: UserId,
    pub kind: NotificationKind,
    pub title: String,
    pub text: String,
    pub links: Links,
}

impl Draft {
    fn new(recipient: &UserId, kind: NotificationKind, title: &str, text: String) -> Self {
        Self {
            recipient: recipient.clone(),
            kind,
            title: title.to_string(),
            text,
            links: Links::default(),
        }
    }

    fn links(mut self, f: impl FnOnce(&mut Links)) -> Self {
        f(&mut self.links);
        self
    }

    pub fn notification(self, id: NotificationId, created_at: DateTime<Utc>) -> Notification {
        Notification {
            id,
            kind: self.kind,
            title: self.title,
            text: self.text,
            links: self.links,
            created_at,
            read_at: None,
        }
    }
}

/// The milestone an event needs read to know its recipient (events about funding and refunds
/// name the contract, not the freelancer).
pub fn milestone_to_read(payload: &EventPayload) -> Option<&MilestoneId> {
    match payload {
        EventPayload::MilestoneFunded { milestone_id, .. }
        | EventPayload::MilestoneRefunded { milestone_id, .. }
        | EventPayload::MilestoneSubmitted { milestone_id, .. } => Some(milestone_id),
        _ => None,
    }
}

/// The inbox items an event makes: one per recipient, never one for the user who acted.
/// `milestone` is the milestone `milestone_to_read` named, as it is now (absent if gone).
pub fn drafts(event: &DomainEvent, milestone: Option<&Milestone>) -> Vec<Draft> {
    use NotificationKind as K;
    match &event.payload {
        EventPayload::ProposalSubmitted {
            proposal_id,
            job_id,
            client_id,
            ..
        } => vec![Draft::new(
            client_id,
            K::ProposalReceived,
            "New proposal",
            "A freelancer sent a proposal to your job.".into(),
        )
        .links(|l| {
            l.job_id = Some(job_id.clone());
            l.proposal_id = Some(proposal_id.clone());
        })],
        EventPayload::BoostOutbid {
            proposal_id,
            job_id,
            freelancer_id,
            connects_refunded,
        } => vec![Draft::new(
            freelancer_id,
            K::ProposalOutbid,
            "Your boost was outbid",
            format!(
                "A higher boost took your proposal's top slot; {connects_refunded} Connects were refunded."
            ),
        )
        .links(|l| {
            l.job_id = Some(job_id.clone());
            l.proposal_id = Some(proposal_id.clone());
        })],
        EventPayload::InvitationSent {
            invitation_id,
            job_id,
            freelancer_id,
            ..
        } => vec![Draft::new(
            freelancer_id,
            K::InvitationReceived,
            "You were invited to a job",
            "A client invited you to apply to their job (free of Connects).".into(),
        )
        .links(|l| {
            l.job_id = Some(job_id.clone());
            l.invitation_id = Some(invitation_id.clone());
        })],
        EventPayload::OfferSent {
            offer_id,
            job_id,
            freelancer_id,
            ..
        } => vec![offer_draft(
            freelancer_id,
            K::OfferReceived,
            "You received an offer",
            "A client sent you an offer. It expires in 7 days.",
            offer_id,
            job_id,
        )],
        EventPayload::OfferDeclined {
            offer_id,
            job_id,
            client_id,
            ..
        } => vec![offer_draft(
            client_id,
            K::OfferDeclined,
            "Your offer was declined",
            "The freelancer declined your offer.",
            offer_id,
            job_id,
        )],
        EventPayload::OfferWithdrawn {
            offer_id,
            job_id,
            freelancer_id,
            ..
        } => vec![offer_draft(
            freelancer_id,
            K::OfferWithdrawn,
            "An offer was withdrawn",
            "The client withdrew their offer.",
            offer_id,
            job_id,
        )],
        EventPayload::ContractStarted {
            contract_id,
            job_id,
            client_id,
            freelancer_id,
        } => [client_id, freelancer_id]
            .into_iter()
            .map(|recipient| {
                Draft::new(
                    recipient,
                    K::ContractStarted,
                    "Your contract has started",
                    "The offer was accepted: the contract is active.".into(),
                )
                .links(|l| {
                    l.job_id = Some(job_id.clone());
                    l.contract_id = Some(contract_id.clone());
                })
            })
            .collect(),
        EventPayload::ContractChanged {
            contract_id,
            client_id,
            freelancer_id,
            change,
            ..
        } => {
            // Pauses, resumptions and amendments are the client's: news to the freelancer.
            // Either party may end a contract, and both then have 14 days for feedback, so
            // the end is told to both.
            let recipients = match change.as_str() {
                "ended" => vec![client_id, freelancer_id],
                _ => vec![freelancer_id],
            };
            recipients
                .into_iter()
                .map(|recipient| {
                    Draft::new(
                        recipient,
                        K::ContractChanged,
                        "Your contract changed",
                        format!("The contract was {}.", change.replace('_', " ")),
                    )
                    .links(|l| l.contract_id = Some(contract_id.clone()))
                })
                .collect()
        }
        EventPayload::MilestoneFunded {
            milestone_id,
            contract_id,
            amount,
        } => milestone
            .map(|m| {
                milestone_draft(
                    &m.freelancer_id,
                    K::MilestoneFunded,
                    "A milestone was funded",
                    format!(
                        "The client put {amount} into escrow for \"{}\": you can start.",
                        m.description
                    ),
                    contract_id,
                    milestone_id,
                )
            })
            .into_iter()
            .collect(),
        EventPayload::MilestoneSubmitted {
            milestone_id,
            contract_id,
            client_id,
        } => vec![milestone_draft(
            client_id,
            K::MilestoneSubmitted,
            "Work was submitted for review",
            format!(
                "The freelancer submitted{}. Approve it or request changes within 14 days, \
                 or the escrow is released automatically.",
                milestone
                    .map(|m| format!(" \"{}\"", m.description))
                    .unwrap_or_default()
            ),
            contract_id,
            milestone_id,
        )],
        EventPayload::MilestoneChangesRequested {
            milestone_id,
            contract_id,
            freelancer_id,
        } => vec![milestone_draft(
            freelancer_id,
            K::MilestoneChangesRequested,
            "Changes were requested",
            "The client asked for changes to your submission.".into(),
            contract_id,
            milestone_id,
        )],
        EventPayload::MilestoneReleased {
            milestone_id,
            contract_id,
            freelancer_id,
            gross,
            net,
            automatic,
            ..
        } => vec![milestone_draft(
            freelancer_id,
            K::MilestoneReleased,
            "Payment released",
            format!(
                "{} {gross} was released to you ({net} after the service fee); it is available \
                 after the 5-day security period.",
                if *automatic {
                    "The review period ended:"
                } else {
                    "The client approved your work:"
                }
            ),
            contract_id,
            milestone_id,
        )],
        EventPayload::MilestoneRefunded {
            milestone_id,
            contract_id,
            amount,
        } => milestone
            .map(|m| {
                // The freelancer refunds (§7.5): news to the client.
                milestone_draft(
                    &m.client_id,
                    K::MilestoneRefunded,
                    "A milestone was refunded",
                    format!(
                        "The {amount} held in escrow for \"{}\" was refunded to you.",
                        m.description
                    ),
                    contract_id,
                    milestone_id,
                )
            })
            .into_iter()
            .collect(),
        EventPayload::BonusPaid {
            contract_id,
            freelancer_id,
            gross,
            net,
            ..
        } => vec![Draft::new(
            freelancer_id,
            K::BonusPaid,
            "You received a bonus",
            format!("The client paid you a bonus of {gross} ({net} after the service fee)."),
        )
        .links(|l| l.contract_id = Some(contract_id.clone()))],
        EventPayload::WeekInvoiced {
            timesheet_id,
            contract_id,
            client_id,
            billable_minutes,
            amount,
            client_fee,
            ..
        } => vec![week_draft(
            client_id,
            K::WeekInvoiced,
            "Weekly invoice",
            format!(
                "{} of hourly work were invoiced: {amount} plus a {client_fee} marketplace fee.",
                hours(*billable_minutes)
            ),
            contract_id,
            timesheet_id,
        )],
        EventPayload::WeekCharged {
            timesheet_id,
            contract_id,
            freelancer_id,
            amount,
            review_ends_at,
            ..
        } => vec![week_draft(
            freelancer_id,
            K::WeekCharged,
            "Your week was billed",
            format!(
                "The client was charged {amount} for your week; it is paid to you after the \
                 review ends ({}).",
                review_ends_at.format("%Y-%m-%d %H:%M UTC")
            ),
            contract_id,
            timesheet_id,
        )],
        EventPayload::WeekPaymentFailed {
            timesheet_id,
            contract_id,
            client_id,
            reason,
            next_attempt_at,
            ..
        } => vec![week_draft(
            client_id,
            K::WeekPaymentFailed,
            "Payment failed",
            format!(
                "We could not charge your billing method for a week of hourly work ({reason}). \
                 We try again at {}; check your billing methods.",
                next_attempt_at.format("%Y-%m-%d %H:%M UTC")
            ),
            contract_id,
            timesheet_id,
        )],
        EventPayload::WeekDisputed {
            dispute_id,
            timesheet_id,
            contract_id,
            freelancer_id,
            amount,
            ..
        } => vec![week_draft(
            freelancer_id,
            K::WeekDisputed,
            "A week was disputed",
            format!(
                "The client disputed a week of your hourly work ({amount}); the contract is \
                 paused. Answer the dispute within 3 days."
            ),
            contract_id,
            timesheet_id,
        )
        .links(|l| l.dispute_id = Some(dispute_id.clone()))],
        EventPayload::WeekReleased {
            timesheet_id,
            contract_id,
            freelancer_id,
            gross,
            net,
            available_at,
            ..
        } => vec![week_draft(
            freelancer_id,
            K::WeekReleased,
            "Hourly payment released",
            format!(
                "{gross} for your week was released ({net} after the service fee), available \
                 from {}.",
                available_at.format("%Y-%m-%d")
            ),
            contract_id,
            timesheet_id,
        )],
        EventPayload::SavedSearchMatched {
            user_id,
            saved_search_id,
            job_id,
        } => vec![Draft::new(
            user_id,
            K::SavedSearchMatched,
            "New job for your saved search",
            "A newly posted job matches one of your saved searches.".into(),
        )
        .links(|l| {
            l.job_id = Some(job_id.clone());
            l.saved_search_id = Some(saved_search_id.clone());
        })],
        EventPayload::FeedbackSubmitted {
            contract_id, to, ..
        } => vec![Draft::new(
            to,
            K::FeedbackReceived,
            "You received feedback",
            "The other party left feedback on your contract. It stays hidden until you leave \
             yours or the 14-day window closes."
                .into(),
        )
        .links(|l| l.contract_id = Some(contract_id.clone()))],
        EventPayload::FeedbackRevealed {
            contract_id, to, ..
        } => vec![Draft::new(
            to,
            K::FeedbackRevealed,
            "Feedback is now visible",
            "The feedback the other party left on your contract is now visible.".into(),
        )
        .links(|l| l.contract_id = Some(contract_id.clone()))],
        EventPayload::WeekRefunded {
            timesheet_id,
            contract_id,
            client_id,
            amount,
        } => vec![week_draft(
            client_id,
            K::WeekRefunded,
            "Hourly invoice refunded",
            format!("{amount} for a disputed week of hourly work was refunded to your balance."),
            contract_id,
            timesheet_id,
        )],
        EventPayload::DisputeOpened {
            dispute_id,
            contract_id,
            milestone_id,
            kind,
            responder_id,
            amount,
            respond_by,
        } => {
            let claim = match kind {
                DisputeKind::RefundRequest => "The client asks for the milestone's escrow back",
                _ => "The freelancer disputes the missing approval of a milestone",
            };
            vec![milestone_draft(
                responder_id,
                K::DisputeOpened,
                "A milestone was disputed",
                format!(
                    "{claim} ({amount}); the money is frozen. Accept or contest by {} — without \
                     an answer the dispute is decided for the other side.",
                    respond_by.format("%Y-%m-%d %H:%M UTC")
                ),
                contract_id,
                milestone_id,
            )
            .links(|l| l.dispute_id = Some(dispute_id.clone()))]
        }
        EventPayload::DisputeContested {
            dispute_id,
            contract_id,
            opener_id,
        } => vec![Draft::new(
            opener_id,
            K::DisputeContested,
            "Your dispute goes to mediation",
            "The other side contested your dispute; an admin will review the evidence and \
             decide."
                .into(),
        )
        .links(|l| {
            l.contract_id = Some(contract_id.clone());
            l.dispute_id = Some(dispute_id.clone());
        })],
        EventPayload::DisputeWithdrawn {
            dispute_id,
            contract_id,
            responder_id,
        } => vec![Draft::new(
            responder_id,
            K::DisputeWithdrawn,
            "A dispute was withdrawn",
            "The other side withdrew the dispute; the money is no longer frozen.".into(),
        )
        .links(|l| {
            l.contract_id = Some(contract_id.clone());
            l.dispute_id = Some(dispute_id.clone());
        })],
        EventPayload::DisputeResolved {
            dispute_id,
            contract_id,
            client_id,
            freelancer_id,
            to_freelancer,
            to_client,
            ..
        } => [client_id, freelancer_id]
            .into_iter()
            .map(|recipient| {
                Draft::new(
                    recipient,
                    K::DisputeResolved,
                    "Dispute resolved",
                    format!(
                        "The dispute is settled: {to_freelancer} to the freelancer, {to_client} \
                         back to the client."
                    ),
                )
                .links(|l| {
                    l.contract_id = Some(contract_id.clone());
                    l.dispute_id = Some(dispute_id.clone());
                })
            })
            .collect(),
        EventPayload::IdentityApproved { user_id } => vec![Draft::new(
            user_id,
            K::IdentityApproved,
            "Your identity is verified",
            "Your documents were approved: your profile shows the verified badge and you can \
             withdraw your earnings."
                .into(),
        )],
        EventPayload::IdentityRejected { user_id, reason } => vec![Draft::new(
            user_id,
            K::IdentityRejected,
            "Your identity could not be verified",
            format!("Your documents were not approved: {reason} You can submit new ones."),
        )],
        EventPayload::WithdrawalPaid {
            withdrawal_id,
            user_id,
            net,
        } => vec![Draft::new(
            user_id,
            K::WithdrawalPaid,
            "Withdrawal sent",
            format!("{net} is on its way to your payout method."),
        )
        .links(|l| l.withdrawal_id = Some(withdrawal_id.clone()))],
        EventPayload::WithdrawalReturned {
            withdrawal_id,
            user_id,
            amount,
            reason,
        } => vec![Draft::new(
            user_id,
            K::WithdrawalReturned,
            "Withdrawal failed",
            format!(
                "Your payout method refused the withdrawal ({reason}); the {amount} is back in \
                 your available balance. Check the method and try again."
            ),
        )
        .links(|l| l.withdrawal_id = Some(withdrawal_id.clone()))],
        EventPayload::CardRefunded {
            dispute_id,
            client_id,
            amount,
            method,
        } => vec![Draft::new(
            client_id,
            K::CardRefunded,
            "Refund sent to your card",
            format!("{amount} from the dispute is on its way back to {method}."),
        )
        .links(|l| l.dispute_id = Some(dispute_id.clone()))],
        EventPayload::CardRefundFailed {
            dispute_id,
            client_id,
            amount,
            reason,
        } => vec![Draft::new(
            client_id,
            K::CardRefundFailed,
            "Refund to your card failed",
            format!(
                "The card refused the refund ({reason}); the {amount} is in your Worklane \
                 balance, where your next funding spends it first."
            ),
        )
        .links(|l| l.dispute_id = Some(dispute_id.clone()))],
        EventPayload::ContentRemoved {
            owner_id,
            content,
            reason,
            note,
            ..
        } => vec![moderation_draft(
            owner_id,
            K::ContentRemoved,
            &format!("Your {} was removed", content.kind().as_str()),
            format!(
                "It was reported as {} and an admin removed it: {note}",
                reason.describe()
            ),
            content,
        )],
        EventPayload::UserWarned {
            user_id,
            content,
            reason,
            note,
            ..
        } => vec![moderation_draft(
            user_id,
            K::AccountWarned,
            "A warning about your account",
            format!(
                "Your {} was reported as {} and an admin reviewed it: {note} Repeated \
                 violations lead to the suspension of your account.",
                content.kind().as_str(),
                reason.describe()
            ),
            content,
        )],
        // Nobody's inbox: the account's own steps (the confirmation email is sent elsewhere),
        // job upkeep the client did themself, and cancellations whose refunds are visible in
        // the Connects history.
        EventPayload::AccountSignedUp { .. }
        | EventPayload::AccountConfirmed { .. }
        | EventPayload::RoleAdded { .. }
        | EventPayload::JobPosted { .. }
        | EventPayload::JobUpdated { .. }
        | EventPayload::JobClosed { .. }
        // Messages keep their own unread counts in their rooms (§12.1).
        | EventPayload::MessagePosted { .. } => Vec::new(),
        #[allow(unreachable_patterns)]
        _ => Vec::new(),
    }
}

/// A moderation notice, pointing at the content it is about where that has a page.
fn moderation_draft(
    recipient: &UserId,
    kind: NotificationKind,
    title: &str,
    text: String,
    content: &super::moderation::ContentRef,
) -> Draft {
    use super::moderation::ContentRef;
    Draft::new(recipient, kind, title, text).links(|l| match content {
        ContentRef::Job { job_id } => l.job_id = Some(job_id.clone()),
        ContentRef::Proposal { proposal_id } => l.proposal_id = Some(proposal_id.clone()),
        ContentRef::Profile { .. } | ContentRef::Message { .. } => {}
    })
}

fn offer_draft(
    recipient: &UserId,
    kind: NotificationKind,
    title: &str,
    text: &str,
    offer_id: &OfferId,
    job_id: &JobId,
) -> Draft {
    Draft::new(recipient, kind, title, text.into()).links(|l| {
        l.offer_id = Some(offer_id.clone());
        l.job_id = Some(job_id.clone());
    })
}

fn milestone_draft(
    recipient: &UserId,
    kind: NotificationKind,
    title: &str,
    text: String,
    contract_id: &ContractId,
    milestone_id: &MilestoneId,
) -> Draft {
    Draft::new(recipient, kind, title, text).links(|l| {
        l.contract_id = Some(contract_id.clone());
        l.milestone_id = Some(milestone_id.clone());
    })
}

fn week_draft(
    recipient: &UserId,
    kind: NotificationKind,
    title: &str,
    text: String,
    contract_id: &ContractId,
    timesheet_id: &TimesheetId,
) -> Draft {
    Draft::new(recipient, kind, title, text).links(|l| {
        l.contract_id = Some(contract_id.clone());
        l.timesheet_id = Some(timesheet_id.clone());
    })
}

fn hours(minutes: u32) -> String {
    format!("{}:{:02} h", minutes / 60, minutes % 60)
}

/// Something to tell a user at a later time, unless it no longer holds then.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reminder", rename_all = "snake_case")]
pub enum Reminder {
    /// A submitted milestone is released automatically at `auto_release_at` (client).
    AutoReleaseSoon {
        milestone_id: MilestoneId,
        auto_release_at: DateTime<Utc>,
    },
    /// A charged week's review ends at `review_ends_at` (client).
    ReviewClosing {
        timesheet_id: TimesheetId,
        review_ends_at: DateTime<Utc>,
    },
}

impl Reminder {
    /// The reminder a milestone in its current state calls for.
    pub fn for_milestone(milestone: &Milestone) -> Option<Reminder> {
        (milestone.state == MilestoneState::Submitted)
            .then_some(milestone.auto_release_at)
            .flatten()
            .map(|auto_release_at| Reminder::AutoReleaseSoon {
                milestone_id: milestone.id.clone(),
                auto_release_at,
            })
    }

    /// Unique per thing and deadline: a milestone submitted again (after changes were
    /// requested) has a new deadline and gets a new reminder.
    pub fn key(&self) -> String {
        match self {
            Reminder::AutoReleaseSoon {
                milestone_id,
                auto_release_at,
            } => format!(
                "auto-release:{milestone_id}:{}",
                auto_release_at.timestamp_millis()
            ),
            Reminder::ReviewClosing {
                timesheet_id,
                review_ends_at,
            } => format!(
                "review-closing:{timesheet_id}:{}",
                review_ends_at.timestamp_millis()
            ),
        }
    }

    pub fn remind_at(&self) -> DateTime<Utc> {
        match self {
            Reminder::AutoReleaseSoon {
                auto_release_at, ..
            } => *auto_release_at - AUTO_RELEASE_NOTICE,
            Reminder::ReviewClosing { review_ends_at, .. } => {
                *review_ends_at - REVIEW_CLOSING_NOTICE
            }
        }
    }

    /// The client's reminder if the milestone is still waiting for the same deadline.
    pub fn milestone_draft(&self, milestone: &Milestone) -> Option<Draft> {
        let Reminder::AutoReleaseSoon {
            auto_release_at, ..
        } = self
        else {
            return None;
        };
        let current = milestone.state == MilestoneState::Submitted
            && milestone.auto_release_at == Some(*auto_release_at);
        current.then(|| {
            milestone_draft(
                &milestone.client_id,
                NotificationKind::AutoReleaseSoon,
                "Escrow is released in 48 hours",
                format!(
                    "\"{}\" ({}) is released to the freelancer automatically at {} unless you \
                     approve it or request changes first.",
                    milestone.description,
                    milestone.amount,
                    auto_release_at.format("%Y-%m-%d %H:%M UTC")
                ),
                &milestone.contract_id,
                &milestone.id,
            )
        })
    }

    /// The client's reminder if the week is still in the same review.
    pub fn timesheet_draft(&self, week: &Timesheet) -> Option<Draft> {
        let Reminder::ReviewClosing { review_ends_at, .. } = self else {
            return None;
        };
        let current = week.state == TimesheetState::InReview
            && week.week().review_ends_at() == *review_ends_at;
        current.then(|| {
            week_draft(
                &week.client_id,
                NotificationKind::ReviewClosing,
                "The review of a week closes soon",
                format!(
                    "You can dispute the week of {} until {} (Friday 23:59 UTC); after that it \
                     is paid to the freelancer.",
                    week.week_start,
                    (*review_ends_at - Duration::seconds(1)).format("%Y-%m-%d %H:%M UTC")
                ),
                &week.contract_id,
                &week.id,
            )
        })
    }
}

/// What the schedule's notification is derived from: the reminder and its recipient.
pub fn reminder_notification_id(reminder: &Reminder, recipient: &UserId) -> NotificationId {
    NotificationId::derived(
        reminder.remind_at(),
        &format!("reminder:{}", reminder.key()),
        recipient,
    )
}

/// The event id a reminder's once-only effects (its email) are recorded under.
pub fn reminder_basis(reminder: &Reminder) -> EventId {
    EventId::derived(
        reminder.remind_at(),
        &format!("reminder:{}", reminder.key()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(payload: EventPayload) -> DomainEvent {
        DomainEvent::new(payload, "2026-12-01T10:00:00Z".parse().unwrap())
    }

    #[test]
    fn ids_are_derived_per_event_and_recipient() {
        let now: DateTime<Utc> = "2026-12-01T10:00:00Z".parse().unwrap();
        let (ann, bob) = (UserId::generate(now), UserId::generate(now));
        let e = event(EventPayload::AccountConfirmed {
            user_id: ann.clone(),
        });
        let a = NotificationId::for_event(&e, &ann);
        assert_eq!(a, NotificationId::for_event(&e, &ann));
        assert_ne!(a, NotificationId::for_event(&e, &bob));
        assert_eq!(NotificationId::parse(a.as_str()), Some(a.clone()));
        assert_eq!(
            NotificationId::parse("usr_01jxxxxxxxxxxxxxxxxxxxxxxx"),
            None
        );
        let later = NotificationId::derived(now + Duration::seconds(1), "x", &ann);
        assert!(a < later, "ids sort by time");
    }

    #[test]
    fn a_contract_start_tells_both_parties_and_a_proposal_only_the_client() {
        let now: DateTime<Utc> = "2026-12-01T10:00:00Z".parse().unwrap();
        let (client, freelancer) = (UserId::generate(now), UserId::generate(now));
        let started = drafts(
            &event(EventPayload::ContractStarted {
                contract_id: ContractId::generate(now),
                job_id: JobId::generate(now),
                client_id: client.clone(),
                freelancer_id: freelancer.clone(),
            }),
            None,
        );
        let to: Vec<_> = started.iter().map(|d| &d.recipient).collect();
        assert_eq!(to, vec![&client, &freelancer]);
        let proposal = drafts(
            &event(EventPayload::ProposalSubmitted {
                proposal_id: ProposalId::generate(now),
                job_id: JobId::generate(now),
                freelancer_id: freelancer.clone(),
                client_id: client.clone(),
            }),
            None,
        );
        assert_eq!(proposal.len(), 1);
        assert_eq!(proposal[0].recipient, client);
        assert!(proposal[0].links.proposal_id.is_some());
    }
}
