//! Billing methods (clients pay with them) and payout methods (freelancers withdraw to them).
//! Details go to the payment processor first; only what it hands back (token, brand, last
//! four, expiry) is stored and shown.

use chrono::{DateTime, Utc};
use http::Method;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;
use worklane::domain::account::Role;
use worklane::domain::billing::{BillingMethodInput, BillingMethodKind};
use worklane::domain::ids::{BillingMethodId, PayoutMethodId};
use worklane::domain::payout::{PayoutCatalogue, PayoutKind, PayoutMethodInput};
use worklane::handler;
use worklane::http::cursor::Page;
use worklane::http::handler::{caller_with, caller_with_any};
use worklane::http::router::{bearer_routes, schema_of, Route};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::store::payments::{BillingMethodRecord, PayoutMethodRecord};
use worklane::App;

pub fn routes() -> Vec<Route> {
    let route = bearer_routes("payments");
    vec![
        route(
            Method::POST,
            "/v1/me/billing-methods",
            "addBillingMethod",
            "Add a card or US bank account through the payment processor; the first is the default",
            Some(schema_of::<BillingMethodInput> as _),
            Some(schema_of::<BillingMethodView> as _),
            201,
            handler!(add_billing_method),
        ),
        route(
            Method::GET,
            "/v1/me/billing-methods",
            "listBillingMethods",
            "The client's billing methods, masked",
            None,
            Some(schema_of::<Page<BillingMethodView>> as _),
            200,
            handler!(list_billing_methods),
        ),
        route(
            Method::POST,
            "/v1/me/billing-methods/{id}/default",
            "setDefaultBillingMethod",
            "Charge this billing method from now on (escrow funding, weekly hourly invoices and their retries)",
            None,
            Some(schema_of::<Page<BillingMethodView>> as _),
            200,
            handler!(set_default_billing_method),
        ),
        route(
            Method::POST,
            "/v1/me/payout-methods",
            "addPayoutMethod",
            "Add a withdrawal method (us_bank, local_bank, paypal, payoneer, wire); the first is the default",
            Some(schema_of::<PayoutMethodInput> as _),
            Some(schema_of::<PayoutMethodView> as _),
            201,
            handler!(add_payout_method),
        ),
        route(
            Method::GET,
            "/v1/me/payout-methods",
            "listPayoutMethods",
            "The freelancer's withdrawal methods, masked, with each one's fee and minimum",
            None,
            Some(schema_of::<Page<PayoutMethodView>> as _),
            200,
            handler!(list_payout_methods),
        ),
    ]
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BillingMethodView {
    pub id: BillingMethodId,
    #[serde(rename = "type")]
    pub kind: BillingMethodKind,
    /// Card brand (`visa`, `mastercard`, `amex`, `discover`) or `bank_account`.
    pub brand: String,
    pub last4: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp_month: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp_year: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder_name: Option<String>,
    pub default: bool,
    pub created_at: DateTime<Utc>,
}

impl BillingMethodView {
    fn new(record: BillingMethodRecord, default: Option<&str>) -> Self {
        Self {
            default: default == Some(record.id.as_str()),
            id: record.id,
            kind: record.kind,
            brand: record.brand,
            last4: record.last4,
            exp_month: record.exp_month,
            exp_year: record.exp_year,
            holder_name: record.holder_name,
            created_at: record.created_at,
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PayoutMethodView {
    pub id: PayoutMethodId,
    #[serde(rename = "type")]
    pub kind: PayoutKind,
    /// The last four digits of the account, or the masked email.
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder_name: Option<String>,
    /// Charged per withdrawal by this method, in USD.
    #[schemars(with = "String")]
    pub fee: Decimal,
    /// The smallest withdrawal by this method, in USD.
    #[schemars(with = "String")]
    pub minimum: Decimal,
    pub default: bool,
    pub created_at: DateTime<Utc>,
}

impl PayoutMethodView {
    fn new(record: PayoutMethodRecord, default: Option<&str>, prices: &PayoutCatalogue) -> Self {
        let terms = prices.terms(record.kind);
        Self {
            default: default == Some(record.id.as_str()),
            fee: terms.fee,
            minimum: terms.minimum,
            id: record.id,
            kind: record.kind,
            label: record.label,
            holder_name: record.holder_name,
            created_at: record.created_at,
        }
    }
}

pub async fn add_billing_method(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    // Freelancers pay too (Connects), so both roles keep billing methods.
    let caller = caller_with_any(app, &req, &[Role::Client, Role::Freelancer])?;
    let input: BillingMethodInput = req.json()?;
    let details = input.check(req.now)?;
    let id = BillingMethodId::generate(req.now);
    let vaulted = app
        .payments()
        .add_billing_method(id.as_str(), &details)
        .await?;
    let holder_name = match &details {
        worklane::domain::billing::BillingDetails::Bank(bank) => Some(bank.holder_name.clone()),
        worklane::domain::billing::BillingDetails::Card(_) => None,
    };
    let record = BillingMethodRecord {
        id,
        user_id: caller.user_id.clone(),
        kind: details.kind(),
        brand: vaulted.brand,
        last4: vaulted.last4,
        exp_month: vaulted.exp_month,
        exp_year: vaulted.exp_year,
        holder_name,
        processor_token: vaulted.token,
        created_at: req.now,
    };
    let default = app.store.add_billing_method(&record).await?;
    Ok(ApiResponse::created(&BillingMethodView::new(
        record,
        default.as_deref(),
    )))
}

pub async fn list_billing_methods(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    // Freelancers pay too (Connects), so both roles keep billing methods.
    let caller = caller_with_any(app, &req, &[Role::Client, Role::Freelancer])?;
    let (records, default) = app.store.billing_methods(&caller.user_id).await?;
    let items = records
        .into_iter()
        .map(|r| BillingMethodView::new(r, default.as_deref()))
        .collect();
    Ok(ApiResponse::ok(&Page {
        items,
        next_cursor: None,
    }))
}

pub async fn set_default_billing_method(
    app: &App,
    req: ApiRequest,
) -> Result<ApiResponse, ApiError> {
    let caller = caller_with_any(app, &req, &[Role::Client, Role::Freelancer])?;
    let id = BillingMethodId::parse(req.path_param("id")?)
        .ok_or(ApiError::NotFound("billing method"))?;
    // The list is the answer, and it holds the record the pointer keeps a copy of.
    let (records, _) = app.store.billing_methods(&caller.user_id).await?;
    let chosen = records
        .iter()
        .find(|r| r.id == id)
        .ok_or(ApiError::NotFound("billing method"))?;
    if !app.store.set_default_billing_method(chosen).await? {
        return Err(ApiError::NotFound("billing method"));
    }
    let items = records
        .into_iter()
        .map(|r| BillingMethodView::new(r, Some(id.as_str())))
        .collect();
    Ok(ApiResponse::ok(&Page {
        items,
        next_cursor: None,
    }))
}

pub async fn add_payout_method(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Freelancer)?;
    let input: PayoutMethodInput = req.json()?;
    let destination = input.check()?;
    let id = PayoutMethodId::generate(req.now);
    let vaulted = app
        .payments()
        .add_payout_method(id.as_str(), &destination)
        .await?;
    use worklane::domain::payout::PayoutDestination as D;
    let holder_name = match &destination {
        D::UsBank(bank) => Some(bank.holder_name.clone()),
        D::LocalBank(bank) | D::Wire(bank) => Some(bank.holder_name.clone()),
        D::Paypal { .. } | D::Payoneer { .. } => None,
    };
    let record = PayoutMethodRecord {
        id,
        user_id: caller.user_id.clone(),
        kind: destination.kind(),
        label: vaulted.last4,
        holder_name,
        processor_token: vaulted.token,
        created_at: req.now,
    };
    let default = app.store.add_payout_method(&record).await?;
    Ok(ApiResponse::created(&PayoutMethodView::new(
        record,
        default.as_deref(),
        &PayoutCatalogue::standard(),
    )))
}

pub async fn list_payout_methods(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Freelancer)?;
    let (records, default) = app.store.payout_methods(&caller.user_id).await?;
    let prices = PayoutCatalogue::standard();
    let items = records
        .into_iter()
        .map(|r| PayoutMethodView::new(r, default.as_deref(), &prices))
        .collect();
    Ok(ApiResponse::ok(&Page {
        items,
        next_cursor: None,
    }))
}
