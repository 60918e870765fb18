//! Hourly billing (PRODUCT §8.4–8.5): the Monday close fans out one SQS message per
//! contract-week, the invoicing worker turns each into exactly one invoice and charges it,
//! and two schedules retry failed charges and release reviewed weeks.

use crate::functions::ScheduleSummary;
use crate::store::StoreError;
use crate::App;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Utc};

/// `weekly-billing-close`: every contract-week whose close time has come at `time` becomes
/// one message on the billing queue.
pub async fn close_weeks(app: &App, time: DateTime<Utc>) -> Result<ScheduleSummary, StoreError> {
    let _ = (app, time);
    Ok(ScheduleSummary::default())
}

/// `hourly-invoicing`: one contract-week per message → one invoice, charged.
pub async fn handle_invoicing(app: &App, event: SqsEvent, now: DateTime<Utc>) -> SqsBatchResponse {
    let _ = (app, event, now);
    SqsBatchResponse::default()
}

/// `hourly-review-release`: weeks whose review ended at `time` are paid to the freelancer.
pub async fn release_reviewed(app: &App, time: DateTime<Utc>) -> Result<ScheduleSummary, StoreError> {
    let _ = (app, time);
    Ok(ScheduleSummary::default())
}

/// `hourly-charge-retry`: invoices whose charge failed are charged again when due.
pub async fn retry_charges(app: &App, time: DateTime<Utc>) -> Result<ScheduleSummary, StoreError> {
    let _ = (app, time);
    Ok(ScheduleSummary::default())
}
