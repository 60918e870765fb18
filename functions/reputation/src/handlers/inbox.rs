//! The inbox (API.md `GET /v1/me/notifications`, `POST /v1/me/notifications/read`): what the
//! notifications worker wrote for the caller, newest first, with the unread count.

use http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use worklane::domain::notification::{Notification, NotificationId};
use worklane::handler;
use worklane::http::auth::Caller;
use worklane::http::cursor::page_limit;
use worklane::http::router::{bearer_routes, schema_of, Route};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::App;

/// Ids one request may mark (one transaction with the counter).
pub const MAX_IDS: usize = 50;

pub fn routes() -> Vec<Route> {
    let route = bearer_routes("inbox");
    vec![
        route(Method::GET, "/v1/me/notifications", "listMyNotifications",
            "The caller's notifications, newest first, with the unread count",
            None, Some(schema_of::<InboxPage>), 200, handler!(list)),
        route(Method::POST, "/v1/me/notifications/read", "markMyNotificationsRead",
            "Mark notifications read: `{\"ids\": [..]}` (the caller's; others' ids are ignored) or all (`{\"all\": true}` or no body)",
            Some(schema_of::<MarkReadRequest>), Some(schema_of::<MarkReadResponse>), 200, handler!(mark_read)),
    ]
}

/// A page of the inbox: `Page` plus the unread count of the whole inbox.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InboxPage {
    pub items: Vec<Notification>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    pub unread_count: i64,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkReadRequest {
    /// Notification ids to mark (at most 50); ids that are not the caller's are ignored.
    #[serde(default)]
    pub ids: Option<Vec<String>>,
    /// `true`: everything in the inbox.
    #[serde(default)]
    pub all: Option<bool>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct MarkReadResponse {
    /// How many were unread and are now read.
    pub marked: u32,
    pub unread_count: i64,
}

enum Marking {
    All,
    Ids(Vec<NotificationId>),
}

impl MarkReadRequest {
    fn check(self) -> Result<Marking, ApiError> {
        match (self.ids, self.all) {
            (Some(_), Some(_)) => Err(ApiError::validation(
                "all",
                "send either ids or all, not both",
            )),
            (None, None) | (None, Some(true)) => Ok(Marking::All),
            (None, Some(false)) => Err(ApiError::validation(
                "all",
                "all must be true (or send ids)",
            )),
            (Some(ids), None) => {
                if ids.is_empty() || ids.len() > MAX_IDS {
                    return Err(ApiError::validation(
                        "ids",
                        format!("from 1 to {MAX_IDS} notification ids"),
                    ));
                }
                let mut errors = Vec::new();
                let mut parsed = Vec::new();
                for (i, raw) in ids.iter().enumerate() {
                    match NotificationId::parse(raw) {
                        Some(id) => parsed.push(id),
                        None => errors.push(worklane::http::error::FieldError {
                            field: format!("ids[{i}]"),
                            message: "not a notification id".into(),
                        }),
                    }
                }
                if errors.is_empty() {
                    Ok(Marking::Ids(parsed))
                } else {
                    Err(ApiError::Validation(errors))
                }
            }
        }
    }
}

pub async fn list(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    let limit = page_limit(&req, 20, 100)?;
    let scope = format!("notifications:{}", caller.user_id);
    let start = app.cursors()?.start_key(&scope, &req)?;
    let (page, state) = futures::try_join!(
        app.store.inbox_page(&caller.user_id, limit, start),
        app.store.inbox_state(&caller.user_id),
    )?;
    let (records, last) = page;
    let state = state.unwrap_or_default();
    Ok(ApiResponse::ok(&InboxPage {
        items: records.into_iter().map(|r| r.view(&state)).collect(),
        next_cursor: app.cursors()?.next(&scope, last.as_ref()),
        unread_count: state.unread,
    }))
}

pub async fn mark_read(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    let body: MarkReadRequest = req.json_or_default()?;
    let marked = match body.check()? {
        Marking::All => {
            app.store
                .mark_all_notifications_read(&caller.user_id, req.now)
                .await?
        }
        Marking::Ids(ids) => {
            app.store
                .mark_notifications_read(&caller.user_id, &ids, req.now)
                .await?
        }
    };
    let unread_count = app
        .store
        .inbox_state(&caller.user_id)
        .await?
        .map_or(0, |s| s.unread);
    Ok(ApiResponse::ok(&MarkReadResponse {
        marked,
        unread_count,
    }))
}
