//! Asynchronous functions: the outbox forwarder (DynamoDB stream → EventBridge), the queue
//! workers behind EventBridge rules, and the scheduled sweeps.

pub mod connects_grant;
pub mod disputes;
pub mod escrow;
pub mod feedback;
pub mod forwarder;
pub mod hourly;
pub mod identity;
pub mod marketplace;
pub mod message_rooms;
pub mod notifications;
pub mod search_indexer;
pub mod withdrawals;

use crate::domain::events::DomainEvent;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("undecodable message: {0}")]
    Poison(String),
    #[error("{0}")]
    Retryable(String),
}

impl From<crate::store::StoreError> for WorkerError {
    fn from(err: crate::store::StoreError) -> Self {
        WorkerError::Retryable(err.to_string())
    }
}

/// The part of an EventBridge event that SQS delivers as the message body.
#[derive(Deserialize)]
struct Envelope {
    detail: serde_json::Value,
}

pub fn decode_event(body: &str) -> Result<DomainEvent, WorkerError> {
    let envelope: Envelope =
        serde_json::from_str(body).map_err(|e| WorkerError::Poison(e.to_string()))?;
    serde_json::from_value(envelope.detail).map_err(|e| WorkerError::Poison(e.to_string()))
}

/// Runs `handle` for each domain event of an SQS batch and reports the failed messages, so
/// only those are redelivered (`ReportBatchItemFailures`). Poison messages fail too: after
/// maxReceiveCount they move to the DLQ, where an alarm fires, instead of vanishing.
pub async fn each_event<F, Fut>(event: SqsEvent, worker: &str, handle: F) -> SqsBatchResponse
where
    F: Fn(DomainEvent) -> Fut,
    Fut: std::future::Future<Output = Result<(), WorkerError>>,
{
    each_message(event, worker, decode_event, handle).await
}

/// `each_event` for any message body `decode` understands.
pub async fn each_message<T, D, F, Fut>(
    event: SqsEvent,
    worker: &str,
    decode: D,
    handle: F,
) -> SqsBatchResponse
where
    D: Fn(&str) -> Result<T, WorkerError>,
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = Result<(), WorkerError>>,
{
    let mut failures = Vec::new();
    for message in event.records {
        let id = message.message_id.clone().unwrap_or_default();
        let outcome = match message.body.as_deref() {
            Some(body) => match decode(body) {
                Ok(decoded) => handle(decoded).await,
                Err(err) => Err(err),
            },
            None => Err(WorkerError::Poison("empty body".into())),
        };
        if let Err(err) = outcome {
            tracing::warn!(message_id = %id, worker, error = %err, "message handling failed");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failures.push(failure);
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    response
}
