//! Rate-limit buckets (domain::rate_limit): one item per (action, key kind, key) holding
//! `full_at` in epoch milliseconds. Every step is one conditional UpdateItem whose condition
//! pins the state its arithmetic assumed, so concurrent checks never lose a token; a failed
//! condition returns the item (`ReturnValuesOnConditionCheckFailure`), from which the domain
//! plans the next step without a read.

use super::{keys, Store, StoreError};
use crate::domain::rate_limit::{BucketWrite, Plan, RateLimit};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Utc};

/// Steps one check may take before it gives up: a step fails only when another request
/// changed the bucket in between, and `Take` lets concurrent takes all land, so more than
/// two is rare and more than four is a crowd on one key (refused for a second).
const MAX_STEPS: usize = 4;

impl Store {
    /// Takes one token from `who`'s bucket of `limit` at `now`, or says how many seconds
    /// to wait.
    pub async fn take_token(
        &self,
        limit: &RateLimit,
        who: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<(), i64>, StoreError> {
        let key = keys::rate_bucket(limit.action.as_str(), limit.key.as_str(), who);
        let mut write = limit.first_step(now);
        for _ in 0..MAX_STEPS {
            match self.apply_bucket_write(&key, write).await? {
                None => return Ok(write.outcome()),
                Some(found) => match limit.plan(now, found) {
                    Plan::Write(next) => write = next,
                    Plan::Refuse { retry_after_secs } => return Ok(Err(retry_after_secs)),
                },
            }
        }
        Ok(Err(1))
    }

    /// Applies `write`; `Some(full_at)` (absent: `None`) when its condition failed.
    async fn apply_bucket_write(
        &self,
        (pk, sk): &(String, String),
        write: BucketWrite,
    ) -> Result<Option<Option<DateTime<Utc>>>, StoreError> {
        let millis = |at: DateTime<Utc>| AttributeValue::N(at.timestamp_millis().to_string());
        let (update, condition, values) = match write {
            BucketWrite::Start { now, full_at } => (
                "SET full_at = :full_at, expires_at = :expires",
                "attribute_not_exists(full_at) OR full_at <= :now",
                vec![(":now", millis(now)), (":full_at", millis(full_at))],
            ),
            BucketWrite::Take {
                now,
                latest,
                interval,
            } => (
                "SET full_at = full_at + :interval, expires_at = :expires",
                "full_at > :now AND full_at <= :latest",
                vec![
                    (":now", millis(now)),
                    (":latest", millis(latest)),
                    (
                        ":interval",
                        AttributeValue::N(interval.num_milliseconds().to_string()),
                    ),
                ],
            ),
            BucketWrite::Rewind { from, to, .. } => (
                "SET full_at = :to, expires_at = :expires",
                "full_at = :from",
                vec![(":from", millis(from)), (":to", millis(to))],
            ),
        };
        // The item is of no use once the bucket is full again; TTL removes it some time after.
        let expires = AttributeValue::N((super::ttl(write.full_by()) + 1).to_string());
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk.clone()))
            .key("sk", AttributeValue::S(sk.clone()))
            .update_expression(update)
            .condition_expression(condition)
            .set_expression_attribute_values(Some(
                values
                    .into_iter()
                    .map(|(name, value)| (name.to_string(), value))
                    .chain([(":expires".to_string(), expires)])
                    .collect(),
            ))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(None),
            Err(err) => match err.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                    let full_at = failed
                        .item()
                        .and_then(|item| item.get("full_at"))
                        .map(
                            |value| match value.as_n().ok().and_then(|n| n.parse().ok()) {
                                Some(millis) => {
                                    DateTime::from_timestamp_millis(millis).ok_or_else(|| {
                                        StoreError::Corrupt(format!("full_at {millis}"))
                                    })
                                }
                                None => Err(StoreError::Corrupt(format!("full_at {value:?}"))),
                            },
                        )
                        .transpose()?;
                    Ok(Some(full_at))
                }
                _ => Err(StoreError::from_sdk(err)),
            },
        }
    }
}
