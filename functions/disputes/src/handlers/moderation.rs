//! Trust and safety for admins: suspending and reinstating accounts, and the append-only
//! audit trail every admin action writes (docs/trust-and-safety.md).

use chrono::{DateTime, Utc};
use http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use worklane::domain::account::Role;
use worklane::domain::audit::{admin_reason, AuditAction, AuditEntry, Standing, ADMIN_REASON};
use worklane::domain::ids::UserId;
use worklane::handler;
use worklane::http::cursor::Page;
use worklane::http::handler::{caller_with, commit_answer, retry_stale};
use worklane::http::query::{QueryKind, QueryParam, CURSOR};
use worklane::http::router::{bearer_routes, schema_of, Route, SchemaFn};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::store::accounts::{reinstate_tx, suspend_tx, UserRecord};
use worklane::store::{Label, Tx, TxError, WriteConflict};
use worklane::App;

const AUDIT_PAGE: QueryParam = QueryParam::limit(50, 100);
const SUBJECT: QueryParam = QueryParam::optional(
    "subject",
    QueryKind::Text { max: 64 },
    "Only this object's history: its id (usr_…, job_…, rpt_…)",
);

pub fn routes() -> Vec<Route> {
    let route = bearer_routes("moderation");
    let account = Some(schema_of::<AccountStandingView> as SchemaFn);
    vec![
        route(Method::GET, "/v1/admin/users/{user_id}", "getAccountStanding",
            "Admin: a user's account and standing (suspended or not, since when, why)",
            None, account, 200, handler!(get_account)),
        route(Method::POST, "/v1/admin/users/{user_id}/suspend", "suspendAccount",
            "Admin: suspend an account — its tokens stop working at once, its jobs and profile leave search, its open proposals are withdrawn; its money stays in the ledger",
            Some(schema_of::<AdminReason>), account, 200, handler!(suspend)),
        route(Method::POST, "/v1/admin/users/{user_id}/reinstate", "reinstateAccount",
            "Admin: lift a suspension — the user signs in again and their content returns to search",
            Some(schema_of::<AdminReason>), account, 200, handler!(reinstate)),
        route(Method::GET, "/v1/admin/audit", "listAuditTrail",
            "Admin: every admin action, newest first (who, what, when, why); `subject` narrows it to one object's history",
            None, Some(schema_of::<Page<AuditEntry>>), 200, handler!(list_audit))
            .with_query(&[SUBJECT, AUDIT_PAGE, CURSOR]),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminReason {
    /// Why: kept in the audit trail; a suspension's reason is also shown to the user.
    #[schemars(transform = ADMIN_REASON.schema())]
    pub reason: String,
}

/// An account as the moderators see it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AccountStandingView {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub roles: Vec<Role>,
    pub created_at: DateTime<Utc>,
    pub suspended: bool,
    #[serde(flatten)]
    pub standing: Standing,
}

impl From<&UserRecord> for AccountStandingView {
    fn from(user: &UserRecord) -> Self {
        Self {
            id: user.id.clone(),
            name: user.name.clone(),
            email: user.email.clone(),
            roles: user.roles.clone(),
            created_at: user.created_at,
            suspended: user.standing.is_suspended(),
            standing: user.standing.clone(),
        }
    }
}

async fn account_in_path(app: &App, req: &ApiRequest) -> Result<UserRecord, ApiError> {
    const NOT_FOUND: ApiError = ApiError::NotFound("user");
    let id = UserId::parse(req.path_param("user_id")?).ok_or(NOT_FOUND)?;
    app.store.user(&id).await?.ok_or(NOT_FOUND)
}

pub async fn get_account(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    caller_with(app, &req, Role::Admin)?;
    let user = account_in_path(app, &req).await?;
    Ok(ApiResponse::ok(&AccountStandingView::from(&user)))
}

pub async fn suspend(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let admin = caller_with(app, &req, Role::Admin)?;
    let body: AdminReason = req.json()?;
    let reason = admin_reason(&body.reason)?;
    retry_stale(|| async {
        let user = account_in_path(app, &req).await?;
        let standing = user
            .standing
            .suspend(&admin.user_id, &user.id, &reason, req.now)?;
        let entry = AuditEntry::new(
            &admin.user_id,
            AuditAction::SuspendAccount,
            user.id.as_str(),
            &reason,
            req.now,
        );
        let tx = suspend_tx(&user, &standing, &entry);
        let answer = commit_standing(app, &req, tx, &user, standing.clone()).await?;
        if answer.is_some() {
            app.store.note_suspension(&user.id, &standing);
        }
        Ok(answer)
    })
    .await
}

pub async fn reinstate(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let admin = caller_with(app, &req, Role::Admin)?;
    let body: AdminReason = req.json()?;
    let reason = admin_reason(&body.reason)?;
    retry_stale(|| async {
        let user = account_in_path(app, &req).await?;
        let standing = user.standing.reinstate()?;
        let entry = AuditEntry::new(
            &admin.user_id,
            AuditAction::ReinstateAccount,
            user.id.as_str(),
            &reason,
            req.now,
        );
        let tx = reinstate_tx(&user, &standing, &entry);
        commit_standing(app, &req, tx, &user, standing).await
    })
    .await
}

/// Commits a change of standing with its answer; a lost race on the account (`None`) means
/// read it again and decide anew.
async fn commit_standing(
    app: &App,
    req: &ApiRequest,
    tx: Tx,
    user: &UserRecord,
    standing: Standing,
) -> Result<Option<ApiResponse>, ApiError> {
    let after = UserRecord {
        standing,
        version: user.version + 1,
        ..user.clone()
    };
    let response = ApiResponse::ok(&AccountStandingView::from(&after));
    match commit_answer(app, req, tx, response).await {
        Ok(response) => Ok(Some(response)),
        Err(TxError::ConditionFailed {
            label: Label::User, ..
        }) => Ok(None),
        Err(TxError::ConditionFailed {
            label: Label::Idempotency,
            ..
        }) => Err(WriteConflict::IdempotencyInProgress.into()),
        Err(err) => Err(err.into()),
    }
}

pub async fn list_audit(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    caller_with(app, &req, Role::Admin)?;
    let [subject, _] = QueryParam::read_all(&[SUBJECT, AUDIT_PAGE], &req)?;
    let subject = subject.map(str::to_string);
    let limit = AUDIT_PAGE.page_size(&req)?;
    // The cursor is bound to the listing it came from.
    let scope = format!("audit:{}", subject.as_deref().unwrap_or("*"));
    let start = app.cursors()?.start_key(&scope, &req)?;
    let (items, next) = app
        .store
        .audit_trail(subject.as_deref(), limit, start)
        .await?;
    Ok(ApiResponse::ok(&Page {
        items,
        next_cursor: app.cursors()?.next(&scope, next.as_ref()),
    }))
}
