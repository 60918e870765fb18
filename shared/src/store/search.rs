//! Saved jobs, saved searches and their alerts (§3.4), and the pointer to the published
//! search index snapshot (docs/search.md).

use super::jobs::ClientStats;
use super::keys::{self, as_key};
use super::Label;
use super::{from_item, Cond, Item, Store, StoreError, Tx, TxError};
use crate::domain::events::DomainEvent;
use crate::domain::ids::{JobId, SavedSearchId, UserId};
use crate::domain::job_search::{spent_cents, ClientFacts, SavedSearch};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SavedJobRecord {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    pub user_id: UserId,
    pub job_id: JobId,
    pub saved_at: DateTime<Utc>,
}

impl SavedJobRecord {
    pub fn new(user_id: UserId, job_id: JobId, now: DateTime<Utc>) -> Self {
        let (pk, sk) = keys::saved_job(&user_id, &job_id);
        Self {
            pk,
            sk,
            gsi1pk: keys::saved_jobs(&user_id),
            // Zero-padded milliseconds sort as numbers do.
            gsi1sk: format!("{:015}#{job_id}", now.timestamp_millis()),
            user_id,
            job_id,
            saved_at: now,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct SavedSearchRecord {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    #[serde(flatten)]
    search: SavedSearch,
}

#[derive(Serialize, Deserialize)]
struct AlertMarker {
    pk: String,
    sk: String,
    user_id: UserId,
    alerted_at: DateTime<Utc>,
    /// TTL: the job can no longer be posted again long after this.
    expires_at: i64,
}

/// Names the current index snapshot; advanced only on the generation it replaces.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotPointer {
    pub pk: String,
    pub sk: String,
    pub generation: u64,
    /// S3 key of the manifest.
    pub manifest: String,
    pub docs: u64,
    pub published_at: DateTime<Utc>,
}

impl SnapshotPointer {
    pub fn new(generation: u64, manifest: String, docs: u64, now: DateTime<Utc>) -> Self {
        let (pk, sk) = keys::search_snapshot();
        Self {
            pk,
            sk,
            generation,
            manifest,
            docs,
            published_at: now,
        }
    }
}

impl From<&ClientStats> for ClientFacts {
    fn from(stats: &ClientStats) -> Self {
        ClientFacts {
            payment_verified: stats.payment_verified,
            hires: stats.hires,
            total_spent_cents: spent_cents(stats.total_spent),
        }
    }
}

/// Every page of a gsi1 partition (alert candidates are read whole).
async fn all_of(store: &Store, pk: &str) -> Result<Vec<Item>, StoreError> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let (page, next) = store
            .query_prefix(Some("gsi1"), pk, "", false, 500, start)
            .await?;
        items.extend(page);
        match next {
            Some(next) => start = Some(next),
            None => return Ok(items),
        }
    }
}

impl Store {
    /// Saves a job for a freelancer; `false` when it was saved already (the first save time
    /// stays, so re-saving does not reorder the list).
    pub async fn save_job_for(&self, record: &SavedJobRecord) -> Result<bool, StoreError> {
        match self
            .transact(Tx::new().put(Label::SavedJob, record, Some(Cond::absent())))
            .await
        {
            Ok(()) => Ok(true),
            Err(TxError::ConditionFailed { .. }) => Ok(false),
            Err(TxError::Store(err)) => Err(err),
        }
    }

    pub async fn saved_job(
        &self,
        user: &UserId,
        job: &JobId,
    ) -> Result<Option<SavedJobRecord>, StoreError> {
        self.get(&as_key(keys::saved_job(user, job))).await
    }

    /// Idempotent: unsaving a job that is not saved is not an error.
    pub async fn unsave_job(&self, user: &UserId, job: &JobId) -> Result<(), StoreError> {
        self.transact(Tx::new().delete(Label::SavedJob, as_key(keys::saved_job(user, job)), None))
            .await
            .map_err(|err| match err {
                TxError::Store(err) => err,
                other => StoreError::Corrupt(format!("{other:?}")),
            })
    }

    /// A freelancer's saved jobs, newest save first.
    pub async fn saved_jobs(
        &self,
        user: &UserId,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<SavedJobRecord>, Option<Item>), StoreError> {
        let (items, next) = self
            .query_prefix(
                Some("gsi1"),
                &keys::saved_jobs(user),
                "",
                true,
                limit,
                start,
            )
            .await?;
        let records = items.into_iter().map(from_item).collect::<Result<_, _>>()?;
        Ok((records, next))
    }

    pub async fn create_saved_search(&self, search: &SavedSearch) -> Result<(), StoreError> {
        let (pk, sk) = keys::saved_search(&search.user_id, &search.id);
        let record = SavedSearchRecord {
            pk,
            sk,
            gsi1pk: keys::saved_searches_by_category(search.filters.category.as_deref()),
            gsi1sk: search.id.to_string(),
            search: search.clone(),
        };
        self.transact(Tx::new().put(Label::SavedSearch, &record, Some(Cond::absent())))
            .await
            .map_err(|err| match err {
                TxError::Store(err) => err,
                other => StoreError::Corrupt(format!("{other:?}")),
            })
    }

    /// A freelancer's saved searches, newest first (ids are time-ordered).
    pub async fn saved_searches(
        &self,
        user: &UserId,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<SavedSearch>, Option<Item>), StoreError> {
        let (pk, _) = keys::user(user);
        let (items, next) = self
            .query_prefix(None, &pk, "SAVEDSEARCH#", true, limit, start)
            .await?;
        let searches = items
            .into_iter()
            .map(|item| from_item::<SavedSearchRecord>(item).map(|r| r.search))
            .collect::<Result<_, _>>()?;
        Ok((searches, next))
    }

    /// `false` when there was no such search.
    pub async fn delete_saved_search(
        &self,
        user: &UserId,
        id: &SavedSearchId,
    ) -> Result<bool, StoreError> {
        let tx = Tx::new().delete(
            Label::SavedSearch,
            as_key(keys::saved_search(user, id)),
            Some(Cond::exists()),
        );
        match self.transact(tx).await {
            Ok(()) => Ok(true),
            Err(TxError::ConditionFailed { .. }) => Ok(false),
            Err(TxError::Store(err)) => Err(err),
        }
    }

    /// The saved searches a new job of `category` can match: those of its category and those
    /// without one — two index partitions, never a scan of every saved search.
    pub async fn alert_candidates(&self, category: &str) -> Result<Vec<SavedSearch>, StoreError> {
        let mut searches = Vec::new();
        for pk in [
            keys::saved_searches_by_category(Some(category)),
            keys::saved_searches_by_category(None),
        ] {
            for item in all_of(self, &pk).await? {
                searches.push(from_item::<SavedSearchRecord>(item)?.search);
            }
        }
        Ok(searches)
    }

    /// Records the alert of `search` for `job` with its event; `false` when it was raised
    /// before (a redelivered event), in which case nothing is written.
    pub async fn record_alert(
        &self,
        search: &SavedSearch,
        job: &JobId,
        event: &DomainEvent,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (pk, sk) = keys::search_alert(&search.id, job);
        let marker = AlertMarker {
            pk,
            sk,
            user_id: search.user_id.clone(),
            alerted_at: now,
            expires_at: super::ttl(now + chrono::Duration::days(90)),
        };
        let tx = Tx::new()
            .put(Label::Alert, &marker, Some(Cond::absent()))
            .emit(event);
        match self.transact(tx).await {
            Ok(()) => Ok(true),
            Err(TxError::ConditionFailed {
                label: Label::Alert,
                ..
            }) => Ok(false),
            Err(TxError::ConditionFailed { label, .. }) => Err(StoreError::Corrupt(format!(
                "unexpected condition failure on {label}"
            ))),
            Err(TxError::Store(err)) => Err(err),
        }
    }

    /// Client counters for many clients in one round trip per hundred.
    pub async fn client_stats_many(
        &self,
        clients: &[UserId],
    ) -> Result<HashMap<UserId, ClientStats>, StoreError> {
        let mut unique: Vec<UserId> = clients.to_vec();
        unique.sort();
        unique.dedup();
        let mut out = HashMap::new();
        let keys: Vec<Item> = unique
            .iter()
            .map(|c| as_key(keys::client_stats(c)))
            .collect();
        for (client, item) in unique.iter().zip(self.get_many(&keys).await?) {
            let stats = item
                .map(from_item::<ClientStats>)
                .transpose()?
                .unwrap_or_default();
            out.insert(client.clone(), stats);
        }
        Ok(out)
    }

    pub async fn search_snapshot(&self) -> Result<Option<SnapshotPointer>, StoreError> {
        self.get(&as_key(keys::search_snapshot())).await
    }

    /// Moves the pointer from `previous` (None: there was none) to `next`; `false` when
    /// another writer moved it first, so two indexers can never interleave their snapshots.
    pub async fn advance_search_snapshot(
        &self,
        previous: Option<u64>,
        next: &SnapshotPointer,
    ) -> Result<bool, StoreError> {
        let condition = match previous {
            None => Cond::absent(),
            Some(generation) => Cond::new("#generation = :previous")
                .name("#generation", "generation")
                .value(":previous", generation),
        };
        match self
            .transact(Tx::new().put(Label::Snapshot, next, Some(condition)))
            .await
        {
            Ok(()) => Ok(true),
            Err(TxError::ConditionFailed { .. }) => Ok(false),
            Err(TxError::Store(err)) => Err(err),
        }
    }
}
