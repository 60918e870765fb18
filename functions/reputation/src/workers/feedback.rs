//! The feedback window's close (§11.2) and reputation recomputation (§11.3).

use chrono::{DateTime, Utc};
use worklane::domain::ids::UserId;
use worklane::domain::reputation::reputation;
use worklane::store::feedback::{reveal_tx, FeedbackRecord, REVEAL_DUE};
use worklane::store::{from_item, StoreError};
use worklane::worker::ScheduleSummary;
use worklane::App;

/// `feedback-reveal`: hidden feedback whose 14-day window closed at `time` is revealed (the
/// other side left none). Conditioned on still being hidden, so re-runs reveal nothing twice.
pub async fn reveal_due(app: &App, time: DateTime<Utc>) -> Result<ScheduleSummary, StoreError> {
    worklane::worker::sweep(app, REVEAL_DUE, time, |_, item| async move {
        let record = from_item::<FeedbackRecord>(item)?;
        if record.feedback.revealed_at.is_some() || record.window_closes_at > time {
            return Ok(None);
        }
        Ok(Some(reveal_tx(&record, time)))
    })
    .await
}

/// Recomputes a freelancer's Job Success Score and badges from their ended contracts, as of
/// `at` (the event's time, so a redelivery computes the same).
pub async fn recompute_reputation(
    app: &App,
    freelancer: &UserId,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (contracts, active) = app.store.reputation_inputs(freelancer).await?;
    let computed = reputation(&contracts, active, at);
    app.store.put_reputation(freelancer, &computed).await
}
