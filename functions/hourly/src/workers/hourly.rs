//! Hourly billing (PRODUCT §8.4–8.5): the Monday close fans out one SQS message per
//! contract-week, the invoicing worker turns each into exactly one invoice and charges it,
//! and two schedules retry failed charges and release reviewed weeks.
//!
//! Exactly-once without locks: the invoice is sealed by a write conditioned on the week's
//! version (so a duplicate message, a re-run schedule or a racing worker finds it sealed),
//! the processor dedupes the charge on an id derived from the week, and the money's write
//! is conditioned on the week still waiting for payment and its transfers not existing.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use chrono::{DateTime, Utc};
use worklane::domain::fees::{FeeCatalogue, FeeSchedule};
use worklane::domain::hourly::{
    self, weekly_limit_for, BillingWeek, Payment, Timesheet, TimesheetId, TimesheetState,
};
use worklane::domain::offer::ContractTerms;
use worklane::payments::PaymentError;
use worklane::store::hourly::{
    charge_failed_tx, charge_transfer_id, charged_tx, close_tx, hold_transfer_id, release_tx,
    CloseRequest, TimesheetRecord, CHARGE_DUE, CLOSE_DUE, RELEASE_DUE,
};
use worklane::store::{from_item, StoreError, TxError};
use worklane::worker::ScheduleSummary;
use worklane::worker::WorkerError;
use worklane::App;

const PAGE: i32 = 100;
/// SendMessageBatch takes at most this many messages.
const SQS_BATCH: usize = 10;

fn schedule_of(id: &str) -> Result<FeeSchedule, StoreError> {
    FeeCatalogue::locked(id).ok_or_else(|| StoreError::Corrupt(format!("fee schedule {id}")))
}

/// `weekly-billing-close`: every contract-week whose close time has come at `time` becomes
/// one message on the billing queue. Weeks enter the close index when their first segment
/// is logged, so contracts without time cost nothing and one that ended mid-week is still
/// billed for the time it logged.
pub async fn close_weeks(app: &App, time: DateTime<Utc>) -> Result<ScheduleSummary, StoreError> {
    let queue = app.billing_queue_url()?;
    let mut summary = ScheduleSummary::default();
    let mut start = None;
    loop {
        let (items, next) = app.store.due(CLOSE_DUE, time, PAGE, start).await?;
        let mut requests = Vec::with_capacity(items.len());
        for item in items {
            summary.examined += 1;
            let week = from_item::<TimesheetRecord>(item)?.timesheet;
            // The index may lag the table; the week itself decides.
            if week.state != TimesheetState::Open || time < week.week().closes_at() {
                summary.skipped += 1;
                continue;
            }
            requests.push(CloseRequest {
                contract_id: week.contract_id,
                week_start: week.week_start,
                close_time: time,
            });
        }
        for chunk in requests.chunks(SQS_BATCH) {
            send_batch(app, queue, chunk).await?;
            summary.applied += chunk.len() as u64;
        }
        match next {
            Some(key) => start = Some(key),
            None => return Ok(summary),
        }
    }
}

async fn send_batch(app: &App, queue: &str, requests: &[CloseRequest]) -> Result<(), StoreError> {
    let entries = requests
        .iter()
        .enumerate()
        .map(|(i, request)| {
            SendMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .message_body(serde_json::to_string(request).expect("a request serializes"))
                .build()
                .map_err(|err| StoreError::Unavailable(err.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut pending = entries;
    // SendMessageBatch may accept part of a batch; send the rest again (duplicates are
    // harmless: the worker seals each week once).
    for _ in 0..5 {
        let output = app
            .sqs()
            .send_message_batch()
            .queue_url(queue)
            .set_entries(Some(pending.clone()))
            .send()
            .await
            .map_err(|err| StoreError::Unavailable(format!("sqs: {err}")))?;
        let failed: Vec<String> = output.failed.into_iter().map(|f| f.id).collect();
        if failed.is_empty() {
            return Ok(());
        }
        pending.retain(|entry| failed.contains(&entry.id));
    }
    Err(StoreError::Unavailable(
        "sqs kept refusing part of a batch".into(),
    ))
}

/// `hourly-invoicing`: one contract-week per message → one invoice, charged.
pub async fn handle_invoicing(app: &App, event: SqsEvent, now: DateTime<Utc>) -> SqsBatchResponse {
    worklane::worker::each_message(
        event,
        "hourly-invoicing",
        |body| {
            serde_json::from_str::<CloseRequest>(body)
                .map_err(|e| WorkerError::Poison(e.to_string()))
        },
        |request| async move { invoice_week(app, &request, now).await.map(|_| ()) },
    )
    .await
}

/// What happened to one week on one pass.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Sealed, charged or released now.
    Done,
    /// Someone did it already, or there was nothing to do.
    AlreadyDone,
    /// The charge was refused (recorded, retried later).
    ChargeFailed,
    /// The processor was unreachable; the retry schedule will come back to it.
    Deferred,
}

/// Seals the week `request` names into its invoice as of the schedule's time, then charges
/// it. Re-reads when a segment landed between the read and the seal.
pub async fn invoice_week(
    app: &App,
    request: &CloseRequest,
    now: DateTime<Utc>,
) -> Result<Outcome, WorkerError> {
    let week = BillingWeek::starting(request.week_start)
        .ok_or_else(|| WorkerError::Poison(format!("{} is not a Monday", request.week_start)))?;
    let id = TimesheetId::new(&request.contract_id, week);
    // A message is never handled before the close it carries (clocks differ by a little).
    let now = now.max(request.close_time);
    for _ in 0..5 {
        let (contract, timesheet) = app.store.contract_and_week(&id).await?;
        let Some(timesheet) = timesheet else {
            return Ok(Outcome::AlreadyDone);
        };
        match timesheet.state {
            TimesheetState::Open => {}
            // A run that sealed the week and stopped before the charge: finish it.
            TimesheetState::PaymentDue => return collect(app, &timesheet, now).await,
            _ => return Ok(Outcome::AlreadyDone),
        }
        let contract = contract
            .ok_or_else(|| WorkerError::Poison(format!("no contract {}", request.contract_id)))?;
        let ContractTerms::Hourly { hourly_rate, .. } = contract.terms else {
            return Err(WorkerError::Poison(format!(
                "{} is not hourly",
                contract.id
            )));
        };
        let segments = app
            .store
            .segments_between(&contract.id, week.starts_at(), week.ends_at())
            .await?;
        let method = app
            .store
            .default_billing_method(&contract.parties.client_id)
            .await?;
        let verified = method
            .as_ref()
            .is_some_and(|method| method.usable_at(request.close_time));
        let schedule = schedule_of(&contract.fee_schedule)?;
        let limit = weekly_limit_for(&contract, week).unwrap_or(0);
        let (invoice, _) = hourly::invoice(&segments, hourly_rate, limit, verified, &schedule);
        let sealed = timesheet
            .close(invoice, request.close_time)
            .map_err(|err| WorkerError::Poison(err.to_string()))?;
        match app
            .store
            .transact(close_tx(&timesheet, &sealed, request.close_time)?)
            .await
        {
            Ok(()) if sealed.state == TimesheetState::PaymentDue => {
                return charge(app, &sealed, method, now).await
            }
            Ok(()) => return Ok(Outcome::Done),
            Err(TxError::ConditionFailed { .. }) => continue,
            Err(TxError::Store(err)) => return Err(err.into()),
        }
    }
    Err(WorkerError::Retryable(format!("{id} kept changing")))
}

/// Charges a sealed week and holds the money for review; a refusal is recorded with the
/// next attempt's time, an outage leaves the week where the retry schedule finds it.
pub async fn collect(
    app: &App,
    timesheet: &Timesheet,
    now: DateTime<Utc>,
) -> Result<Outcome, WorkerError> {
    let method = app
        .store
        .default_billing_method(&timesheet.client_id)
        .await?;
    charge(app, timesheet, method, now).await
}

/// `collect` with the client's default billing method already read (the close read it).
async fn charge(
    app: &App,
    timesheet: &Timesheet,
    method: Option<worklane::store::payments::BillingMethodRecord>,
    now: DateTime<Utc>,
) -> Result<Outcome, WorkerError> {
    let invoice = timesheet
        .invoice
        .as_ref()
        .ok_or_else(|| WorkerError::Poison(format!("{} has no invoice", timesheet.id)))?;
    let method = method.filter(|method| method.usable_at(now));
    let charged = match &method {
        Some(method) => app
            .payments()
            .charge(
                &method.processor_token,
                invoice.total(),
                &charge_transfer_id(timesheet).to_string(),
            )
            .await
            .map(|charge| method.card_charge(charge)),
        None => Err(PaymentError::Declined {
            code: worklane::payments::DeclineCode::CardDeclined,
            message: "billing_method_required".into(),
        }),
    };
    let tx = match charged {
        Ok(card) => {
            let after = timesheet
                .charged(hold_transfer_id(timesheet), card, now)
                .map_err(|err| WorkerError::Poison(err.to_string()))?;
            let schedule = schedule_of(&invoice.fee_schedule)?;
            charged_tx(timesheet, &after, &schedule, now)
                .map_err(|err| WorkerError::Poison(err.to_string()))?
        }
        Err(PaymentError::Unavailable) => return Ok(Outcome::Deferred),
        Err(refused) => {
            let reason = match &refused {
                PaymentError::Declined { code, message } if method.is_some() => {
                    format!("{}: {message}", code.as_str())
                }
                PaymentError::Declined { .. } => "billing_method_required".into(),
                other => format!("payment_method_invalid: {other}"),
            };
            let after = timesheet
                .charge_failed(&reason, now)
                .map_err(|err| WorkerError::Poison(err.to_string()))?;
            return match app
                .store
                .transact(charge_failed_tx(timesheet, &after, now)?)
                .await
            {
                Ok(()) => Ok(Outcome::ChargeFailed),
                Err(TxError::ConditionFailed { .. }) => Ok(Outcome::AlreadyDone),
                Err(TxError::Store(err)) => Err(err.into()),
            };
        }
    };
    match app.store.transact(tx).await {
        Ok(()) => Ok(Outcome::Done),
        // The week moved on (another attempt recorded this very charge): nothing to do.
        Err(TxError::ConditionFailed { .. }) => Ok(Outcome::AlreadyDone),
        Err(TxError::Store(err)) => Err(err.into()),
    }
}

/// `hourly-charge-retry`: invoices whose charge failed (or met an outage) are charged again
/// once their next attempt is due.
pub async fn retry_charges(app: &App, time: DateTime<Utc>) -> Result<ScheduleSummary, StoreError> {
    let mut summary = ScheduleSummary::default();
    let mut start = None;
    loop {
        let (items, next) = app.store.due(CHARGE_DUE, time, PAGE, start).await?;
        for item in items {
            summary.examined += 1;
            let week = from_item::<TimesheetRecord>(item)?.timesheet;
            let due = week
                .charge
                .as_ref()
                .is_some_and(|c| c.next_attempt_at <= time);
            if week.state != TimesheetState::PaymentDue || !due {
                summary.skipped += 1;
                continue;
            }
            match collect(app, &week, time).await {
                Ok(Outcome::Done) => summary.applied += 1,
                Ok(_) => summary.skipped += 1,
                Err(WorkerError::Retryable(err)) => return Err(StoreError::Unavailable(err)),
                Err(WorkerError::Poison(err)) => {
                    // One broken week must not hold up everyone else's money.
                    tracing::error!(timesheet = %week.id, error = %err, "charge retry failed");
                    summary.skipped += 1;
                }
            }
        }
        match next {
            Some(key) => start = Some(key),
            None => return Ok(summary),
        }
    }
}

/// `hourly-review-release`: weeks whose review ended undisputed at `time` are paid to the
/// freelancer (a disputed week left the release index when it was disputed).
pub async fn release_reviewed(
    app: &App,
    time: DateTime<Utc>,
) -> Result<ScheduleSummary, StoreError> {
    worklane::worker::sweep(app, RELEASE_DUE, time, |app, item| async move {
        let before = from_item::<TimesheetRecord>(item)?.timesheet;
        let Some(invoice) = before.invoice.as_ref() else {
            return Ok(None);
        };
        let schedule = schedule_of(&invoice.fee_schedule)?;
        let lifetime = app
            .store
            .lifetime_billed(&before.client_id, &before.freelancer_id)
            .await?;
        let payment = Payment::priced(&schedule, lifetime.billed, invoice.amount);
        let Ok(after) = before.release(payment, time) else {
            return Ok(None);
        };
        release_tx(&before, &after, &schedule, &lifetime, time)
            .map(Some)
            .map_err(|err| StoreError::Corrupt(err.to_string()))
    })
    .await
}
