//! Identity verification (PRODUCT §1.4): a user submits a government ID (and optionally a
//! proof of address), an admin approves or rejects it with a reason, and an approval is for
//! good: it shows the verified badge and opens withdrawals (§9.4). A rejected user may submit
//! again; every decided submission's documents are deleted `DOCUMENT_RETENTION` after the
//! decision, while the status and the decision itself stay.

use super::ids::{FileId, UserId};
use super::rules::TextRule;
use super::Violations;
use chrono::{DateTime, Duration, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How long copies of someone's government ID are kept after the decision on them. Long
/// enough to answer a contested decision or a fraud inquiry about the account with the
/// documents at hand, short enough that a leak of the bucket cannot expose years of IDs: the
/// storage-limitation principle (GDPR art. 5(1)(e)) asks for the shortest period that serves
/// the purpose, and the decision record outlives the documents anyway.
pub const DOCUMENT_RETENTION: Duration = Duration::days(90);

/// Rejection reasons are read by the user: say what to fix, briefly.
pub const MAX_REASON_CHARS: usize = 1_000;
pub const REJECTION_REASON: TextRule = TextRule::new(1, MAX_REASON_CHARS);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdentityStatus {
    /// Nothing submitted yet (never stored: the absence of a verification).
    None,
    Pending,
    Approved,
    Rejected,
}

/// Which document a file is in a submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// A government-issued photo ID (passport, ID card, driving licence).
    Document,
    ProofOfAddress,
}

/// A user's current identity verification: the latest submission and the decision on it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdentityVerification {
    pub user_id: UserId,
    pub status: IdentityStatus,
    /// 1 for the first submission, one more for each after a rejection.
    pub submission: u32,
    pub document_file_id: FileId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof_of_address_file_id: Option<FileId>,
    pub submitted_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    /// When this submission's documents are (or were) deleted: the decision + retention.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents_purge_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents_deleted_at: Option<DateTime<Utc>>,
    pub version: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdentityRuleViolation {
    #[error("a submission is already waiting for review")]
    AlreadyPending,
    #[error("the identity is already verified")]
    AlreadyApproved,
    #[error("only a pending submission can be decided (this one is {0:?})")]
    NotPending(IdentityStatus),
    #[error("admins do not decide their own identity verification")]
    OwnSubmission,
}

/// A decided submission whose documents must go at `purge_at`: kept apart from the current
/// verification, so a new submission after a rejection cannot lose the old one's deadline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocumentPurge {
    pub user_id: UserId,
    pub submission: u32,
    pub file_ids: Vec<FileId>,
    pub purge_at: DateTime<Utc>,
}

impl IdentityVerification {
    /// A new submission. Allowed for a first try and after a rejection; refused while one
    /// waits for review and once approved.
    pub fn submit(
        previous: Option<&IdentityVerification>,
        user_id: UserId,
        document_file_id: FileId,
        proof_of_address_file_id: Option<FileId>,
        now: DateTime<Utc>,
    ) -> Result<Self, IdentityRuleViolation> {
        match previous.map(|p| p.status) {
            Some(IdentityStatus::Pending) => return Err(IdentityRuleViolation::AlreadyPending),
            Some(IdentityStatus::Approved) => return Err(IdentityRuleViolation::AlreadyApproved),
            Some(IdentityStatus::Rejected) | Some(IdentityStatus::None) | None => {}
        }
        Ok(Self {
            user_id,
            status: IdentityStatus::Pending,
            submission: previous.map_or(1, |p| p.submission + 1),
            document_file_id,
            proof_of_address_file_id,
            submitted_at: now,
            decided_at: None,
            decided_by: None,
            rejection_reason: None,
            documents_purge_at: None,
            documents_deleted_at: None,
            version: previous.map_or(1, |p| p.version + 1),
        })
    }

    pub fn approve(
        &self,
        admin: &UserId,
        now: DateTime<Utc>,
    ) -> Result<Self, IdentityRuleViolation> {
        self.decide(admin, IdentityStatus::Approved, None, now)
    }

    /// A rejection needs a reason the user can act on.
    pub fn reject(
        &self,
        admin: &UserId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, RejectError> {
        let mut violations = Violations::default();
        let reason = REJECTION_REASON.check(&mut violations, "reason", reason);
        violations.into_result().map_err(RejectError::Invalid)?;
        self.decide(admin, IdentityStatus::Rejected, Some(reason), now)
            .map_err(RejectError::Rule)
    }

    fn decide(
        &self,
        admin: &UserId,
        status: IdentityStatus,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Self, IdentityRuleViolation> {
        if self.status != IdentityStatus::Pending {
            return Err(IdentityRuleViolation::NotPending(self.status));
        }
        if *admin == self.user_id {
            return Err(IdentityRuleViolation::OwnSubmission);
        }
        Ok(Self {
            status,
            decided_at: Some(now),
            decided_by: Some(admin.clone()),
            rejection_reason: reason,
            documents_purge_at: Some(now + DOCUMENT_RETENTION),
            version: self.version + 1,
            ..self.clone()
        })
    }

    /// The submission's files, each with what it is.
    pub fn documents(&self) -> Vec<(DocumentKind, FileId)> {
        let mut documents = vec![(DocumentKind::Document, self.document_file_id.clone())];
        if let Some(proof) = &self.proof_of_address_file_id {
            documents.push((DocumentKind::ProofOfAddress, proof.clone()));
        }
        documents
    }

    /// What a decision leaves to the retention schedule.
    pub fn purge(&self) -> Option<DocumentPurge> {
        Some(DocumentPurge {
            user_id: self.user_id.clone(),
            submission: self.submission,
            file_ids: self.documents().into_iter().map(|(_, id)| id).collect(),
            purge_at: self.documents_purge_at?,
        })
    }
}

impl DocumentPurge {
    /// The files to delete: the decided submission's, except any that `current` (a newer
    /// submission, which may reuse a document) still holds; those go with its own purge.
    pub fn files_to_delete(&self, current: Option<&IdentityVerification>) -> Vec<FileId> {
        let kept: Vec<FileId> = current
            .filter(|c| c.submission != self.submission)
            .map(|c| c.documents().into_iter().map(|(_, id)| id).collect())
            .unwrap_or_default();
        self.file_ids
            .iter()
            .filter(|id| !kept.contains(id))
            .cloned()
            .collect()
    }

    pub fn is_due(&self, time: DateTime<Utc>) -> bool {
        self.purge_at <= time
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RejectError {
    #[error("invalid rejection")]
    Invalid(Violations),
    #[error(transparent)]
    Rule(IdentityRuleViolation),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    fn ids() -> (UserId, UserId, FileId, FileId) {
        let now = t("2027-01-01T00:00:00Z");
        (
            UserId::generate(now),
            UserId::generate(now),
            FileId::generate(now),
            FileId::generate(now),
        )
    }

    #[test]
    fn submit_reject_resubmit_approve() {
        let (user, admin, id_card, proof) = ids();
        let first = IdentityVerification::submit(
            None,
            user.clone(),
            id_card.clone(),
            Some(proof.clone()),
            t("2027-01-01T10:00:00Z"),
        )
        .unwrap();
        assert_eq!(
            (first.status, first.submission, first.version),
            (IdentityStatus::Pending, 1, 1)
        );
        assert_eq!(
            IdentityVerification::submit(
                Some(&first),
                user.clone(),
                id_card.clone(),
                None,
                t("2027-01-01T11:00:00Z")
            ),
            Err(IdentityRuleViolation::AlreadyPending)
        );
        let rejected = first
            .reject(
                &admin,
                "  The photo is blurred.  ",
                t("2027-01-02T09:00:00Z"),
            )
            .unwrap();
        assert_eq!(rejected.status, IdentityStatus::Rejected);
        assert_eq!(
            rejected.rejection_reason.as_deref(),
            Some("The photo is blurred.")
        );
        assert_eq!(
            rejected.documents_purge_at,
            Some(t("2027-04-02T09:00:00Z")),
            "90 days after the decision"
        );
        let purge = rejected.purge().unwrap();
        assert_eq!(purge.file_ids, vec![id_card.clone(), proof.clone()]);
        assert!(!purge.is_due(t("2027-04-02T08:59:59Z")));
        assert!(purge.is_due(t("2027-04-02T09:00:00Z")));

        let second = IdentityVerification::submit(
            Some(&rejected),
            user.clone(),
            id_card.clone(),
            None,
            t("2027-01-03T09:00:00Z"),
        )
        .unwrap();
        assert_eq!((second.submission, second.version), (2, 3));
        assert_eq!(second.rejection_reason, None);
        // The reused ID card stays with the new submission; only the proof goes.
        assert_eq!(purge.files_to_delete(Some(&second)), vec![proof.clone()]);
        assert_eq!(purge.files_to_delete(Some(&rejected)).len(), 2);

        let approved = second.approve(&admin, t("2027-01-04T09:00:00Z")).unwrap();
        assert_eq!(approved.status, IdentityStatus::Approved);
        assert_eq!(
            approved.approve(&admin, t("2027-01-05T09:00:00Z")),
            Err(IdentityRuleViolation::NotPending(IdentityStatus::Approved))
        );
        assert_eq!(
            IdentityVerification::submit(
                Some(&approved),
                user,
                id_card,
                None,
                t("2027-01-05T09:00:00Z")
            ),
            Err(IdentityRuleViolation::AlreadyApproved)
        );
    }

    #[test]
    fn rejections_need_a_reason_and_nobody_decides_their_own() {
        let (user, admin, id_card, _) = ids();
        let now = t("2027-01-01T10:00:00Z");
        let pending = IdentityVerification::submit(None, user.clone(), id_card, None, now).unwrap();
        assert!(matches!(
            pending.reject(&admin, "   ", now),
            Err(RejectError::Invalid(_))
        ));
        assert!(matches!(
            pending.reject(&admin, &"x".repeat(MAX_REASON_CHARS + 1), now),
            Err(RejectError::Invalid(_))
        ));
        assert_eq!(
            pending.approve(&user, now),
            Err(IdentityRuleViolation::OwnSubmission)
        );
        assert!(
            pending.purge().is_none(),
            "nothing to purge before a decision"
        );
    }
}
