//! Outbox → EventBridge. The stream delivers each outbox item at least once and in order per
//! item; on the first entry EventBridge refuses, we report that record so Lambda retries the
//! batch from there (consumers de-duplicate on the event id).

use aws_lambda_events::event::dynamodb::Event as DynamoDbEvent;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use worklane::domain::events::EVENT_SOURCE;
use worklane::store::outbox::OutboxItem;
use worklane::App;

/// PutEvents accepts at most ten entries per call.
const PUT_EVENTS_BATCH: usize = 10;

pub async fn forward_outbox(app: &App, event: DynamoDbEvent) -> DynamoDbEventResponse {
    let bus = match app.event_bus() {
        Ok(bus) => bus,
        Err(err) => {
            // The whole batch again, from its first record, until the deployment is fixed.
            tracing::error!(error = %err, "cannot forward the outbox");
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = event
                .records
                .first()
                .and_then(|record| record.change.sequence_number.clone());
            let mut response = DynamoDbEventResponse::default();
            response.batch_item_failures = vec![failure];
            return response;
        }
    };
    let mut pending: Vec<(String, PutEventsRequestEntry)> = Vec::new();
    for record in event.records {
        let sequence = record.change.sequence_number.clone().unwrap_or_default();
        if record.event_name != "INSERT" {
            continue;
        }
        let item: OutboxItem = match serde_dynamo::from_item(record.change.new_image) {
            Ok(item) => item,
            // Not an outbox item (the filter normally keeps these away): nothing to forward.
            Err(err) => {
                tracing::debug!(error = %err, "skipping a stream record that is not an outbox item");
                continue;
            }
        };
        if !item.pk.starts_with("OUTBOX#") {
            continue;
        }
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(bus)
            .source(EVENT_SOURCE)
            .detail_type(&item.detail_type)
            .detail(&item.event)
            .build();
        pending.push((sequence, entry));
    }
    tracing::debug!(events = pending.len(), "forwarding outbox events");
    for chunk in pending.chunks(PUT_EVENTS_BATCH) {
        let entries: Vec<PutEventsRequestEntry> =
            chunk.iter().map(|(_, entry)| entry.clone()).collect();
        let first_failed = match app
            .events()
            .put_events()
            .set_entries(Some(entries))
            .send()
            .await
        {
            Ok(output) if output.failed_entry_count == 0 => None,
            Ok(output) => output
                .entries()
                .iter()
                .position(|entry| entry.error_code().is_some())
                .or(Some(0)),
            Err(err) => {
                tracing::warn!(error = %aws_sdk_eventbridge::error::DisplayErrorContext(&err), "PutEvents failed");
                Some(0)
            }
        };
        if let Some(index) = first_failed {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(chunk[index].0.clone());
            let mut response = DynamoDbEventResponse::default();
            response.batch_item_failures = vec![failure];
            return response;
        }
    }
    DynamoDbEventResponse::default()
}
