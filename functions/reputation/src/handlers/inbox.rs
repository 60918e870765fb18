//! The inbox (API.md `GET /v1/me/notifications`, `POST /v1/me/notifications/read`): what the
//! notifications worker wrote for the caller, newest first, with the unread count.

use http::Method;
use schemars::{JsonSchema, Schema};
use serde::{Deserialize, Serialize};
use serde_json::json;
use worklane::domain::notification::{Notification, NotificationId};
use worklane::handler;
use worklane::http::auth::Caller;
use worklane::http::query::{QueryParam, CURSOR};
use worklane::http::router::{bearer_routes, schema_of, Route};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::App;

/// Ids one request may mark (one transaction with the counter).
pub const MAX_IDS: usize = 50;
pub const MIN_IDS: usize = 1;

/// What `NotificationId::parse` accepts: its prefix and 26 base-32 characters of either case.
pub fn notification_id_pattern() -> String {
    format!(
        "^{}_[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{{26}}$",
        NotificationId::PREFIX
    )
}

fn notification_ids_schema(schema: &mut Schema) {
    schema.insert(
        "items".into(),
        json!({"type": "string", "pattern": notification_id_pattern()}),
    );
}

/// `all` may only be `true` (or left out): `false` is refused, and so is any `all` next to `ids`.
fn only_true(schema: &mut Schema) {
    schema.insert("enum".into(), json!([true, null]));
}

const PAGE: QueryParam = QueryParam::limit(20, 100);

pub fn routes() -> Vec<Route> {
    let route = bearer_routes("inbox");
    vec![
        route(Method::GET, "/v1/me/notifications", "listMyNotifications",
            "The caller's notifications, newest first, with the unread count",
            None, Some(schema_of::<InboxPage>), 200, handler!(list))
            .with_query(&[PAGE, CURSOR]),
        route(Method::POST, "/v1/me/notifications/read", "markMyNotificationsRead",
            "Mark notifications read: `{\"ids\": [..]}` (the caller's; others' ids are ignored) or all (`{\"all\": true}` or no body)",
            Some(schema_of::<MarkReadRequest>), Some(schema_of::<MarkReadResponse>), 200, handler!(mark_read))
            .with_optional_body(),
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
#[schemars(transform = not_both)]
pub struct MarkReadRequest {
    /// Notification ids to mark (1 to 50); ids that are not the caller's are ignored. Not
    /// together with `all`.
    #[serde(default)]
    #[schemars(length(min = MIN_IDS, max = MAX_IDS), transform = notification_ids_schema)]
    pub ids: Option<Vec<String>>,
    /// `true`: everything in the inbox (as an empty body or one without `ids`). Not together
    /// with `ids`.
    #[serde(default)]
    #[schemars(transform = only_true)]
    pub all: Option<bool>,
}

/// `ids` and `all` are alternatives: a body with both (neither null) is refused.
fn not_both(schema: &mut schemars::Schema) {
    schema.insert(
        "not".into(),
        serde_json::json!({"required": ["ids", "all"],
            "properties": {"ids": {"type": "array"}, "all": {"type": "boolean"}}}),
    );
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
                if !(MIN_IDS..=MAX_IDS).contains(&ids.len()) {
                    return Err(ApiError::validation(
                        "ids",
                        format!("from {MIN_IDS} to {MAX_IDS} notification ids"),
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
    let limit = PAGE.page_size(&req)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The characters a `[…]` class of ranges and single characters holds.
    fn class_chars(class: &str) -> Vec<char> {
        let inner: Vec<char> = class
            .trim_start_matches('[')
            .trim_end_matches(']')
            .chars()
            .collect();
        let mut chars = Vec::new();
        let mut i = 0;
        while i < inner.len() {
            if inner.get(i + 1) == Some(&'-') && i + 2 < inner.len() {
                chars.extend(inner[i]..=inner[i + 2]);
                i += 3;
            } else {
                chars.push(inner[i]);
                i += 1;
            }
        }
        chars
    }

    #[test]
    fn the_id_pattern_takes_what_parse_takes() {
        let pattern = notification_id_pattern();
        let class = pattern
            .strip_prefix("^ntf_")
            .and_then(|rest| rest.strip_suffix("{26}$"))
            .unwrap();
        let allowed = class_chars(class);
        for c in (0u8..=127).map(char::from) {
            let id = format!("ntf_{}", c.to_string().repeat(26));
            assert_eq!(
                NotificationId::parse(&id).is_some(),
                allowed.contains(&c),
                "{c:?}"
            );
        }
        assert!(NotificationId::parse(&format!("ntf_{}", "0".repeat(25))).is_none());
        assert!(NotificationId::parse(&format!("ntf_{}", "0".repeat(27))).is_none());
    }

    #[test]
    fn all_may_only_be_true_and_not_next_to_ids() {
        let request = |body: serde_json::Value| {
            serde_json::from_value::<MarkReadRequest>(body)
                .unwrap()
                .check()
        };
        assert!(matches!(request(json!({"all": true})), Ok(Marking::All)));
        assert!(matches!(request(json!({"all": null})), Ok(Marking::All)));
        assert!(request(json!({"all": false})).is_err());
        assert!(request(json!({"all": true, "ids": []})).is_err());
        assert!(request(json!({"ids": []})).is_err());
        let schema = serde_json::to_value(schemars::schema_for!(MarkReadRequest)).unwrap();
        assert_eq!(schema["properties"]["all"]["enum"], json!([true, null]));
        let ids = &schema["properties"]["ids"];
        assert_eq!(
            (&ids["minItems"], &ids["maxItems"]),
            (&json!(MIN_IDS), &json!(MAX_IDS))
        );
        assert_eq!(ids["items"]["pattern"], json!(notification_id_pattern()));
    }
}
