//! Marketplace reactions to domain events: when a client cancels a job before hiring (or an
//! admin removes it on a report), every applicant gets their Connects back (§4.3); a
//! suspension withdraws the account's open proposals and takes its profile out of search (a
//! reinstatement lists it again); when a contract ends or a client's feedback is
//! revealed, or a dispute is settled, the freelancer's reputation is recomputed (§11.3). Each refund is its own transaction with a
//! once-only entry, so a redelivered event or a retry after a crash refunds nobody twice.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Utc};
use worklane::domain::events::{DomainEvent, EventPayload};
use worklane::domain::ids::JobId;
use worklane::domain::job::CloseReason;
use worklane::worker::WorkerError;
use worklane::App;

pub async fn handle(app: &App, event: SqsEvent, _now: DateTime<Utc>) -> SqsBatchResponse {
    worklane::worker::each_event(event, "marketplace", |event| process(app, event)).await
}

async fn process(app: &App, event: DomainEvent) -> Result<(), WorkerError> {
    match &event.payload {
        EventPayload::JobClosed {
            job_id,
            reason,
            refund_connects: true,
            ..
        } => refund_applicants(app, job_id, *reason, event.occurred_at)
            .await
            .map(|_| ()),
        // A contract's end and a revealed client feedback change the freelancer's Job
        // Success Score and badges (§11.3).
        EventPayload::ContractChanged {
            freelancer_id,
            state: worklane::domain::contract::ContractState::Ended,
            ..
        } => Ok(
            worklane_reputation::workers::feedback::recompute_reputation(
                app,
                freelancer_id,
                event.occurred_at,
            )
            .await?,
        ),
        EventPayload::FeedbackRevealed {
            to,
            from_side: worklane::domain::offer::Side::Client,
            ..
        } => Ok(
            worklane_reputation::workers::feedback::recompute_reputation(
                app,
                to,
                event.occurred_at,
            )
            .await?,
        ),
        // A dispute decided against the freelancer is a negative outcome.
        EventPayload::DisputeResolved { freelancer_id, .. } => Ok(
            worklane_reputation::workers::feedback::recompute_reputation(
                app,
                freelancer_id,
                event.occurred_at,
            )
            .await?,
        ),
        EventPayload::AccountSuspended { user_id }
        | EventPayload::AccountReinstated { user_id } => {
            super::standing::apply_standing(app, user_id, event.occurred_at).await
        }
        _ => Ok(()),
    }
}

/// Refunds every proposal of the job, page by page; returns how many were refunded now.
pub async fn refund_applicants(
    app: &App,
    job: &JobId,
    reason: CloseReason,
    cancelled_at: DateTime<Utc>,
) -> Result<u64, WorkerError> {
    let mut refunded = 0;
    let mut start = None;
    loop {
        let (proposals, next) = app.store.job_proposals(job, 100, start).await?;
        for proposal in &proposals {
            if app
                .store
                .refund_proposal_connects(proposal, reason, cancelled_at)
                .await?
            {
                refunded += 1;
            }
        }
        match next {
            Some(key) => start = Some(key),
            None => return Ok(refunded),
        }
    }
}
