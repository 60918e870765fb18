//! Identity verifications in the table (PRODUCT §1.4).
//!
//! - The current verification is one item in the user's partition, written whole and
//!   conditioned on the version it was based on; a decision is also conditioned on it still
//!   being `pending`, so two admins cannot both decide.
//! - While pending, it carries `gsi1pk = IDENTITY#PENDING`, `gsi1sk = <submitted ms>#<usr>`:
//!   the admins' review queue is that sparse partition, oldest first, never a scan.
//! - A decision writes, in its transaction, the account's `identity_verified_at` (approval) and
//!   a purge item per decided submission in the sparse `due` index, which the daily
//!   `identity-retention` schedule reads to delete the documents after the retention period.

use super::accounts::UserRecord;
use super::keys::{self, as_key};
use super::Label;
use super::{from_item, Cond, Item, Store, StoreError, Tx};
use crate::domain::events::{DomainEvent, EventPayload};
use crate::domain::identity::{DocumentPurge, IdentityStatus, IdentityVerification};
use crate::domain::ids::{FileId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The `due` index partition of decided submissions whose documents are to be deleted.
pub const RETENTION_DUE: &str = "DUE#identity-retention";

/// Labels of the operations whose conditions can fail, for the handlers' error mapping.
pub const IDENTITY_LABEL: Label = Label::Identity;
pub const ACCOUNT_LABEL: Label = Label::Account;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct IdentityItem {
    pk: String,
    sk: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
    #[serde(flatten)]
    verification: IdentityVerification,
}

impl IdentityItem {
    fn new(verification: &IdentityVerification) -> Self {
        let (pk, sk) = keys::identity(&verification.user_id);
        let pending = verification.status == IdentityStatus::Pending;
        Self {
            pk,
            sk,
            gsi1pk: pending.then(keys::pending_identity_reviews),
            gsi1sk: pending.then(|| {
                format!(
                    "{:015}#{}",
                    verification.submitted_at.timestamp_millis(),
                    verification.user_id
                )
            }),
            verification: verification.clone(),
        }
    }
}

/// A decided submission's documents, in the `due` index until the schedule deletes them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PurgeRecord {
    pub pk: String,
    pub sk: String,
    pub duepk: String,
    pub duesk: String,
    #[serde(flatten)]
    pub purge: DocumentPurge,
}

impl PurgeRecord {
    fn new(purge: DocumentPurge) -> Self {
        let (pk, sk) = keys::identity_purge(&purge.user_id, purge.submission);
        Self {
            pk,
            sk,
            duepk: RETENTION_DUE.to_string(),
            duesk: format!(
                "{:015}#{}#{:06}",
                purge.purge_at.timestamp_millis(),
                purge.user_id,
                purge.submission
            ),
            purge,
        }
    }
}

fn version_is(version: u64) -> Cond {
    Cond::new("#version = :version")
        .name("#version", "version")
        .value(":version", version)
}

/// A new submission, on top of the verification it replaces (none, or a rejected one).
pub fn submit_tx(next: &IdentityVerification, previous: Option<&IdentityVerification>) -> Tx {
    let condition = match previous {
        None => Cond::absent(),
        Some(previous) => version_is(previous.version),
    };
    Tx::new().put(IDENTITY_LABEL, &IdentityItem::new(next), Some(condition))
}

/// An admin's decision on the pending submission `previous`: the verification, the account's
/// badge on approval, the documents' purge item, and the event, at once.
pub fn decide_tx(next: &IdentityVerification, previous: &IdentityVerification) -> Tx {
    let decided_at = next.decided_at.unwrap_or(next.submitted_at);
    let still_pending = version_is(previous.version).and(
        Cond::new("#status = :pending")
            .name("#status", "status")
            .value(":pending", IdentityStatus::Pending),
    );
    let mut tx = Tx::new().put(
        IDENTITY_LABEL,
        &IdentityItem::new(next),
        Some(still_pending),
    );
    let payload = match next.status {
        IdentityStatus::Approved => {
            tx = tx.update(
                ACCOUNT_LABEL,
                as_key(keys::user(&next.user_id)),
                Cond::new("SET identity_verified_at = :at").value(":at", decided_at),
                Some(Cond::exists()),
            );
            EventPayload::IdentityApproved {
                user_id: next.user_id.clone(),
            }
        }
        _ => EventPayload::IdentityRejected {
            user_id: next.user_id.clone(),
            reason: next.rejection_reason.clone().unwrap_or_default(),
        },
    };
    if let Some(purge) = next.purge() {
        tx = tx.put(Label::Purge, &PurgeRecord::new(purge), Some(Cond::absent()));
    }
    tx.emit(&DomainEvent::new(payload, decided_at))
}

/// Retires a purge whose objects are gone: the file records, the purge item itself (only
/// once: a re-run finds it absent and is skipped), and the verification's
/// `documents_deleted_at` when it still describes that submission.
pub fn purged_tx(
    record: &PurgeRecord,
    deleted: &[FileId],
    current: Option<&IdentityVerification>,
    now: DateTime<Utc>,
) -> Tx {
    let mut tx = Tx::new().delete(
        Label::Purge,
        super::key(record.pk.clone(), record.sk.clone()),
        Some(Cond::exists()),
    );
    for file in deleted {
        tx = tx.delete(Label::File, as_key(keys::file(file)), None);
    }
    if current.is_some_and(|c| c.submission == record.purge.submission) {
        tx = tx.update(
            IDENTITY_LABEL,
            as_key(keys::identity(&record.purge.user_id)),
            Cond::new("SET documents_deleted_at = :now").value(":now", now),
            Some(
                Cond::new("submission = :submission").value(":submission", record.purge.submission),
            ),
        );
    }
    tx
}

impl Store {
    pub async fn identity(
        &self,
        user: &UserId,
    ) -> Result<Option<IdentityVerification>, StoreError> {
        Ok(self
            .get::<IdentityItem>(&as_key(keys::identity(user)))
            .await?
            .map(|item| item.verification))
    }

    /// The verification and the account it belongs to, in one round trip (admin review).
    pub async fn identity_and_account(
        &self,
        user: &UserId,
    ) -> Result<(Option<IdentityVerification>, Option<UserRecord>), StoreError> {
        let mut found = self
            .get_many(&[as_key(keys::identity(user)), as_key(keys::user(user))])
            .await?
            .into_iter();
        let verification = found
            .next()
            .flatten()
            .map(from_item::<IdentityItem>)
            .transpose()?
            .map(|item| item.verification);
        let account = found.next().flatten().map(from_item).transpose()?;
        Ok((verification, account))
    }

    /// One page of the submissions waiting for review, oldest first.
    pub async fn pending_identities(
        &self,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<IdentityVerification>, Option<Item>), StoreError> {
        let (items, next) = self
            .query_prefix(
                Some("gsi1"),
                &keys::pending_identity_reviews(),
                "",
                false,
                limit,
                start,
            )
            .await?;
        let verifications = items
            .into_iter()
            .map(|item| from_item::<IdentityItem>(item).map(|i| i.verification))
            .collect::<Result<_, _>>()?;
        Ok((verifications, next))
    }
}
