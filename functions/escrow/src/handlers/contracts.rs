//! Offers and contracts (PRODUCT §6, §7.2, §8.7): a client offers, the freelancer accepts
//! (one transaction starts the contract and closes the job's boost auction), either side
//! runs the contract through its states, and the client amends it by recorded amendments.
//! Only the two parties see an offer or a contract; everyone else gets 404.

use chrono::{DateTime, NaiveDate, Utc};
use http::Method;
use schemars::JsonSchema;
use serde::Serialize;
use worklane::domain::account::Role;
use worklane::domain::contract::{Milestone, MilestoneDraft, MilestoneState, Parties};
use worklane::domain::events::{DomainEvent, EventPayload};
use worklane::domain::fees::FeeCatalogue;
use worklane::domain::ids::{ContractId, DisputeId, MilestoneId, OfferId, UserId};
use worklane::domain::job::JobRuleViolation;
use worklane::domain::money::Money;
use worklane::domain::offer::{
    proposal_hireable, Contract, ContractRuleViolation, ContractTerms, HourlyChange,
    HourlySettings, MilestoneEdit, MilestoneInput, Offer, OfferDraft, OfferRuleViolation, Side,
};
use worklane::domain::Violations;
use worklane::handler;
use worklane::http::auth::Caller;
use worklane::http::cursor::Page;
use worklane::http::handler::caller_with;
use worklane::http::handler::owned_job;
use worklane::http::handler::retry_stale;
use worklane::http::query::{QueryKind, QueryParam, CURSOR};
use worklane::http::router::{bearer_routes, schema_of, Route, SchemaFn};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::store::contracts::{contract_put_op, Acceptance, ContractStoreError};
use worklane::store::milestones::{milestone_delete_op, milestone_put_op};
use worklane::store::Tx;
use worklane::App;

pub fn routes() -> Vec<Route> {
    let route = bearer_routes("contracts");
    let offer = Some(schema_of::<Offer> as SchemaFn);
    let contract = Some(schema_of::<ContractView> as SchemaFn);
    let changed = Some(schema_of::<ContractStateView> as SchemaFn);
    let milestone = Some(schema_of::<MilestoneSummary> as SchemaFn);
    vec![
        route(Method::POST, "/v1/offers", "sendOffer",
            "Client: offer a contract (fixed price with milestones, or hourly) to a freelancer for an open job",
            Some(schema_of::<OfferDraft>), offer, 201, handler!(send_offer)),
        route(Method::GET, "/v1/offers/{id}", "getOffer",
            "An offer, for its client or freelancer", None, offer, 200, handler!(get_offer)),
        route(Method::GET, "/v1/me/offers", "listMyOffers",
            "Offers received (?role=freelancer) or sent (?role=client), newest first",
            None, Some(schema_of::<Page<Offer>>), 200, handler!(my_offers))
            .with_query(&[ROLE, PAGE, CURSOR]),
        route(Method::POST, "/v1/offers/{id}/accept", "acceptOffer",
            "Freelancer: accept an offer; the contract starts with its milestones unfunded",
            None, Some(schema_of::<AcceptedView>), 200, handler!(accept_offer)),
        route(Method::POST, "/v1/offers/{id}/decline", "declineOffer",
            "Freelancer: decline an offer", None, offer, 200, handler!(decline_offer)),
        route(Method::POST, "/v1/offers/{id}/withdraw", "withdrawOffer",
            "Client: withdraw an offer not answered yet", None, offer, 200, handler!(withdraw_offer)),
        route(Method::GET, "/v1/contracts/{id}", "getContract",
            "A contract with its milestones, for its client or freelancer", None, contract, 200,
            handler!(get_contract)),
        route(Method::GET, "/v1/me/contracts", "listMyContracts",
            "The caller's contracts as freelancer (?role=freelancer) or client (?role=client), newest first",
            None, Some(schema_of::<Page<Contract>>), 200, handler!(my_contracts))
            .with_query(&[ROLE, PAGE, CURSOR]),
        route(Method::POST, "/v1/contracts/{id}/pause", "pauseContract",
            "Client: pause an active contract", None, changed, 200, handler!(pause)),
        route(Method::POST, "/v1/contracts/{id}/resume", "resumeContract",
            "Client: resume a paused contract", None, changed, 200, handler!(resume)),
        route(Method::POST, "/v1/contracts/{id}/end", "endContract",
            "Either side: end the contract (opens the feedback window)", None, changed, 200,
            handler!(end)),
        route(Method::PATCH, "/v1/contracts/{id}", "changeHourlyTerms",
            "Client: change an hourly contract's weekly limit (a decrease applies from next Monday) or manual time",
            Some(schema_of::<HourlyChange>), changed, 200, handler!(change_hourly)),
        route(Method::POST, "/v1/contracts/{id}/milestones", "addMilestone",
            "Client: add an unfunded milestone to a fixed-price contract (a recorded amendment)",
            Some(schema_of::<MilestoneInput>), milestone, 201, handler!(add_milestone)),
        route(Method::PATCH, "/v1/milestones/{id}", "editMilestone",
            "Client: change an unfunded milestone", Some(schema_of::<MilestoneEdit>), milestone, 200,
            handler!(edit_milestone)),
        route(Method::DELETE, "/v1/milestones/{id}", "deleteMilestone",
            "Client: delete an unfunded milestone", None, None, 204, handler!(delete_milestone)),
    ]
}

/// A milestone as a contract shows it: every time present, null until it happened.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MilestoneSummary {
    pub id: MilestoneId,
    pub contract_id: ContractId,
    pub description: String,
    pub amount: Money,
    pub due_date: Option<NaiveDate>,
    pub state: MilestoneState,
    pub funded_at: Option<DateTime<Utc>>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub auto_release_at: Option<DateTime<Utc>>,
    pub released_at: Option<DateTime<Utc>>,
    pub released_amount: Option<Money>,
    /// The dispute that froze (or settled) the escrow, if any (`GET /v1/disputes/{id}`).
    pub dispute_id: Option<DisputeId>,
    pub created_at: DateTime<Utc>,
    pub version: u64,
}

impl From<Milestone> for MilestoneSummary {
    fn from(m: Milestone) -> Self {
        Self {
            id: m.id,
            contract_id: m.contract_id,
            description: m.description,
            amount: m.amount,
            due_date: m.due_date,
            state: m.state,
            funded_at: m.funded_at,
            submitted_at: m.submitted_at,
            auto_release_at: m.auto_release_at,
            released_at: m.released_at,
            released_amount: m.released_amount,
            dispute_id: m.dispute_id,
            created_at: m.created_at,
            version: m.version,
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ContractView {
    #[serde(flatten)]
    pub contract: Contract,
    /// Fixed price: the milestones in the order they were added (empty for hourly).
    pub milestones: Vec<MilestoneSummary>,
    /// Hourly: the settings in force now, after amendments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hourly: Option<HourlySettings>,
}

/// A contract after a change of the contract alone (pause, resume, end, hourly terms): the
/// contract view without the milestones, which such a change never touches and which live
/// in their own items (`GET /v1/contracts/{id}` lists them), so the answer needs no Query.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ContractStateView {
    #[serde(flatten)]
    pub contract: Contract,
    /// Hourly: the settings in force now, after amendments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hourly: Option<HourlySettings>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AcceptedView {
    pub contract_id: ContractId,
    #[serde(flatten)]
    pub contract: ContractView,
}

/// Reads need a valid token; changes also a confirmed email (§1.2). Which side may act is
/// the domain's call, once the caller is known to be a party.
fn caller(app: &App, req: &ApiRequest, acting: bool) -> Result<Caller, ApiError> {
    let caller = Caller::from_request(app.keys()?, req)?;
    if acting {
        caller.require_confirmed()?;
    }
    Ok(caller)
}

fn path_id<T>(
    req: &ApiRequest,
    parse: fn(&str) -> Option<T>,
    what: &'static str,
) -> Result<T, ApiError> {
    parse(req.path_param("id")?).ok_or(ApiError::NotFound(what))
}

/// The offer and the caller's side of it; strangers get the same 404 as for no offer.
async fn party_offer(app: &App, user: &UserId, id: &OfferId) -> Result<(Offer, Side), ApiError> {
    let offer = app.store.offer(id).await?;
    offer
        .and_then(|o| Side::of(&o.parties, user).map(|side| (o, side)))
        .ok_or(ApiError::NotFound("offer"))
}

async fn party_contract(
    app: &App,
    user: &UserId,
    id: &ContractId,
) -> Result<(Contract, Side), ApiError> {
    let contract = app.store.contract(id).await?;
    contract
        .and_then(|c| Side::of(&c.parties, user).map(|side| (c, side)))
        .ok_or(ApiError::NotFound("contract"))
}

/// The milestone, its contract and the caller's side; strangers get 404.
async fn party_milestone(
    app: &App,
    user: &UserId,
    id: &MilestoneId,
) -> Result<(Milestone, Contract, Side), ApiError> {
    let milestone = match app.store.milestone(id).await? {
        Some(m) if &m.client_id == user || &m.freelancer_id == user => m,
        _ => return Err(ApiError::NotFound("milestone")),
    };
    let (contract, side) = party_contract(app, user, &milestone.contract_id).await?;
    Ok((milestone, contract, side))
}

async fn contract_view(
    app: &App,
    contract: Contract,
    now: DateTime<Utc>,
) -> Result<ContractView, ApiError> {
    let milestones = match contract.terms {
        ContractTerms::Fixed { .. } => app.store.contract_milestones(&contract.id).await?,
        ContractTerms::Hourly { .. } => Vec::new(),
    };
    Ok(view_with(contract, milestones, now))
}

/// The view of a contract whose milestones are in hand (a fresh contract's, just written).
fn view_with(contract: Contract, milestones: Vec<Milestone>, now: DateTime<Utc>) -> ContractView {
    ContractView {
        hourly: contract.hourly_at(now),
        milestones: milestones.into_iter().map(MilestoneSummary::from).collect(),
        contract,
    }
}

/// `?role=client|freelancer`; without it, the freelancer side for those who have it.
fn list_side(caller: &Caller, req: &ApiRequest) -> Result<Side, ApiError> {
    match ROLE.read(req)? {
        None if caller.roles.contains(&Role::Freelancer) => Ok(Side::Freelancer),
        None | Some("client") => Ok(Side::Client),
        Some(_) => Ok(Side::Freelancer),
    }
}

const PAGE: QueryParam = QueryParam::limit(20, 100);
const ROLE: QueryParam = QueryParam::optional(
    "role",
    QueryKind::OneOf(&["client", "freelancer"]),
    "Which side's list: freelancer (the default for freelancers) or client",
);

pub async fn send_offer(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Client)?;
    let draft: OfferDraft = req.json()?;
    let content = draft.check(req.now)?;
    let inputs = app
        .store
        .offer_inputs(
            &draft.job_id,
            &draft.freelancer_id,
            draft.proposal_id.as_ref(),
        )
        .await?;
    let job = owned_job(inputs.job, &caller.user_id)?;
    if !job.accepts_offers(req.now) {
        return Err(JobRuleViolation::Closed.into());
    }
    if draft.freelancer_id == caller.user_id {
        return Err(ApiError::validation(
            "freelancer_id",
            "you cannot hire yourself",
        ));
    }
    // An id that names nobody (or a proposal that is not this freelancer's on this job) is
    // answered as a missing reference, the same for "does not exist" and "not yours".
    if !inputs
        .freelancer
        .is_some_and(|u| u.roles.contains(&Role::Freelancer))
    {
        return Err(ApiError::missing_reference(
            "freelancer_not_found",
            "freelancer_id",
            "no freelancer has this id",
        ));
    }
    if draft.proposal_id.is_some() {
        match inputs.proposal {
            Some(p) if p.job_id == job.id && p.freelancer_id == draft.freelancer_id => {
                if !proposal_hireable(p.state) {
                    return Err(ContractStoreError::ProposalClosed.into());
                }
            }
            _ => {
                return Err(ApiError::missing_reference(
                    "proposal_not_found",
                    "proposal_id",
                    "not a proposal of this freelancer on this job",
                ))
            }
        }
    }
    let parties = Parties {
        job_id: job.id,
        proposal_id: draft.proposal_id,
        client_id: caller.user_id,
        freelancer_id: draft.freelancer_id,
    };
    let offer = Offer::new(OfferId::generate(req.now), parties, content, req.now);
    app.store.create_offer(&offer, req.now).await?;
    Ok(ApiResponse::created(&offer))
}

pub async fn get_offer(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller(app, &req, false)?;
    let id = path_id(&req, OfferId::parse, "offer")?;
    let (offer, _) = party_offer(app, &caller.user_id, &id).await?;
    Ok(ApiResponse::ok(&offer.effective(req.now)))
}

pub async fn my_offers(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller(app, &req, false)?;
    let side = list_side(&caller, &req)?;
    let scope = format!("my-offers:{}:{side:?}", caller.user_id);
    let start = app.cursors()?.start_key(&scope, &req)?;
    let limit = PAGE.page_size(&req)?;
    let (offers, last) = app
        .store
        .offers_of(side, &caller.user_id, limit, start)
        .await?;
    Ok(ApiResponse::ok(&Page {
        items: offers
            .into_iter()
            .map(|o| o.effective(req.now))
            .collect::<Vec<_>>(),
        next_cursor: app.cursors()?.next(&scope, last.as_ref()),
    }))
}

pub async fn accept_offer(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller(app, &req, true)?;
    let id = path_id(&req, OfferId::parse, "offer")?;
    let now = req.now;
    let contract = retry_stale(|| async {
        let (offer, side) = party_offer(app, &caller.user_id, &id).await?;
        let accepted = offer.accept(side, offer.contract_id(), now)?;
        let contract = Contract::start(&offer, &FeeCatalogue::standard().in_force(now).id, now);
        let milestones = contract.initial_milestones(&offer, now)?;
        let acceptance = Acceptance {
            before: &offer,
            after: &accepted,
            contract: &contract,
            milestones: &milestones,
        };
        match app.store.accept_offer(acceptance, now).await {
            // The answer shows what was just written: no read-back (a GSI could lag it).
            Ok(()) => Ok(Some((contract, milestones))),
            Err(ContractStoreError::Stale) => Ok(None),
            Err(err) => Err(err.into()),
        }
    })
    .await?;
    let (contract, milestones) = contract;
    Ok(ApiResponse::ok(&AcceptedView {
        contract_id: contract.id.clone(),
        contract: view_with(contract, milestones, now),
    }))
}

/// Declines or withdraws: `answer` is the domain's rule, `event` what the other side hears.
async fn close_offer(
    app: &App,
    req: ApiRequest,
    answer: fn(&Offer, Side, DateTime<Utc>) -> Result<Offer, OfferRuleViolation>,
    event: fn(&Offer) -> EventPayload,
) -> Result<ApiResponse, ApiError> {
    let caller = caller(app, &req, true)?;
    let id = path_id(&req, OfferId::parse, "offer")?;
    let offer = retry_stale(|| async {
        let (offer, side) = party_offer(app, &caller.user_id, &id).await?;
        let closed = answer(&offer, side, req.now)?;
        let event = DomainEvent::new(event(&offer), req.now);
        match app
            .store
            .close_offer(&offer, &closed, &event, req.now)
            .await
        {
            Ok(()) => Ok(Some(closed)),
            Err(ContractStoreError::Stale) => Ok(None),
            Err(err) => Err(err.into()),
        }
    })
    .await?;
    Ok(ApiResponse::ok(&offer))
}

pub async fn decline_offer(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    close_offer(app, req, Offer::decline, |o| EventPayload::OfferDeclined {
        offer_id: o.id.clone(),
        job_id: o.parties.job_id.clone(),
        client_id: o.parties.client_id.clone(),
        freelancer_id: o.parties.freelancer_id.clone(),
    })
    .await
}

pub async fn withdraw_offer(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    close_offer(app, req, Offer::withdraw, |o| {
        EventPayload::OfferWithdrawn {
            offer_id: o.id.clone(),
            job_id: o.parties.job_id.clone(),
            client_id: o.parties.client_id.clone(),
            freelancer_id: o.parties.freelancer_id.clone(),
        }
    })
    .await
}

pub async fn get_contract(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller(app, &req, false)?;
    let id = path_id(&req, ContractId::parse, "contract")?;
    let (contract, _) = party_contract(app, &caller.user_id, &id).await?;
    Ok(ApiResponse::ok(
        &contract_view(app, contract, req.now).await?,
    ))
}

pub async fn my_contracts(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller(app, &req, false)?;
    let side = list_side(&caller, &req)?;
    let scope = format!("my-contracts:{}:{side:?}", caller.user_id);
    let start = app.cursors()?.start_key(&scope, &req)?;
    let limit = PAGE.page_size(&req)?;
    let (items, last) = app
        .store
        .contracts_of(side, &caller.user_id, limit, start)
        .await?;
    Ok(ApiResponse::ok(&Page {
        items,
        next_cursor: app.cursors()?.next(&scope, last.as_ref()),
    }))
}

fn contract_changed(contract: &Contract, change: &str, now: DateTime<Utc>) -> DomainEvent {
    DomainEvent::new(
        EventPayload::ContractChanged {
            contract_id: contract.id.clone(),
            client_id: contract.parties.client_id.clone(),
            freelancer_id: contract.parties.freelancer_id.clone(),
            state: contract.state,
            change: change.to_string(),
        },
        now,
    )
}

/// What a change of a contract writes besides the contract itself.
enum Also {
    Nothing,
    /// A milestone created (`None`) or moved on from its version.
    PutMilestone(Milestone, Option<u64>),
    DeleteMilestone(Milestone),
}

impl Also {
    /// The milestone the change wrote, for the answer.
    fn into_milestone(self) -> Result<MilestoneSummary, ApiError> {
        match self {
            Also::PutMilestone(m, _) => Ok(m.into()),
            _ => Err(ApiError::Internal("the change wrote no milestone".into())),
        }
    }
}

/// What a change is addressed to: the contract, or one of its milestones.
enum Target {
    Contract,
    Milestone,
}

/// Read the contract (as a party) → `change` → one transaction with the contract at its read
/// version, whatever else the change writes, and the event; again when someone else wrote
/// first. A change that returns the contract unchanged writes nothing.
async fn change_contract<F>(
    app: &App,
    req: &ApiRequest,
    target: Target,
    what: &str,
    change: F,
) -> Result<(Contract, Also), ApiError>
where
    F: Fn(&Contract, Side, Option<&Milestone>) -> Result<(Contract, Also), ApiError>,
{
    let caller = caller(app, req, true)?;
    retry_stale(|| async {
        let (contract, side, milestone) = match target {
            Target::Milestone => {
                let id = path_id(req, MilestoneId::parse, "milestone")?;
                let (m, c, side) = party_milestone(app, &caller.user_id, &id).await?;
                (c, side, Some(m))
            }
            Target::Contract => {
                let id = path_id(req, ContractId::parse, "contract")?;
                let (c, side) = party_contract(app, &caller.user_id, &id).await?;
                (c, side, None)
            }
        };
        let (next, also) = change(&contract, side, milestone.as_ref())?;
        if next.version == contract.version {
            return Ok(Some((next, also)));
        }
        let mut tx = contract_put_op(Tx::new(), &next, Some(contract.version));
        tx = match &also {
            Also::Nothing => tx,
            Also::PutMilestone(m, expected) => milestone_put_op(tx, m, *expected),
            Also::DeleteMilestone(m) => milestone_delete_op(tx, m),
        };
        let tx = tx.emit(&contract_changed(&next, what, req.now));
        match app.store.change_contract(tx).await {
            Ok(()) => Ok(Some((next, also))),
            Err(ContractStoreError::Stale) => Ok(None),
            Err(err) => Err(err.into()),
        }
    })
    .await
}

/// Pause, resume or end: the contract alone changes.
async fn transition(
    app: &App,
    req: ApiRequest,
    what: &str,
    rule: impl Fn(&Contract, Side, DateTime<Utc>) -> Result<Contract, ContractRuleViolation>,
) -> Result<ApiResponse, ApiError> {
    let (contract, _) = change_contract(app, &req, Target::Contract, what, |c, side, _| {
        Ok((rule(c, side, req.now)?, Also::Nothing))
    })
    .await?;
    Ok(ApiResponse::ok(&ContractStateView {
        hourly: contract.hourly_at(req.now),
        contract,
    }))
}

pub async fn pause(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    transition(app, req, "paused", Contract::pause).await
}

pub async fn resume(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    transition(app, req, "resumed", |c, side, _| c.resume(side)).await
}

pub async fn end(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    transition(app, req, "ended", Contract::end).await
}

pub async fn change_hourly(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let body: HourlyChange = req.json()?;
    body.check()?;
    transition(app, req, "hourly_terms_changed", |c, side, now| {
        c.change_hourly(side, &body, now)
    })
    .await
}

pub async fn add_milestone(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let body: MilestoneInput = req.json()?;
    let mut violations = Violations::default();
    let terms = body.check(&mut violations, "", req.now);
    violations.into_result()?;
    let draft = MilestoneDraft::from(&terms.expect("valid without violations"));
    let id = MilestoneId::generate(req.now);
    let (_, also) = change_contract(
        app,
        &req,
        Target::Contract,
        "milestone_added",
        |c, side, _| {
            let (next, m) = c.add_milestone(side, id.clone(), draft.clone(), req.now)?;
            Ok((next, Also::PutMilestone(m, None)))
        },
    )
    .await?;
    Ok(ApiResponse::created(&also.into_milestone()?))
}

pub async fn edit_milestone(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let body: MilestoneEdit = req.json()?;
    let patch = body.check(req.now)?;
    let (_, also) = change_contract(
        app,
        &req,
        Target::Milestone,
        "milestone_edited",
        |c, side, m| {
            let m = m.ok_or(ApiError::NotFound("milestone"))?;
            let (next, edited) = c.edit_milestone(
                side,
                m,
                patch.description.clone(),
                patch.amount,
                patch.due_date,
                req.now,
            )?;
            Ok((next, Also::PutMilestone(edited, Some(m.version))))
        },
    )
    .await?;
    Ok(ApiResponse::ok(&also.into_milestone()?))
}

pub async fn delete_milestone(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    change_contract(
        app,
        &req,
        Target::Milestone,
        "milestone_deleted",
        |c, side, m| {
            let m = m.ok_or(ApiError::NotFound("milestone"))?;
            let next = c.delete_milestone(side, m, req.now)?;
            Ok((next, Also::DeleteMilestone(m.clone())))
        },
    )
    .await?;
    Ok(ApiResponse::no_content())
}
