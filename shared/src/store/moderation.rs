//! Content reports in the table (docs/trust-and-safety.md, docs/data-model.md).
//!
//! - A report is one item, `CONTENTREPORT#<rpt>`, written whole and conditioned on the
//!   version it was based on; a decision is also conditioned on it still being `open`, so two
//!   admins cannot both decide it.
//! - While open it carries `gsi1pk = CONTENTREPORTS#OPEN#<kind>` and `gsi2pk =
//!   CONTENTREPORTS#OPEN`, both sorted `<filed ms>#<rpt>`: the admins' queues (one kind, or
//!   all) are those sparse partitions, oldest first, never a scan.
//! - Filing also creates the reporter's guard, `USER#<usr>` / `CONTENTREPORT#<content>`,
//!   only if absent: one report per reporter per piece of content, under races too. The guard
//!   names the report and sits in gsi1 under `USER#<usr>#CONTENTREPORTS`, the reporter's list.
//! - What a decision does to the content (a job closed, a message hidden, a proposal
//!   withdrawn, an account suspended) is written in the decision's own transaction.

use super::keys::{self, as_key};
use super::proposals::ProposalRecord;
use super::{from_item, Cond, Item, Label, Store, StoreError, Tx};
use crate::domain::events::{DomainEvent, EventPayload};
use crate::domain::ids::{ContentReportId, UserId};
use crate::domain::job::Job;
use crate::domain::moderation::{ContentKind, ContentRef, ContentReport, ReportStatus};
use crate::domain::proposal::Proposal;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Labels of the operations whose conditions can fail, for the handlers' error mapping.
pub const REPORT_LABEL: Label = Label::ContentReport;
pub const GUARD_LABEL: Label = Label::ReportGuard;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ReportItem {
    pk: String,
    sk: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi2pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi2sk: Option<String>,
    #[serde(flatten)]
    report: ContentReport,
}

fn filed_order(report: &ContentReport) -> String {
    format!(
        "{:015}#{}",
        report.filed_at.timestamp_millis().max(0),
        report.id
    )
}

impl ReportItem {
    fn new(report: &ContentReport) -> Self {
        let (pk, sk) = keys::content_report(&report.id);
        let open = report.status == ReportStatus::Open;
        let queue = |kind| open.then(|| keys::open_content_reports(kind));
        let order = open.then(|| filed_order(report));
        Self {
            pk,
            sk,
            gsi1pk: queue(Some(report.content.kind())),
            gsi1sk: order.clone(),
            gsi2pk: queue(None),
            gsi2sk: order,
            report: report.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct GuardItem {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    report_id: ContentReportId,
}

fn version_is(version: u64) -> Cond {
    Cond::new("#version = :version")
        .name("#version", "version")
        .value(":version", version)
}

/// A new report and its reporter's guard, each only if absent (labels `content_report`,
/// `report_guard`: the latter failing means the reporter reported this content before).
pub fn file_tx(report: &ContentReport) -> Tx {
    let (pk, sk) = keys::content_report_guard(&report.reporter_id, &report.content);
    let guard = GuardItem {
        pk,
        sk,
        gsi1pk: keys::reporter_reports(&report.reporter_id),
        gsi1sk: filed_order(report),
        report_id: report.id.clone(),
    };
    Tx::new()
        .put(REPORT_LABEL, &ReportItem::new(report), Some(Cond::absent()))
        .put(GUARD_LABEL, &guard, Some(Cond::absent()))
}

/// An admin's decision on the open report `previous`, conditioned on it still being the open
/// version that was read; the content's changes go into the same `tx`.
pub fn decide_op(tx: Tx, next: &ContentReport, previous: &ContentReport) -> Tx {
    let still_open = version_is(previous.version).and(
        Cond::new("#status = :open")
            .name("#status", "status")
            .value(":open", ReportStatus::Open),
    );
    tx.put(REPORT_LABEL, &ReportItem::new(next), Some(still_open))
}

/// Takes down a reported job: closed as removed (conditioned on the version read, and when
/// it refunds, on nobody having been hired meanwhile, as a cancellation is), its attachments
/// private again, and `JobClosed` — whose consumers refund the applicants once each and drop
/// the job from search.
pub fn remove_job_op(tx: Tx, removed: &Job, read_version: u64, now: DateTime<Utc>) -> Tx {
    let not_hired = removed
        .refunds_connects()
        .then(|| Cond::new("attribute_not_exists(hired_at)"));
    let tx = Store::job_update_op(tx, removed, read_version, not_hired);
    let tx = removed.attachments.iter().fold(tx, |tx, file| {
        super::files::publish_file_op(
            tx,
            file,
            &removed.client_id,
            false,
            crate::domain::file::FilePurpose::Attachment,
        )
    });
    tx.emit(&DomainEvent::new(
        EventPayload::JobClosed {
            job_id: removed.id.clone(),
            client_id: removed.client_id.clone(),
            reason: crate::domain::job::CloseReason::Removed,
            refund_connects: removed.refunds_connects(),
        },
        now,
    ))
}

/// Takes down a reported proposal (`Proposal::remove`), if nobody changed it since it was read.
pub fn remove_proposal_op(tx: Tx, removed: &Proposal, read_version: u64) -> Tx {
    tx.put(
        Label::Proposal,
        &ProposalRecord::new(removed.clone()),
        Some(version_is(read_version)),
    )
}

impl Store {
    pub async fn content_report(
        &self,
        id: &ContentReportId,
    ) -> Result<Option<ContentReport>, StoreError> {
        Ok(self
            .get::<ReportItem>(&as_key(keys::content_report(id)))
            .await?
            .map(|item| item.report))
    }

    /// The report `reporter` filed about `content`, if any.
    pub async fn report_by(
        &self,
        reporter: &UserId,
        content: &ContentRef,
    ) -> Result<Option<ContentReport>, StoreError> {
        let guard = self
            .get::<GuardItem>(&as_key(keys::content_report_guard(reporter, content)))
            .await?;
        match guard {
            Some(guard) => self.content_report(&guard.report_id).await,
            None => Ok(None),
        }
    }

    /// One page of the open reports of `kind` (every kind: `None`), oldest first.
    pub async fn open_reports(
        &self,
        kind: Option<ContentKind>,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<ContentReport>, Option<Item>), StoreError> {
        let index = if kind.is_some() { "gsi1" } else { "gsi2" };
        let (items, next) = self
            .query_prefix(
                Some(index),
                &keys::open_content_reports(kind),
                "",
                false,
                limit,
                start,
            )
            .await?;
        let reports = items
            .into_iter()
            .map(|item| from_item::<ReportItem>(item).map(|i| i.report))
            .collect::<Result<_, _>>()?;
        Ok((reports, next))
    }

    /// One page of the reports `reporter` filed, newest first.
    pub async fn reports_by(
        &self,
        reporter: &UserId,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<ContentReport>, Option<Item>), StoreError> {
        let (items, next) = self
            .query_prefix(
                Some("gsi1"),
                &keys::reporter_reports(reporter),
                "",
                true,
                limit,
                start,
            )
            .await?;
        let keys: Vec<Item> = items
            .into_iter()
            .map(|item| {
                from_item::<GuardItem>(item).map(|g| as_key(keys::content_report(&g.report_id)))
            })
            .collect::<Result<_, _>>()?;
        let reports = self
            .get_many(&keys)
            .await?
            .into_iter()
            .flatten()
            .map(|item| from_item::<ReportItem>(item).map(|i| i.report))
            .collect::<Result<_, _>>()?;
        Ok((reports, next))
    }
}
