//! The two escrow schedules. Both read a sparse `due` index (cost grows with what is due, not
//! with the table), take their time from the event, and re-check every item with a
//! conditional write, so a re-run, a late run or a race with a client's decision moves money
//! at most once.

use crate::domain::fees::FeeCatalogue;
use crate::functions::ScheduleSummary;
use crate::store::escrow::{make_available_tx, release_tx, AvailabilityRecord, AVAILABILITY_DUE};
use crate::store::milestones::{MilestoneRecord, AUTO_RELEASE_DUE};
use crate::store::{from_item, Item, StoreError, Tx, TxError};
use crate::App;
use chrono::{DateTime, Utc};

const PAGE: i32 = 100;

/// Releases every submitted milestone whose 14 days are over at `time` (§7.4).
pub async fn auto_release(app: &App, time: DateTime<Utc>) -> Result<ScheduleSummary, StoreError> {
    sweep(app, AUTO_RELEASE_DUE, time, |app, item| async move {
        let before = from_item::<MilestoneRecord>(item)?.milestone;
        // The index may lag the table; the domain decides from the milestone itself.
        let Ok((after, payout)) = before.auto_release(time) else {
            return Ok(None);
        };
        let Some(hold) = crate::store::escrow::hold_of(&before) else {
            return Ok(None);
        };
        let schedule = FeeCatalogue::locked(&before.fee_schedule)
            .ok_or_else(|| StoreError::Corrupt(format!("fee schedule {}", before.fee_schedule)))?;
        let lifetime = app
            .store
            .lifetime_billed(&before.client_id, &before.freelancer_id)
            .await?;
        let (tx, _) = release_tx(
            &before, &after, &payout, &hold, &schedule, &lifetime, true, time,
        )
        .map_err(|err| StoreError::Corrupt(err.to_string()))?;
        Ok(Some(tx))
    })
    .await
}

/// Makes released earnings available once their security period is over (§9.3).
pub async fn earnings_availability(
    app: &App,
    time: DateTime<Utc>,
) -> Result<ScheduleSummary, StoreError> {
    sweep(app, AVAILABILITY_DUE, time, |_, item| async move {
        let record = from_item::<AvailabilityRecord>(item)?;
        if record.available_at > time {
            return Ok(None);
        }
        make_available_tx(&record, time)
            .map(Some)
            .map_err(|err| StoreError::Corrupt(err.to_string()))
    })
    .await
}

/// Walks a due partition up to `time`; `build` turns an item into its transaction (or `None`
/// when it is not due after all). A failed condition means someone got there first: skipped.
pub(crate) async fn sweep<'a, F, Fut>(
    app: &'a App,
    partition: &str,
    time: DateTime<Utc>,
    build: F,
) -> Result<ScheduleSummary, StoreError>
where
    F: Fn(&'a App, Item) -> Fut,
    Fut: std::future::Future<Output = Result<Option<Tx>, StoreError>>,
{
    let mut summary = ScheduleSummary::default();
    let mut start = None;
    loop {
        let (items, next) = app.store.due(partition, time, PAGE, start).await?;
        for item in items {
            summary.examined += 1;
            let Some(tx) = build(app, item).await? else {
                summary.skipped += 1;
                continue;
            };
            match app.store.transact(tx).await {
                Ok(()) => summary.applied += 1,
                Err(TxError::ConditionFailed { .. }) => summary.skipped += 1,
                Err(TxError::Store(err)) => return Err(err),
            }
        }
        match next {
            Some(key) => start = Some(key),
            None => return Ok(summary),
        }
    }
}
