//! A freelancer's membership plan (docs/plans.md): read it, subscribe to Plus (the rest of the
//! month charged through the processor and the ledger), cancel at the period's end, history.

use chrono::{DateTime, Utc};
use http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use worklane::domain::account::Role;
use worklane::domain::ids::{BillingMethodId, UserId};
use worklane::domain::money::Money;
use worklane::domain::plan::{
    Period, PlanCatalogue, PlanEvent, PlanEventKind, PlanId, PlanStatus, Subscribe, Subscription,
};
use worklane::handler;
use worklane::http::handler::{caller_with, charge_source};
use worklane::http::query::{QueryParam, CURSOR};
use worklane::http::router::{bearer_routes, schema_of, Route};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::store::ledger::already_applied;
use worklane::store::plans::{plan_change_tx, plan_transfer_id, Grant, PlanChange};
use worklane::store::TxError;
use worklane::App;

const HISTORY_PAGE: QueryParam = QueryParam::limit(20, 100);

pub fn routes() -> Vec<Route> {
    let route = bearer_routes("plans");
    vec![
        route(
            Method::GET,
            "/v1/me/plan",
            "getMyPlan",
            "The freelancer's membership plan: period, next renewal and its price",
            None,
            Some(schema_of::<PlanView>),
            200,
            handler!(my_plan),
        ),
        route(
            Method::POST,
            "/v1/me/plan",
            "subscribeToPlus",
            "Subscribe to Plus (the rest of the month charged now), or take back a cancellation",
            Some(schema_of::<SubscribeRequest>),
            Some(schema_of::<PlanView>),
            200,
            handler!(subscribe),
        ),
        route(
            Method::POST,
            "/v1/me/plan/cancel",
            "cancelMyPlan",
            "Cancel Plus at the end of the paid period",
            None,
            Some(schema_of::<PlanView>),
            200,
            handler!(cancel),
        ),
        route(
            Method::GET,
            "/v1/me/plan/history",
            "getMyPlanHistory",
            "The freelancer's plan history, newest first",
            None,
            Some(schema_of::<PlanHistoryView>),
            200,
            handler!(history),
        )
        .with_query(&[HISTORY_PAGE, CURSOR]),
    ]
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PlanView {
    pub plan: PlanId,
    pub status: PlanStatus,
    /// The current period (a UTC calendar month).
    pub period: Period,
    pub cancel_at_period_end: bool,
    /// When Plus renews next (or tries again after a refusal); absent on Basic and when
    /// Plus ends at the period's end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renews_at: Option<DateTime<Utc>>,
    /// What that renewal charges.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewal_price: Option<Money>,
    /// Refused renewal attempts for the period being renewed.
    pub renewal_attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_renewal_error: Option<String>,
    pub monthly_price: Money,
    pub monthly_connects: u32,
    /// The schedule that priced the current period.
    pub schedule_id: String,
}

fn view(subscription: &Subscription, catalogue: &PlanCatalogue, now: DateTime<Utc>) -> PlanView {
    let terms = catalogue.in_force(now).terms(subscription.plan);
    let renews_at = subscription
        .due_at()
        .filter(|_| !subscription.cancel_at_period_end);
    PlanView {
        plan: subscription.plan,
        status: subscription.status,
        period: subscription.period,
        cancel_at_period_end: subscription.cancel_at_period_end,
        renews_at,
        renewal_price: renews_at.map(|_| {
            catalogue
                .in_force(subscription.period.end)
                .plus
                .monthly_price
        }),
        renewal_attempts: subscription.renewal.as_ref().map_or(0, |f| f.attempts),
        last_renewal_error: subscription.renewal.as_ref().map(|f| f.last_error.clone()),
        monthly_price: terms.monthly_price,
        monthly_connects: terms.monthly_connects,
        schedule_id: subscription.schedule_id.clone(),
    }
}

pub async fn my_plan(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Freelancer)?;
    let catalogue = PlanCatalogue::standard();
    let current = app
        .store
        .plan_of(&caller.user_id, &catalogue, req.now)
        .await?;
    Ok(ApiResponse::ok(&view(&current, &catalogue, req.now)))
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaidPlan {
    Plus,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscribeRequest {
    pub plan: PaidPlan,
    /// Defaults to the caller's default billing method; renewals charge the default one.
    #[serde(default)]
    pub billing_method_id: Option<BillingMethodId>,
}

/// From Basic: charges the rest of the month, then records the money, the plan, its history
/// line and Plus's extra Connects in one transaction. The transfer id (and so the processor's
/// idempotency key) comes from the user and the month, so a retry after a lost response
/// charges the same charge and finds the transfer already there. A cancelled Plus is taken
/// back for free.
pub async fn subscribe(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Freelancer)?;
    let body: SubscribeRequest = req.json()?;
    let PaidPlan::Plus = body.plan;
    let user = &caller.user_id;
    let catalogue = PlanCatalogue::standard();
    let schedule = catalogue.in_force(req.now);
    let before = app.store.plan_of(user, &catalogue, req.now).await?;
    let change = match before.subscribe(schedule, req.now)? {
        Subscribe::Resume { after } => PlanChange {
            before: &before,
            event: PlanEvent::new(PlanEventKind::Resumed, &after, after.period, req.now),
            basis: format!("resumed:{}", after.version),
            after,
            paid: None,
            grant: None,
        },
        Subscribe::Charge { after, amount } => {
            let method = charge_source(app, user, body.billing_method_id.as_ref(), req.now).await?;
            let transfer = plan_transfer_id(user, &after.period, "subscribe");
            // Keyed by (user, month) only: whichever card a retry names, the month is
            // charged once. A charge whose transaction did not land is not refunded: any
            // later subscription of the month meets the same charge and records it.
            app.payments()
                .charge(&method.processor_token, amount, transfer.as_str())
                .await?;
            // Plus's whole month when the month was not granted yet (subscribing on the 1st
            // before the monthly schedule ran), else what Plus gives over Basic's grant.
            let grant = match app
                .store
                .month_grant(user, &schedule.plus, req.now, " (Plus)")
                .await?
            {
                Some(month) => month,
                None => Grant::Upgrade {
                    at: req.now,
                    connects: schedule.upgrade_connects(app.store.connects_balance(user).await?),
                },
            };
            PlanChange {
                before: &before,
                event: PlanEvent::new(PlanEventKind::Subscribed, &after, after.period, req.now)
                    .paid(amount, &transfer),
                basis: format!("subscribed:{}", after.period.month()),
                grant: Some(grant),
                paid: Some((transfer, amount)),
                after,
            }
        }
    };
    commit(app, user, change, &catalogue, req.now).await
}

pub async fn cancel(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Freelancer)?;
    let user = &caller.user_id;
    let catalogue = PlanCatalogue::standard();
    let before = app.store.plan_of(user, &catalogue, req.now).await?;
    let Some(after) = before.cancel()? else {
        return Ok(ApiResponse::ok(&view(&before, &catalogue, req.now)));
    };
    let change = PlanChange {
        before: &before,
        event: PlanEvent::new(
            PlanEventKind::CancelRequested,
            &after,
            after.period,
            req.now,
        ),
        basis: format!("cancel:{}", after.version),
        after,
        paid: None,
        grant: None,
    };
    commit(app, user, change, &catalogue, req.now).await
}

/// Writes a change and answers with the plan as it now is. A transfer already there means an
/// earlier attempt of this very charge landed: its outcome is the answer.
async fn commit(
    app: &App,
    user: &UserId,
    change: PlanChange<'_>,
    catalogue: &PlanCatalogue,
    now: DateTime<Utc>,
) -> Result<ApiResponse, ApiError> {
    let after = change.after.clone();
    let tx = plan_change_tx(change).map_err(|err| ApiError::Internal(err.to_string()))?;
    let current = match app.store.transact(tx).await {
        Ok(()) => after,
        Err(TxError::ConditionFailed { label, .. }) if already_applied(label) => {
            app.store.plan_of(user, catalogue, now).await?
        }
        Err(err) => return Err(err.into()),
    };
    Ok(ApiResponse::ok(&view(&current, catalogue, now)))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PlanHistoryView {
    pub items: Vec<PlanEvent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

pub async fn history(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Freelancer)?;
    let scope = format!("plan-history:{}", caller.user_id);
    let start = app.cursors()?.start_key(&scope, &req)?;
    let limit = HISTORY_PAGE.page_size(&req)?;
    let (items, last) = app
        .store
        .plan_history(&caller.user_id, limit, start)
        .await?;
    Ok(ApiResponse::ok(&PlanHistoryView {
        items,
        next_cursor: app.cursors()?.next(&scope, last.as_ref()),
    }))
}
