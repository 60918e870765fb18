//! Fixed-price escrow (PRODUCT §7): fund, submit, request changes, approve (release), refund.
//! Each is: read the milestone → domain transition → one transaction with the money → answer.

use http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use worklane::domain::account::Role;
use worklane::domain::contract::Milestone;
use worklane::domain::contract::{
    APPROVED_AMOUNT, CHANGES_MESSAGE, MAX_SUBMISSION_FILES, SUBMISSION_MESSAGE,
};
use worklane::domain::events::{DomainEvent, EventPayload};
use worklane::domain::fees::{FeeCatalogue, FeeSchedule};
use worklane::domain::ids::{BillingMethodId, ContractId, FileId, MilestoneId};
use worklane::domain::ledger::Transfer;
use worklane::domain::money::MoneyInput;
use worklane::domain::offer::{ContractRuleViolation, BONUS, BONUS_MESSAGE};
use worklane::domain::payment::Payment;
use worklane::domain::payment::{ClientCharge, Funding, Release};
use worklane::domain::rules::unique_items;
use worklane::domain::Violations;
use worklane::handler;
use worklane::http::auth::Caller;
use worklane::http::handler::{caller_with, usable_charge_source};
use worklane::http::router::{bearer_routes, schema_of, Route, SchemaFn};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::store::escrow;
use worklane::store::ledger::Movement;
use worklane::store::milestones::milestone_put_op;
use worklane::store::{Label, WriteConflict};
use worklane::store::{Tx, TxError};
use worklane::App;

pub fn routes() -> Vec<Route> {
    let route = bearer_routes("escrow");
    let milestone = Some(schema_of::<MilestoneView> as SchemaFn);
    vec![
        route(Method::POST, "/v1/milestones/{id}/fund", "fundMilestone",
            "Client: charge the billing method and hold the milestone amount in escrow",
            Some(schema_of::<FundRequest>), milestone, 200, handler!(fund))
            .with_optional_body(),
        route(Method::POST, "/v1/milestones/{id}/submit", "submitMilestone",
            "Freelancer: hand in work; escrow releases by itself 14 days later unless the client acts",
            Some(schema_of::<SubmitRequest>), milestone, 200, handler!(submit)),
        route(Method::POST, "/v1/milestones/{id}/request-changes", "requestMilestoneChanges",
            "Client: send the work back; a resubmission restarts the 14 days",
            Some(schema_of::<ChangesRequest>), milestone, 200, handler!(request_changes))
            .with_optional_body(),
        route(Method::POST, "/v1/milestones/{id}/approve", "approveMilestone",
            "Client: release escrow (the milestone amount, less — the rest comes back — or more, as a bonus)",
            Some(schema_of::<ApproveRequest>), milestone, 200, handler!(approve))
            .with_optional_body(),
        route(Method::POST, "/v1/milestones/{id}/refund", "refundMilestone",
            "Freelancer: give the escrow back to the client", None, milestone, 200, handler!(refund)),
        route(Method::POST, "/v1/contracts/{id}/bonus", "payBonus",
            "Client: pay a bonus (while the contract runs, or up to 365 days after it ended)",
            Some(schema_of::<BonusRequest>), Some(schema_of::<BonusView>), 201, handler!(bonus)),
    ]
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FundRequest {
    pub billing_method_id: Option<BillingMethodId>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    #[schemars(transform = SUBMISSION_MESSAGE.schema())]
    pub message: String,
    /// Deliverable files, uploaded with purpose `deliverable`.
    #[serde(default)]
    #[schemars(length(max = MAX_SUBMISSION_FILES), transform = unique_items)]
    pub file_ids: Vec<FileId>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangesRequest {
    #[serde(default)]
    #[schemars(transform = CHANGES_MESSAGE.schema())]
    pub message: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BonusRequest {
    #[schemars(transform = BONUS.schema())]
    pub amount: MoneyInput,
    #[serde(default)]
    #[schemars(transform = BONUS_MESSAGE.schema())]
    pub message: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BonusView {
    pub contract_id: worklane::domain::ids::ContractId,
    /// What the bonus paid the freelancer (gross, service fee, net).
    pub payment: Payment,
    pub message: String,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    /// Absent: the milestone amount. Less refunds the rest to the client, more pays a bonus.
    #[schemars(transform = APPROVED_AMOUNT.schema())]
    pub amount: Option<MoneyInput>,
}

/// A milestone after an escrow step: the contract view's summary (every time present, null
/// until it happened) plus what the step's parties need — fee, submissions, release figures.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MilestoneView {
    #[serde(flatten)]
    pub summary: super::contracts::MilestoneSummary,
    pub client_fee: Option<worklane::domain::money::Money>,
    pub submissions: Vec<worklane::domain::contract::Submission>,
    /// What a release paid the freelancer (gross, service fee, net), on release.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<Payment>,
}

impl MilestoneView {
    fn new(milestone: Milestone, release: Option<Payment>) -> Self {
        Self {
            client_fee: milestone.client_fee,
            submissions: milestone.submissions.clone(),
            summary: milestone.into(),
            release,
        }
    }
}

/// The milestone if the caller is one of its parties; strangers get 404.
async fn party_milestone(
    app: &App,
    caller: &Caller,
    req: &ApiRequest,
) -> Result<Milestone, ApiError> {
    let found = app.store.milestone(&milestone_id(req)?).await?;
    of_party(found, caller)
}

fn milestone_id(req: &ApiRequest) -> Result<MilestoneId, ApiError> {
    MilestoneId::parse(req.path_param("id")?).ok_or(ApiError::NotFound("milestone"))
}

fn of_party(found: Option<Milestone>, caller: &Caller) -> Result<Milestone, ApiError> {
    match found {
        Some(m) if m.client_id == caller.user_id || m.freelancer_id == caller.user_id => Ok(m),
        _ => Err(ApiError::NotFound("milestone")),
    }
}

fn require_client(m: &Milestone, caller: &Caller) -> Result<(), ApiError> {
    if m.client_id == caller.user_id {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only the contract's client may do this",
        ))
    }
}

fn require_freelancer(m: &Milestone, caller: &Caller) -> Result<(), ApiError> {
    if m.freelancer_id == caller.user_id {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only the contract's freelancer may do this",
        ))
    }
}

/// The fee schedule a contract locked; an unknown id is our data's fault, not the caller's.
fn schedule_of(id: &str) -> Result<FeeSchedule, ApiError> {
    FeeCatalogue::locked(id).ok_or_else(|| ApiError::Internal(format!("unknown fee schedule {id}")))
}

/// The step's transaction, carrying its own answer into the request's Idempotency-Key record:
/// money, state and the answer a retry will get commit together.
async fn commit(
    app: &App,
    req: &ApiRequest,
    tx: Tx,
    response: ApiResponse,
) -> Result<ApiResponse, ApiError> {
    match worklane::http::handler::commit_answer(app, req, tx, response).await {
        Ok(response) => Ok(response),
        Err(TxError::ConditionFailed { label, .. }) => Err(match label {
            Label::Milestone
            | Label::Pending
            | Label::Transfer
            | Label::Availability
            | Label::Idempotency => WriteConflict::MilestoneChanged,
            Label::Lifetime => WriteConflict::PaymentInFlight,
            Label::Account => WriteConflict::AccountShort,
            Label::Contract => WriteConflict::ContractNotFundable,
            other => WriteConflict::Unforeseen(other),
        }
        .into()),
        Err(TxError::Store(err)) => Err(err.into()),
    }
}

/// A card was charged but the ledger refused the movement it paid for (the milestone moved,
/// the contract was paused…): unless that charge is recorded by a movement that did land
/// (`used`), it is refunded, so no client pays for nothing. A 5xx is left alone: the movement
/// may have committed, and the client's retry replays or completes it.
async fn settle_unused_charge(
    app: &App,
    outcome: Result<ApiResponse, ApiError>,
    charge: Option<(worklane::payments::Charge, String)>,
    used: impl std::future::Future<Output = Result<bool, ApiError>>,
) -> Result<ApiResponse, ApiError> {
    let Err(err) = &outcome else { return outcome };
    let Some((charge, key)) = charge else {
        return outcome;
    };
    if err.status().is_client_error() && !used.await? {
        app.payments()
            .refund(&charge.id, charge.amount, &format!("{key}:unused"))
            .await?;
    }
    outcome
}

fn ledger_error(err: worklane::domain::ledger::TransferError) -> ApiError {
    ApiError::Internal(format!("invalid ledger movement: {err}"))
}

pub async fn fund(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Client)?;
    let body: FundRequest = req.json_or_default()?;
    let inputs = app
        .store
        .funding_inputs(
            &milestone_id(&req)?,
            &caller.user_id,
            body.billing_method_id.as_ref(),
        )
        .await?;
    let before = of_party(inputs.milestone, &caller)?;
    require_client(&before, &caller)?;
    let schedule = schedule_of(&before.fee_schedule)?;
    let basis = req.idempotency_basis()?;
    let funding = Funding::of(&before, &schedule, inputs.balance.available());
    let charge_transfer = escrow::funding_charge_id(&before, &basis);
    let mut after = before.fund(
        escrow::escrow_transfer_id(&before),
        funding.cost.client_fee,
        req.now,
    )?;
    let mut charged = None;
    if funding.to_charge.amount > rust_decimal::Decimal::ZERO {
        let method = usable_charge_source(inputs.charge_source, req.now)?;
        // The processor dedupes on the key, so a retry of this step never charges twice.
        let key = charge_transfer.to_string();
        let charge = app
            .payments()
            .charge(&method.processor_token, funding.to_charge, &key)
            .await?;
        after = after.paid_by(method.card_charge(charge.clone()));
        charged = Some((charge, key));
    }
    let tx = escrow::fund_tx(
        &before,
        &after,
        &funding,
        &charge_transfer,
        &schedule,
        req.now,
    )
    .map_err(ledger_error)?;
    let outcome = commit(
        app,
        &req,
        tx,
        ApiResponse::ok(&MilestoneView::new(after, None)),
    )
    .await;
    let used = async { Ok(app.store.transfer(&charge_transfer).await?.is_some()) };
    settle_unused_charge(app, outcome, charged, used).await
}

pub async fn submit(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Freelancer)?;
    let body: SubmitRequest = req.json()?;
    let mut violations = Violations::default();
    let message = SUBMISSION_MESSAGE.check(&mut violations, "message", &body.message);
    violations.check(
        body.file_ids.len() <= MAX_SUBMISSION_FILES,
        "file_ids",
        format!("at most {MAX_SUBMISSION_FILES} files"),
    );
    violations.into_result()?;
    let before = party_milestone(app, &caller, &req).await?;
    require_freelancer(&before, &caller)?;
    if !body.file_ids.is_empty() {
        app.store
            .usable_files(
                &caller.user_id,
                &body.file_ids,
                &[worklane::domain::file::FilePurpose::Deliverable],
            )
            .await
            .map_err(|err| err.into_api("file_ids"))?;
    }
    let after = before.submit(message, body.file_ids.clone(), req.now)?;
    let event = DomainEvent::new(
        EventPayload::MilestoneSubmitted {
            milestone_id: before.id.clone(),
            contract_id: before.contract_id.clone(),
            client_id: before.client_id.clone(),
        },
        req.now,
    );
    let mut tx = milestone_put_op(Tx::new(), &after, Some(before.version)).emit(&event);
    // The client reviews what was delivered.
    for file in &body.file_ids {
        tx = worklane::store::files::share_file_op(tx, file, &caller.user_id, &before.client_id);
    }
    commit(
        app,
        &req,
        tx,
        ApiResponse::ok(&MilestoneView::new(after, None)),
    )
    .await
}

pub async fn request_changes(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Client)?;
    let body: ChangesRequest = req.json_or_default()?;
    let mut violations = Violations::default();
    CHANGES_MESSAGE.check(&mut violations, "message", &body.message);
    violations.into_result()?;
    let before = party_milestone(app, &caller, &req).await?;
    require_client(&before, &caller)?;
    let after = before.request_changes()?;
    let event = DomainEvent::new(
        EventPayload::MilestoneChangesRequested {
            milestone_id: before.id.clone(),
            contract_id: before.contract_id.clone(),
            freelancer_id: before.freelancer_id.clone(),
        },
        req.now,
    );
    let tx = milestone_put_op(Tx::new(), &after, Some(before.version)).emit(&event);
    commit(
        app,
        &req,
        tx,
        ApiResponse::ok(&MilestoneView::new(after, None)),
    )
    .await
}

/// The escrow hold of a funded milestone.
fn hold(m: &Milestone) -> Result<Transfer, ApiError> {
    escrow::hold_of(m).ok_or_else(|| ApiError::Internal(format!("{} has no escrow transfer", m.id)))
}

pub async fn approve(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Client)?;
    let body: ApproveRequest = req.json_or_default()?;
    let mut violations = Violations::default();
    let amount = body
        .amount
        .as_ref()
        .and_then(|amount| APPROVED_AMOUNT.check(&mut violations, "amount", amount));
    violations.into_result()?;
    let before = party_milestone(app, &caller, &req).await?;
    require_client(&before, &caller)?;
    let (after, payout) = before.approve(amount, req.now)?;
    let hold = hold(&before)?;
    let schedule = schedule_of(&before.fee_schedule)?;
    let release = Release::of(&before, payout, &schedule);
    let mut charged = None;
    if let Some(bonus) = &release.bonus {
        // Paying more than the milestone: the difference (and its client fee) is charged now.
        let method =
            worklane::http::handler::charge_source(app, &caller.user_id, None, req.now).await?;
        let key = format!("release:{}:bonus-charge", before.id);
        let charge = app
            .payments()
            .charge(&method.processor_token, bonus.total(), &key)
            .await?;
        charged = Some((charge, key));
    }
    let lifetime = app
        .store
        .lifetime_billed(&before.client_id, &before.freelancer_id)
        .await?;
    let (tx, figures) = escrow::release_tx(
        &before,
        &after,
        &release,
        &hold,
        &schedule,
        &lifetime,
        false,
        req.now,
        Movement::new(),
    )
    .map_err(ledger_error)?;
    let outcome = commit(
        app,
        &req,
        tx,
        ApiResponse::ok(&MilestoneView::new(after, Some(figures))),
    )
    .await;
    let bonus_transfer = escrow::release_bonus_charge_id(&before);
    let used = async { Ok(app.store.transfer(&bonus_transfer).await?.is_some()) };
    settle_unused_charge(app, outcome, charged, used).await
}

pub async fn refund(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Freelancer)?;
    let before = party_milestone(app, &caller, &req).await?;
    require_freelancer(&before, &caller)?;
    let after = before.refund()?;
    let hold = hold(&before)?;
    let tx = escrow::refund_tx(&before, &after, &hold, req.now, Movement::new())
        .map_err(ledger_error)?;
    commit(
        app,
        &req,
        tx,
        ApiResponse::ok(&MilestoneView::new(after, None)),
    )
    .await
}

pub async fn bonus(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Client)?;
    let body: BonusRequest = req.json()?;
    let mut violations = Violations::default();
    let message = BONUS_MESSAGE.check(&mut violations, "message", &body.message);
    let amount = BONUS.check(&mut violations, "amount", &body.amount);
    violations.into_result()?;
    let amount = amount.expect("valid when there are no violations");
    let id = ContractId::parse(req.path_param("id")?).ok_or(ApiError::NotFound("contract"))?;
    let contract = match app.store.contract(&id).await? {
        Some(c) if c.parties.includes(&caller.user_id) => c,
        _ => return Err(ApiError::NotFound("contract")),
    };
    if contract.parties.client_id != caller.user_id {
        return Err(ApiError::Forbidden(
            "only the contract's client may do this",
        ));
    }
    if !contract.accepts_bonus(req.now) {
        return Err(ContractRuleViolation::BonusClosed.into());
    }
    let schedule = schedule_of(&contract.fee_schedule)?;
    // The bonus is this request: its Idempotency-Key (or, without one, its request id).
    let basis = req.idempotency_basis()?;
    let bonus = ClientCharge::on(&schedule, amount);
    let method =
        worklane::http::handler::charge_source(app, &caller.user_id, None, req.now).await?;
    let key = format!("bonus:{}:{basis}", contract.id);
    let charge = app
        .payments()
        .charge(&method.processor_token, bonus.total(), &key)
        .await?;
    let lifetime = app
        .store
        .lifetime_billed(&contract.parties.client_id, &contract.parties.freelancer_id)
        .await?;
    let (tx, payment) = escrow::bonus_tx(&contract, &bonus, &schedule, &lifetime, &basis, req.now)
        .map_err(ledger_error)?;
    let bonus_transfer = escrow::bonus_charge_id(&contract, &basis);
    let outcome = commit(
        app,
        &req,
        tx,
        ApiResponse::created(&BonusView {
            contract_id: contract.id,
            payment,
            message,
        }),
    )
    .await;
    let used = async { Ok(app.store.transfer(&bonus_transfer).await?.is_some()) };
    settle_unused_charge(app, outcome, Some((charge, key)), used).await
}
