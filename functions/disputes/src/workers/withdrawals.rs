//! `withdrawals-processing`: pays out each requested withdrawal (PRODUCT §9.4) and sends
//! each dispute's refund to the card that paid (`card_refunds`). The outbox
//! event `WithdrawalRequested` reaches it through its own queue; each delivery walks the
//! withdrawal forward from its stored state — `requested` → `processing`, then the
//! processor's payout → `paid`, or a refusal → `returned` — one conditional transaction per
//! step.
//!
//! Exactly-once without locks: the processor dedupes the payout on a key derived from the
//! withdrawal, each step's write is conditioned on the state it was decided from, and the
//! money of each step has transfer ids derived from the withdrawal, so a duplicate message, a
//! redelivery after a crash or two workers racing pay once and move the money once. A
//! delivery that finds the withdrawal settled changes nothing.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Utc};
use worklane::domain::events::EventPayload;
use worklane::domain::ids::{UserId, WithdrawalId};
use worklane::domain::withdrawal::{PayoutFailure, Withdrawal, WithdrawalState};
use worklane::payments::PaymentError;
use worklane::store::withdrawals::{paid_tx, processing_tx, returned_tx};
use worklane::store::{Tx, TxError};
use worklane::worker::WorkerError;
use worklane::App;

pub async fn handle(app: &App, event: SqsEvent, now: DateTime<Utc>) -> SqsBatchResponse {
    worklane::worker::each_event(event, "withdrawals-processing", |event| async move {
        match &event.payload {
            EventPayload::WithdrawalRequested {
                withdrawal_id,
                user_id,
                ..
            } => process(app, user_id, withdrawal_id, now).await.map(|_| ()),
            EventPayload::CardRefundRequested {
                dispute_id,
                client_id,
                ..
            } => super::card_refunds::process(app, client_id, dispute_id, now)
                .await
                .map(|_| ()),
            _ => Ok(()),
        }
    })
    .await
}

/// Where one delivery left the withdrawal.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Paid,
    Returned,
    /// Paid or returned before this delivery: nothing was done.
    AlreadySettled,
}

fn broken(err: impl std::fmt::Display) -> WorkerError {
    WorkerError::Retryable(err.to_string())
}

/// Moves the withdrawal forward until it is settled. A lost race (another delivery moved it
/// first) means read it again and continue from where it is now.
pub async fn process(
    app: &App,
    user: &UserId,
    id: &WithdrawalId,
    now: DateTime<Utc>,
) -> Result<Outcome, WorkerError> {
    let mut settled_here = None;
    for _ in 0..8 {
        let Some(current) = app.store.withdrawal(user, id).await? else {
            return Err(WorkerError::Poison(format!("no withdrawal {id} of {user}")));
        };
        if current.is_settled() {
            return Ok(settled_here.unwrap_or(Outcome::AlreadySettled));
        }
        let (tx, outcome) = next_step(app, &current, now).await?;
        match app.store.transact(tx).await {
            Ok(()) => settled_here = outcome,
            Err(TxError::ConditionFailed { .. }) => {}
            Err(TxError::Store(err)) => return Err(err.into()),
        }
    }
    Err(WorkerError::Retryable(format!(
        "withdrawal {id} kept changing under the worker"
    )))
}

/// The transaction that takes `current` one step further, and the settlement it makes.
async fn next_step(
    app: &App,
    current: &Withdrawal,
    now: DateTime<Utc>,
) -> Result<(Tx, Option<Outcome>), WorkerError> {
    if current.state == WithdrawalState::Requested {
        let next = current.start_processing(now).map_err(broken)?;
        return Ok((processing_tx(current, &next), None));
    }
    let payout = app
        .payments()
        .payout(
            &current.target.processor_token,
            current.net,
            &current.payout_key(),
        )
        .await;
    let failure = match payout {
        Ok(payout) => {
            let paid = current.pay(payout.id, now).map_err(broken)?;
            let tx = paid_tx(current, &paid, now).map_err(broken)?;
            return Ok((tx, Some(Outcome::Paid)));
        }
        // Nothing was decided: the message comes back, and after its last attempt waits in
        // the DLQ (alarmed) with the money still in flight, never lost.
        Err(PaymentError::Unavailable) => {
            return Err(WorkerError::Retryable("payments are unavailable".into()))
        }
        Err(PaymentError::Declined { code, message }) => PayoutFailure {
            code: code.as_str().to_string(),
            message,
        },
        Err(PaymentError::Invalid(message)) => PayoutFailure {
            code: "payout_method_invalid".into(),
            message,
        },
    };
    let returned = current.fail_and_return(failure, now).map_err(broken)?;
    let tx = returned_tx(current, &returned, now).map_err(broken)?;
    Ok((tx, Some(Outcome::Returned)))
}
