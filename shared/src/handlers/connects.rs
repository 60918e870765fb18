//! A freelancer's Connects: balance and history (§4.4).

use super::jobs::caller_with;
use crate::domain::account::Role;
use crate::domain::connects::ConnectsEntry;
use crate::functions::Function;
use crate::handler;
use crate::http::cursor::page_limit;
use crate::http::router::{schema_of, Access, Route};
use crate::http::{ApiError, ApiRequest, ApiResponse};
use crate::App;
use http::Method;
use schemars::JsonSchema;
use serde::Serialize;

pub(super) fn routes() -> Vec<Route> {
    vec![Route {
        method: Method::GET,
        path: "/v1/me/connects",
        function: Function::Connects,
        operation_id: "getMyConnects",
        summary: "The freelancer's Connects balance and its entries, newest first",
        access: Access::Bearer,
        request: None,
        response: Some(schema_of::<ConnectsView>),
        success: 200,
        handler: handler!(my_connects),
    }]
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ConnectsView {
    pub balance: i64,
    /// The history page: grants, spends, boosts, refunds and purchases.
    pub items: Vec<ConnectsEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

pub async fn my_connects(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Freelancer)?;
    let scope = format!("connects:{}", caller.user_id);
    let start = app.cursors.start_key(&scope, &req)?;
    let limit = page_limit(&req, 50, 200)?;
    let balance = app.store.connects_balance(&caller.user_id).await?;
    let (items, last) = app
        .store
        .connects_entries(&caller.user_id, limit, start)
        .await?;
    Ok(ApiResponse::ok(&ConnectsView {
        balance,
        items,
        next_cursor: app.cursors.next(&scope, last.as_ref()),
    }))
}
