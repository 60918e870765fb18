//! The admins' audit trail in the table.
//!
//! - Every entry is one item in the `AUDIT` partition, sort key `<at ms, 15 digits>#<aud id>`:
//!   the whole trail newest first is one Query. Admin actions are rare (a few per minute at
//!   the busiest), far below one partition's write limit.
//! - The same entry is in `gsi1` under `AUDIT#SUBJECT#<subject id>`: one object's history
//!   (a user's suspensions and reinstatements, a report's decision) is one Query too.
//! - Entries are put with `attribute_not_exists` inside the action's own transaction and never
//!   updated or deleted; the deployed roles can only put them (docs/trust-and-safety.md).

use super::{from_item, Cond, Item, Label, Store, StoreError, Tx};
use crate::domain::audit::AuditEntry;
use serde::{Deserialize, Serialize};

const TRAIL: &str = "AUDIT";

fn subject_partition(subject: &str) -> String {
    format!("AUDIT#SUBJECT#{subject}")
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct AuditItem {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    #[serde(flatten)]
    entry: AuditEntry,
}

/// Adds the entry of an admin action to the transaction that performs it.
pub fn record(tx: Tx, entry: &AuditEntry) -> Tx {
    let sort = format!("{:015}#{}", entry.at.timestamp_millis(), entry.id);
    let item = AuditItem {
        pk: TRAIL.to_string(),
        sk: sort.clone(),
        gsi1pk: subject_partition(&entry.subject),
        gsi1sk: sort,
        entry: entry.clone(),
    };
    tx.put(Label::Audit, &item, Some(Cond::absent()))
}

impl Store {
    /// The trail newest first, or one subject's history when `subject` is given.
    pub async fn audit_trail(
        &self,
        subject: Option<&str>,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<AuditEntry>, Option<Item>), StoreError> {
        let (index, pk) = match subject {
            Some(subject) => (Some("gsi1"), subject_partition(subject)),
            None => (None, TRAIL.to_string()),
        };
        let (items, next) = self
            .query_prefix(index, &pk, "", true, limit, start)
            .await?;
        let entries = items
            .into_iter()
            .map(|item| from_item::<AuditItem>(item).map(|i| i.entry))
            .collect::<Result<_, _>>()?;
        Ok((entries, next))
    }
}
