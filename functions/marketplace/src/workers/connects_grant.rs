//! The monthly Connects allowance (§4.2, docs/plans.md): on the first of each month every
//! freelancer gets their plan's allowance — Basic's 10, or Plus's 100 under its rollover cap
//! when Plus is paid for the month. A Plus member whose month is not paid yet (the renewal
//! is due or being retried) is left to `plan-renewals`, which grants Plus's Connects with the
//! charge or Basic's with the downgrade. The month comes from the schedule's event time; the
//! grant's entry key is derived from (month, freelancer) whoever grants, so a re-run, a retry,
//! a late run or a renewal that got there first grants nothing twice, and a freelancer who
//! signed up this month (and got the allowance then) is skipped.

use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt};
use worklane::domain::connects::month_start;
use worklane::domain::plan::{PlanCatalogue, PlanId, PlanSchedule};
use worklane::store::connects::{plan_grant_op, BalanceRecord};
use worklane::store::keys::FREELANCER_SHARDS;
use worklane::store::{StoreError, Tx, TxError};
use worklane::worker::ScheduleSummary;
use worklane::App;

/// Grants in flight at once: enough to hide round-trip latency, few enough not to throttle.
const CONCURRENCY: usize = 16;

pub async fn run(app: &App, time: DateTime<Utc>) -> Result<ScheduleSummary, StoreError> {
    let catalogue = PlanCatalogue::standard();
    let schedule = catalogue.in_force(month_start(time));
    let mut summary = ScheduleSummary::default();
    for shard in 0..FREELANCER_SHARDS {
        let mut start = None;
        loop {
            let (balances, next) = app.store.freelancer_balances(shard, 200, start).await?;
            let outcomes: Vec<Result<bool, StoreError>> = stream::iter(balances)
                .map(|balance| grant(app, schedule, balance, time))
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

async fn grant(
    app: &App,
    schedule: &PlanSchedule,
    balance: BalanceRecord,
    time: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let freelancer = &balance.freelancer_id;
    let month = month_start(time);
    let subscription = app.store.subscription(freelancer).await?;
    let (connects, note) = match subscription {
        Some(s) if s.plus_paid_for(month) => (schedule.plus.grant_for(balance.balance), " (Plus)"),
        Some(s) if s.plan == PlanId::Plus => return Ok(false),
        _ => (schedule.basic.grant_for(balance.balance), ""),
    };
    match app
        .store
        .transact(plan_grant_op(Tx::new(), freelancer, time, connects, note))
        .await
    {
        Ok(()) => Ok(true),
        Err(TxError::ConditionFailed { .. }) => Ok(false),
        Err(TxError::Store(err)) => Err(err),
    }
}
