//! The two escrow schedules. Both read a sparse `due` index (cost grows with what is due, not
//! with the table), take their time from the event, and re-check every item with a
//! conditional write, so a re-run, a late run or a race with a client's decision moves money
//! at most once.

use chrono::{DateTime, Utc};
use worklane::domain::fees::FeeCatalogue;
use worklane::store::escrow::{
    make_available_tx, release_tx, AvailabilityRecord, AVAILABILITY_DUE,
};
use worklane::store::milestones::{MilestoneRecord, AUTO_RELEASE_DUE};
use worklane::store::{from_item, StoreError};
use worklane::worker::{sweep, ScheduleSummary};
use worklane::App;

/// Releases every submitted milestone whose 14 days are over at `time` (§7.4).
pub async fn auto_release(app: &App, time: DateTime<Utc>) -> Result<ScheduleSummary, StoreError> {
    sweep(app, AUTO_RELEASE_DUE, time, |app, item| async move {
        let before = from_item::<MilestoneRecord>(item)?.milestone;
        // The index may lag the table; the domain decides from the milestone itself.
        let Ok((after, payout)) = before.auto_release(time) else {
            return Ok(None);
        };
        let Some(hold) = worklane::store::escrow::hold_of(&before) else {
            return Ok(None);
        };
        let schedule = FeeCatalogue::locked(&before.fee_schedule)
            .ok_or_else(|| StoreError::Corrupt(format!("fee schedule {}", before.fee_schedule)))?;
        let lifetime = app
            .store
            .lifetime_billed(&before.client_id, &before.freelancer_id)
            .await?;
        let release = worklane::domain::payment::Release::of(&before, payout, &schedule);
        let (tx, _) = release_tx(
            &before,
            &after,
            &release,
            &hold,
            &schedule,
            &lifetime,
            true,
            time,
            worklane::store::ledger::Movement::new(),
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
