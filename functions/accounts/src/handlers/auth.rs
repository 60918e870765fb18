//! Accounts and sessions (PRODUCT §1.1–1.3): signup, email confirmation, login with
//! brute-force protection, refresh-token rotation with reuse detection, logout, roles.
use http::Method;
use worklane::handler;
use worklane::http::router::{schema_of, Access, Route};

use super::me::AccountView;
use schemars::{JsonSchema, Schema};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worklane::domain::account::{
    check_name, check_password, check_roles, Email, Role, NAME, PASSWORD_MAX_CHARS,
    PASSWORD_MIN_CHARS,
};
use worklane::domain::ids::{SessionId, UserId};
use worklane::http::auth::{AccessClaims, Caller, ACCESS_TOKEN_TTL};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::security;
use worklane::store::accounts::{
    issue_refresh, parse_refresh, AccountError, NewAccount, UserRecord,
};
use worklane::App;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    #[schemars(transform = Email::schema)]
    pub email: String,
    /// 10 to 128 characters, not containing the email address.
    #[schemars(length(min = PASSWORD_MIN_CHARS, max = PASSWORD_MAX_CHARS))]
    pub password: String,
    #[schemars(transform = NAME.schema())]
    pub name: String,
    /// At least one of client, freelancer, agency; a role listed twice counts once.
    #[schemars(length(min = 1), transform = self_service_roles_schema)]
    pub roles: Vec<Role>,
}

/// The roles `check_roles` lets a person take on themselves: `Role`'s names but those that
/// are not self-service (`admin`).
pub fn self_service_roles() -> Vec<Value> {
    let names = schemars::schema_for!(Role)
        .get("enum")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    names
        .into_iter()
        .filter(|name| {
            serde_json::from_value::<Role>(name.clone()).is_ok_and(Role::is_self_service)
        })
        .collect()
}

fn self_service_role(description: Option<&Value>) -> Value {
    let mut schema = json!({"type": "string", "enum": self_service_roles()});
    if let Some(description) = description {
        schema["description"] = description.clone();
    }
    schema
}

fn self_service_roles_schema(schema: &mut Schema) {
    schema.insert("items".into(), self_service_role(None));
}

fn self_service_role_schema(schema: &mut Schema) {
    let role = self_service_role(schema.get("description"));
    *schema = Schema::try_from(role).expect("an object schema");
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    pub token: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogoutRequest {
    pub refresh_token: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddRoleRequest {
    /// client, freelancer or agency.
    #[schemars(transform = self_service_role_schema)]
    pub role: Role,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

const INVALID_CREDENTIALS: ApiError =
    ApiError::Unauthenticated("the email or password is incorrect");
use worklane::http::{account_suspended, INVALID_REFRESH};

pub async fn signup(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let body: SignupRequest = req.json()?;
    let email = Email::parse(&body.email)?;
    let name = check_name(&body.name)?;
    let roles = check_roles(&body.roles)?;
    check_password(&body.password, &email)?;
    let user = UserRecord::new(UserId::generate(req.now), &email, name, roles, req.now);
    let account = NewAccount {
        password_hash: security::hash_password(&body.password),
        user,
    };
    let view = AccountView::from(&account.user);
    app.store.create_account(account, req.now).await?;
    Ok(ApiResponse::created(&view))
}

pub async fn confirm(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let body: ConfirmRequest = req.json()?;
    const INVALID: ApiError =
        ApiError::InvalidToken("the confirmation token is invalid, used or expired");
    let confirmation = app
        .store
        .confirmation(body.token.trim())
        .await?
        .filter(|c| c.valid_until > req.now)
        .ok_or(INVALID)?;
    let user = app
        .store
        .confirm_email(&confirmation, req.now)
        .await
        .map_err(|err| match err {
            AccountError::TokenReused | AccountError::NotFound => INVALID,
            other => other.into(),
        })?;
    Ok(ApiResponse::ok(&AccountView::from(&user)))
}

pub async fn login(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let body: LoginRequest = req.json()?;
    // A malformed address cannot have an account: the same answer as a wrong password.
    let email = Email::parse(&body.email).map_err(|_| INVALID_CREDENTIALS)?;
    let (login, throttle) = app.store.login_identity(email.canonical()).await?;
    if let Some(until) = throttle.locked_until(req.now) {
        return Err(ApiError::TooManyAttempts {
            retry_after_secs: (until - req.now).num_seconds().max(1),
        });
    }
    let verified = match &login {
        Some(login) => security::verify_password(&body.password, &login.password_hash),
        None => {
            security::verify_against_decoy(&body.password);
            false
        }
    };
    let login = match login {
        Some(login) if verified => login,
        _ => {
            app.store
                .record_login_failure(email.canonical(), throttle.after_failure(req.now), req.now)
                .await?;
            return Err(INVALID_CREDENTIALS);
        }
    };
    // Told only to whoever knows the password: it is no oracle for guessers.
    if login.suspended {
        return Err(account_suspended());
    }
    let session_id = SessionId::generate(req.now);
    let refresh = issue_refresh(&login.user_id, &session_id, req.now);
    app.store
        .start_session(
            email.canonical(),
            &login.user_id,
            &session_id,
            &refresh.record,
            req.now,
        )
        .await?;
    let claims = AccessClaims::new(
        login.user_id,
        session_id,
        login.roles,
        login.email_confirmed,
        req.now,
    );
    Ok(ApiResponse::ok(&tokens(app, &claims, refresh.token)?))
}

pub async fn refresh(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let body: RefreshRequest = req.json()?;
    let (user_id, session_id) = parse_refresh(&body.refresh_token).ok_or(INVALID_REFRESH)?;
    let (record, user, session) = app
        .store
        .refresh_state(&body.refresh_token, &user_id, &session_id)
        .await?;
    let (Some(record), Some(user), Some(session)) = (record, user, session) else {
        return Err(INVALID_REFRESH);
    };
    if record.user_id != user_id || record.session_id != session_id {
        return Err(INVALID_REFRESH);
    }
    if record.rotated_at.is_some() {
        // A rotated token came back: it was stolen or replayed. End the whole session.
        app.store
            .revoke_session(&session_id, "refresh token reused", req.now)
            .await?;
        return Err(INVALID_REFRESH);
    }
    if session.revoked_at.is_some() || record.valid_until <= req.now {
        return Err(INVALID_REFRESH);
    }
    if user.standing.is_suspended() {
        return Err(account_suspended());
    }
    // A session begun before a suspension stays ended after the reinstatement.
    if !user
        .standing
        .accepts_token_issued_at(session.created_at.timestamp())
    {
        return Err(INVALID_REFRESH);
    }
    let successor = issue_refresh(&user_id, &session_id, req.now);
    match app
        .store
        .rotate_refresh(&record, &successor.record, req.now)
        .await
    {
        Ok(()) => {}
        Err(AccountError::TokenReused) => {
            app.store
                .revoke_session(&session_id, "refresh token reused", req.now)
                .await?;
            return Err(INVALID_REFRESH);
        }
        Err(err) => return Err(err.into()),
    }
    let claims = AccessClaims::new(
        user.id,
        session_id,
        user.roles,
        user.email_confirmed_at.is_some(),
        req.now,
    );
    Ok(ApiResponse::ok(&tokens(app, &claims, successor.token)?))
}

pub async fn logout(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let body: LogoutRequest = req.json_or_default()?;
    let session_id = match (Caller::from_request(app.keys()?, &req), body.refresh_token) {
        (Ok(caller), _) => caller.session_id,
        (Err(_), Some(token)) => {
            // Without a valid access token, only the holder of a live refresh token may log out.
            let (user_id, session_id) = parse_refresh(&token).ok_or(INVALID_REFRESH)?;
            match app
                .store
                .refresh_state(&token, &user_id, &session_id)
                .await?
            {
                (Some(record), _, _) if record.session_id == session_id => session_id,
                _ => return Err(INVALID_REFRESH),
            }
        }
        (Err(err), None) => return Err(err),
    };
    app.store
        .revoke_session(&session_id, "logout", req.now)
        .await?;
    Ok(ApiResponse::no_content())
}

pub async fn add_role(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    caller.require_confirmed()?;
    let body: AddRoleRequest = req.json()?;
    check_roles(&[body.role])?;
    let user = app
        .store
        .user(&caller.user_id)
        .await?
        .ok_or(ApiError::NotFound("account"))?;
    let user = if user.roles.contains(&body.role) {
        user
    } else {
        app.store.add_role(&user, body.role, req.now).await?
    };
    Ok(ApiResponse::ok(&AccountView::from(&user)))
}

fn tokens(
    app: &App,
    claims: &AccessClaims,
    refresh_token: String,
) -> Result<TokenResponse, ApiError> {
    Ok(TokenResponse {
        access_token: app.keys()?.issue(claims),
        refresh_token,
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_TTL.num_seconds(),
    })
}

/// The routes of this function.
pub fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::POST,
            path: "/v1/auth/signup",
            function: "auth",
            operation_id: "signup",
            summary:
                "Create an account (client, freelancer and/or agency); sends a confirmation email",
            access: Access::Public,
            request: Some(schema_of::<SignupRequest>),
            response: Some(schema_of::<super::me::AccountView>),
            success: 201,
            handler: handler!(signup),
            query: &[],
            body_optional: false,
        },
        Route {
            method: Method::POST,
            path: "/v1/auth/confirm",
            function: "auth",
            operation_id: "confirmEmail",
            summary: "Redeem the one-time email confirmation token",
            access: Access::Public,
            request: Some(schema_of::<ConfirmRequest>),
            response: Some(schema_of::<super::me::AccountView>),
            success: 200,
            handler: handler!(confirm),
            query: &[],
            body_optional: false,
        },
        Route {
            method: Method::POST,
            path: "/v1/auth/login",
            function: "auth",
            operation_id: "login",
            summary: "Exchange email and password for an access token and a refresh token",
            access: Access::Public,
            request: Some(schema_of::<LoginRequest>),
            response: Some(schema_of::<TokenResponse>),
            success: 200,
            handler: handler!(login),
            query: &[],
            body_optional: false,
        },
        Route {
            method: Method::POST,
            path: "/v1/auth/refresh",
            function: "auth",
            operation_id: "refresh",
            summary: "Rotate a refresh token; reusing a rotated token revokes the whole session",
            access: Access::Public,
            request: Some(schema_of::<RefreshRequest>),
            response: Some(schema_of::<TokenResponse>),
            success: 200,
            handler: handler!(refresh),
            query: &[],
            body_optional: false,
        },
        Route {
            method: Method::POST,
            path: "/v1/auth/logout",
            function: "auth",
            operation_id: "logout",
            summary: "Revoke the session of the access token (or of the refresh token in the body)",
            access: Access::Public,
            request: Some(schema_of::<LogoutRequest>),
            response: None,
            success: 204,
            handler: handler!(logout),
            query: &[],
            body_optional: true,
        },
        Route {
            method: Method::POST,
            path: "/v1/me/roles",
            function: "auth",
            operation_id: "addRole",
            summary: "Add a role (client, freelancer, agency) to a confirmed account",
            access: Access::Bearer,
            request: Some(schema_of::<AddRoleRequest>),
            response: Some(schema_of::<super::me::AccountView>),
            success: 200,
            handler: handler!(add_role),
            query: &[],
            body_optional: false,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_offers_only_the_roles_check_roles_accepts() {
        assert_eq!(
            self_service_roles(),
            [json!("client"), json!("freelancer"), json!("agency")]
        );
        for role in self_service_roles() {
            let role: Role = serde_json::from_value(role).unwrap();
            assert_eq!(check_roles(&[role]), Ok(vec![role]));
        }
        assert!(check_roles(&[Role::Admin]).is_err());
        let schema = serde_json::to_value(schemars::schema_for!(SignupRequest)).unwrap();
        let properties = &schema["properties"];
        assert_eq!(properties["roles"]["minItems"], json!(1));
        assert_eq!(
            properties["roles"]["items"]["enum"],
            json!(self_service_roles())
        );
        assert_eq!(
            (
                &properties["password"]["minLength"],
                &properties["password"]["maxLength"]
            ),
            (&json!(PASSWORD_MIN_CHARS), &json!(PASSWORD_MAX_CHARS))
        );
        let add = serde_json::to_value(schemars::schema_for!(AddRoleRequest)).unwrap();
        assert_eq!(
            add["properties"]["role"]["enum"],
            json!(self_service_roles())
        );
    }
}
