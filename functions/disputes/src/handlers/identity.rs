//! Identity verification (PRODUCT §1.4): a user submits uploaded ID documents, admins review
//! the queue, look at the documents through short-lived links, and approve or reject with a
//! reason. The documents are readable by their owner (`GET /v1/files/{id}`) and by admins
//! (here), nobody else.

use chrono::{DateTime, Utc};
use http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use worklane::domain::account::Role;
use worklane::domain::audit::{AuditAction, AuditEntry};
use worklane::domain::file::{FilePurpose, FileRecord};
use worklane::domain::identity::{
    DocumentKind, IdentityStatus, IdentityVerification, RejectError, REJECTION_REASON,
};
use worklane::domain::ids::{FileId, UserId};
use worklane::handler;
use worklane::http::auth::Caller;
use worklane::http::cursor::Page;
use worklane::http::handler::{caller_with, commit_answer, retry_stale};
use worklane::http::query::{QueryKind, QueryParam, CURSOR};
use worklane::http::router::{bearer_routes, schema_of, Route, SchemaFn};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::store::files::{FileBlobs, PresignedUrl};
use worklane::store::identity::{decide_tx, submit_tx, IDENTITY_LABEL};
use worklane::store::{Label, WriteConflict};
use worklane::store::{Tx, TxError};
use worklane::App;

/// The review queue's query: only pending submissions are listed.
const REVIEWS_QUERY: [QueryParam; 3] = [
    QueryParam::optional(
        "status",
        QueryKind::OneOf(&["pending"]),
        "Only pending submissions are listed",
    ),
    QueryParam::limit(20, 100),
    CURSOR,
];

pub fn routes() -> Vec<Route> {
    let route = bearer_routes("identity");
    let review = Some(schema_of::<IdentityReviewView> as SchemaFn);
    vec![
        route(Method::POST, "/v1/me/identity", "submitIdentity",
            "Submit uploaded identity documents (purpose `identity`) for review; again after a rejection",
            Some(schema_of::<IdentitySubmission>), Some(schema_of::<IdentityView>), 201, handler!(submit)),
        route(Method::GET, "/v1/me/identity", "getMyIdentity",
            "The caller's verification: none, pending, approved or rejected (with the reason)",
            None, Some(schema_of::<IdentityView>), 200, handler!(get_mine)),
        route(Method::GET, "/v1/admin/identity", "listIdentityReviews",
            "Admin: submissions waiting for review (`status=pending`), oldest first",
            None, Some(schema_of::<Page<ReviewSummary>>), 200, handler!(list_pending))
            .with_query(&REVIEWS_QUERY),
        route(Method::GET, "/v1/admin/identity/{user_id}", "getIdentityReview",
            "Admin: a user's submission with 5-minute download links to its documents",
            None, review, 200, handler!(get_review)),
        route(Method::POST, "/v1/admin/identity/{user_id}/approve", "approveIdentity",
            "Admin: approve the pending submission (verified badge, withdrawals allowed)",
            None, review, 200, handler!(approve)),
        route(Method::POST, "/v1/admin/identity/{user_id}/reject", "rejectIdentity",
            "Admin: reject the pending submission with a reason the user sees",
            Some(schema_of::<RejectRequest>), review, 200, handler!(reject)),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentitySubmission {
    /// A government-issued photo ID: an uploaded file of the caller's, purpose `identity`.
    pub document_file_id: FileId,
    /// Optional proof of address (utility bill, bank statement), purpose `identity`.
    #[serde(default)]
    pub proof_of_address_file_id: Option<FileId>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// What the user should fix; shown to them.
    #[schemars(transform = REJECTION_REASON.schema())]
    pub reason: String,
}

/// One document of a submission; metadata disappears with the file once it is deleted.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DocumentView {
    pub kind: DocumentKind,
    pub file_id: FileId,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: u64,
    /// Admins only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download: Option<PresignedUrl>,
}

/// A verification as its owner sees it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IdentityView {
    pub status: IdentityStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submission: Option<u32>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    /// The documents still kept; empty after the retention period.
    pub documents: Vec<DocumentView>,
    /// When the retention period ends (or ended) for these documents.
    pub documents_purge_at: Option<DateTime<Utc>>,
    pub documents_deleted_at: Option<DateTime<Utc>>,
}

/// The account a submission belongs to, for the reviewer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ReviewedUser {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub roles: Vec<Role>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct IdentityReviewView {
    pub user: ReviewedUser,
    #[serde(flatten)]
    pub identity: IdentityView,
    pub decided_by: Option<UserId>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ReviewSummary {
    pub user_id: UserId,
    pub submission: u32,
    pub submitted_at: DateTime<Utc>,
    pub has_proof_of_address: bool,
}

impl IdentityView {
    fn none() -> Self {
        Self {
            status: IdentityStatus::None,
            submission: None,
            submitted_at: None,
            decided_at: None,
            rejection_reason: None,
            documents: Vec::new(),
            documents_purge_at: None,
            documents_deleted_at: None,
        }
    }

    fn new(
        verification: &IdentityVerification,
        files: &HashMap<FileId, FileRecord>,
        links: &HashMap<FileId, PresignedUrl>,
    ) -> Self {
        let documents = verification
            .documents()
            .into_iter()
            .filter_map(|(kind, id)| {
                let file = files.get(&id)?;
                Some(DocumentView {
                    kind,
                    file_name: file.file_name.clone(),
                    content_type: file.content_type.clone(),
                    size_bytes: file.size_bytes,
                    download: links.get(&id).cloned(),
                    file_id: id,
                })
            })
            .collect();
        Self {
            status: verification.status,
            submission: Some(verification.submission),
            submitted_at: Some(verification.submitted_at),
            decided_at: verification.decided_at,
            rejection_reason: verification.rejection_reason.clone(),
            documents,
            documents_purge_at: verification.documents_purge_at,
            documents_deleted_at: verification.documents_deleted_at,
        }
    }
}

/// The submission's file records, by id (files already deleted are absent).
async fn files_of(
    app: &App,
    verification: &IdentityVerification,
) -> Result<HashMap<FileId, FileRecord>, ApiError> {
    let ids: Vec<FileId> = verification
        .documents()
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    Ok(app
        .store
        .files(&ids)
        .await?
        .into_iter()
        .flatten()
        .map(|file| (file.id.clone(), file))
        .collect())
}

/// A decision or submission's transaction with its answer; a lost race on the verification
/// (`None`) means read again and decide anew.
async fn commit(
    app: &App,
    req: &ApiRequest,
    tx: Tx,
    response: ApiResponse,
) -> Result<Option<ApiResponse>, ApiError> {
    match commit_answer(app, req, tx, response).await {
        Ok(response) => Ok(Some(response)),
        Err(TxError::ConditionFailed {
            label: IDENTITY_LABEL,
            ..
        }) => Ok(None),
        Err(TxError::ConditionFailed {
            label: Label::Idempotency,
            ..
        }) => Err(WriteConflict::IdempotencyInProgress.into()),
        Err(err) => Err(err.into()),
    }
}

pub async fn submit(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    caller.require_confirmed()?;
    let body: IdentitySubmission = req.json()?;
    let mut ids = vec![body.document_file_id.clone()];
    ids.extend(body.proof_of_address_file_id.clone());
    let document = body.document_file_id.clone();
    let files: HashMap<FileId, FileRecord> = app
        .store
        .usable_files(&caller.user_id, &ids, &[FilePurpose::Identity])
        .await
        .map_err(|err| {
            err.into_api_with(|id| {
                if *id == document {
                    "document_file_id".to_string()
                } else {
                    "proof_of_address_file_id".to_string()
                }
            })
        })?
        .into_iter()
        .map(|file| (file.id.clone(), file))
        .collect();
    retry_stale(|| async {
        let previous = app.store.identity(&caller.user_id).await?;
        let next = IdentityVerification::submit(
            previous.as_ref(),
            caller.user_id.clone(),
            body.document_file_id.clone(),
            body.proof_of_address_file_id.clone(),
            req.now,
        )?;
        let view = IdentityView::new(&next, &files, &HashMap::new());
        commit(
            app,
            &req,
            submit_tx(&next, previous.as_ref()),
            ApiResponse::created(&view),
        )
        .await
    })
    .await
}

pub async fn get_mine(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    let view = match app.store.identity(&caller.user_id).await? {
        None => IdentityView::none(),
        Some(verification) => {
            let files = files_of(app, &verification).await?;
            IdentityView::new(&verification, &files, &HashMap::new())
        }
    };
    Ok(ApiResponse::ok(&view))
}

pub async fn list_pending(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    caller_with(app, &req, Role::Admin)?;
    QueryParam::read_all(&REVIEWS_QUERY, &req)?;
    let limit = REVIEWS_QUERY[1].page_size(&req)?;
    const SCOPE: &str = "identity-reviews:pending";
    let start = app.cursors()?.start_key(SCOPE, &req)?;
    let (pending, next) = app.store.pending_identities(limit, start).await?;
    let items = pending
        .into_iter()
        .map(|v| ReviewSummary {
            has_proof_of_address: v.proof_of_address_file_id.is_some(),
            user_id: v.user_id,
            submission: v.submission,
            submitted_at: v.submitted_at,
        })
        .collect();
    Ok(ApiResponse::ok(&Page {
        items,
        next_cursor: app.cursors()?.next(SCOPE, next.as_ref()),
    }))
}

fn user_in_path(req: &ApiRequest) -> Result<UserId, ApiError> {
    UserId::parse(req.path_param("user_id")?).ok_or(ApiError::NotFound("identity submission"))
}

/// The submission of the user in the path, with their account, for a reviewer.
async fn reviewed(
    app: &App,
    req: &ApiRequest,
) -> Result<(IdentityVerification, ReviewedUser), ApiError> {
    const NOT_FOUND: ApiError = ApiError::NotFound("identity submission");
    let (verification, account) = app.store.identity_and_account(&user_in_path(req)?).await?;
    match (verification, account) {
        (Some(verification), Some(account)) => Ok((
            verification,
            ReviewedUser {
                id: account.id,
                name: account.name,
                email: account.email,
                roles: account.roles,
            },
        )),
        _ => Err(NOT_FOUND),
    }
}

pub async fn get_review(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    caller_with(app, &req, Role::Admin)?;
    let (verification, user) = reviewed(app, &req).await?;
    let files = files_of(app, &verification).await?;
    let blobs = FileBlobs::new(app.s3(), app.bucket()?);
    let mut links = HashMap::new();
    for file in files.values() {
        links.insert(
            file.id.clone(),
            blobs.presign_download(file, req.now).await?,
        );
    }
    Ok(ApiResponse::ok(&IdentityReviewView {
        decided_by: verification.decided_by.clone(),
        identity: IdentityView::new(&verification, &files, &links),
        user,
    }))
}

pub async fn approve(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let admin = caller_with(app, &req, Role::Admin)?;
    let audit = (AuditAction::ApproveIdentity, "identity documents approved");
    decide(app, &req, &admin.user_id, audit, |before| {
        before
            .approve(&admin.user_id, req.now)
            .map_err(ApiError::from)
    })
    .await
}

pub async fn reject(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let admin = caller_with(app, &req, Role::Admin)?;
    let body: RejectRequest = req.json()?;
    let audit = (AuditAction::RejectIdentity, body.reason.trim());
    decide(app, &req, &admin.user_id, audit, |before| {
        before
            .reject(&admin.user_id, &body.reason, req.now)
            .map_err(|err| match err {
                RejectError::Invalid(violations) => violations.into(),
                RejectError::Rule(rule) => rule.into(),
            })
    })
    .await
}

/// Reads the pending submission, applies the admin's decision and commits it with its audit
/// entry, conditioned on the submission still being the pending one that was read.
async fn decide(
    app: &App,
    req: &ApiRequest,
    admin: &UserId,
    (action, reason): (AuditAction, &str),
    decision: impl Fn(&IdentityVerification) -> Result<IdentityVerification, ApiError>,
) -> Result<ApiResponse, ApiError> {
    retry_stale(|| async {
        let (before, user) = reviewed(app, req).await?;
        let after = decision(&before)?;
        let files = files_of(app, &after).await?;
        let view = IdentityReviewView {
            decided_by: after.decided_by.clone(),
            identity: IdentityView::new(&after, &files, &HashMap::new()),
            user,
        };
        let audit = AuditEntry::new(admin, action, before.user_id.as_str(), reason, req.now);
        let tx = worklane::store::audit::record(decide_tx(&after, &before), &audit);
        commit(app, req, tx, ApiResponse::ok(&view)).await
    })
    .await
}
