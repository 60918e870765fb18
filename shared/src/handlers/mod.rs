//! HTTP handlers: request → domain rule → one store transaction → response.
//! `routes()` is the API's route table (see `http::router`).

pub mod auth;
pub mod connects;
pub mod contracts;
pub mod disputes;
pub mod docs;
pub mod escrow;
pub mod feedback;
pub mod files;
pub mod identity;
pub mod inbox;
pub mod jobs;
pub mod me;
pub mod messages;
pub mod payments;
pub mod profiles;
pub mod proposals;
pub mod reports;
pub mod search;
pub mod time_tracking;
pub mod wallet;
pub mod withdrawals;

use crate::domain::account::Role;
use crate::functions::Function;
use crate::handler;
use crate::http::auth::Caller;
use crate::http::router::{schema_of, Access, Route};
use crate::http::{ApiError, ApiRequest, ApiResponse};
use crate::App;
use http::Method;
use std::sync::LazyLock;

static ROUTES: LazyLock<Vec<Route>> = LazyLock::new(|| {
    use auth::*;
    let mut routes = vec![
        Route {
            method: Method::POST,
            path: "/v1/auth/signup",
            function: Function::Auth,
            operation_id: "signup",
            summary:
                "Create an account (client, freelancer and/or agency); sends a confirmation email",
            access: Access::Public,
            request: Some(schema_of::<SignupRequest>),
            response: Some(schema_of::<me::AccountView>),
            success: 201,
            handler: handler!(auth::signup),
        },
        Route {
            method: Method::POST,
            path: "/v1/auth/confirm",
            function: Function::Auth,
            operation_id: "confirmEmail",
            summary: "Redeem the one-time email confirmation token",
            access: Access::Public,
            request: Some(schema_of::<ConfirmRequest>),
            response: Some(schema_of::<me::AccountView>),
            success: 200,
            handler: handler!(auth::confirm),
        },
        Route {
            method: Method::POST,
            path: "/v1/auth/login",
            function: Function::Auth,
            operation_id: "login",
            summary: "Exchange email and password for an access token and a refresh token",
            access: Access::Public,
            request: Some(schema_of::<LoginRequest>),
            response: Some(schema_of::<TokenResponse>),
            success: 200,
            handler: handler!(auth::login),
        },
        Route {
            method: Method::POST,
            path: "/v1/auth/refresh",
            function: Function::Auth,
            operation_id: "refresh",
            summary: "Rotate a refresh token; reusing a rotated token revokes the whole session",
            access: Access::Public,
            request: Some(schema_of::<RefreshRequest>),
            response: Some(schema_of::<TokenResponse>),
            success: 200,
            handler: handler!(auth::refresh),
        },
        Route {
            method: Method::POST,
            path: "/v1/auth/logout",
            function: Function::Auth,
            operation_id: "logout",
            summary: "Revoke the session of the access token (or of the refresh token in the body)",
            access: Access::Public,
            request: Some(schema_of::<LogoutRequest>),
            response: None,
            success: 204,
            handler: handler!(auth::logout),
        },
        Route {
            method: Method::POST,
            path: "/v1/me/roles",
            function: Function::Auth,
            operation_id: "addRole",
            summary: "Add a role (client, freelancer, agency) to a confirmed account",
            access: Access::Bearer,
            request: Some(schema_of::<AddRoleRequest>),
            response: Some(schema_of::<me::AccountView>),
            success: 200,
            handler: handler!(auth::add_role),
        },
        Route {
            method: Method::GET,
            path: "/v1/me",
            function: Function::Me,
            operation_id: "getMe",
            summary: "The caller's account and roles",
            access: Access::Bearer,
            request: None,
            response: Some(schema_of::<me::AccountView>),
            success: 200,
            handler: handler!(me::get_me),
        },
        Route {
            method: Method::GET,
            path: "/openapi.json",
            function: Function::ApiDocs,
            operation_id: "openapi",
            summary: "This API as an OpenAPI 3.1 document",
            access: Access::Public,
            request: None,
            response: None,
            success: 200,
            handler: handler!(docs::openapi),
        },
    ];
    // Each area keeps its routes next to its handlers.
    routes.extend(files::routes());
    routes.extend(profiles::routes());
    routes.extend(jobs::routes());
    routes.extend(search::routes());
    routes.extend(proposals::routes());
    routes.extend(connects::routes());
    routes.extend(payments::routes());
    routes.extend(contracts::routes());
    routes.extend(escrow::routes());
    routes.extend(wallet::routes());
    routes.extend(reports::routes());
    routes.extend(time_tracking::routes());
    routes.extend(disputes::routes());
    routes.extend(inbox::routes());
    routes.extend(messages::routes());
    routes.extend(feedback::routes());
    routes.extend(identity::routes());
    routes.extend(withdrawals::routes());
    routes
});

pub fn routes() -> &'static [Route] {
    &ROUTES
}

/// Runs a read-modify-write until it lands: `Ok(None)` from an attempt means another writer
/// got there first (a version condition failed), so read again. Gives up with 409 after a few
/// rounds rather than spinning under heavy contention.
pub(crate) async fn retry_stale<T, F, Fut>(mut attempt: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, ApiError>>,
{
    for _ in 0..8 {
        if let Some(done) = attempt().await? {
            return Ok(done);
        }
    }
    Err(ApiError::conflict(
        "concurrent_update",
        "the item is being changed by someone else; retry",
    ))
}

/// Writes `tx` together with the request's answer in its Idempotency-Key record, so money,
/// state and the answer a retry will get commit at once. Condition failures are the caller's
/// to translate (each knows what its labels mean).
pub(crate) async fn commit_answer(
    app: &App,
    req: &ApiRequest,
    tx: crate::store::Tx,
    response: ApiResponse,
) -> Result<ApiResponse, crate::store::TxError> {
    app.store
        .transact(req.record_response_in(tx, &response))
        .await?;
    req.response_recorded();
    Ok(response)
}

/// The files of `ids` that still exist, each with a short-lived download link, read in one
/// round trip (a screenshot or deliverable deleted since is simply left out).
pub(crate) async fn download_links(
    app: &App,
    ids: &[crate::domain::ids::FileId],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<
    std::collections::HashMap<
        crate::domain::ids::FileId,
        (
            crate::domain::file::FileRecord,
            crate::store::files::PresignedUrl,
        ),
    >,
    ApiError,
> {
    let blobs = crate::store::files::FileBlobs::new(&app.s3, &app.config.bucket);
    let mut links = std::collections::HashMap::new();
    for file in app.store.files(ids).await?.into_iter().flatten() {
        let url = blobs.presign_download(&file, now).await?;
        links.insert(file.id.clone(), (file, url));
    }
    Ok(links)
}

/// A confirmed user holding `role`.
pub(crate) fn caller_with(app: &App, req: &ApiRequest, role: Role) -> Result<Caller, ApiError> {
    let caller = Caller::from_request(&app.keys, req)?;
    caller.require_confirmed()?;
    caller.require_role(role)?;
    Ok(caller)
}

/// A confirmed user holding at least one of `roles`.
pub(crate) fn caller_with_any(
    app: &App,
    req: &ApiRequest,
    roles: &[Role],
) -> Result<Caller, ApiError> {
    let caller = Caller::from_request(&app.keys, req)?;
    caller.require_confirmed()?;
    if !roles.iter().any(|role| caller.roles.contains(role)) {
        return Err(ApiError::Forbidden(
            "your account's roles do not allow this",
        ));
    }
    Ok(caller)
}
