//! DynamoDB single-table repository. Storage errors become domain-level errors here; no SDK
//! type leaks past this module. The key design is documented in docs/data-model.md.

pub mod accounts;
pub mod audit;
pub mod card_refunds;
pub mod connects;
pub mod contracts;
pub mod disputes;
pub mod escrow;
pub mod feedback;
pub mod files;
pub mod hourly;
pub mod idempotency;
pub mod identity;
pub mod jobs;
pub mod keys;
pub mod ledger;
pub mod messages;
pub mod milestones;
pub mod moderation;
pub mod notifications;
pub mod outbox;
pub mod payments;
pub mod plans;
pub mod profiles;
pub mod proposals;
pub mod rate_limits;
pub mod reports;
pub mod search;
pub mod stepped;
pub mod tx;
pub mod withdrawals;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

pub use tx::{Cond, Label, Tx, TxError, WriteConflict};

pub type Item = HashMap<String, AttributeValue>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("throttled by DynamoDB")]
    Throttled,
    #[error("transaction conflict")]
    TransactionConflict,
    #[error("item could not be decoded: {0}")]
    Corrupt(String),
    #[error("DynamoDB request failed: {0}")]
    Unavailable(String),
}

impl StoreError {
    pub(crate) fn from_sdk<E, R>(err: SdkError<E, R>) -> Self
    where
        E: aws_sdk_dynamodb::error::ProvideErrorMetadata
            + std::error::Error
            + Send
            + Sync
            + 'static,
        R: std::fmt::Debug,
    {
        let code = err
            .as_service_error()
            .and_then(|e| e.code())
            .unwrap_or_default();
        match code {
            "ProvisionedThroughputExceededException"
            | "ThrottlingException"
            | "RequestLimitExceeded" => StoreError::Throttled,
            "TransactionConflictException" | "TransactionInProgressException" => {
                StoreError::TransactionConflict
            }
            _ => StoreError::Unavailable(format!(
                "{}",
                aws_sdk_dynamodb::error::DisplayErrorContext(&err)
            )),
        }
    }
}

/// The table and the client; cheap to clone, built once per cold start.
#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    table: String,
    /// Test seam: DynamoDB Local never raises `TransactionConflictException` and never loses
    /// a response, so fault tests switch these on (see `FaultInjector`). Always `None` in
    /// the functions.
    faults: Option<std::sync::Arc<FaultInjector>>,
    /// What this process last learned about sessions, so revocation costs one read per
    /// session per `SESSION_CHECK_TTL` rather than one per request.
    sessions: std::sync::Arc<accounts::SessionCache>,
}

/// Makes `Store::transact` fail the way DynamoDB can: a transaction conflict before anything
/// is written, or a committed transaction whose response is lost (the caller sees an error
/// although the write happened). Seeded, so a failing run can be replayed.
#[derive(Debug)]
pub struct FaultInjector {
    rng: std::sync::Mutex<rand::rngs::StdRng>,
    conflict_rate: f64,
    lost_response_rate: f64,
    /// Only transactions with an operation of this label fail (all when `None`).
    only_label: Option<Label>,
    pub conflicts: std::sync::atomic::AtomicU64,
    pub lost_responses: std::sync::atomic::AtomicU64,
}

impl FaultInjector {
    pub fn new(seed: u64, conflict_rate: f64, lost_response_rate: f64) -> Self {
        use rand::SeedableRng;
        Self {
            rng: std::sync::Mutex::new(rand::rngs::StdRng::seed_from_u64(seed)),
            conflict_rate,
            lost_response_rate,
            only_label: None,
            conflicts: Default::default(),
            lost_responses: Default::default(),
        }
    }

    /// Faults only for transactions carrying an operation labelled `label`.
    pub fn only_for(mut self, label: Label) -> Self {
        self.only_label = Some(label);
        self
    }

    fn applies_to(&self, tx: &Tx) -> bool {
        self.only_label.is_none_or(|label| tx.has_label(label))
    }

    fn roll(&self, rate: f64) -> bool {
        use rand::Rng;
        rate > 0.0 && self.rng.lock().expect("not poisoned").gen_bool(rate)
    }
}

pub fn to_item<T: Serialize>(value: &T) -> Item {
    serde_dynamo::to_item(value).expect("records serialize to DynamoDB items")
}

pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|err| StoreError::Corrupt(err.to_string()))
}

pub fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([
        ("pk".to_string(), AttributeValue::S(pk.into())),
        ("sk".to_string(), AttributeValue::S(sk.into())),
    ])
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            faults: None,
            sessions: Default::default(),
        }
    }

    /// The same store, with transactions failing as `faults` says (tests only).
    pub fn with_faults(&self, faults: std::sync::Arc<FaultInjector>) -> Self {
        Self {
            faults: Some(faults),
            ..self.clone()
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens the connection (TLS, credentials) during init rather than in the first request.
    pub async fn warm(&self) {
        let _ = self
            .get::<serde_json::Value>(&key("WARMUP", "WARMUP"))
            .await;
    }

    /// Strongly consistent read of one item.
    pub async fn get<T: DeserializeOwned>(&self, key: &Item) -> Result<Option<T>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key.clone()))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        output.item.map(from_item).transpose()
    }

    /// Strongly consistent read of many items, returned in key order: one BatchGetItem round
    /// trip per 100 keys (DynamoDB's limit per call), so callers never chunk themselves.
    pub async fn get_many(&self, keys: &[Item]) -> Result<Vec<Option<Item>>, StoreError> {
        // BatchGetItem refuses a list with a key twice; a request may well name a thing
        // twice (the same slot, the same file), and its rules, not the store, say so.
        let mut unique: Vec<&Item> = Vec::with_capacity(keys.len());
        for key in keys {
            if !unique.contains(&key) {
                unique.push(key);
            }
        }
        let mut found = Vec::with_capacity(unique.len());
        for chunk in unique.chunks(100) {
            let chunk: Vec<Item> = chunk.iter().map(|key| (*key).clone()).collect();
            found.extend(self.get_batch(&chunk).await?);
        }
        Ok(keys
            .iter()
            .map(|key| {
                let at = unique.iter().position(|u| *u == key);
                at.and_then(|at| found[at].clone())
            })
            .collect())
    }

    /// One BatchGetItem of at most 100 keys.
    async fn get_batch(&self, keys: &[Item]) -> Result<Vec<Option<Item>>, StoreError> {
        let mut found: Vec<Item> = Vec::new();
        let mut pending = KeysAndAttributes::builder()
            .set_keys(Some(keys.to_vec()))
            .consistent_read(true)
            .build()
            .map_err(|err| StoreError::Unavailable(err.to_string()))?;
        // BatchGetItem may return part of the answer under load; ask again for the rest.
        for _ in 0..5 {
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, pending.clone())
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
            if let Some(mut responses) = output.responses {
                found.extend(responses.remove(&self.table).unwrap_or_default());
            }
            match output
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.table))
            {
                Some(rest) if !rest.keys.is_empty() => pending = rest,
                _ => {
                    return Ok(keys
                        .iter()
                        .map(|wanted| {
                            found
                                .iter()
                                .find(|item| {
                                    item.get("pk") == wanted.get("pk")
                                        && item.get("sk") == wanted.get("sk")
                                })
                                .cloned()
                        })
                        .collect())
                }
            }
        }
        Err(StoreError::Throttled)
    }

    pub async fn put<T: Serialize>(&self, value: &T) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(value)))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }

    /// Items of one partition whose sort key begins with `sk_prefix`, in sort-key order
    /// (descending when `newest_first`), one page at a time.
    pub async fn query_prefix(
        &self,
        index: Option<&str>,
        pk: &str,
        sk_prefix: &str,
        newest_first: bool,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<Item>, Option<Item>), StoreError> {
        let (pk_name, sk_name) = match index {
            Some(index) => (format!("{index}pk"), format!("{index}sk")),
            None => ("pk".to_string(), "sk".to_string()),
        };
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(index.map(str::to_string))
            .expression_attribute_names("#pk", pk_name)
            .expression_attribute_values(":pk", AttributeValue::S(pk.to_string()));
        // DynamoDB refuses begins_with on an empty prefix: an empty prefix means the whole partition.
        query = if sk_prefix.is_empty() {
            query.key_condition_expression("#pk = :pk")
        } else {
            query
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#sk", sk_name)
                .expression_attribute_values(":prefix", AttributeValue::S(sk_prefix.to_string()))
        };
        let output = query
            .scan_index_forward(!newest_first)
            .limit(limit)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok((output.items.unwrap_or_default(), output.last_evaluated_key))
    }

    /// Every item of one partition (of an index or the table) whose sort key begins with
    /// `sk_prefix`, in sort-key order, page after page.
    pub async fn query_all<T: DeserializeOwned>(
        &self,
        index: Option<&str>,
        pk: &str,
        sk_prefix: &str,
    ) -> Result<Vec<T>, StoreError> {
        let mut all = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let (items, next) = self
                .query_prefix(index, pk, sk_prefix, false, 100, start)
                .await?;
            for item in items {
                all.push(from_item::<T>(item)?);
            }
            match next {
                Some(key) => start = Some(key),
                None => return Ok(all),
            }
        }
    }

    pub async fn transact(&self, tx: Tx) -> Result<(), TxError> {
        use std::sync::atomic::Ordering::Relaxed;
        let faults = self.faults.as_ref().filter(|f| f.applies_to(&tx));
        if let Some(faults) = faults {
            if faults.roll(faults.conflict_rate) {
                faults.conflicts.fetch_add(1, Relaxed);
                return Err(TxError::Store(StoreError::TransactionConflict));
            }
        }
        tx.execute(&self.client, &self.table).await?;
        if let Some(faults) = faults {
            if faults.roll(faults.lost_response_rate) {
                faults.lost_responses.fetch_add(1, Relaxed);
                return Err(TxError::Store(StoreError::Unavailable(
                    "injected: committed, response lost".into(),
                )));
            }
        }
        Ok(())
    }
}

/// DynamoDB keys (strings only in this table) as plain JSON, for pagination cursors.
pub fn key_to_json(key: &Item) -> serde_json::Value {
    key.iter()
        .filter_map(|(name, value)| {
            value
                .as_s()
                .ok()
                .map(|s| (name.clone(), serde_json::Value::from(s.clone())))
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

pub fn key_from_json(value: &serde_json::Value) -> Option<Item> {
    value.as_object().map(|map| {
        map.iter()
            .filter_map(|(name, value)| {
                value
                    .as_str()
                    .map(|s| (name.clone(), AttributeValue::S(s.to_string())))
            })
            .collect()
    })
}

/// DynamoDB TTL wants epoch seconds in a number attribute.
pub fn ttl(at: chrono::DateTime<chrono::Utc>) -> i64 {
    at.timestamp()
}
