//! Withdrawals (PRODUCT §9.4): a confirmed freelancer with a verified identity withdraws
//! available money to a payout method. The request sets the amount aside in one transaction
//! and answers `requested`; the `withdrawals-processing` worker pays it out (or returns it).

use chrono::{DateTime, Utc};
use http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use worklane::domain::account::Role;
use worklane::domain::card_refund::{CardRefund, CardRefundState};
use worklane::domain::ids::{DisputeId, PayoutMethodId, WithdrawalId};
use worklane::domain::money::{Money, MoneyInput};
use worklane::domain::payout::{PayoutCatalogue, PayoutKind};
use worklane::domain::withdrawal::{
    self, PayoutFailure, PayoutTarget, Withdrawal, WithdrawalRuleViolation, WithdrawalState,
};
use worklane::handler;
use worklane::http::auth::Caller;
use worklane::http::cursor::Page;
use worklane::http::handler::{caller_with, commit_answer};
use worklane::http::query::{QueryParam, CURSOR};
use worklane::http::router::{bearer_routes, schema_of, Route, SchemaFn};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::store::payments::PayoutMethodRecord;
use worklane::store::withdrawals::request_tx;
use worklane::store::TxError;
use worklane::store::{Label, WriteConflict};
use worklane::App;

pub fn routes() -> Vec<Route> {
    let route = bearer_routes("withdrawals");
    let view = Some(schema_of::<WithdrawalView> as SchemaFn);
    vec![
        route(Method::POST, "/v1/me/withdrawals", "requestWithdrawal",
            "Freelancer with a verified identity: withdraw available money to a payout method (the default if none is named); the method's fee comes out of the amount",
            Some(schema_of::<WithdrawalRequest>), view, 201, handler!(request)),
        route(Method::GET, "/v1/me/withdrawals", "listMyWithdrawals",
            "The freelancer's withdrawals, newest first",
            None, Some(schema_of::<Page<WithdrawalView>>), 200, handler!(list_mine))
            .with_query(&[PAGE, CURSOR]),
        route(Method::GET, "/v1/withdrawals/{id}", "getWithdrawal",
            "One of the caller's withdrawals: requested, processing, paid or returned",
            None, view, 200, handler!(get_one)),
        route(Method::GET, "/v1/me/card-refunds", "listMyCardRefunds",
            "Client: what disputes sent back to the cards that paid (the client chose refund_to card when opening), newest first: requested, refunded, or failed and kept as balance",
            None, Some(schema_of::<Page<CardRefundView>>), 200, handler!(card_refunds))
            .with_query(&[PAGE, CURSOR]),
    ]
}

const PAGE: QueryParam = QueryParam::limit(20, 100);

/// A refund to a card as the client sees it; times are null until they happen.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CardRefundView {
    /// The dispute whose outcome gave the money back.
    pub dispute_id: DisputeId,
    /// The milestone or week the money came back from.
    pub reference: String,
    pub state: CardRefundState,
    /// At most what the card was charged for it; the rest of the refund stayed balance.
    pub amount: Money,
    /// The card or account, e.g. `visa •••• 4242`.
    pub card: String,
    pub requested_at: DateTime<Utc>,
    pub refunded_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    /// Why the card refused it, when it failed (the amount is back in the balance).
    pub failure: Option<String>,
}

impl From<CardRefund> for CardRefundView {
    fn from(refund: CardRefund) -> Self {
        Self {
            dispute_id: refund.dispute_id,
            reference: refund.reference,
            state: refund.state,
            amount: refund.amount,
            card: refund.charge.method,
            requested_at: refund.requested_at,
            refunded_at: refund.refunded_at,
            failed_at: refund.failed_at,
            failure: refund.failure,
        }
    }
}

pub async fn card_refunds(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Client)?;
    let scope = format!("card-refunds:{}", caller.user_id);
    let start = app.cursors()?.start_key(&scope, &req)?;
    let limit = PAGE.page_size(&req)?;
    let (refunds, next) = app
        .store
        .card_refunds(&caller.user_id, limit, start)
        .await?;
    Ok(ApiResponse::ok(&Page {
        items: refunds
            .into_iter()
            .map(CardRefundView::from)
            .collect::<Vec<_>>(),
        next_cursor: app.cursors()?.next(&scope, next.as_ref()),
    }))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalRequest {
    /// What leaves the available balance, the method's fee included: at least the method's
    /// minimum, at most the available balance.
    #[schemars(transform = withdrawal::AMOUNT.schema())]
    pub amount: MoneyInput,
    /// Absent: the default payout method.
    #[serde(default)]
    pub payout_method_id: Option<PayoutMethodId>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PayoutMethodSummary {
    pub id: PayoutMethodId,
    #[serde(rename = "type")]
    pub kind: PayoutKind,
    pub label: String,
}

/// A withdrawal as its owner sees it; times are null until they happen.
#[derive(Debug, Serialize, JsonSchema)]
pub struct WithdrawalView {
    pub id: WithdrawalId,
    pub state: WithdrawalState,
    /// Taken from the available balance.
    pub amount: Money,
    /// The payout method's fee, kept by the platform once paid (returned on failure).
    pub fee: Money,
    /// What reaches the payout method.
    pub net: Money,
    pub payout_method: PayoutMethodSummary,
    pub requested_at: DateTime<Utc>,
    pub processing_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
    /// Why the payout failed, when it was returned.
    pub failure: Option<PayoutFailure>,
}

impl From<&Withdrawal> for WithdrawalView {
    fn from(w: &Withdrawal) -> Self {
        Self {
            id: w.id.clone(),
            state: w.state,
            amount: w.amount,
            fee: w.fee,
            net: w.net,
            payout_method: PayoutMethodSummary {
                id: w.target.method_id.clone(),
                kind: w.target.kind,
                label: w.target.label.clone(),
            },
            requested_at: w.requested_at,
            processing_at: w.processing_at,
            paid_at: w.paid_at,
            returned_at: w.returned_at,
            failure: w.failure.clone(),
        }
    }
}

/// The payout method named, else the default; it must be the caller's.
async fn payout_method(
    app: &App,
    caller: &Caller,
    named: Option<&PayoutMethodId>,
    default: Option<&str>,
) -> Result<PayoutMethodRecord, ApiError> {
    let user = &caller.user_id;
    match named {
        Some(id) => app.store.payout_method(user, id).await?.ok_or_else(|| {
            ApiError::validation("payout_method_id", "no payout method of yours has this id")
        }),
        None => {
            let required = || WithdrawalRuleViolation::NoPayoutMethod;
            let id = default
                .and_then(PayoutMethodId::parse)
                .ok_or_else(required)?;
            Ok(app
                .store
                .payout_method(user, &id)
                .await?
                .ok_or_else(required)?)
        }
    }
}

pub async fn request(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Freelancer)?;
    let body: WithdrawalRequest = req.json()?;
    let amount = withdrawal::AMOUNT
        .parse(&body.amount)
        .map_err(|err| ApiError::validation("amount", err.to_string()))?;
    let context = app.store.withdrawal_context(&caller.user_id).await?;
    let account = context
        .account
        .ok_or(ApiError::Unauthenticated("the account no longer exists"))?;
    if account.identity_verified_at.is_none() {
        return Err(WithdrawalRuleViolation::IdentityNotVerified.into());
    }
    let method = payout_method(
        app,
        &caller,
        body.payout_method_id.as_ref(),
        context.default_method.as_deref(),
    )
    .await?;
    let terms = PayoutCatalogue::standard().terms(method.kind).clone();
    let withdrawal = Withdrawal::request(
        WithdrawalId::generate(req.now),
        caller.user_id.clone(),
        PayoutTarget {
            method_id: method.id,
            kind: method.kind,
            label: method.label,
            processor_token: method.processor_token,
        },
        &terms,
        amount,
        context.available.available(),
        req.now,
    )?;
    let tx = request_tx(&withdrawal)
        .map_err(|err| ApiError::Internal(format!("invalid ledger movement: {err}")))?;
    let response = ApiResponse::created(&WithdrawalView::from(&withdrawal));
    match commit_answer(app, &req, tx, response).await {
        Ok(response) => Ok(response),
        // Another withdrawal or spend took the money between the read and the write.
        Err(TxError::ConditionFailed {
            label: Label::Account,
            ..
        }) => Err(WriteConflict::WithdrawalNotCovered.into()),
        Err(TxError::ConditionFailed {
            label: Label::Idempotency,
            ..
        }) => Err(WriteConflict::IdempotencyInProgress.into()),
        Err(err) => Err(err.into()),
    }
}

pub async fn list_mine(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Freelancer)?;
    let limit = PAGE.page_size(&req)?;
    let scope = format!("withdrawals:{}", caller.user_id);
    let start = app.cursors()?.start_key(&scope, &req)?;
    let (withdrawals, next) = app.store.withdrawals(&caller.user_id, limit, start).await?;
    Ok(ApiResponse::ok(&Page {
        items: withdrawals
            .iter()
            .map(WithdrawalView::from)
            .collect::<Vec<_>>(),
        next_cursor: app.cursors()?.next(&scope, next.as_ref()),
    }))
}

pub async fn get_one(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    const NOT_FOUND: ApiError = ApiError::NotFound("withdrawal");
    let caller = Caller::from_request(app.keys()?, &req)?;
    let id = WithdrawalId::parse(req.path_param("id")?).ok_or(NOT_FOUND)?;
    // The key is the caller's own partition: someone else's id finds nothing.
    let withdrawal = app
        .store
        .withdrawal(&caller.user_id, &id)
        .await?
        .ok_or(NOT_FOUND)?;
    Ok(ApiResponse::ok(&WithdrawalView::from(&withdrawal)))
}
