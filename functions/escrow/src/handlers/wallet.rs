//! Money as its owner sees it (API.md `GET /v1/me/wallet`, `GET /v1/me/transactions`) and the
//! ledger audit for admins.

use http::Method;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;
use worklane::domain::account::Role;
use worklane::domain::ledger::{AccountId, AuditReport, Transfer};
use worklane::domain::money::{Currency, Money};
use worklane::domain::offer::Side;
use worklane::domain::report::{balances, own_accounts, Column};
use worklane::handler;
use worklane::http::auth::Caller;
use worklane::http::cursor::Page;
use worklane::http::query::{QueryParam, CURSOR};
use worklane::http::router::{schema_of, Access, Route};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::store::Store;
use worklane::App;

const TRANSFERS_PAGE: QueryParam = QueryParam::limit(50, 200);

pub fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::GET,
            path: "/v1/me/wallet",
            function: "wallet",
            operation_id: "getMyWallet",
            summary:
                "Pending (security period), in review, in escrow and available money, and Connects",
            access: Access::Bearer,
            request: None,
            response: Some(schema_of::<WalletView>),
            success: 200,
            handler: handler!(wallet),
            query: &[],
            body_optional: false,
            limit: None,
        },
        Route {
            method: Method::GET,
            path: "/v1/me/transactions",
            function: "wallet",
            operation_id: "listMyTransactions",
            summary: "Ledger transfers touching the caller's accounts, newest first",
            access: Access::Bearer,
            request: None,
            response: Some(schema_of::<Page<Transfer>>),
            success: 200,
            handler: handler!(transactions),
            query: &[TRANSFERS_PAGE, CURSOR],
            body_optional: false,
            limit: None,
        },
        Route {
            method: Method::GET,
            path: "/v1/admin/ledger/audit",
            function: "wallet",
            operation_id: "auditLedger",
            summary:
                "Admin: Σ per currency, every balance replayed from its transfers, any mismatch",
            access: Access::Bearer,
            request: None,
            response: Some(schema_of::<AuditReport>),
            success: 200,
            handler: handler!(audit),
            query: &[],
            body_optional: false,
            limit: None,
        },
    ]
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct WalletView {
    pub currency: Currency,
    /// Freelancer: released earnings inside the 5-day security period.
    #[schemars(with = "String")]
    pub pending: Decimal,
    /// Freelancer: hourly invoices still in their review window.
    #[schemars(with = "String")]
    pub in_review: Decimal,
    /// Client: funded milestones not yet released or refunded.
    #[schemars(with = "String")]
    pub in_escrow: Decimal,
    /// Withdrawable (freelancer) or spendable balance (client: money returned from escrow).
    #[schemars(with = "String")]
    pub available: Decimal,
    /// Freelancer: withdrawals requested and not yet paid (or returned to available).
    #[schemars(with = "String")]
    pub withdrawing: Decimal,
    pub connects: i64,
}

fn caller_accounts(caller: &Caller) -> Vec<AccountId> {
    [Side::Client, Side::Freelancer]
        .into_iter()
        .flat_map(|side| own_accounts(side, &caller.user_id))
        .collect()
}

pub async fn wallet(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    let accounts = caller_accounts(&caller);
    let totals = app.store.ledger_accounts(&accounts).await?;
    let accounts: Vec<_> = accounts.into_iter().zip(totals).collect();
    // The reports' formulas, so a report's balances always equal the wallet.
    let freelancer = balances(Side::Freelancer, &caller.user_id, &accounts);
    let client = balances(Side::Client, &caller.user_id, &accounts);
    let connects = if caller.roles.contains(&Role::Freelancer) {
        app.store.connects_balance(&caller.user_id).await?
    } else {
        0
    };
    let cents = |amount: Decimal| {
        Money::new(amount, Currency::USD)
            .map(|m| m.amount)
            .unwrap_or(amount)
    };
    Ok(ApiResponse::ok(&WalletView {
        currency: Currency::USD,
        pending: cents(freelancer.get(Column::Pending)),
        // Held for the freelancer until the review ends (disputed weeks stay here, frozen).
        in_review: cents(freelancer.get(Column::InReview)),
        in_escrow: cents(client.get(Column::InEscrow)),
        available: cents(freelancer.get(Column::Available) + client.get(Column::Available)),
        withdrawing: cents(freelancer.get(Column::Withdrawing)),
        connects,
    }))
}

pub async fn transactions(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    let limit = TRANSFERS_PAGE.page_size(&req)?;
    let scope = format!("transactions:{}", caller.user_id);
    let cursors = app.cursors()?;
    let before: Option<String> = match CURSOR.read(&req)? {
        Some(cursor) => Some(cursors.decode(&scope, cursor)?),
        None => None,
    };
    let items = app
        .store
        .account_transfers(&caller_accounts(&caller), before.as_deref(), limit)
        .await?;
    let next_cursor = (items.len() == limit as usize)
        .then(|| items.last())
        .flatten()
        .map(|last| cursors.encode(&scope, &Store::transfer_position(last)));
    Ok(ApiResponse::ok(&Page { items, next_cursor }))
}

pub async fn audit(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    caller.require_role(Role::Admin)?;
    Ok(ApiResponse::ok(&app.store.audit_ledger().await?))
}
