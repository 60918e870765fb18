//! Disputes (PRODUCT §13). So far: a client disputes a week of hourly work during its review
//! (§8.5) — the week's money freezes, the contract pauses with a zero weekly limit, and the
//! freelancer is asked to answer. Answers and mediation come with the disputes work.

use super::{caller_with, retry_stale};
use crate::domain::account::Role;
use crate::domain::dispute::{Dispute, DisputeRequest};
use crate::domain::ids::DisputeId;
use crate::domain::offer::Side;
use crate::functions::Function;
use crate::handler;
use crate::http::auth::Caller;
use crate::http::router::{bearer_routes, schema_of, Route};
use crate::http::{ApiError, ApiRequest, ApiResponse};
use crate::store::hourly::dispute_tx;
use crate::store::TxError;
use crate::App;
use http::Method;

pub(super) fn routes() -> Vec<Route> {
    let route = bearer_routes(Function::Disputes);
    vec![
        route(Method::POST, "/v1/disputes", "openDispute",
            "Client: dispute a week of hourly work until Friday 23:59 UTC of its review (money frozen, contract paused)",
            Some(schema_of::<DisputeRequest>), Some(schema_of::<Dispute>), 201, handler!(open)),
        route(Method::GET, "/v1/disputes/{id}", "getDispute",
            "A party (or an admin): the dispute", None, Some(schema_of::<Dispute>), 200, handler!(get)),
    ]
}

pub async fn open(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Client)?;
    let body: DisputeRequest = req.json()?;
    let (timesheet_id, reason) = body.check()?;
    retry_stale(|| async {
        let (contract, week) = app.store.contract_and_week(&timesheet_id).await?;
        // Strangers learn nothing about the week, not even that it exists.
        let not_found = || ApiError::NotFound("timesheet");
        let contract = contract
            .filter(|c| Side::of(&c.parties, &caller.user_id).is_some())
            .ok_or_else(not_found)?;
        let week = week.ok_or_else(not_found)?;
        let id = DisputeId::derived(week.week().starts_at(), &format!("dispute:{}", week.id));
        let disputed = week.dispute(&caller.user_id, id.clone(), req.now)?;
        let paused = contract.hourly_dispute_opened(req.now)?;
        let amount = week
            .invoice
            .as_ref()
            .map(|i| i.amount)
            .ok_or_else(|| ApiError::Internal(format!("{} has no invoice", week.id)))?;
        let dispute = Dispute::hourly(id, &week, amount, reason.clone(), req.now);
        let response = ApiResponse::created(&dispute);
        let tx = dispute_tx((&week, &disputed), (&contract, &paused), &dispute, req.now);
        match super::commit_answer(app, &req, tx, response).await {
            Ok(response) => Ok(Some(response)),
            // The week or the contract moved (a release, a pause, a segment): decide again.
            Err(TxError::ConditionFailed {
                label: "timesheet" | "contract" | "dispute",
                ..
            }) => Ok(None),
            Err(TxError::ConditionFailed { label, .. }) => Err(ApiError::Internal(format!(
                "unexpected condition failure on {label}"
            ))),
            Err(TxError::Store(err)) => Err(err.into()),
        }
    })
    .await
}

pub async fn get(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(&app.keys, &req)?;
    let id = DisputeId::parse(req.path_param("id")?).ok_or(ApiError::NotFound("dispute"))?;
    let dispute = app
        .store
        .dispute(&id)
        .await?
        .filter(|d| d.is_party(&caller.user_id) || caller.roles.contains(&Role::Admin))
        .ok_or(ApiError::NotFound("dispute"))?;
    Ok(ApiResponse::ok(&dispute))
}
