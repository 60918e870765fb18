//! What a suspension does to a user's marketplace presence and what a reinstatement undoes
//! (docs/trust-and-safety.md): open proposals are withdrawn — not given back on
//! reinstatement, the jobs moved on meanwhile — and the freelancer profile leaves search and
//! returns. The account is re-read, so a late or repeated event applies the account's
//! current standing rather than the event's.

use chrono::{DateTime, Utc};
use worklane::domain::ids::UserId;
use worklane::store::profiles::ProfileError;
use worklane::store::proposals::ProposalStoreError;
use worklane::worker::WorkerError;
use worklane::App;

pub async fn apply_standing(
    app: &App,
    user_id: &UserId,
    now: DateTime<Utc>,
) -> Result<(), WorkerError> {
    let Some(user) = app.store.user(user_id).await? else {
        return Ok(());
    };
    let suspended = user.standing.is_suspended();
    if suspended {
        withdraw_open_proposals(app, user_id, now).await?;
    }
    app.store
        .list_freelancer_in_search(user_id, !suspended)
        .await
        .map_err(|err| match err {
            ProfileError::Store(err) => err.into(),
            // The profile moved under us (or a file changed): the redelivery reads it again.
            other => WorkerError::Retryable(other.to_string()),
        })
}

/// Withdraws every proposal still open, page by page; withdrawn ones are skipped, so a
/// redelivery finishes what a crash left.
async fn withdraw_open_proposals(
    app: &App,
    freelancer: &UserId,
    now: DateTime<Utc>,
) -> Result<(), WorkerError> {
    let mut start = None;
    loop {
        let (proposals, next) = app
            .store
            .freelancer_proposals(freelancer, 100, start)
            .await?;
        for proposal in proposals.iter().filter(|p| p.is_open()) {
            let Ok(withdrawn) = proposal.withdraw(now) else {
                continue;
            };
            match app.store.save_proposal(&withdrawn, proposal.version).await {
                Ok(()) => {}
                Err(ProposalStoreError::Store(err)) => return Err(err.into()),
                Err(other) => return Err(WorkerError::Retryable(other.to_string())),
            }
        }
        match next {
            Some(key) => start = Some(key),
            None => return Ok(()),
        }
    }
}
