//! Reports (PRODUCT §14): earnings overview, work in progress, billings by client, transaction
//! history and timesheets, as JSON or CSV. Each handler reads what its report needs through
//! indexes and keys (`store::reports`) and lets `domain::report` compute it; the caller only
//! ever sees their own money, and a contract filter names one of their own contracts (any
//! other answers 404). What each report means per role: docs/architecture.md, "Reports".

use futures::stream::{self, StreamExt, TryStreamExt};
use http::Method;
use serde::Serialize;
use std::collections::BTreeSet;
use worklane::domain::account::Role;
use worklane::domain::ids::{ContractId, UserId};
use worklane::domain::job::JobType;
use worklane::domain::offer::{Contract, Side};
use worklane::domain::report::csv::{self, Tabular};
use worklane::domain::report::{
    self, BillingsReport, ContractInfo, ContractItems, EarningsReport, Format, Line, ReportKind,
    ReportQuery, TimesheetsReport, TransactionsReport, WorkInProgressReport, MAX_CONTRACTS,
    MAX_TRANSFERS,
};
use worklane::handler;
use worklane::http::auth::Caller;
use worklane::http::query::{QueryKind, QueryParam};
use worklane::http::router::{bearer_routes, schema_of, Route};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::App;

/// Per-contract reads in flight at once (work in progress, timesheets).
const PARALLEL_READS: usize = 8;

// Every report's query parameters, as `ReportQuery::parse` checks them; each route declares
// the ones its report takes (any other is refused).
const ROLE: QueryParam = QueryParam::optional(
    "role",
    QueryKind::OneOf(&["client", "freelancer"]),
    "The side reported on (default: freelancer when the caller is one, else client)",
);
const FORMAT: QueryParam = QueryParam::optional(
    "format",
    QueryKind::OneOf(&["json", "csv"]),
    "json (default) or csv",
);
const FROM: QueryParam = QueryParam::optional(
    "from",
    QueryKind::Date,
    "First UTC day, inclusive (default: 29 days before `to`)",
);
const TO: QueryParam = QueryParam::optional(
    "to",
    QueryKind::Date,
    "Last UTC day, inclusive (default: today); at most 366 days from `from`",
);
const CLIENT: QueryParam = QueryParam::optional(
    "client",
    QueryKind::Id {
        pattern: UserId::PATTERN,
        parses: is_user_id,
    },
    "A freelancer's report: only the contracts with this client",
);
const FREELANCER: QueryParam = QueryParam::optional(
    "freelancer",
    QueryKind::Id {
        pattern: UserId::PATTERN,
        parses: is_user_id,
    },
    "A client's report: only the contracts with this freelancer",
);
const CONTRACT: QueryParam = QueryParam::optional(
    "contract",
    QueryKind::Id {
        pattern: ContractId::PATTERN,
        parses: is_contract_id,
    },
    "Only this contract of the caller's",
);
const OVER_A_RANGE: [QueryParam; 7] = [ROLE, FORMAT, FROM, TO, CLIENT, FREELANCER, CONTRACT];

fn is_user_id(raw: &str) -> bool {
    UserId::parse(raw).is_some()
}

fn is_contract_id(raw: &str) -> bool {
    ContractId::parse(raw).is_some()
}

pub fn routes() -> Vec<Route> {
    let route = bearer_routes("reports");
    vec![
        route(
            Method::GET,
            "/v1/me/reports/earnings",
            "getEarningsReport",
            "Earnings overview: the wallet's balances now, and per contract what the date range \
             earned (freelancer: earned, service fees, net, withdrawn and the change in pending, \
             in review, available, withdrawing) or spent (client: charged, paid, client fees, \
             escrow refunded and the change in escrow and available). ?from=&to= are UTC days, \
             both inclusive, at most 366 (default: the last 30); ?client= (freelancer) or \
             ?freelancer= (client), ?contract=, ?role=client|freelancer, ?format=json|csv",
            None,
            Some(schema_of::<EarningsReport>),
            200,
            handler!(earnings),
        )
        .with_query(&OVER_A_RANGE),
        route(
            Method::GET,
            "/v1/me/reports/work-in-progress",
            "getWorkInProgressReport",
            "Work in progress as of now, per contract, the same for both sides: escrow held for \
             milestones, hourly weeks in review or waiting for their charge, and time logged in \
             weeks not closed yet (an estimate at the rate). No dates; ?client= or \
             ?freelancer=, ?contract=, ?role=, ?format=json|csv",
            None,
            Some(schema_of::<WorkInProgressReport>),
            200,
            handler!(work_in_progress),
        )
        .with_query(&[ROLE, FORMAT, CLIENT, FREELANCER, CONTRACT]),
        route(
            Method::GET,
            "/v1/me/reports/billings-by-client",
            "getBillingsByClientReport",
            "Lifetime billings per client (freelancer) or per freelancer (client), the caller's \
             contracts with each, and what the date range added (earned, service fees, net; or \
             paid, client fees). ?from=&to= (UTC days, inclusive, ≤366), ?client= or \
             ?freelancer=, ?role=, ?format=json|csv",
            None,
            Some(schema_of::<BillingsReport>),
            200,
            handler!(billings_by_client),
        )
        .with_query(&[ROLE, FORMAT, FROM, TO, CLIENT, FREELANCER]),
        route(
            Method::GET,
            "/v1/me/reports/transactions",
            "getTransactionsReport",
            "Transaction history: every ledger transfer of the date range touching the caller's \
             side, oldest first, with what it was for, its effect on each balance and what it \
             counts as; the totals are the columns' sums. ?from=&to= (UTC days, inclusive, \
             ≤366), ?client= or ?freelancer=, ?contract=, ?role=, ?format=json|csv",
            None,
            Some(schema_of::<TransactionsReport>),
            200,
            handler!(transactions),
        )
        .with_query(&OVER_A_RANGE),
        route(
            Method::GET,
            "/v1/me/reports/timesheets",
            "getTimesheetsReport",
            "Timesheets: the hourly weeks whose Monday is in the date range, with logged, \
             manual, billable and over-limit minutes, the invoice, the client fee and what the \
             freelancer was paid. ?from=&to= (UTC days, inclusive, ≤366), ?client= or \
             ?freelancer=, ?contract=, ?role=, ?format=json|csv",
            None,
            Some(schema_of::<TimesheetsReport>),
            200,
            handler!(timesheets),
        )
        .with_query(&OVER_A_RANGE),
    ]
}

/// A report request, checked: who asks, what for, and the contract filtered on.
struct Ask {
    user: UserId,
    query: ReportQuery,
    /// The contract named by `?contract=`, the caller's on the report's side.
    contract: Option<Contract>,
}

fn role_of(side: Side) -> Role {
    match side {
        Side::Freelancer => Role::Freelancer,
        Side::Client => Role::Client,
    }
}

/// The caller, the checked query (a freelancer's side by default when they are one), the
/// role the side needs (403 without it) and the contract filter (404 unless theirs).
async fn ask(app: &App, req: &ApiRequest, kind: ReportKind) -> Result<Ask, ApiError> {
    let caller = Caller::from_request(app.keys()?, req)?;
    let default = if caller.roles.contains(&Role::Freelancer) {
        Side::Freelancer
    } else {
        Side::Client
    };
    let query = ReportQuery::parse(kind, &req.query, default, req.now.date_naive())?;
    caller.require_role(role_of(query.side))?;
    let contract = match &query.contract {
        None => None,
        Some(id) => {
            let contract = app
                .store
                .contract(id)
                .await?
                .filter(|c| c.parties.includes(&caller.user_id))
                .ok_or(ApiError::NotFound("contract"))?;
            if Side::of(&contract.parties, &caller.user_id) != Some(query.side) {
                let theirs = match query.side {
                    Side::Freelancer => "client",
                    Side::Client => "freelancer",
                };
                return Err(ApiError::validation(
                    "contract",
                    format!("you are this contract's {theirs}: ask with role={theirs}"),
                ));
            }
            Some(contract)
        }
    };
    Ok(Ask {
        user: caller.user_id,
        query,
        contract,
    })
}

fn respond<R: Serialize + Tabular>(ask: &Ask, report: &R, req: &ApiRequest) -> ApiResponse {
    match ask.query.format {
        Format::Json => ApiResponse::ok(report),
        Format::Csv => {
            let mut response =
                ApiResponse::ok_as(csv::render(&report.table()), "text/csv; charset=utf-8");
            response.set_header(
                "content-disposition",
                format!("attachment; filename=\"{}\"", ask.query.file_name(req.now)),
            );
            response
        }
    }
}

/// The caller's statement over the query's range.
async fn statement(app: &App, ask: &Ask) -> Result<Vec<Line>, ApiError> {
    let Some(range) = ask.query.range else {
        return Ok(Vec::new());
    };
    let side = ask.query.side;
    let slice = app
        .store
        .ledger_slice(
            &report::own_accounts(side, &ask.user),
            range.starts_at(),
            range.ends_at(),
            MAX_TRANSFERS,
        )
        .await?;
    report::statement(
        side,
        &ask.user,
        &slice.transfers,
        &slice.holds,
        &slice.attributions,
    )
    .map_err(|err| ApiError::Internal(format!("the ledger does not replay: {err}")))
}

/// The contracts a report covers: the one filtered on, or the caller's on the report's side
/// that pass the filters.
async fn contracts(app: &App, ask: &Ask) -> Result<Vec<Contract>, ApiError> {
    if let Some(contract) = &ask.contract {
        return Ok(vec![contract.clone()]);
    }
    Ok(app
        .store
        .all_contracts_of(ask.query.side, &ask.user, MAX_CONTRACTS)
        .await?
        .into_iter()
        .filter(|c| ask.query.selects(&ContractInfo::of(c)))
        .collect())
}

pub async fn earnings(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let ask = ask(app, &req, ReportKind::Earnings).await?;
    let side = ask.query.side;
    let accounts = report::own_accounts(side, &ask.user);
    let (lines, totals) = futures::try_join!(statement(app, &ask), async {
        Ok::<_, ApiError>(app.store.ledger_accounts(&accounts).await?)
    })?;
    let accounts: Vec<_> = accounts.into_iter().zip(totals).collect();
    let balances = report::balances(side, &ask.user, &accounts);
    let report = report::earnings(&ask.query, lines, balances, req.now);
    Ok(respond(&ask, &report, &req))
}

pub async fn transactions(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let ask = ask(app, &req, ReportKind::Transactions).await?;
    let lines = statement(app, &ask).await?;
    let report = report::transactions(&ask.query, lines, req.now);
    Ok(respond(&ask, &report, &req))
}

pub async fn billings_by_client(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let ask = ask(app, &req, ReportKind::BillingsByClient).await?;
    let (contracts, lines) = futures::try_join!(contracts(app, &ask), statement(app, &ask))?;
    let contracts: Vec<ContractInfo> = contracts.iter().map(ContractInfo::of).collect();
    let pairs: BTreeSet<(UserId, UserId)> = contracts
        .iter()
        .map(|c| (c.client_id.clone(), c.freelancer_id.clone()))
        .collect();
    let lifetime = app.store.lifetime_billings(&pairs).await?;
    let report = report::billings(&ask.query, &contracts, &lifetime, lines, req.now);
    Ok(respond(&ask, &report, &req))
}

pub async fn work_in_progress(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let ask = ask(app, &req, ReportKind::WorkInProgress).await?;
    let items: Vec<ContractItems> = stream::iter(contracts(app, &ask).await?)
        .map(|contract| async move {
            let (milestones, weeks) = match contract.contract_type {
                JobType::Fixed => (app.store.milestones_in_escrow(&contract.id).await?, vec![]),
                JobType::Hourly => (vec![], app.store.unsettled_weeks(&contract.id).await?),
            };
            Ok::<_, ApiError>(ContractItems {
                contract,
                milestones,
                weeks,
            })
        })
        .buffered(PARALLEL_READS)
        .try_collect()
        .await?;
    let report = report::work_in_progress(&ask.query, &items, req.now);
    Ok(respond(&ask, &report, &req))
}

pub async fn timesheets(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let ask = ask(app, &req, ReportKind::Timesheets).await?;
    let Some(range) = ask.query.range else {
        return Err(ApiError::Internal("timesheets take a range".into()));
    };
    let hourly = contracts(app, &ask)
        .await?
        .into_iter()
        .filter(|c| c.contract_type == JobType::Hourly);
    let items: Vec<ContractItems> = stream::iter(hourly)
        .map(|contract| async move {
            let weeks = app
                .store
                .weeks_between(&contract.id, range.from, range.to)
                .await?;
            Ok::<_, ApiError>(ContractItems {
                contract,
                milestones: vec![],
                weeks,
            })
        })
        .buffered(PARALLEL_READS)
        .try_collect()
        .await?;
    let report = report::timesheets(&ask.query, &items, req.now);
    Ok(respond(&ask, &report, &req))
}
