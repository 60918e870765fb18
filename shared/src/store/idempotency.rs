//! Idempotency records: the first response to (caller, Idempotency-Key), kept for replay.

use super::keys::{self, as_key};
use super::Label;
use super::{Cond, Store, StoreError, Tx, TxError};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Records live at least this long (DynamoDB's TTL deletes them some time after).
pub const RETENTION: Duration = Duration::hours(48);
/// A request that holds its key longer than this is presumed dead, and a retry may take over.
pub const LOCK_TIMEOUT: Duration = Duration::seconds(30);

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Base64, so any body is replayed byte for byte.
    pub body: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub pk: String,
    pub sk: String,
    pub fingerprint: String,
    pub locked_until: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<StoredResponse>,
    pub created_at: DateTime<Utc>,
    pub expires_at: i64,
}

pub enum Claim {
    /// This request owns the key and must run.
    Acquired,
    /// Someone already holds or used the key.
    Existing(IdempotencyRecord),
}

/// Completes an idempotency record inside another transaction (label `idempotency`). The
/// record must still be unanswered: a request that already has an answer cannot get a second.
pub fn complete_op(tx: Tx, scope: &str, key: &str, response: &StoredResponse) -> Tx {
    tx.update(
        Label::Idempotency,
        as_key(keys::idempotency(scope, key)),
        Cond::new("SET #response = :response")
            .name("#response", "response")
            .value(":response", response),
        Some(Cond::new(
            "attribute_exists(pk) AND attribute_not_exists(#response)",
        )),
    )
}

impl Store {
    pub async fn claim_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<Claim, StoreError> {
        let (pk, sk) = keys::idempotency(scope, key);
        let record = IdempotencyRecord {
            pk,
            sk,
            fingerprint: fingerprint.to_string(),
            locked_until: now + LOCK_TIMEOUT,
            response: None,
            created_at: now,
            expires_at: super::ttl(now + RETENTION),
        };
        // New key, or a same-request retry taking over a lock whose holder died.
        let condition = Cond::new(
            "attribute_not_exists(pk) OR (attribute_not_exists(#response) AND locked_until < :now AND fingerprint = :fp)",
        )
        .name("#response", "response")
        .value(":now", now)
        .value(":fp", fingerprint);
        match self
            .transact(Tx::new().put(Label::Key, &record, Some(condition)))
            .await
        {
            Ok(()) => Ok(Claim::Acquired),
            Err(err @ TxError::ConditionFailed { .. }) => {
                match err.current::<IdempotencyRecord>() {
                    Some(existing) => Ok(Claim::Existing(existing)),
                    // Deleted between our write and its failure: the caller may simply retry.
                    None => Err(StoreError::TransactionConflict),
                }
            }
            Err(TxError::Store(err)) => Err(err),
        }
    }

    pub async fn complete_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        let tx = Tx::new().update(
            Label::Key,
            as_key(keys::idempotency(scope, key)),
            Cond::new("SET #response = :response")
                .name("#response", "response")
                .value(":response", response),
            Some(Cond::exists()),
        );
        self.transact(tx).await.map_err(|err| match err {
            TxError::Store(err) => err,
            TxError::ConditionFailed { .. } => {
                StoreError::Corrupt("idempotency record vanished".into())
            }
        })
    }

    /// Releases a key whose request failed on our side, so that a retry runs again.
    pub async fn release_idempotency_key(&self, scope: &str, key: &str) -> Result<(), StoreError> {
        let tx = Tx::new().delete(
            Label::Key,
            as_key(keys::idempotency(scope, key)),
            Some(Cond::new("attribute_not_exists(#response)").name("#response", "response")),
        );
        match self.transact(tx).await {
            Ok(()) | Err(TxError::ConditionFailed { .. }) => Ok(()),
            Err(TxError::Store(err)) => Err(err),
        }
    }
}
