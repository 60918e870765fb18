//! Jobs and the client counters that posting them moves.

use super::keys::{self, as_key};
use super::Label;
use super::{from_item, Cond, Store, StoreError, Tx, TxError};
use crate::domain::events::{DomainEvent, EventPayload};
use crate::domain::ids::{JobId, UserId};
use crate::domain::job::Job;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobRecord {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    /// `expires_at` as epoch milliseconds: conditions compare numbers, not RFC 3339 strings
    /// (whose varying fractional digits do not sort).
    pub open_until_ms: i64,
    #[serde(flatten)]
    pub job: Job,
}

impl JobRecord {
    pub fn new(job: Job) -> Self {
        let (pk, sk) = keys::job(&job.id);
        Self {
            pk,
            sk,
            gsi1pk: keys::client_jobs(&job.client_id),
            gsi1sk: format!("{}#{}", job.posted_at.timestamp_millis(), job.id),
            open_until_ms: job.expires_at.timestamp_millis(),
            job,
        }
    }
}

/// A client's hiring history (§2.2), as counters the writes that change them maintain:
/// posting a job adds to `jobs_posted`; hires and spending come with contracts and payments.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClientStats {
    #[serde(default)]
    pub jobs_posted: u64,
    #[serde(default)]
    pub hires: u64,
    /// Decimal string in USD; absent means nothing spent yet.
    #[serde(default = "zero_spent")]
    #[schemars(with = "String")]
    pub total_spent: rust_decimal::Decimal,
    #[serde(default)]
    pub payment_verified: bool,
}

fn zero_spent() -> rust_decimal::Decimal {
    rust_decimal::Decimal::ZERO
}

#[derive(Debug, thiserror::Error)]
pub enum JobStoreError {
    /// Someone else changed the job since it was read; re-read and retry.
    #[error("the job changed concurrently")]
    Stale,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<TxError> for JobStoreError {
    fn from(err: TxError) -> Self {
        match err {
            TxError::ConditionFailed {
                label: Label::Job, ..
            } => JobStoreError::Stale,
            TxError::ConditionFailed { label, .. } => JobStoreError::Store(StoreError::Corrupt(
                format!("unexpected condition failure on {label}"),
            )),
            TxError::Store(err) => JobStoreError::Store(err),
        }
    }
}

/// What publishing a job adds to its write: the client's counter, its attachments, the event.
fn announce(tx: Tx, job: &Job, now: DateTime<Utc>) -> Tx {
    let event = DomainEvent::new(
        EventPayload::JobPosted {
            job_id: job.id.clone(),
            client_id: job.client_id.clone(),
        },
        now,
    );
    let tx = tx
        .update(
            Label::ClientStats,
            as_key(keys::client_stats(&job.client_id)),
            Cond::new("ADD jobs_posted :one").value(":one", 1),
            None,
        )
        .emit(&event);
    publish_attachments(tx, job, &job.attachments)
}

/// A public job's attachments are readable by everyone who can read the job; an invite-only
/// job's are shared with each invitee when invited.
fn publish_attachments(tx: Tx, job: &Job, files: &[crate::domain::ids::FileId]) -> Tx {
    if job.visibility != crate::domain::job::Visibility::Public {
        return tx;
    }
    files.iter().fold(tx, |tx, file| {
        super::files::publish_file_op(
            tx,
            file,
            &job.client_id,
            true,
            crate::domain::file::FilePurpose::Attachment,
        )
    })
}

/// Attributes that applications, boosts and hires maintain while the client may be editing.
const CONCURRENT_JOB_ATTRIBUTES: &[&str] = &[
    "pk",
    "sk",
    "proposals_count",
    "boosts",
    "boost_version",
    "hired_at",
];

/// The job still takes applications at `now`.
pub fn job_open_at(now: DateTime<Utc>) -> Cond {
    Cond::new("#state = :open AND open_until_ms > :now_ms")
        .name("#state", "state")
        .value(":open", "open")
        .value(":now_ms", now.timestamp_millis())
}

/// The client can still hire on it at `now`: open, or paused (a pause stops applications, not
/// hiring from the ones already in).
pub fn job_hiring_at(now: DateTime<Utc>) -> Cond {
    Cond::new("#state IN (:open, :paused) AND open_until_ms > :now_ms")
        .name("#state", "state")
        .value(":open", "open")
        .value(":paused", "paused")
        .value(":now_ms", now.timestamp_millis())
}

/// The condition every write of a read-modify-write job update carries.
pub fn job_version_is(version: u64) -> Cond {
    Cond::new("#version = :version")
        .name("#version", "version")
        .value(":version", version)
}

impl Store {
    pub async fn job(&self, id: &JobId) -> Result<Option<Job>, StoreError> {
        Ok(self
            .get::<JobRecord>(&as_key(keys::job(id)))
            .await?
            .map(|record| record.job))
    }

    pub async fn client_stats(&self, client: &UserId) -> Result<ClientStats, StoreError> {
        Ok(self
            .get::<ClientStats>(&as_key(keys::client_stats(client)))
            .await?
            .unwrap_or_default())
    }

    /// Saves a new job: published (the job, the client's `jobs_posted` and `JobPosted`
    /// together) or, for a draft, the job alone — nobody hears of a draft.
    pub async fn create_job(&self, job: &Job, now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut tx = Tx::new().put(
            Label::Job,
            &JobRecord::new(job.clone()),
            Some(Cond::absent()),
        );
        if job.state != crate::domain::job::JobState::Draft {
            tx = announce(tx, job, now);
        }
        self.transact(tx).await.map_err(|err| match err {
            TxError::Store(err) => err,
            other => StoreError::Corrupt(format!("{other:?}")),
        })
    }

    /// Publishes a draft (now `job`, at its next version).
    pub async fn publish_job(
        &self,
        job: &Job,
        expected_version: u64,
        now: DateTime<Utc>,
    ) -> Result<(), JobStoreError> {
        let tx = announce(
            Self::job_update_op(Tx::new(), job, expected_version, None),
            job,
            now,
        );
        Ok(self.transact(tx).await?)
    }

    /// Writes a client's change of a job (edit, close), if nobody edited it since
    /// `expected_version`. Applications and boosts change the job concurrently; their
    /// attributes are left alone, so they neither conflict with nor get lost in an edit.
    pub fn job_update_op(tx: Tx, job: &Job, expected_version: u64, extra: Option<Cond>) -> Tx {
        let item = super::to_item(&JobRecord::new(job.clone()));
        let update = Cond::set_all_except(item, CONCURRENT_JOB_ATTRIBUTES);
        let mut condition = job_version_is(expected_version);
        if let Some(extra) = extra {
            condition = condition.and(extra);
        }
        tx.update(
            Label::Job,
            as_key(keys::job(&job.id)),
            update,
            Some(condition),
        )
    }

    pub async fn save_job(
        &self,
        job: &Job,
        expected_version: u64,
        extra: Option<Cond>,
        event: &DomainEvent,
    ) -> Result<(), JobStoreError> {
        let mut tx = Self::job_update_op(Tx::new(), job, expected_version, extra).emit(event);
        tx = publish_attachments(tx, job, &job.attachments);
        Ok(self.transact(tx).await?)
    }

    /// A client's jobs, newest first.
    pub async fn client_jobs(
        &self,
        client: &UserId,
        limit: i32,
        start: Option<super::Item>,
    ) -> Result<(Vec<Job>, Option<super::Item>), StoreError> {
        let (items, next) = self
            .query_prefix(
                Some("gsi1"),
                &keys::client_jobs(client),
                "",
                true,
                limit,
                start,
            )
            .await?;
        let jobs = items
            .into_iter()
            .map(|item| from_item::<JobRecord>(item).map(|r| r.job))
            .collect::<Result<_, _>>()?;
        Ok((jobs, next))
    }

    /// Many jobs, in the order asked; missing ones are skipped.
    pub async fn jobs(&self, ids: &[JobId]) -> Result<Vec<Job>, StoreError> {
        let keys: Vec<_> = ids.iter().map(|id| as_key(keys::job(id))).collect();
        self.get_many(&keys)
            .await?
            .into_iter()
            .flatten()
            .map(|item| from_item::<JobRecord>(item).map(|r| r.job))
            .collect()
    }
}
