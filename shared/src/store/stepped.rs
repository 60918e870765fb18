//! Money on its way out, kept whole in its owner's partition (`USER#<usr>` / `<PREFIX><id>`):
//! withdrawals and refunds to cards. The key scopes every read to its owner, one Query lists
//! an owner's records newest first (ids are time-ordered), and each step rewrites the record
//! conditioned on the version and state it was decided from, so a duplicate message or a
//! racing worker finds it moved on instead of stepping it twice.

use super::keys::{self, as_key};
use super::{from_item, Cond, Item, Label, Store, StoreError, Tx};
use crate::domain::ids::UserId;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A record that moves through states, one version per step.
pub trait Stepped: Serialize + DeserializeOwned + Clone {
    type State: Serialize;
    fn version(&self) -> u64;
    fn state(&self) -> Self::State;
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Keyed<T> {
    pk: String,
    sk: String,
    #[serde(flatten)]
    record: T,
}

/// Writes `next` under `key`: new (`from` absent: only if absent) or the step after `from`.
pub fn put_op<T: Stepped>(
    tx: Tx,
    label: Label,
    (pk, sk): (String, String),
    next: &T,
    from: Option<&T>,
) -> Tx {
    let condition = match from {
        None => Cond::absent(),
        Some(from) => Cond::new("#version = :version AND #state = :state")
            .name("#version", "version")
            .name("#state", "state")
            .value(":version", from.version())
            .value(":state", from.state()),
    };
    let item = Keyed {
        pk,
        sk,
        record: next.clone(),
    };
    tx.put(label, &item, Some(condition))
}

impl Store {
    /// The record under `key`, read consistently.
    pub async fn stepped<T: Stepped>(
        &self,
        key: (String, String),
    ) -> Result<Option<T>, StoreError> {
        Ok(self
            .get::<Keyed<T>>(&as_key(key))
            .await?
            .map(|keyed| keyed.record))
    }

    /// One page of `owner`'s records under `prefix`, newest first.
    pub async fn stepped_page<T: Stepped>(
        &self,
        owner: &UserId,
        prefix: &str,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<T>, Option<Item>), StoreError> {
        let (pk, _) = keys::user(owner);
        let (items, next) = self
            .query_prefix(None, &pk, prefix, true, limit, start)
            .await?;
        let records = items
            .into_iter()
            .map(|item| from_item::<Keyed<T>>(item).map(|keyed| keyed.record))
            .collect::<Result<_, _>>()?;
        Ok((records, next))
    }
}
