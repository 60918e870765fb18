//! Refunds to cards (docs/trust-and-safety.md, Disputes): the outbox event
//! `CardRefundRequested` reaches `withdrawals-processing` — the function that sends money out
//! through the processor — and each delivery asks the processor to refund the charge, then
//! records `refunded` (the money leaves for the card) or `failed` (it goes back to the
//! client's balance) in one conditional transaction.
//!
//! Exactly-once without locks, as withdrawals: the processor dedupes the refund on a key
//! derived from the dispute, the step's write is conditioned on the state it was decided from
//! and its transfers have ids derived from the dispute, so a duplicate message or a crash
//! between the processor's answer and the write refunds once and moves the money once.

use chrono::{DateTime, Utc};
use worklane::domain::card_refund::CardRefund;
use worklane::domain::ids::{DisputeId, UserId};
use worklane::payments::PaymentError;
use worklane::store::card_refunds::{failed_tx, refunded_tx};
use worklane::store::TxError;
use worklane::worker::WorkerError;
use worklane::App;

/// Where one delivery left the refund.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Refunded,
    Failed,
    /// Settled before this delivery: nothing was done.
    AlreadySettled,
}

fn broken(err: impl std::fmt::Display) -> WorkerError {
    WorkerError::Retryable(err.to_string())
}

pub async fn process(
    app: &App,
    client: &UserId,
    dispute: &DisputeId,
    now: DateTime<Utc>,
) -> Result<Outcome, WorkerError> {
    let Some(current) = app.store.card_refund(client, dispute).await? else {
        return Err(WorkerError::Poison(format!(
            "no card refund of {dispute} for {client}"
        )));
    };
    if current.is_settled() {
        return Ok(Outcome::AlreadySettled);
    }
    let (tx, outcome) = match refund(app, &current).await? {
        Ok(processor_refund_id) => {
            let refunded = current.refunded(processor_refund_id, now).map_err(broken)?;
            (
                refunded_tx(&current, &refunded, now).map_err(broken)?,
                Outcome::Refunded,
            )
        }
        Err(failure) => {
            let failed = current.failed(failure, now).map_err(broken)?;
            (
                failed_tx(&current, &failed, now).map_err(broken)?,
                Outcome::Failed,
            )
        }
    };
    match app.store.transact(tx).await {
        Ok(()) => Ok(outcome),
        // Another delivery settled it first, with the same processor answer.
        Err(TxError::ConditionFailed { .. }) => Ok(Outcome::AlreadySettled),
        Err(TxError::Store(err)) => Err(err.into()),
    }
}

/// The processor's refund id, or why it refused; an outage is retried (the message comes
/// back, and after its last attempt waits in the DLQ with the money still in flight).
async fn refund(app: &App, current: &CardRefund) -> Result<Result<String, String>, WorkerError> {
    match app
        .payments()
        .refund(
            &current.charge.charge_id,
            current.amount,
            &current.processor_key(),
        )
        .await
    {
        Ok(refund) => Ok(Ok(refund.id)),
        Err(PaymentError::Unavailable) => {
            Err(WorkerError::Retryable("payments are unavailable".into()))
        }
        Err(PaymentError::Declined { code, message }) => {
            Ok(Err(format!("{}: {message}", code.as_str())))
        }
        Err(PaymentError::Invalid(message)) => Ok(Err(format!("charge_invalid: {message}"))),
    }
}
