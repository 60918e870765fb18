//! Content reports and moderation (issue 16, part 2): any signed-in user reports a job, a
//! freelancer profile, a message or a proposal they can see, with a reason from a fixed list;
//! admins work the open reports oldest first and decide each once: dismiss it, remove the
//! content, warn its owner or suspend its owner. Pure rules; the handlers read the content and
//! pass in what they found, time comes in as `now`.

use super::audit::{AuditAction, AuditEntry, ADMIN_REASON};
use super::ids::{ContentReportId, JobId, MessageId, ProposalId, UserId};
use super::job::Job;
use super::messaging::{Message, Room, RoomId};
use super::profile::FreelancerProfile;
use super::proposal::Proposal;
use super::rules::TextRule;
use super::Violations;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a reporter may add; required with `other`, where the reason alone says nothing.
pub const DETAILS: TextRule = TextRule::new(0, 2_000);

/// The kinds of content a report can name; each has its own admin queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContentKind {
    Job,
    Profile,
    Message,
    Proposal,
}

impl ContentKind {
    pub const ALL: [ContentKind; 4] = [
        ContentKind::Job,
        ContentKind::Profile,
        ContentKind::Message,
        ContentKind::Proposal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ContentKind::Job => "job",
            ContentKind::Profile => "profile",
            ContentKind::Message => "message",
            ContentKind::Proposal => "proposal",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }
}

/// The content a report is about. A message is named with its room: messages live in their
/// room's partition, and the room is what decides who may see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ContentRef {
    Job {
        job_id: JobId,
    },
    /// A freelancer's profile (its public page).
    Profile {
        user_id: UserId,
    },
    Message {
        room_id: RoomId,
        message_id: MessageId,
    },
    /// A proposal to one of the reporter's own jobs.
    Proposal {
        proposal_id: ProposalId,
    },
}

impl ContentRef {
    pub fn kind(&self) -> ContentKind {
        match self {
            ContentRef::Job { .. } => ContentKind::Job,
            ContentRef::Profile { .. } => ContentKind::Profile,
            ContentRef::Message { .. } => ContentKind::Message,
            ContentRef::Proposal { .. } => ContentKind::Proposal,
        }
    }

    /// The id of the content itself (a message's, not its room's): what the audit trail of a
    /// removal is about.
    pub fn subject(&self) -> String {
        match self {
            ContentRef::Job { job_id } => job_id.to_string(),
            ContentRef::Profile { user_id } => user_id.to_string(),
            ContentRef::Message { message_id, .. } => message_id.to_string(),
            ContentRef::Proposal { proposal_id } => proposal_id.to_string(),
        }
    }

    /// One string per piece of content: what makes "one report per reporter per content".
    pub fn key(&self) -> String {
        match self {
            ContentRef::Job { job_id } => format!("job#{job_id}"),
            ContentRef::Profile { user_id } => format!("profile#{user_id}"),
            ContentRef::Message {
                room_id,
                message_id,
            } => format!("message#{room_id}#{message_id}"),
            ContentRef::Proposal { proposal_id } => format!("proposal#{proposal_id}"),
        }
    }
}

/// Why the content is reported, as Upwork's report form asks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportReason {
    Spam,
    ScamOrFraud,
    /// Asks to pay or be paid outside Worklane (PRODUCT's fee and protection rules).
    OffPlatformPayment,
    Harassment,
    InappropriateContent,
    FakeOrMisleading,
    IntellectualProperty,
    /// Anything else: `details` must say what.
    Other,
}

impl ReportReason {
    pub fn describe(self) -> &'static str {
        match self {
            ReportReason::Spam => "spam",
            ReportReason::ScamOrFraud => "a scam or fraud",
            ReportReason::OffPlatformPayment => "a request to pay or be paid outside Worklane",
            ReportReason::Harassment => "harassment",
            ReportReason::InappropriateContent => "inappropriate content",
            ReportReason::FakeOrMisleading => "fake or misleading content",
            ReportReason::IntellectualProperty => "an intellectual property violation",
            ReportReason::Other => "a violation of the terms of service",
        }
    }
}

/// Where a report stands: open in the queue, or decided one way, for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    Open,
    /// No violation: nothing changes for the content or its owner.
    Dismissed,
    /// The content was taken down (a job closed, a message hidden, a proposal withdrawn).
    Removed,
    /// The content's owner was warned.
    Warned,
    /// The content's owner was suspended.
    Suspended,
}

/// What an admin does with an open report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModerationAction {
    Dismiss,
    Remove,
    Warn,
    Suspend,
}

impl ModerationAction {
    fn outcome(self) -> ReportStatus {
        match self {
            ModerationAction::Dismiss => ReportStatus::Dismissed,
            ModerationAction::Remove => ReportStatus::Removed,
            ModerationAction::Warn => ReportStatus::Warned,
            ModerationAction::Suspend => ReportStatus::Suspended,
        }
    }
}

/// The reported content as it was when the report was filed: what the admin judges, even if
/// its owner edits or deletes it afterwards.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentSnapshot {
    Job { job: Job },
    Profile { profile: FreelancerProfile },
    Message { message: Message },
    Proposal { proposal: Proposal },
}

impl ContentSnapshot {
    /// Whose content it is: who a warning or a suspension is for.
    pub fn owner(&self) -> &UserId {
        match self {
            ContentSnapshot::Job { job } => &job.client_id,
            ContentSnapshot::Profile { profile } => &profile.user_id,
            ContentSnapshot::Message { message } => &message.sender_id,
            ContentSnapshot::Proposal { proposal } => &proposal.freelancer_id,
        }
    }
}

/// What the reporter can see of the content, as the handler found it. Content the reporter
/// cannot see does not exist for them: a report on it is refused as if the id were unknown.
#[derive(Clone, Debug)]
pub enum Found {
    /// `invited`: the reporter was invited to it (what makes an invite-only job visible).
    Job {
        job: Job,
        invited: bool,
    },
    /// `suspended`: its owner's account is (and with it the public page is gone).
    Profile {
        profile: FreelancerProfile,
        suspended: bool,
    },
    /// The room the message is in, with the message.
    Message {
        room: Room,
        message: Message,
    },
    Proposal {
        proposal: Proposal,
    },
}

impl Found {
    /// The snapshot of the content if `reporter` may see it at `now`.
    pub fn visible_to(self, reporter: &UserId, now: DateTime<Utc>) -> Option<ContentSnapshot> {
        match self {
            Found::Job { job, invited } => {
                job.is_visible_to(reporter, invited)
                    .then(|| ContentSnapshot::Job {
                        job: job.effective(now),
                    })
            }
            Found::Profile { profile, suspended } => {
                (!suspended).then_some(ContentSnapshot::Profile { profile })
            }
            Found::Message { room, message } => (room.side_of(reporter).is_some()
                && message.room_id == room.room_id
                && !message.removed)
                .then_some(ContentSnapshot::Message { message }),
            // A client sees the proposals to their own jobs, until one is removed.
            Found::Proposal { proposal } => (&proposal.client_id == reporter
                && proposal.removed_at.is_none())
            .then_some(ContentSnapshot::Proposal { proposal }),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ModerationRuleViolation {
    #[error("you cannot report your own content")]
    OwnContent,
    #[error("this report was decided already ({0:?})")]
    AlreadyDecided(ReportStatus),
    #[error("admins do not decide reports they filed or about their own content")]
    OwnReport,
    /// A profile is its owner's account: what is wrong with it is wrong with them.
    #[error("a profile cannot be removed: warn its owner or suspend the account instead")]
    ProfileNotRemovable,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("invalid report")]
    Invalid(Violations),
    #[error(transparent)]
    Rule(ModerationRuleViolation),
}

impl From<Violations> for ReportError {
    fn from(violations: Violations) -> Self {
        ReportError::Invalid(violations)
    }
}

impl From<ModerationRuleViolation> for ReportError {
    fn from(rule: ModerationRuleViolation) -> Self {
        ReportError::Rule(rule)
    }
}

/// An admin's decision on a report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Decision {
    pub action: ModerationAction,
    pub by: UserId,
    /// Why, as the audit trail keeps it; a warned or removed content's owner reads it.
    pub reason: String,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContentReport {
    pub id: ContentReportId,
    pub reporter_id: UserId,
    pub content: ContentRef,
    /// The content's owner when it was reported.
    pub owner_id: UserId,
    pub reason: ReportReason,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    pub status: ReportStatus,
    pub snapshot: ContentSnapshot,
    pub filed_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    pub version: u64,
}

/// A report's own words, checked before anything is read: `details` trimmed (blank is none),
/// and required with `other`.
pub fn check_details(
    reason: ReportReason,
    details: Option<&str>,
) -> Result<Option<String>, Violations> {
    let mut violations = Violations::default();
    let details = details
        .map(|raw| DETAILS.check(&mut violations, "details", raw))
        .filter(|text| !text.is_empty());
    if reason == ReportReason::Other && details.is_none() {
        violations.push("details", "say what is wrong when the reason is `other`");
    }
    violations.into_result()?;
    Ok(details)
}

impl ContentReport {
    /// A new open report of `snapshot` (content `reporter` can see) by `reporter`, with
    /// `details` as `check_details` returned them.
    pub fn file(
        id: ContentReportId,
        reporter: &UserId,
        content: ContentRef,
        snapshot: ContentSnapshot,
        reason: ReportReason,
        details: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Self, ReportError> {
        if snapshot.owner() == reporter {
            return Err(ModerationRuleViolation::OwnContent.into());
        }
        Ok(Self {
            id,
            reporter_id: reporter.clone(),
            owner_id: snapshot.owner().clone(),
            content,
            reason,
            details,
            status: ReportStatus::Open,
            snapshot,
            filed_at: now,
            decision: None,
            version: 1,
        })
    }

    /// `admin` decides the open report with `action`, saying why in `reason`. Once only: a
    /// decided report stays as decided.
    pub fn decide(
        &self,
        admin: &UserId,
        action: ModerationAction,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, ReportError> {
        let mut violations = Violations::default();
        let reason = ADMIN_REASON.check(&mut violations, "reason", reason);
        violations.into_result()?;
        if self.status != ReportStatus::Open {
            return Err(ModerationRuleViolation::AlreadyDecided(self.status).into());
        }
        if admin == &self.reporter_id || admin == &self.owner_id {
            return Err(ModerationRuleViolation::OwnReport.into());
        }
        if action == ModerationAction::Remove && self.content.kind() == ContentKind::Profile {
            return Err(ModerationRuleViolation::ProfileNotRemovable.into());
        }
        Ok(Self {
            status: action.outcome(),
            decision: Some(Decision {
                action,
                by: admin.clone(),
                reason,
                at: now,
            }),
            version: self.version + 1,
            ..self.clone()
        })
    }
}

impl ContentReport {
    /// The audit trail's entry for the decision on this report: about the report itself for a
    /// dismissal, about the content for a removal, about the owner for a warning or a
    /// suspension (so that their history shows it); the report is named in the reason.
    pub fn audit_entry(&self) -> Option<AuditEntry> {
        let decision = self.decision.as_ref()?;
        let (action, subject) = match decision.action {
            ModerationAction::Dismiss => (AuditAction::DismissReport, self.id.to_string()),
            ModerationAction::Remove => (AuditAction::RemoveContent, self.content.subject()),
            ModerationAction::Warn => (AuditAction::WarnUser, self.owner_id.to_string()),
            ModerationAction::Suspend => (AuditAction::SuspendAccount, self.owner_id.to_string()),
        };
        Some(AuditEntry::new(
            &decision.by,
            action,
            subject,
            format!("{} (report {})", decision.reason, self.id),
            decision.at,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::messaging::RoomSubject;

    fn at(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    fn message(sender: &UserId, room: &Room) -> Message {
        Message {
            id: MessageId::generate(at("2026-12-01T10:00:00Z")),
            room_id: room.room_id.clone(),
            sender_id: sender.clone(),
            text: Some("Pay me on another site, it is cheaper.".into()),
            file_ids: Vec::new(),
            created_at: at("2026-12-01T10:00:00Z"),
            removed: false,
        }
    }

    struct World {
        client: UserId,
        freelancer: UserId,
        stranger: UserId,
        room: Room,
    }

    fn world() -> World {
        let now = at("2026-12-01T09:00:00Z");
        let client = UserId::generate(now);
        let freelancer = UserId::generate(now);
        let room = Room::open(
            &RoomSubject::Proposal(ProposalId::generate(now)),
            &client,
            &freelancer,
            now,
        );
        World {
            client,
            freelancer,
            stranger: UserId::generate(now),
            room,
        }
    }

    fn report_of_message(w: &World, reason: ReportReason, details: Option<&str>) -> ContentReport {
        let details = check_details(reason, details).unwrap();
        let found = message(&w.freelancer, &w.room);
        let content = ContentRef::Message {
            room_id: w.room.room_id.clone(),
            message_id: found.id.clone(),
        };
        let snapshot = Found::Message {
            room: w.room.clone(),
            message: found,
        }
        .visible_to(&w.client, at("2026-12-01T10:00:00Z"))
        .unwrap();
        ContentReport::file(
            ContentReportId::generate(at("2026-12-01T10:00:00Z")),
            &w.client,
            content,
            snapshot,
            reason,
            details,
            at("2026-12-01T10:05:00Z"),
        )
        .unwrap()
    }

    #[test]
    fn only_room_members_see_a_message_and_never_a_removed_one() {
        let w = world();
        let now = at("2026-12-01T10:00:00Z");
        let found = |m: Message| Found::Message {
            room: w.room.clone(),
            message: m,
        };
        let said = message(&w.freelancer, &w.room);
        assert!(found(said.clone()).visible_to(&w.client, now).is_some());
        assert!(found(said.clone()).visible_to(&w.stranger, now).is_none());
        let removed = Message {
            removed: true,
            ..said
        };
        assert!(found(removed).visible_to(&w.client, now).is_none());
    }

    #[test]
    fn reports_need_a_known_reason_or_details_and_never_name_own_content() {
        let w = world();
        let report = report_of_message(&w, ReportReason::OffPlatformPayment, Some("  "));
        assert_eq!(
            (report.status, &report.owner_id, report.details.clone()),
            (ReportStatus::Open, &w.freelancer, None)
        );
        let said = message(&w.freelancer, &w.room);
        let snapshot = ContentSnapshot::Message {
            message: said.clone(),
        };
        let content = ContentRef::Message {
            room_id: w.room.room_id.clone(),
            message_id: said.id.clone(),
        };
        let file = |reporter: &UserId, reason, details: Option<&str>| {
            ContentReport::file(
                ContentReportId::generate(at("2026-12-01T10:00:00Z")),
                reporter,
                content.clone(),
                snapshot.clone(),
                reason,
                check_details(reason, details)?,
                at("2026-12-01T10:05:00Z"),
            )
        };
        match file(&w.client, ReportReason::Other, None) {
            Err(ReportError::Invalid(v)) => assert_eq!(v.0[0].field, "details"),
            other => panic!("{other:?}"),
        }
        let too_long = "x".repeat(DETAILS.max + 1);
        assert!(matches!(
            file(&w.client, ReportReason::Spam, Some(&too_long)),
            Err(ReportError::Invalid(_))
        ));
        assert!(file(&w.client, ReportReason::Other, Some("Asks for my password")).is_ok());
        assert!(matches!(
            file(&w.freelancer, ReportReason::Spam, None),
            Err(ReportError::Rule(ModerationRuleViolation::OwnContent))
        ));
    }

    #[test]
    fn a_report_is_decided_once_by_an_uninvolved_admin() {
        let w = world();
        let report = report_of_message(&w, ReportReason::Harassment, None);
        let now = at("2026-12-02T10:00:00Z");
        let admin = UserId::generate(now);
        let warned = report
            .decide(&admin, ModerationAction::Warn, "Keep it civil.", now)
            .unwrap();
        assert_eq!((warned.status, warned.version), (ReportStatus::Warned, 2));
        assert_eq!(warned.decision.as_ref().unwrap().reason, "Keep it civil.");
        let entry = warned.audit_entry().unwrap();
        assert_eq!(
            (entry.action, entry.subject.as_str(), &entry.actor),
            (AuditAction::WarnUser, w.freelancer.as_str(), &admin)
        );
        assert_eq!(
            entry.reason,
            format!("Keep it civil. (report {})", report.id)
        );
        assert_eq!(
            report.audit_entry(),
            None,
            "nothing to audit before a decision"
        );
        assert!(matches!(
            warned.decide(&admin, ModerationAction::Dismiss, "Changed my mind", now),
            Err(ReportError::Rule(ModerationRuleViolation::AlreadyDecided(
                ReportStatus::Warned
            )))
        ));
        for involved in [&w.client, &w.freelancer] {
            assert!(matches!(
                report.decide(involved, ModerationAction::Dismiss, "Fine", now),
                Err(ReportError::Rule(ModerationRuleViolation::OwnReport))
            ));
        }
        assert!(matches!(
            report.decide(&admin, ModerationAction::Dismiss, " ", now),
            Err(ReportError::Invalid(_))
        ));
    }

    #[test]
    fn content_refs_have_one_key_each_and_refuse_unknown_fields() {
        let now = at("2026-12-01T10:00:00Z");
        let job = JobId::generate(now);
        let content: ContentRef =
            serde_json::from_value(serde_json::json!({"type": "job", "job_id": job})).unwrap();
        assert_eq!(content.key(), format!("job#{job}"));
        assert_eq!(content.kind(), ContentKind::Job);
        assert!(serde_json::from_value::<ContentRef>(
            serde_json::json!({"type": "job", "job_id": job, "owner": "me"})
        )
        .is_err());
        assert_eq!(ContentKind::parse("message"), Some(ContentKind::Message));
        assert_eq!(ContentKind::parse("user"), None);
    }
}
