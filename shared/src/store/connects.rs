//! The Connects ledger (§4.4): one balance item per freelancer and one immutable entry per
//! movement, always written in the same transaction. Debits carry `balance >= :n`, so the
//! balance cannot go negative however many requests race; once-only movements (grants,
//! refunds) use entry keys derived from what they are for, so a repeat is refused.

use super::keys::{self, as_key};
use super::Label;
use super::{from_item, Cond, Item, Store, StoreError, Tx};
use crate::domain::connects::{
    entry_sort_key, grant_month, month_start, ConnectsEntry, EntryKind, MONTHLY_GRANT,
};
use crate::domain::ids::UserId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BalanceRecord {
    pub pk: String,
    pub sk: String,
    /// The freelancer shard the monthly grant walks (`FREELANCERS#nn`).
    pub gsi1pk: String,
    pub gsi1sk: String,
    pub freelancer_id: UserId,
    pub balance: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EntryRecord {
    pub pk: String,
    pub sk: String,
    #[serde(flatten)]
    pub entry: ConnectsEntry,
}

/// Labels of one side of a movement inside a transaction, so a failed condition says whose.
#[derive(Clone, Copy)]
pub struct Labels {
    pub balance: Label,
    pub entry: Label,
}

pub const OWN: Labels = Labels {
    balance: Label::ConnectsBalance,
    entry: Label::ConnectsEntry,
};

impl Store {
    pub async fn connects_balance(&self, freelancer: &UserId) -> Result<i64, StoreError> {
        Ok(self
            .get::<BalanceRecord>(&as_key(keys::connects_balance(freelancer)))
            .await?
            .map(|b| b.balance)
            .unwrap_or(0))
    }

    /// A freelancer's entries, newest first, one page at a time.
    pub async fn connects_entries(
        &self,
        freelancer: &UserId,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<ConnectsEntry>, Option<Item>), StoreError> {
        let (pk, _) = keys::connects_balance(freelancer);
        let (items, next) = self
            .query_prefix(None, &pk, "ENTRY#", true, limit, start)
            .await?;
        let entries = items
            .into_iter()
            .map(|item| from_item::<EntryRecord>(item).map(|r| r.entry))
            .collect::<Result<_, _>>()?;
        Ok((entries, next))
    }

    /// Freelancers' balance items of one shard, for the monthly grant.
    pub async fn freelancer_balances(
        &self,
        shard: u32,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<BalanceRecord>, Option<Item>), StoreError> {
        let (items, next) = self
            .query_prefix(
                Some("gsi1"),
                &format!("FREELANCERS#{shard:02}"),
                "",
                false,
                limit,
                start,
            )
            .await?;
        let balances = items
            .into_iter()
            .map(from_item::<BalanceRecord>)
            .collect::<Result<_, _>>()?;
        Ok((balances, next))
    }
}

/// Takes `connects` from the freelancer's balance, refused when the balance is short, and
/// records the entries (with their once-only bases) that add up to it.
pub fn debit_op(
    tx: Tx,
    freelancer: &UserId,
    connects: u32,
    entries: &[(ConnectsEntry, String)],
    labels: Labels,
) -> Tx {
    debug_assert_eq!(
        entries.iter().map(|(e, _)| e.amount).sum::<i64>(),
        -i64::from(connects)
    );
    let mut tx = tx.update(
        labels.balance,
        as_key(keys::connects_balance(freelancer)),
        Cond::new("SET balance = balance - :n").value(":n", connects),
        Some(Cond::new("balance >= :n")),
    );
    for (entry, basis) in entries {
        tx = tx.put_item(
            labels.entry,
            entry_item(freelancer, entry, basis),
            Some(Cond::absent()),
        );
    }
    tx
}

/// Adds `connects` to the balance (creating it, with its shard, if needed). The entry's key
/// comes from `basis`, so the same credit twice fails on the entry's condition.
pub fn credit_op(
    tx: Tx,
    freelancer: &UserId,
    connects: u32,
    entry: &ConnectsEntry,
    basis: &str,
    labels: Labels,
) -> Tx {
    tx.update(
        labels.balance,
        as_key(keys::connects_balance(freelancer)),
        Cond::new(
            "SET gsi1pk = if_not_exists(gsi1pk, :shard), gsi1sk = if_not_exists(gsi1sk, :user), \
             freelancer_id = if_not_exists(freelancer_id, :user) ADD balance :n",
        )
        .value(":shard", keys::freelancer_shard(freelancer))
        .value(":user", freelancer.as_str())
        .value(":n", connects),
        None,
    )
    .put_item(
        labels.entry,
        entry_item(freelancer, entry, basis),
        Some(Cond::absent()),
    )
}

/// The allowance of `at`'s month, at most once per freelancer per month whoever grants it
/// (signup, adding the freelancer role, or the monthly schedule).
pub fn monthly_grant_op(tx: Tx, freelancer: &UserId, at: DateTime<Utc>) -> Tx {
    plan_grant_op(tx, freelancer, at, MONTHLY_GRANT, "")
}

/// `at`'s month's grant of `connects` (what the freelancer's plan gives, `note` saying how),
/// under the same once-a-month key as the Basic allowance: whichever of the signup, the
/// monthly schedule, a renewal or a downgrade grants the month first, the others find it done.
pub fn plan_grant_op(
    tx: Tx,
    freelancer: &UserId,
    at: DateTime<Utc>,
    connects: u32,
    note: &str,
) -> Tx {
    let month = grant_month(at);
    let entry = ConnectsEntry::new(
        EntryKind::Grant,
        connects,
        month_start(at),
        format!("monthly allowance {month}{note}"),
    );
    credit_op(
        tx,
        freelancer,
        connects,
        &entry,
        &grant_basis(freelancer, at),
        OWN,
    )
}

fn grant_basis(freelancer: &UserId, at: DateTime<Utc>) -> String {
    format!("grant:{}:{freelancer}", grant_month(at))
}

impl Store {
    /// Whether `at`'s month's grant has been given already.
    pub async fn month_granted(
        &self,
        freelancer: &UserId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sort = entry_sort_key(month_start(at), &grant_basis(freelancer, at));
        Ok(self
            .get::<EntryRecord>(&as_key(keys::connects_entry(freelancer, &sort)))
            .await?
            .is_some())
    }
}

fn entry_item(freelancer: &UserId, entry: &ConnectsEntry, basis: &str) -> Item {
    let (pk, sk) = keys::connects_entry(freelancer, &entry_sort_key(entry.at, basis));
    super::to_item(&EntryRecord {
        pk,
        sk,
        entry: entry.clone(),
    })
}
