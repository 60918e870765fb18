//! A freelancer's Connects: balance and history (§4.4).

use http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use worklane::domain::account::Role;
use worklane::domain::connects::ConnectsEntry;
use worklane::domain::connects::{connects_price, EntryKind};
use worklane::domain::ids::{BillingMethodId, TransferId};
use worklane::domain::ledger::{AccountId, Phase, Transfer, TransferCode};
use worklane::domain::money::Money;
use worklane::handler;
use worklane::http::handler::caller_with;
use worklane::http::query::{QueryParam, CURSOR};
use worklane::http::router::{schema_of, Access, Route};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::store::connects::{credit_op, OWN};
use worklane::store::ledger::{already_applied, Movement};
use worklane::store::{Tx, TxError};
use worklane::App;

const ENTRIES_PAGE: QueryParam = QueryParam::limit(50, 200);

pub fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::POST,
            path: "/v1/me/connects/purchase",
            function: "connects",
            operation_id: "purchaseConnects",
            summary: "Buy Connects at $0.15 each, charged to a billing method through the ledger",
            access: Access::Bearer,
            request: Some(schema_of::<PurchaseRequest>),
            response: Some(schema_of::<PurchaseView>),
            success: 201,
            handler: handler!(purchase),
            query: &[],
            body_optional: false,
            limit: None,
        },
        Route {
            method: Method::GET,
            path: "/v1/me/connects",
            function: "connects",
            operation_id: "getMyConnects",
            summary: "The freelancer's Connects balance and its entries, newest first",
            access: Access::Bearer,
            request: None,
            response: Some(schema_of::<ConnectsView>),
            success: 200,
            handler: handler!(my_connects),
            query: &[ENTRIES_PAGE, CURSOR],
            body_optional: false,
            limit: None,
        },
    ]
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
    let start = app.cursors()?.start_key(&scope, &req)?;
    let limit = ENTRIES_PAGE.page_size(&req)?;
    let balance = app.store.connects_balance(&caller.user_id).await?;
    let (items, last) = app
        .store
        .connects_entries(&caller.user_id, limit, start)
        .await?;
    Ok(ApiResponse::ok(&ConnectsView {
        balance,
        items,
        next_cursor: app.cursors()?.next(&scope, last.as_ref()),
    }))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseRequest {
    #[schemars(range(
        min = worklane::domain::connects::MIN_PURCHASE,
        max = worklane::domain::connects::MAX_PURCHASE
    ))]
    pub quantity: u32,
    /// Defaults to the caller's default billing method.
    #[serde(default)]
    pub billing_method_id: Option<BillingMethodId>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PurchaseView {
    pub quantity: u32,
    pub price: Money,
    pub balance: i64,
    pub transfer_id: TransferId,
}

/// Charges the card, then records the money (world → platform revenue) and the Connects in
/// one transaction. The transfer id comes from the Idempotency-Key, so a retry after a lost
/// response charges the same processor charge (the processor is idempotent on it too) and
/// finds the transfer already there instead of paying twice.
pub async fn purchase(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Freelancer)?;
    let body: PurchaseRequest = req.json()?;
    let price = connects_price(body.quantity)
        .map_err(|message| ApiError::validation("quantity", message))?;
    let method = worklane::http::handler::charge_source(
        app,
        &caller.user_id,
        body.billing_method_id.as_ref(),
        req.now,
    )
    .await?;
    let basis = format!(
        "connects-purchase:{}:{}",
        caller.user_id,
        req.idempotency_basis()?
    );
    let transfer_id = TransferId::derived(req.now, &basis);
    app.payments()
        .charge(&method.processor_token, price, transfer_id.as_str())
        .await?;
    let movement = Movement::new().transfer(Transfer::new(
        transfer_id.clone(),
        AccountId::world(price.currency),
        AccountId::fees_for(&transfer_id),
        price,
        Phase::Posted,
        TransferCode::ConnectsPurchase,
        format!("connects:{}", caller.user_id),
        req.now,
    ));
    let entry = ConnectsEntry::new(
        EntryKind::Purchase,
        body.quantity,
        req.now,
        format!("bought {} Connects", body.quantity),
    );
    let tx = movement
        .write(Tx::new())
        .map_err(|err| ApiError::Internal(err.to_string()))?;
    let tx = credit_op(tx, &caller.user_id, body.quantity, &entry, &basis, OWN);
    match app.store.transact(tx).await {
        Ok(()) => {}
        Err(TxError::ConditionFailed { label, .. }) if already_applied(label) => {}
        Err(err) => return Err(err.into()),
    }
    let balance = app.store.connects_balance(&caller.user_id).await?;
    Ok(ApiResponse::created(&PurchaseView {
        quantity: body.quantity,
        price,
        balance,
        transfer_id,
    }))
}
