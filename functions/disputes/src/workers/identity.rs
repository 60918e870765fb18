//! `identity-retention` (daily): deletes the documents of identity submissions decided more
//! than the retention period ago (`domain::identity::DOCUMENT_RETENTION`). It reads the sparse
//! `due` partition of purge items, so it costs what is due, never a scan; the status and the
//! decision stay, the objects and their file records go.
//!
//! Objects are deleted before the records: a run that stops in between leaves the purge item
//! in the index, and the next run deletes again (S3 deletes are idempotent), whereas records
//! deleted first could strand objects nothing points at any more.

use chrono::{DateTime, Utc};
use worklane::domain::file::FilePurpose;
use worklane::store::files::FileBlobs;
use worklane::store::identity::{purged_tx, PurgeRecord, RETENTION_DUE};
use worklane::store::{from_item, StoreError};
use worklane::worker::ScheduleSummary;
use worklane::App;

pub async fn delete_expired_documents(
    app: &App,
    time: DateTime<Utc>,
) -> Result<ScheduleSummary, StoreError> {
    worklane::worker::sweep(app, RETENTION_DUE, time, |app, item| async move {
        let record = from_item::<PurgeRecord>(item)?;
        // The index may lag the table; the purge item itself decides.
        if !record.purge.is_due(time) {
            return Ok(None);
        }
        let current = app.store.identity(&record.purge.user_id).await?;
        let doomed = record.purge.files_to_delete(current.as_ref());
        let blobs = FileBlobs::new(app.s3(), app.bucket()?);
        let mut deleted = Vec::with_capacity(doomed.len());
        for (id, file) in doomed.iter().zip(app.store.files(&doomed).await?) {
            match file {
                // Gone already (an earlier run deleted the object, then the record).
                None => deleted.push(id.clone()),
                // Only what the purge was written for: the user's own identity documents.
                Some(file)
                    if file.owner_id == record.purge.user_id
                        && file.purpose == FilePurpose::Identity =>
                {
                    blobs.delete(&file).await?;
                    deleted.push(id.clone());
                }
                Some(_) => {}
            }
        }
        Ok(Some(purged_tx(&record, &deleted, current.as_ref(), time)))
    })
    .await
}
