//! What every asynchronous function shares: SQS batches with partial-failure reporting,
//! decoding domain events from EventBridge envelopes, and the sweep of a sparse `due` index
//! that every scheduled function is built on.

use crate::domain::events::DomainEvent;
use crate::store::{Item, StoreError, Tx, TxError};
use crate::App;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Utc};
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

/// What a scheduled function did, returned to EventBridge (and by `POST /_dev/schedules/…`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ScheduleSummary {
    /// Items the run looked at.
    pub examined: u64,
    /// Items it changed (or messages it fanned out).
    pub applied: u64,
    /// Items already done by an earlier run (re-runs land here, never in `applied`).
    pub skipped: u64,
}

/// One page of a due partition.
const PAGE: i32 = 100;

/// Walks a due partition up to `time`; `build` turns an item into its transaction (or `None`
/// when it is not due after all). A failed condition means someone got there first: skipped.
pub async fn sweep<'a, F, Fut>(
    app: &'a App,
    partition: &str,
    time: DateTime<Utc>,
    build: F,
) -> Result<ScheduleSummary, StoreError>
where
    F: Fn(&'a App, Item) -> Fut,
    Fut: std::future::Future<Output = Result<Option<Tx>, StoreError>>,
{
    let mut summary = ScheduleSummary::default();
    let mut start = None;
    loop {
        let (items, next) = app.store.due(partition, time, PAGE, start).await?;
        for item in items {
            summary.examined += 1;
            let Some(tx) = build(app, item).await? else {
                summary.skipped += 1;
                continue;
            };
            match app.store.transact(tx).await {
                Ok(()) => summary.applied += 1,
                Err(TxError::ConditionFailed { .. }) => summary.skipped += 1,
                Err(TxError::Store(err)) => return Err(err),
            }
        }
        match next {
            Some(key) => start = Some(key),
            None => return Ok(summary),
        }
    }
}
