//! The monthly Connects allowance (§4.2): on the first of each month every freelancer gets
//! `MONTHLY_GRANT`. The month comes from the schedule's event time; the grant's entry key is
//! derived from (month, freelancer), so a re-run, a retry or a late run grants nothing twice,
//! and a freelancer who signed up this month (and got the allowance then) is skipped.

use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt};
use worklane::domain::ids::UserId;
use worklane::store::connects::monthly_grant_op;
use worklane::store::keys::FREELANCER_SHARDS;
use worklane::store::{StoreError, Tx, TxError};
use worklane::worker::ScheduleSummary;
use worklane::App;

/// Grants in flight at once: enough to hide round-trip latency, few enough not to throttle.
const CONCURRENCY: usize = 16;

pub async fn run(app: &App, time: DateTime<Utc>) -> Result<ScheduleSummary, StoreError> {
    let mut summary = ScheduleSummary::default();
    for shard in 0..FREELANCER_SHARDS {
        let mut start = None;
        loop {
            let (balances, next) = app.store.freelancer_balances(shard, 200, start).await?;
            let outcomes: Vec<Result<bool, StoreError>> = stream::iter(balances)
                .map(|balance| grant(app, balance.freelancer_id, time))
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
            for outcome in outcomes {
                summary.examined += 1;
                if outcome? {
                    summary.applied += 1;
                } else {
                    summary.skipped += 1;
                }
            }
            match next {
                Some(key) => start = Some(key),
                None => break,
            }
        }
    }
    Ok(summary)
}

async fn grant(app: &App, freelancer: UserId, time: DateTime<Utc>) -> Result<bool, StoreError> {
    match app
        .store
        .transact(monthly_grant_op(Tx::new(), &freelancer, time))
        .await
    {
        Ok(()) => Ok(true),
        Err(TxError::ConditionFailed { .. }) => Ok(false),
        Err(TxError::Store(err)) => Err(err),
    }
}
