//! Domain events: written to the outbox in the same transaction as the state change they
//! describe, forwarded to EventBridge by the stream consumer, consumed by workers.

use super::ids::{EventId, InvitationId, JobId, ProposalId, SavedSearchId, UserId};
use super::job::CloseReason;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The EventBridge `source` of every Worklane domain event.
pub const EVENT_SOURCE: &str = "worklane";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DomainEvent {
    pub id: EventId,
    pub occurred_at: DateTime<Utc>,
    #[serde(flatten)]
    pub payload: EventPayload,
}

/// Every event the system emits. The variant name is the EventBridge `detail-type`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum EventPayload {
    AccountSignedUp {
        user_id: UserId,
        email: String,
        name: String,
    },
    AccountConfirmed {
        user_id: UserId,
    },
    RoleAdded {
        user_id: UserId,
        role: super::account::Role,
    },
    /// An admin suspended the account: its content leaves search, its open proposals are
    /// withdrawn. Consumers re-read the account, so a late copy after a reinstatement is
    /// harmless.
    AccountSuspended {
        user_id: UserId,
    },
    /// The suspension was lifted: the account's content returns to search.
    AccountReinstated {
        user_id: UserId,
    },
    /// Consumers re-read the job: events say what changed, the table says what is.
    JobPosted {
        job_id: JobId,
        client_id: UserId,
    },
    JobUpdated {
        job_id: JobId,
    },
    JobClosed {
        job_id: JobId,
        client_id: UserId,
        reason: CloseReason,
        /// Cancelled before a hire: every applicant gets their Connects back (§4.3).
        refund_connects: bool,
    },
    ProposalSubmitted {
        proposal_id: ProposalId,
        job_id: JobId,
        freelancer_id: UserId,
        client_id: UserId,
    },
    /// A higher boost took this proposal's top slot; its boost Connects were refunded.
    BoostOutbid {
        proposal_id: ProposalId,
        job_id: JobId,
        freelancer_id: UserId,
        connects_refunded: u32,
    },
    InvitationSent {
        invitation_id: InvitationId,
        job_id: JobId,
        freelancer_id: UserId,
        client_id: UserId,
    },
    MilestoneFunded {
        milestone_id: super::ids::MilestoneId,
        contract_id: super::ids::ContractId,
        amount: super::money::Money,
    },
    MilestoneSubmitted {
        milestone_id: super::ids::MilestoneId,
        contract_id: super::ids::ContractId,
        client_id: UserId,
    },
    MilestoneChangesRequested {
        milestone_id: super::ids::MilestoneId,
        contract_id: super::ids::ContractId,
        freelancer_id: UserId,
    },
    MilestoneReleased {
        milestone_id: super::ids::MilestoneId,
        contract_id: super::ids::ContractId,
        freelancer_id: UserId,
        gross: super::money::Money,
        service_fee: super::money::Money,
        net: super::money::Money,
        /// Released by the 14-day schedule rather than by the client.
        automatic: bool,
    },
    BonusPaid {
        contract_id: super::ids::ContractId,
        freelancer_id: UserId,
        gross: super::money::Money,
        service_fee: super::money::Money,
        net: super::money::Money,
    },
    MilestoneRefunded {
        milestone_id: super::ids::MilestoneId,
        contract_id: super::ids::ContractId,
        amount: super::money::Money,
    },
    OfferSent {
        offer_id: super::ids::OfferId,
        job_id: JobId,
        client_id: UserId,
        freelancer_id: UserId,
    },
    OfferDeclined {
        offer_id: super::ids::OfferId,
        job_id: JobId,
        client_id: UserId,
        freelancer_id: UserId,
    },
    OfferWithdrawn {
        offer_id: super::ids::OfferId,
        job_id: JobId,
        client_id: UserId,
        freelancer_id: UserId,
    },
    /// An offer was accepted; the job's boost auction closed with this first hire.
    ContractStarted {
        contract_id: super::ids::ContractId,
        job_id: JobId,
        client_id: UserId,
        freelancer_id: UserId,
    },
    /// Paused, resumed, ended or amended: consumers re-read the contract.
    ContractChanged {
        contract_id: super::ids::ContractId,
        client_id: UserId,
        freelancer_id: UserId,
        state: super::contract::ContractState,
        /// What happened: `paused`, `resumed`, `ended` or an amendment kind.
        change: String,
    },
    /// Monday 12:00: a week of hourly work became its invoice (§8.4).
    WeekInvoiced {
        timesheet_id: super::hourly::TimesheetId,
        contract_id: super::ids::ContractId,
        client_id: UserId,
        freelancer_id: UserId,
        billable_minutes: u32,
        amount: super::money::Money,
        client_fee: super::money::Money,
    },
    /// The week's charge went through; the client may dispute until `review_ends_at`.
    WeekCharged {
        timesheet_id: super::hourly::TimesheetId,
        contract_id: super::ids::ContractId,
        client_id: UserId,
        freelancer_id: UserId,
        amount: super::money::Money,
        review_ends_at: DateTime<Utc>,
    },
    /// The week's charge was refused; it is tried again at `next_attempt_at`.
    WeekPaymentFailed {
        timesheet_id: super::hourly::TimesheetId,
        contract_id: super::ids::ContractId,
        client_id: UserId,
        attempts: u32,
        reason: String,
        next_attempt_at: DateTime<Utc>,
    },
    /// The review ended undisputed: the week was paid to the freelancer.
    WeekReleased {
        timesheet_id: super::hourly::TimesheetId,
        contract_id: super::ids::ContractId,
        freelancer_id: UserId,
        gross: super::money::Money,
        service_fee: super::money::Money,
        net: super::money::Money,
        available_at: DateTime<Utc>,
    },
    /// The client disputed a week during its review: the money is frozen, the contract paused.
    WeekDisputed {
        dispute_id: super::ids::DisputeId,
        timesheet_id: super::hourly::TimesheetId,
        contract_id: super::ids::ContractId,
        client_id: UserId,
        freelancer_id: UserId,
        amount: super::money::Money,
    },
    /// A dispute gave a week's whole invoice back to the client.
    WeekRefunded {
        timesheet_id: super::hourly::TimesheetId,
        contract_id: super::ids::ContractId,
        client_id: UserId,
        amount: super::money::Money,
    },
    /// A party disputed a milestone: its escrow is frozen and `responder_id` answers by
    /// `respond_by` (hourly weeks announce theirs with `WeekDisputed`).
    DisputeOpened {
        dispute_id: super::ids::DisputeId,
        contract_id: super::ids::ContractId,
        milestone_id: super::ids::MilestoneId,
        kind: super::dispute::DisputeKind,
        responder_id: UserId,
        amount: super::money::Money,
        respond_by: DateTime<Utc>,
    },
    /// The other side contested the dispute: an admin mediates.
    DisputeContested {
        dispute_id: super::ids::DisputeId,
        contract_id: super::ids::ContractId,
        opener_id: UserId,
    },
    /// The opener withdrew the dispute before a decision: the money is back where it was.
    DisputeWithdrawn {
        dispute_id: super::ids::DisputeId,
        contract_id: super::ids::ContractId,
        responder_id: UserId,
    },
    /// A dispute was settled (by acceptance, the deadline or mediation) and its money moved.
    DisputeResolved {
        dispute_id: super::ids::DisputeId,
        contract_id: super::ids::ContractId,
        client_id: UserId,
        freelancer_id: UserId,
        outcome: super::dispute::Outcome,
        decided_by: super::dispute::DecidedBy,
        to_freelancer: super::money::Money,
        to_client: super::money::Money,
    },
    /// An admin approved a user's identity documents: the verified badge shows, withdrawals open.
    IdentityApproved {
        user_id: UserId,
    },
    /// An admin rejected a user's identity documents; they may submit new ones.
    IdentityRejected {
        user_id: UserId,
        reason: String,
    },
    /// A freelancer asked to withdraw `amount` (`fee` + `net`); the processing worker pays it.
    WithdrawalRequested {
        withdrawal_id: super::ids::WithdrawalId,
        user_id: UserId,
        amount: super::money::Money,
        fee: super::money::Money,
        net: super::money::Money,
    },
    /// The processor paid `net` to the freelancer's payout method.
    WithdrawalPaid {
        withdrawal_id: super::ids::WithdrawalId,
        user_id: UserId,
        net: super::money::Money,
    },
    /// The payout failed; the whole `amount` went back to available.
    WithdrawalReturned {
        withdrawal_id: super::ids::WithdrawalId,
        user_id: UserId,
        amount: super::money::Money,
        reason: String,
    },
    /// A dispute's refund to the card that paid was set aside from the client's balance; the
    /// processing worker asks the processor for it.
    CardRefundRequested {
        dispute_id: super::ids::DisputeId,
        client_id: UserId,
        amount: super::money::Money,
    },
    /// The processor gave `amount` back to the card (`method`).
    CardRefunded {
        dispute_id: super::ids::DisputeId,
        client_id: UserId,
        amount: super::money::Money,
        method: String,
    },
    /// The processor refused the card refund; `amount` is back in the client's balance.
    CardRefundFailed {
        dispute_id: super::ids::DisputeId,
        client_id: UserId,
        amount: super::money::Money,
        reason: String,
    },
    /// One side left feedback on an ended contract (its content stays hidden until revealed).
    FeedbackSubmitted {
        contract_id: super::ids::ContractId,
        from: UserId,
        to: UserId,
    },
    /// Feedback became visible: both sides left theirs, or the 14-day window closed.
    FeedbackRevealed {
        contract_id: super::ids::ContractId,
        from: UserId,
        to: UserId,
        from_side: super::offer::Side,
    },
    /// A newly posted job matches a freelancer's saved search (the alert of §3.4).
    SavedSearchMatched {
        user_id: UserId,
        saved_search_id: SavedSearchId,
        job_id: JobId,
    },
    /// An admin removed reported content (docs/trust-and-safety.md); its owner is told why.
    ContentRemoved {
        report_id: super::ids::ContentReportId,
        owner_id: UserId,
        content: super::moderation::ContentRef,
        reason: super::moderation::ReportReason,
        note: String,
    },
    /// An admin warned the owner of reported content.
    UserWarned {
        report_id: super::ids::ContentReportId,
        user_id: UserId,
        content: super::moderation::ContentRef,
        reason: super::moderation::ReportReason,
        note: String,
    },
    /// A message was posted to a room; `recipient_id` is the other member.
    MessagePosted {
        message_id: super::ids::MessageId,
        room_id: super::messaging::RoomId,
        sender_id: UserId,
        recipient_id: UserId,
        attachments: u32,
    },
}

impl DomainEvent {
    pub fn new(payload: EventPayload, now: DateTime<Utc>) -> Self {
        Self {
            id: EventId::generate(now),
            occurred_at: now,
            payload,
        }
    }

    pub fn detail_type(&self) -> &'static str {
        match self.payload {
            EventPayload::AccountSignedUp { .. } => "AccountSignedUp",
            EventPayload::AccountConfirmed { .. } => "AccountConfirmed",
            EventPayload::RoleAdded { .. } => "RoleAdded",
            EventPayload::AccountSuspended { .. } => "AccountSuspended",
            EventPayload::AccountReinstated { .. } => "AccountReinstated",
            EventPayload::JobPosted { .. } => "JobPosted",
            EventPayload::MilestoneFunded { .. } => "MilestoneFunded",
            EventPayload::MilestoneSubmitted { .. } => "MilestoneSubmitted",
            EventPayload::MilestoneChangesRequested { .. } => "MilestoneChangesRequested",
            EventPayload::MilestoneReleased { .. } => "MilestoneReleased",
            EventPayload::MilestoneRefunded { .. } => "MilestoneRefunded",
            EventPayload::BonusPaid { .. } => "BonusPaid",
            EventPayload::JobUpdated { .. } => "JobUpdated",
            EventPayload::JobClosed { .. } => "JobClosed",
            EventPayload::ProposalSubmitted { .. } => "ProposalSubmitted",
            EventPayload::BoostOutbid { .. } => "BoostOutbid",
            EventPayload::InvitationSent { .. } => "InvitationSent",
            EventPayload::SavedSearchMatched { .. } => "SavedSearchMatched",
            EventPayload::MessagePosted { .. } => "MessagePosted",
            EventPayload::OfferSent { .. } => "OfferSent",
            EventPayload::OfferDeclined { .. } => "OfferDeclined",
            EventPayload::OfferWithdrawn { .. } => "OfferWithdrawn",
            EventPayload::ContractStarted { .. } => "ContractStarted",
            EventPayload::ContractChanged { .. } => "ContractChanged",
            EventPayload::IdentityApproved { .. } => "IdentityApproved",
            EventPayload::IdentityRejected { .. } => "IdentityRejected",
            EventPayload::WithdrawalRequested { .. } => "WithdrawalRequested",
            EventPayload::WithdrawalPaid { .. } => "WithdrawalPaid",
            EventPayload::WithdrawalReturned { .. } => "WithdrawalReturned",
            EventPayload::CardRefundRequested { .. } => "CardRefundRequested",
            EventPayload::CardRefunded { .. } => "CardRefunded",
            EventPayload::CardRefundFailed { .. } => "CardRefundFailed",
            EventPayload::FeedbackSubmitted { .. } => "FeedbackSubmitted",
            EventPayload::FeedbackRevealed { .. } => "FeedbackRevealed",
            EventPayload::WeekInvoiced { .. } => "WeekInvoiced",
            EventPayload::WeekCharged { .. } => "WeekCharged",
            EventPayload::WeekPaymentFailed { .. } => "WeekPaymentFailed",
            EventPayload::WeekReleased { .. } => "WeekReleased",
            EventPayload::WeekDisputed { .. } => "WeekDisputed",
            EventPayload::WeekRefunded { .. } => "WeekRefunded",
            EventPayload::DisputeOpened { .. } => "DisputeOpened",
            EventPayload::DisputeContested { .. } => "DisputeContested",
            EventPayload::DisputeWithdrawn { .. } => "DisputeWithdrawn",
            EventPayload::DisputeResolved { .. } => "DisputeResolved",
            EventPayload::ContentRemoved { .. } => "ContentRemoved",
            EventPayload::UserWarned { .. } => "UserWarned",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_type_matches_the_serialized_tag() {
        let now = Utc::now();
        let event = DomainEvent::new(
            EventPayload::AccountConfirmed {
                user_id: UserId::generate(now),
            },
            now,
        );
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], event.detail_type());
        let back: DomainEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }
}
