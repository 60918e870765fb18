//! Content reports (docs/trust-and-safety.md), routes of the `moderation` function: any
//! signed-in user reports a job, a freelancer profile, a message or a proposal they can see;
//! admins work the open reports oldest first (all kinds, or one) and decide each once —
//! dismiss, remove the content, warn its owner, suspend its owner — in one transaction with
//! its audit entry. (The `reports` function of this area is PRODUCT §14's earnings reports;
//! nothing in common.)

use super::moderation::AdminReason;
use chrono::{DateTime, Utc};
use http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use worklane::domain::account::Role;
use worklane::domain::audit::admin_reason;
use worklane::domain::events::{DomainEvent, EventPayload};
use worklane::domain::ids::{ContentReportId, UserId};
use worklane::domain::job::{CloseReason, Visibility};
use worklane::domain::moderation::{
    check_details, ContentKind, ContentRef, ContentReport, ContentSnapshot, Decision, Found,
    ModerationAction, ReportReason, ReportStatus, DETAILS,
};
use worklane::handler;
use worklane::http::auth::Caller;
use worklane::http::cursor::Page;
use worklane::http::handler::{caller_with, commit_answer, retry_stale};
use worklane::http::query::{QueryKind, QueryParam, CURSOR};
use worklane::http::router::{bearer_routes, schema_of, Route, SchemaFn};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::store::accounts::suspend_tx;
use worklane::store::audit::record;
use worklane::store::messages::remove_message_op;
use worklane::store::moderation::{
    decide_op, file_tx, remove_job_op, remove_proposal_op, GUARD_LABEL, REPORT_LABEL,
};
use worklane::store::{Label, Tx, TxError, WriteConflict};
use worklane::App;

const PAGE: QueryParam = QueryParam::limit(20, 100);
const KIND: QueryParam = QueryParam::optional(
    "kind",
    QueryKind::OneOf(&["job", "profile", "message", "proposal"]),
    "Only the reports of this kind of content; absent: every kind, oldest first",
);

pub fn routes() -> Vec<Route> {
    let route = bearer_routes("moderation");
    let review = Some(schema_of::<ReviewView> as SchemaFn);
    let decision = Some(schema_of::<AdminReason> as SchemaFn);
    vec![
        route(Method::POST, "/v1/content-reports", "reportContent",
            "Report a job, a freelancer profile, a message of one of your rooms or a proposal to your job, with a reason; reporting the same content again answers the first report (200)",
            Some(schema_of::<ReportRequest>), Some(schema_of::<ReportView>), 201, handler!(report_content)),
        route(Method::GET, "/v1/me/content-reports", "listMyContentReports",
            "The reports the caller filed, newest first, with where each stands",
            None, Some(schema_of::<Page<ReportView>>), 200, handler!(my_reports))
            .with_query(&[PAGE, CURSOR]),
        route(Method::GET, "/v1/admin/content-reports", "listContentReports",
            "Admin: the open reports, oldest first, of every kind or of one",
            None, Some(schema_of::<Page<ReviewSummary>>), 200, handler!(open_reports))
            .with_query(&[KIND, PAGE, CURSOR]),
        route(Method::GET, "/v1/admin/content-reports/{id}", "getContentReport",
            "Admin: one report with the reported content as it was when reported",
            None, review, 200, handler!(get_report)),
        route(Method::POST, "/v1/admin/content-reports/{id}/dismiss", "dismissContentReport",
            "Admin: close the report without action",
            decision, review, 200, handler!(dismiss)),
        route(Method::POST, "/v1/admin/content-reports/{id}/remove", "removeReportedContent",
            "Admin: take the content down (a job closes and its applicants' Connects come back, a message is replaced by a notice, a proposal is withdrawn and hidden from the client); profiles cannot be removed (422)",
            decision, review, 200, handler!(remove)),
        route(Method::POST, "/v1/admin/content-reports/{id}/warn", "warnContentOwner",
            "Admin: warn the content's owner; they get a notification with the note",
            decision, review, 200, handler!(warn)),
        route(Method::POST, "/v1/admin/content-reports/{id}/suspend", "suspendContentOwner",
            "Admin: suspend the content's owner's account",
            decision, review, 200, handler!(suspend)),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    pub content: ContentRef,
    pub reason: ReportReason,
    /// What is wrong, in the reporter's words; required with reason `other`.
    #[serde(default)]
    #[schemars(transform = DETAILS.schema())]
    pub details: Option<String>,
}

/// A report as its reporter sees it: where it stands, not who decided or how.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ReportView {
    pub id: ContentReportId,
    pub content: ContentRef,
    pub reason: ReportReason,
    pub details: Option<String>,
    pub status: ReportStatus,
    pub filed_at: DateTime<Utc>,
}

impl From<&ContentReport> for ReportView {
    fn from(report: &ContentReport) -> Self {
        Self {
            id: report.id.clone(),
            content: report.content.clone(),
            reason: report.reason,
            details: report.details.clone(),
            status: report.status,
            filed_at: report.filed_at,
        }
    }
}

/// An open report in the admins' queue.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ReviewSummary {
    pub id: ContentReportId,
    pub kind: ContentKind,
    pub content: ContentRef,
    pub reason: ReportReason,
    pub reporter_id: UserId,
    pub owner_id: UserId,
    pub filed_at: DateTime<Utc>,
}

/// A report as an admin reviews it: who reported whose content, the content as it was when
/// reported, and the decision once there is one.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ReviewView {
    pub id: ContentReportId,
    pub kind: ContentKind,
    pub content: ContentRef,
    pub reason: ReportReason,
    pub details: Option<String>,
    pub status: ReportStatus,
    pub reporter_id: UserId,
    pub owner_id: UserId,
    pub filed_at: DateTime<Utc>,
    pub snapshot: ContentSnapshot,
    pub decision: Option<Decision>,
}

impl From<&ContentReport> for ReviewView {
    fn from(report: &ContentReport) -> Self {
        Self {
            id: report.id.clone(),
            kind: report.content.kind(),
            content: report.content.clone(),
            reason: report.reason,
            details: report.details.clone(),
            status: report.status,
            reporter_id: report.reporter_id.clone(),
            owner_id: report.owner_id.clone(),
            filed_at: report.filed_at,
            snapshot: report.snapshot.clone(),
            decision: report.decision.clone(),
        }
    }
}

/// The content a report names, as the store has it (`None`: no such content).
async fn find(
    app: &App,
    content: &ContentRef,
    reporter: &UserId,
) -> Result<Option<Found>, ApiError> {
    Ok(match content {
        ContentRef::Job { job_id } => match app.store.job(job_id).await? {
            Some(job) => {
                // Only an invite-only job someone else posted needs the invitation read.
                let invited = &job.client_id != reporter
                    && job.visibility == Visibility::InviteOnly
                    && app.store.is_invited(job_id, reporter).await?;
                Some(Found::Job { job, invited })
            }
            None => None,
        },
        ContentRef::Profile { user_id } => {
            let (profile, account) = app.store.freelancer_page(user_id).await?;
            profile.map(|profile| Found::Profile {
                profile,
                suspended: account.is_some_and(|a| a.standing.is_suspended()),
            })
        }
        ContentRef::Message {
            room_id,
            message_id,
        } => match app.store.room_header(room_id).await? {
            Some(header) => app
                .store
                .message(room_id, message_id)
                .await?
                .map(|message| Found::Message {
                    room: header.room,
                    message,
                }),
            None => None,
        },
        ContentRef::Proposal { proposal_id } => app
            .store
            .proposal(proposal_id)
            .await?
            .map(|proposal| Found::Proposal { proposal }),
    })
}

pub async fn report_content(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    caller.require_confirmed()?;
    let body: ReportRequest = req.json()?;
    // Bad input is refused as such, even where a repeat would answer the first report.
    let details = check_details(body.reason, body.details.as_deref())?;
    let first = || async {
        let first = app.store.report_by(&caller.user_id, &body.content).await?;
        Ok::<_, ApiError>(first.map(|report| ApiResponse::ok(&ReportView::from(&report))))
    };
    if let Some(answer) = first().await? {
        return Ok(answer);
    }
    // Content the reporter cannot see is refused as if it did not exist: ids reveal nothing.
    let snapshot = find(app, &body.content, &caller.user_id)
        .await?
        .and_then(|found| found.visible_to(&caller.user_id, req.now))
        .ok_or_else(|| {
            ApiError::missing_reference(
                "content_not_found",
                "content",
                "no such content that you can see",
            )
        })?;
    let report = ContentReport::file(
        ContentReportId::generate(req.now),
        &caller.user_id,
        body.content.clone(),
        snapshot,
        body.reason,
        details,
        req.now,
    )?;
    let response = ApiResponse::created(&ReportView::from(&report));
    match commit_answer(app, &req, file_tx(&report), response).await {
        Ok(response) => Ok(response),
        // The same reporter's parallel report of the same content landed first.
        Err(TxError::ConditionFailed {
            label: GUARD_LABEL, ..
        }) => first()
            .await?
            .ok_or_else(|| ApiError::Internal("a report guard without its report".into())),
        Err(TxError::ConditionFailed {
            label: Label::Idempotency,
            ..
        }) => Err(WriteConflict::IdempotencyInProgress.into()),
        Err(err) => Err(err.into()),
    }
}

pub async fn my_reports(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    let scope = format!("content-reports:{}", caller.user_id);
    let start = app.cursors()?.start_key(&scope, &req)?;
    let limit = PAGE.page_size(&req)?;
    let (reports, next) = app.store.reports_by(&caller.user_id, limit, start).await?;
    Ok(ApiResponse::ok(&Page {
        items: reports.iter().map(ReportView::from).collect::<Vec<_>>(),
        next_cursor: app.cursors()?.next(&scope, next.as_ref()),
    }))
}

pub async fn open_reports(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    caller_with(app, &req, Role::Admin)?;
    let kind = KIND.read(&req)?.and_then(ContentKind::parse);
    let limit = PAGE.page_size(&req)?;
    // A cursor belongs to its queue: one of another kind's would skip reports.
    let scope = format!(
        "content-reports:open:{}",
        kind.map_or("all", ContentKind::as_str)
    );
    let start = app.cursors()?.start_key(&scope, &req)?;
    let (reports, next) = app.store.open_reports(kind, limit, start).await?;
    let items: Vec<ReviewSummary> = reports
        .into_iter()
        .map(|r| ReviewSummary {
            kind: r.content.kind(),
            id: r.id,
            content: r.content,
            reason: r.reason,
            reporter_id: r.reporter_id,
            owner_id: r.owner_id,
            filed_at: r.filed_at,
        })
        .collect();
    Ok(ApiResponse::ok(&Page {
        items,
        next_cursor: app.cursors()?.next(&scope, next.as_ref()),
    }))
}

const NOT_FOUND: ApiError = ApiError::NotFound("content report");

async fn report_in_path(app: &App, req: &ApiRequest) -> Result<ContentReport, ApiError> {
    let id = ContentReportId::parse(req.path_param("id")?).ok_or(NOT_FOUND)?;
    app.store.content_report(&id).await?.ok_or(NOT_FOUND)
}

pub async fn get_report(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    caller_with(app, &req, Role::Admin)?;
    let report = report_in_path(app, &req).await?;
    Ok(ApiResponse::ok(&ReviewView::from(&report)))
}

pub async fn dismiss(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    decide(app, req, ModerationAction::Dismiss).await
}

pub async fn remove(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    decide(app, req, ModerationAction::Remove).await
}

pub async fn warn(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    decide(app, req, ModerationAction::Warn).await
}

pub async fn suspend(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    decide(app, req, ModerationAction::Suspend).await
}

/// Reads the open report, applies the admin's decision, and commits it with what it does to
/// the content or its owner and the audit entry, conditioned on the report (and the content,
/// or the owner's account) being as read: a lost race reads again, and finds the report
/// decided (409).
async fn decide(
    app: &App,
    req: ApiRequest,
    action: ModerationAction,
) -> Result<ApiResponse, ApiError> {
    let admin = caller_with(app, &req, Role::Admin)?;
    let body: AdminReason = req.json()?;
    // Checked before the report is read: a bad reason is 422 whatever the id names.
    let reason = admin_reason(&body.reason)?;
    retry_stale(|| async {
        let before = report_in_path(app, &req).await?;
        let after = before.decide(&admin.user_id, action, &reason, req.now)?;
        let entry = after
            .audit_entry()
            .ok_or_else(|| ApiError::Internal("a decided report without its decision".into()))?;
        let mut suspended = None;
        let tx = match action {
            ModerationAction::Dismiss => record(Tx::new(), &entry),
            ModerationAction::Remove => record(remove_content(app, &after, req.now).await?, &entry),
            ModerationAction::Warn => record(
                Tx::new().emit(&DomainEvent::new(
                    EventPayload::UserWarned {
                        report_id: after.id.clone(),
                        user_id: after.owner_id.clone(),
                        content: after.content.clone(),
                        reason: after.reason,
                        note: reason_of(&after),
                    },
                    req.now,
                )),
                &entry,
            ),
            // The foundation's suspension, with its audit entry, in the decision's transaction.
            ModerationAction::Suspend => {
                let owner = app
                    .store
                    .user(&after.owner_id)
                    .await?
                    .ok_or(ApiError::NotFound("account"))?;
                let standing = owner.standing.suspend(
                    &admin.user_id,
                    &owner.id,
                    &reason_of(&after),
                    req.now,
                )?;
                let tx = suspend_tx(&owner, &standing, &entry);
                suspended = Some((owner.id, standing));
                tx
            }
        };
        let tx = decide_op(tx, &after, &before);
        let response = ApiResponse::ok(&ReviewView::from(&after));
        match commit_answer(app, &req, tx, response).await {
            Ok(response) => {
                if let Some((owner, standing)) = &suspended {
                    app.store.note_suspension(owner, standing);
                }
                Ok(Some(response))
            }
            // The report, its content or the owner's account changed since read: read again.
            Err(TxError::ConditionFailed {
                label: REPORT_LABEL | Label::Job | Label::Message | Label::Proposal | Label::User,
                ..
            }) => Ok(None),
            Err(TxError::ConditionFailed {
                label: Label::Idempotency,
                ..
            }) => Err(WriteConflict::IdempotencyInProgress.into()),
            Err(err) => Err(err.into()),
        }
    })
    .await
}

/// The admin's reason, as the decision keeps it (trimmed).
fn reason_of(report: &ContentReport) -> String {
    report
        .decision
        .as_ref()
        .map(|d| d.reason.clone())
        .unwrap_or_default()
}

/// Adds the content's removal to the decision's transaction, with the owner's notice.
/// Content an earlier decision removed already is left as it is (and its owner is not told
/// twice): the report is still decided.
async fn remove_content(
    app: &App,
    report: &ContentReport,
    now: DateTime<Utc>,
) -> Result<Tx, ApiError> {
    let tx = Tx::new();
    const GONE: ApiError = ApiError::NotFound("reported content");
    let tx = match &report.content {
        ContentRef::Job { job_id } => {
            let job = app.store.job(job_id).await?.ok_or(GONE)?;
            if job.close_reason == Some(CloseReason::Removed) {
                return Ok(tx);
            }
            remove_job_op(tx, &job.remove(now), job.version, now)
        }
        ContentRef::Message {
            room_id,
            message_id,
        } => {
            let message = app.store.message(room_id, message_id).await?.ok_or(GONE)?;
            if message.removed {
                return Ok(tx);
            }
            let header = app.store.room_header(room_id).await?.ok_or(GONE)?;
            let recipient = header.room.other(&message.sender_id).ok_or(GONE)?;
            remove_message_op(tx, &message, recipient)
        }
        ContentRef::Proposal { proposal_id } => {
            let proposal = app.store.proposal(proposal_id).await?.ok_or(GONE)?;
            if proposal.removed_at.is_some() {
                return Ok(tx);
            }
            remove_proposal_op(tx, &proposal.remove(now), proposal.version)
        }
        // `ContentReport::decide` refuses to remove a profile.
        ContentRef::Profile { .. } => return Ok(tx),
    };
    Ok(tx.emit(&DomainEvent::new(
        EventPayload::ContentRemoved {
            report_id: report.id.clone(),
            owner_id: report.owner_id.clone(),
            content: report.content.clone(),
            reason: report.reason,
            note: reason_of(report),
        },
        now,
    )))
}
