//! `dispute-deadlines`: disputes nobody answered by their deadline are settled for the side
//! that opened them (§13.2) — a refund request refunds, a freelancer's dispute releases, an
//! hourly dispute refunds all but the protected hours. Reads only the sparse
//! `DUE#dispute-deadline` index; each settlement is conditioned on the dispute's version, so a
//! re-run, or an answer or an admin landing first, settles nothing twice.

use chrono::{DateTime, Utc};
use worklane::store::disputes::{settle_tx, DisputeRecord, DEADLINE_DUE};
use worklane::store::{from_item, StoreError};
use worklane::worker::ScheduleSummary;
use worklane::App;

pub async fn deadlines(app: &App, time: DateTime<Utc>) -> Result<ScheduleSummary, StoreError> {
    worklane::worker::sweep(app, DEADLINE_DUE, time, |app, item| async move {
        let before = from_item::<DisputeRecord>(item)?.dispute;
        // The index may lag the table; the domain decides from the dispute itself.
        let Ok((after, settlement)) = before.lapse(time) else {
            return Ok(None);
        };
        let view = app.store.settlement_view(&before).await?;
        settle_tx(&before, &after, &settlement, &view, time).map(Some)
    })
    .await
}
