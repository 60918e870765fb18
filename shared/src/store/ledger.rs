//! The ledger in the table. A money movement (one or more transfers) becomes part of ONE
//! `TransactWriteItems` together with the entity's state change, so money and state never
//! disagree:
//! - each transfer item is created with `attribute_not_exists` — its id is derived from the
//!   movement's idempotency basis, so a retry or a duplicate event collides with itself;
//! - each touched account gets one `ADD` of its net change (DynamoDB allows one operation per
//!   item per transaction), conditioned on `available >= :need` when it shrinks;
//! - a settled pending transfer is marked `settled_by` with `attribute_not_exists`, so a hold
//!   is posted or voided once.
//!
//! Amounts are DynamoDB numbers (exact decimals, up to 38 digits), so `ADD` is exact.

use super::keys;
use super::Label;
use super::{key, Cond, Item, Store, StoreError, Tx};
use crate::domain::ids::TransferId;
use crate::domain::ledger::{
    audit, AccountId, AuditReport, Phase, Totals, Transfer, TransferError,
};
use aws_sdk_dynamodb::types::AttributeValue;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Accounts register in `gsi1` under one of these partitions (hash of the account id), so the
/// audit can list them without a scan and no single index partition takes every update.
const ACCOUNT_INDEX_SHARDS: u64 = 16;

const TOTALS: [&str; 4] = [
    "debits_posted",
    "credits_posted",
    "debits_pending",
    "credits_pending",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransferRecord {
    pub pk: String,
    pub sk: String,
    /// The debit account's history.
    pub gsi1pk: String,
    pub gsi1sk: String,
    /// The credit account's history.
    pub gsi2pk: String,
    pub gsi2sk: String,
    #[serde(flatten)]
    pub transfer: Transfer,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled_by: Option<TransferId>,
}

impl TransferRecord {
    fn new(transfer: Transfer) -> Self {
        let (pk, sk) = keys::transfer(&transfer.id);
        let order = format!("{}#{}", transfer.at.timestamp_millis(), transfer.id);
        Self {
            pk,
            sk,
            gsi1pk: keys::ledger_debits(&transfer.debit),
            gsi1sk: order.clone(),
            gsi2pk: keys::ledger_credits(&transfer.credit),
            gsi2sk: order,
            transfer,
            settled_by: None,
        }
    }
}

/// The transfers of one money movement, with the pending transfers they settle.
#[derive(Debug, Default, Clone)]
pub struct Movement {
    transfers: Vec<(Transfer, Option<Transfer>)>,
}

impl Movement {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn transfer(mut self, transfer: Transfer) -> Self {
        self.transfers.push((transfer, None));
        self
    }

    pub fn settle(mut self, transfer: Transfer, pending: &Transfer) -> Self {
        self.transfers.push((transfer, Some(pending.clone())));
        self
    }

    pub fn transfers(&self) -> impl Iterator<Item = &Transfer> {
        self.transfers.iter().map(|(t, _)| t)
    }

    pub fn is_empty(&self) -> bool {
        self.transfers.is_empty()
    }

    /// Net change per account over all transfers of the movement.
    pub fn net_effects(&self) -> Result<BTreeMap<AccountId, Totals>, TransferError> {
        let mut net: BTreeMap<AccountId, Totals> = BTreeMap::new();
        for (transfer, pending) in &self.transfers {
            for (account, delta) in transfer.effects(pending.as_ref())? {
                net.entry(account).or_default().add(&delta);
            }
        }
        Ok(net)
    }

    /// Adds the movement's writes to `tx` (labels: `transfer`, `pending`, `account`).
    pub fn write(&self, mut tx: Tx) -> Result<Tx, TransferError> {
        for (transfer, pending) in &self.transfers {
            tx = tx.put(
                Label::Transfer,
                &TransferRecord::new(transfer.clone()),
                Some(Cond::absent()),
            );
            if let Some(pending) = pending {
                let (pk, sk) = keys::transfer(&pending.id);
                tx = tx.update(
                    Label::Pending,
                    key(pk, sk),
                    Cond::new("SET settled_by = :by").value(":by", &transfer.id),
                    Some(Cond::new(
                        "attribute_exists(pk) AND attribute_not_exists(settled_by)",
                    )),
                );
            }
        }
        for (account, delta) in self.net_effects()? {
            tx = account_update(tx, &account, &delta);
        }
        Ok(tx)
    }
}

fn number(value: Decimal) -> AttributeValue {
    AttributeValue::N(value.normalize().to_string())
}

fn account_update(tx: Tx, account: &AccountId, delta: &Totals) -> Tx {
    let values = [
        delta.debits_posted,
        delta.credits_posted,
        delta.debits_pending,
        delta.credits_pending,
    ];
    let available = delta.available();
    let mut update = Cond::new(format!(
        "SET account_id = :account, gsi1pk = if_not_exists(gsi1pk, :shard), \
         gsi1sk = if_not_exists(gsi1sk, :account) ADD {}, available :available",
        TOTALS
            .iter()
            .map(|name| format!("{name} :{name}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .value(":account", account.as_str())
    .value(":shard", account_index_shard(account))
    .attribute_value(":available", number(available));
    for (name, value) in TOTALS.iter().zip(values) {
        update = update.attribute_value(&format!(":{name}"), number(value));
    }
    // Only a shrinking available balance can break "never below zero"; the world may.
    let condition = (available < Decimal::ZERO && !account.may_go_negative())
        .then(|| Cond::new("available >= :need").attribute_value(":need", number(-available)));
    let (pk, sk) = keys::ledger_account(account);
    tx.update(Label::Account, key(pk, sk), update, condition)
}

fn account_index_shard(account: &AccountId) -> String {
    let shard = crate::security::stable_hash(account.as_str()) % ACCOUNT_INDEX_SHARDS;
    format!("LEDGER#ACCOUNTS#{shard:02}")
}

fn decimal(item: &Item, name: &str) -> Result<Decimal, StoreError> {
    match item.get(name) {
        None => Ok(Decimal::ZERO),
        Some(AttributeValue::N(n)) => n
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("{name} is not a decimal: {n}"))),
        Some(other) => Err(StoreError::Corrupt(format!("{name} is {other:?}"))),
    }
}

pub(crate) fn totals(item: &Item) -> Result<Totals, StoreError> {
    Ok(Totals {
        debits_posted: decimal(item, "debits_posted")?,
        credits_posted: decimal(item, "credits_posted")?,
        debits_pending: decimal(item, "debits_pending")?,
        credits_pending: decimal(item, "credits_pending")?,
    })
}

/// Whether a failed movement had in fact been applied before (its first transfer exists):
/// then the retry's answer is the original outcome, not an error.
pub fn already_applied(label: Label) -> bool {
    label == Label::Transfer
}

impl Store {
    /// One account's totals (zeros for an account never touched).
    pub async fn ledger_account(&self, account: &AccountId) -> Result<Totals, StoreError> {
        let (pk, sk) = keys::ledger_account(account);
        match self.get_many(&[key(pk, sk)]).await?.pop().flatten() {
            Some(item) => totals(&item),
            None => Ok(Totals::default()),
        }
    }

    /// Several accounts in one round trip.
    pub async fn ledger_accounts(&self, accounts: &[AccountId]) -> Result<Vec<Totals>, StoreError> {
        let keys: Vec<Item> = accounts
            .iter()
            .map(|a| {
                let (pk, sk) = keys::ledger_account(a);
                key(pk, sk)
            })
            .collect();
        self.get_many(&keys)
            .await?
            .into_iter()
            .map(|item| item.as_ref().map(totals).unwrap_or(Ok(Totals::default())))
            .collect()
    }

    pub async fn transfer(&self, id: &TransferId) -> Result<Option<TransferRecord>, StoreError> {
        let (pk, sk) = keys::transfer(id);
        self.get(&key(pk, sk)).await
    }

    /// Transfers touching any of `accounts`, newest first, strictly before the position
    /// `before` (a `<at ms>#<transfer id>` sort key, from the previous page). Each account's
    /// debits (`gsi1`) and credits (`gsi2`) are read newest first and merged, so a page costs
    /// two queries per account whatever the history's length.
    pub async fn account_transfers(
        &self,
        accounts: &[AccountId],
        before: Option<&str>,
        limit: i32,
    ) -> Result<Vec<Transfer>, StoreError> {
        let mut found: Vec<(String, Transfer)> = Vec::new();
        for account in accounts {
            for (index, partition) in [
                ("gsi1", keys::ledger_debits(account)),
                ("gsi2", keys::ledger_credits(account)),
            ] {
                let mut query = self
                    .client()
                    .query()
                    .table_name(self.table())
                    .index_name(index)
                    .expression_attribute_names("#pk", format!("{index}pk"))
                    .expression_attribute_values(":pk", AttributeValue::S(partition))
                    .scan_index_forward(false)
                    .limit(limit);
                query = match before {
                    None => query.key_condition_expression("#pk = :pk"),
                    Some(position) => query
                        .key_condition_expression("#pk = :pk AND #sk < :before")
                        .expression_attribute_names("#sk", format!("{index}sk"))
                        .expression_attribute_values(":before", AttributeValue::S(position.into())),
                };
                let output = query.send().await.map_err(StoreError::from_sdk)?;
                for item in output.items.unwrap_or_default() {
                    let record = super::from_item::<TransferRecord>(item)?;
                    found.push((record.gsi1sk, record.transfer));
                }
            }
        }
        found.sort_by(|a, b| b.0.cmp(&a.0));
        // A transfer between two of these accounts was found twice.
        found.dedup_by(|a, b| a.0 == b.0);
        found.truncate(limit.max(0) as usize);
        Ok(found.into_iter().map(|(_, t)| t).collect())
    }

    /// The sort position of a transfer in the history indexes (what `before` takes).
    pub fn transfer_position(transfer: &Transfer) -> String {
        format!("{}#{}", transfer.at.timestamp_millis(), transfer.id)
    }

    /// The whole-ledger audit: every account (listed from its index shards, no scan) and
    /// every transfer (each is found once, as its debit account's), replayed and compared.
    /// Its cost grows with the ledger: an admin and test tool, not a request path for users.
    pub async fn audit_ledger(&self) -> Result<AuditReport, StoreError> {
        let mut accounts = BTreeMap::new();
        for shard in 0..ACCOUNT_INDEX_SHARDS {
            let partition = format!("LEDGER#ACCOUNTS#{shard:02}");
            let mut start = None;
            loop {
                let (items, next) = self
                    .query_prefix(Some("gsi1"), &partition, "", false, 500, start)
                    .await?;
                for item in items {
                    let id = item
                        .get("account_id")
                        .and_then(|v| v.as_s().ok())
                        .and_then(|s| AccountId::parse(s))
                        .ok_or_else(|| StoreError::Corrupt("account without id".into()))?;
                    accounts.insert(id, totals(&item)?);
                }
                match next {
                    Some(key) => start = Some(key),
                    None => break,
                }
            }
        }
        let mut transfers = Vec::new();
        for account in accounts.keys() {
            let mut start = None;
            loop {
                let (items, next) = self
                    .query_prefix(
                        Some("gsi1"),
                        &keys::ledger_debits(account),
                        "",
                        false,
                        500,
                        start,
                    )
                    .await?;
                for item in items {
                    transfers.push(super::from_item::<TransferRecord>(item)?.transfer);
                }
                match next {
                    Some(key) => start = Some(key),
                    None => break,
                }
            }
        }
        Ok(audit(&transfers, &accounts))
    }
}

/// A pending transfer may only be settled while it is still pending.
pub fn is_open_hold(record: &TransferRecord) -> bool {
    record.transfer.phase == Phase::Pending && record.settled_by.is_none()
}
