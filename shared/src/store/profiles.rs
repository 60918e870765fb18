//! Freelancer and client profiles, and the freelancer search index.
//!
//! The index has one entry per (skill, freelancer) in the skill's partition, sorted by hourly
//! rate, carrying the freelancer's search card. It is rewritten in the same transaction as the
//! profile (old entries deleted, new ones put), so a search never sees a skill or a rate the
//! profile no longer has, and finding freelancers is a query on one partition, never a scan.

use super::accounts::UserRecord;
use super::files::{publish_file_op, PUBLISH_FILE_LABEL};
use super::jobs::ClientStats;
use super::keys::{self, as_key};
use super::Label;
use super::{from_item, key, Cond, Item, Store, StoreError, Tx, TxError};
use crate::domain::file::FilePurpose;
use crate::domain::ids::UserId;
use crate::domain::profile::{ClientProfile, FreelancerCard, FreelancerProfile, FreelancerSearch};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

/// Index entries read per round trip of a search, and round trips per page at most: a page
/// whose filters match little comes back short, with a cursor, rather than reading on and on.
const SEARCH_READ_BATCH: i32 = 100;
const SEARCH_MAX_ROUNDS: usize = 5;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FreelancerProfileItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    profile: FreelancerProfile,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ClientProfileItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    profile: ClientProfile,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SkillIndexItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    card: FreelancerCard,
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The profile changed since it was read (its version moved on).
    #[error("the profile changed concurrently")]
    Stale,
    /// A file the profile shows stopped being a ready portfolio file of its owner.
    #[error("a profile file is not usable")]
    FileUnavailable,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<TxError> for ProfileError {
    fn from(err: TxError) -> Self {
        match err {
            TxError::ConditionFailed {
                label: Label::Profile,
                ..
            } => ProfileError::Stale,
            TxError::ConditionFailed {
                label: PUBLISH_FILE_LABEL,
                ..
            } => ProfileError::FileUnavailable,
            TxError::ConditionFailed { label, .. } => ProfileError::Store(StoreError::Corrupt(
                format!("unexpected condition failure on {label}"),
            )),
            TxError::Store(err) => ProfileError::Store(err),
        }
    }
}

/// The write lands only on the version it was based on (absent: only if there is none yet).
fn based_on(version: Option<u64>) -> Cond {
    match version {
        None => Cond::absent(),
        Some(version) => Cond::new("#version = :version")
            .name("#version", "version")
            .value(":version", version),
    }
}

fn skill_keys(profile: &FreelancerProfile) -> Vec<(String, String)> {
    let rate = profile.content.hourly_rate.minor_units();
    profile
        .content
        .skills
        .iter()
        .map(|skill| keys::freelancer_skill(skill, rate, &profile.user_id))
        .collect()
}

impl Store {
    pub async fn freelancer_profile(
        &self,
        id: &UserId,
    ) -> Result<Option<FreelancerProfile>, StoreError> {
        Ok(self
            .get::<FreelancerProfileItem>(&as_key(keys::freelancer_profile(id)))
            .await?
            .map(|item| item.profile))
    }

    /// What a freelancer's public page shows, in one round trip: the profile and the account
    /// (which carries the identity badge, set by the approval's transaction).
    pub async fn freelancer_page(
        &self,
        id: &UserId,
    ) -> Result<(Option<FreelancerProfile>, Option<UserRecord>), StoreError> {
        let (profile, account, _) = self.freelancer_page_with_plan(id).await?;
        Ok((profile, account))
    }

    /// `freelancer_page` with the freelancer's plan (the Plus badge), in the same round trip.
    pub async fn freelancer_page_with_plan(
        &self,
        id: &UserId,
    ) -> Result<
        (
            Option<FreelancerProfile>,
            Option<UserRecord>,
            Option<crate::domain::plan::Subscription>,
        ),
        StoreError,
    > {
        let mut found = self
            .get_many(&[
                as_key(keys::freelancer_profile(id)),
                as_key(keys::user(id)),
                as_key(keys::plan(id)),
            ])
            .await?
            .into_iter();
        let profile = found
            .next()
            .flatten()
            .map(from_item::<FreelancerProfileItem>)
            .transpose()?
            .map(|item| item.profile);
        let account = found.next().flatten().map(from_item).transpose()?;
        let plan = found
            .next()
            .flatten()
            .map(from_item::<super::plans::SubscriptionRecord>)
            .transpose()?
            .map(|record| record.subscription);
        Ok((profile, account, plan))
    }

    /// Writes a new version of a freelancer profile, its search index entries, and the
    /// visibility of its files (shown files public, files no longer shown private again),
    /// as one transaction conditional on `previous` still being current.
    pub async fn save_freelancer_profile(
        &self,
        profile: &FreelancerProfile,
        previous: Option<&FreelancerProfile>,
    ) -> Result<(), ProfileError> {
        let (pk, sk) = keys::freelancer_profile(&profile.user_id);
        let item = FreelancerProfileItem {
            pk,
            sk,
            profile: profile.clone(),
        };
        let mut tx = Tx::new().put(
            Label::Profile,
            &item,
            Some(based_on(previous.map(|p| p.version))),
        );
        // One transaction may touch an item once: an entry that stays is only put again.
        let new_keys = skill_keys(profile);
        for stale in previous
            .map(skill_keys)
            .unwrap_or_default()
            .into_iter()
            .filter(|k| !new_keys.contains(k))
        {
            tx = tx.delete(Label::SkillIndex, as_key(stale), None);
        }
        let card = profile.card();
        for (pk, sk) in new_keys {
            let entry = SkillIndexItem {
                pk,
                sk,
                card: card.clone(),
            };
            tx = tx.put(Label::SkillIndex, &entry, None);
        }
        let shown = profile.content.file_ids();
        for file in &shown {
            tx = publish_file_op(tx, file, &profile.user_id, true, FilePurpose::Portfolio);
        }
        for file in previous
            .map(|p| p.content.file_ids())
            .unwrap_or_default()
            .iter()
            .filter(|f| !shown.contains(f))
        {
            tx = publish_file_op(tx, file, &profile.user_id, false, FilePurpose::Portfolio);
        }
        Ok(self.transact(tx).await?)
    }

    /// Takes a freelancer out of search (`listed = false`: every skill entry deleted) or puts
    /// them back from their profile, conditioned on the profile being the one read — an edit
    /// in between wins and the caller reads again. No profile: nothing to list.
    pub async fn list_freelancer_in_search(
        &self,
        id: &UserId,
        listed: bool,
    ) -> Result<(), ProfileError> {
        let Some(profile) = self.freelancer_profile(id).await? else {
            return Ok(());
        };
        let (pk, sk) = keys::freelancer_profile(id);
        let mut tx = Tx::new().check(Label::Profile, key(pk, sk), based_on(Some(profile.version)));
        let card = profile.card();
        for (pk, sk) in skill_keys(&profile) {
            tx = if listed {
                let entry = SkillIndexItem {
                    pk,
                    sk,
                    card: card.clone(),
                };
                tx.put(Label::SkillIndex, &entry, None)
            } else {
                tx.delete(Label::SkillIndex, key(pk, sk), None)
            };
        }
        Ok(self.transact(tx).await?)
    }

    /// One page of freelancers with every skill of the search, in ascending rate order.
    /// Reads the first skill's partition within the rate range (a key condition) and keeps
    /// the entries that match the rest; the returned key is where the next page starts.
    pub async fn search_freelancers(
        &self,
        search: &FreelancerSearch,
        limit: usize,
        mut start: Option<Item>,
    ) -> Result<(Vec<FreelancerCard>, Option<Item>), StoreError> {
        let Some(first_skill) = search.skills.first() else {
            return Ok((Vec::new(), None));
        };
        let low = keys::rate_sort_key(search.rate_min_cents.unwrap_or(0));
        let high = format!(
            "{}~",
            keys::rate_sort_key(search.rate_max_cents.unwrap_or(i64::MAX))
        );
        let mut cards = Vec::with_capacity(limit);
        for _ in 0..SEARCH_MAX_ROUNDS {
            let output = self
                .client()
                .query()
                .table_name(self.table())
                .key_condition_expression("pk = :pk AND sk BETWEEN :low AND :high")
                .expression_attribute_values(
                    ":pk",
                    AttributeValue::S(keys::freelancer_skill_partition(first_skill)),
                )
                .expression_attribute_values(":low", AttributeValue::S(low.clone()))
                .expression_attribute_values(":high", AttributeValue::S(high.clone()))
                .limit(SEARCH_READ_BATCH)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
            let items = output.items.unwrap_or_default();
            let more = output.last_evaluated_key;
            let count = items.len();
            for (i, item) in items.into_iter().enumerate() {
                let entry = from_item::<SkillIndexItem>(item)?;
                if !search.matches(&entry.card) {
                    continue;
                }
                cards.push(entry.card);
                if cards.len() == limit {
                    // Full: the next page starts after this entry, unless it was the last one.
                    let done = i + 1 == count && more.is_none();
                    return Ok((cards, (!done).then(|| key(entry.pk, entry.sk))));
                }
            }
            match more {
                Some(next) => start = Some(next),
                None => return Ok((cards, None)),
            }
        }
        Ok((cards, start))
    }

    pub async fn client_profile(&self, id: &UserId) -> Result<Option<ClientProfile>, StoreError> {
        Ok(self
            .get::<ClientProfileItem>(&as_key(keys::client_profile(id)))
            .await?
            .map(|item| item.profile))
    }

    pub async fn save_client_profile(
        &self,
        profile: &ClientProfile,
        previous: Option<&ClientProfile>,
    ) -> Result<(), ProfileError> {
        let (pk, sk) = keys::client_profile(&profile.user_id);
        let item = ClientProfileItem {
            pk,
            sk,
            profile: profile.clone(),
        };
        let tx = Tx::new().put(
            Label::Profile,
            &item,
            Some(based_on(previous.map(|p| p.version))),
        );
        Ok(self.transact(tx).await?)
    }

    /// What a client's public page shows, in one round trip: the account (roles, member
    /// since), the profile if written, and the hiring counters (zeros when absent).
    pub async fn client_page(
        &self,
        id: &UserId,
    ) -> Result<(Option<UserRecord>, Option<ClientProfile>, ClientStats), StoreError> {
        let found = self
            .get_many(&[
                as_key(keys::user(id)),
                as_key(keys::client_profile(id)),
                as_key(keys::client_stats(id)),
            ])
            .await?;
        let mut found = found.into_iter();
        let user = found.next().flatten().map(from_item).transpose()?;
        let profile = found
            .next()
            .flatten()
            .map(from_item::<ClientProfileItem>)
            .transpose()?
            .map(|item| item.profile);
        let stats = found
            .next()
            .flatten()
            .map(from_item::<ClientStats>)
            .transpose()?
            .unwrap_or_default();
        Ok((user, profile, stats))
    }
}
