use crate::domain::account::Role;
use crate::domain::ids::UserId;
use crate::http::auth::Caller;
use crate::http::{ApiError, ApiRequest, ApiResponse};
use crate::store::accounts::UserRecord;
use crate::App;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;

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
    let caller = Caller::from_request(&app.keys, &req)?;
    let user = app
        .store
        .user(&caller.user_id)
        .await?
        .ok_or(ApiError::Unauthenticated("the account no longer exists"))?;
    Ok(ApiResponse::ok(&AccountView::from(&user)))
}
