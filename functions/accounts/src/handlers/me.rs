use chrono::{DateTime, Utc};
use http::Method;
use schemars::JsonSchema;
use serde::Serialize;
use worklane::domain::account::Role;
use worklane::domain::ids::UserId;
use worklane::handler;
use worklane::http::auth::Caller;
use worklane::http::router::{schema_of, Access, Route};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::store::accounts::UserRecord;
use worklane::App;

/// An account as its owner sees it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AccountView {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub roles: Vec<Role>,
    pub email_confirmed: bool,
    /// An admin approved the account's identity documents (§1.4): the verified badge.
    pub identity_verified: bool,
    pub created_at: DateTime<Utc>,
}

impl From<&UserRecord> for AccountView {
    fn from(user: &UserRecord) -> Self {
        Self {
            id: user.id.clone(),
            email: user.email.clone(),
            name: user.name.clone(),
            roles: user.roles.clone(),
            email_confirmed: user.email_confirmed_at.is_some(),
            identity_verified: user.identity_verified_at.is_some(),
            created_at: user.created_at,
        }
    }
}

pub async fn get_me(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    let user = app
        .store
        .user(&caller.user_id)
        .await?
        .ok_or(ApiError::Unauthenticated("the account no longer exists"))?;
    Ok(ApiResponse::ok(&AccountView::from(&user)))
}

/// The routes of this function.
pub fn routes() -> Vec<Route> {
    vec![Route {
        method: Method::GET,
        path: "/v1/me",
        function: "me",
        operation_id: "getMe",
        summary: "The caller's account and roles",
        access: Access::Bearer,
        request: None,
        response: Some(schema_of::<super::me::AccountView>),
        success: 200,
        handler: handler!(get_me),
        query: &[],
        body_optional: false,
        limit: None,
    }]
}
