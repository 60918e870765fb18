//! Disputes (PRODUCT §13): a party opens one on a funded milestone or (the client) on a week
//! in review, which freezes the money; the other side accepts or contests by the deadline;
//! an admin mediates contested ones with the evidence in view. Every settlement is one
//! transaction with the money it moves (`store::disputes::settle_tx`), shared with the
//! deadline schedule (`workers::disputes`).

use chrono::{DateTime, Utc};
use http::Method;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use worklane::domain::account::Role;
use worklane::domain::arbitration::ArbitrationCatalogue;
use worklane::domain::audit::{AuditAction, AuditEntry};
use worklane::domain::card_refund::RefundTo;
use worklane::domain::contract::{Milestone, Submission};
use worklane::domain::dispute::{
    AnswerRequest, DecisionRequest, Dispute, DisputeRequest, DisputeSubject, DisputeTarget,
    Settlement,
};
use worklane::domain::hourly::{TimeSegment, Timesheet, TimesheetId};
use worklane::domain::ids::{DisputeId, FileId, MilestoneId};
use worklane::domain::messaging::{Message, RoomId};
use worklane::domain::offer::{Contract, Side};
use worklane::handler;
use worklane::http::auth::Caller;
use worklane::http::cursor::Page;
use worklane::http::query::{QueryParam, CURSOR};

const PAGE: QueryParam = QueryParam::limit(20, 100);
use worklane::http::handler::{caller_with, caller_with_any, retry_stale};
use worklane::http::router::{bearer_routes, schema_of, Route};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::store::disputes::{
    contest_tx, open_milestone_dispute_tx, open_week_dispute_tx, settle_tx, withdraw_tx, Frozen,
    Unfrozen,
};
use worklane::store::files::PresignedUrl;
use worklane::store::Label;
use worklane::store::{Tx, TxError};
use worklane::App;

/// The most recent messages of the contract's room an admin sees with a dispute.
const EVIDENCE_MESSAGES: i32 = 200;

pub fn routes() -> Vec<Route> {
    let route = bearer_routes("disputes");
    vec![
        route(Method::POST, "/v1/disputes", "openDispute",
            "A party disputes a funded milestone (client: refund request; freelancer: missing approval), or the client a week in review until Friday 23:59 UTC; the money freezes and the other side answers within 7 days (hourly: 3)",
            Some(schema_of::<DisputeRequest>), Some(schema_of::<Dispute>), 201, handler!(open)),
        route(Method::GET, "/v1/disputes/{id}", "getDispute",
            "A party (or an admin): the dispute", None, Some(schema_of::<Dispute>), 200, handler!(get)),
        route(Method::POST, "/v1/disputes/{id}/respond", "answerDispute",
            "The other party, before the deadline: accept (settled the opener's way at once) or contest (an admin mediates)",
            Some(schema_of::<AnswerRequest>), Some(schema_of::<Dispute>), 200, handler!(respond)),
        route(Method::POST, "/v1/disputes/{id}/resolve", "resolveDispute",
            "Admin: release, refund or split (to the cent); hourly outcomes always pay the protected hours",
            Some(schema_of::<DecisionRequest>), Some(schema_of::<Dispute>), 200, handler!(resolve)),
        route(Method::GET, "/v1/disputes/{id}/evidence", "getDisputeEvidence",
            "Admin: the dispute with its contract, the contract room's messages, the milestone's submissions or the week's work diary, with file links",
            None, Some(schema_of::<Evidence>), 200, handler!(evidence)),
        route(Method::POST, "/v1/disputes/{id}/withdraw", "withdrawDispute",
            "The opener, before a decision (while the other side may answer, or in mediation): the money unfreezes and its clocks run again as they were (a time that passed meanwhile is due at once); a withdrawn subject cannot be disputed again",
            None, Some(schema_of::<Dispute>), 200, handler!(withdraw)),
        route(Method::GET, "/v1/me/disputes", "listMyDisputes",
            "The disputes the caller is a party to (as client or freelancer), newest first",
            None, Some(schema_of::<Page<Dispute>>), 200, handler!(my_disputes))
            .with_query(&[PAGE, CURSOR]),
        route(Method::GET, "/v1/admin/disputes", "listDisputesInMediation",
            "Admin: contested disputes waiting for mediation, longest waiting first",
            None, Some(schema_of::<Page<Dispute>>), 200, handler!(mediation_queue))
            .with_query(&[PAGE, CURSOR]),
    ]
}

/// What a conflict on a dispute's transaction means: someone moved the dispute or what it
/// froze first (read again), or the request collides with itself.
fn stale(result: Result<ApiResponse, TxError>) -> Result<Option<ApiResponse>, ApiError> {
    match result {
        Ok(response) => Ok(Some(response)),
        Err(TxError::ConditionFailed {
            label: Label::Timesheet | Label::Contract | Label::Dispute | Label::Milestone,
            ..
        }) => Ok(None),
        // Only contesting debits an account: the arbitration fee.
        Err(TxError::ConditionFailed {
            label: Label::Account,
            ..
        }) => Err(ApiError::conflict(
            "insufficient_funds",
            "contesting costs the dispute's arbitration_fee, held from your Worklane balance \
             (client) or available earnings (freelancer) until the ruling; it does not cover it",
        )),
        Err(err) => Err(err.into()),
    }
}

pub async fn open(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with_any(app, &req, &[Role::Client, Role::Freelancer])?;
    let body: DisputeRequest = req.json()?;
    let (target, reason, refund_to) = body.check()?;
    retry_stale(|| async {
        let opening = (reason.as_str(), refund_to);
        let (tx, dispute) = match &target {
            DisputeTarget::Week(id) => open_on_week(app, &caller, id, opening, &req).await?,
            DisputeTarget::Milestone(id) => {
                open_on_milestone(app, &caller, id, opening, &req).await?
            }
            DisputeTarget::NoSuchWeek => return Err(ApiError::NotFound("timesheet")),
        };
        stale(
            worklane::http::handler::commit_answer(app, &req, tx, ApiResponse::created(&dispute))
                .await,
        )
    })
    .await
}

/// `opening`: the reason and where a refund goes.
async fn open_on_week(
    app: &App,
    caller: &Caller,
    id: &TimesheetId,
    (reason, refund_to): (&str, RefundTo),
    req: &ApiRequest,
) -> Result<(Tx, Dispute), ApiError> {
    let (contract, week) = app.store.contract_and_week(id).await?;
    // Strangers learn nothing about the week, not even that it exists.
    let not_found = || ApiError::NotFound("timesheet");
    let contract = contract
        .filter(|c| Side::of(&c.parties, &caller.user_id).is_some())
        .ok_or_else(not_found)?;
    let week = week.ok_or_else(not_found)?;
    let dispute_id = DisputeId::derived(week.week().starts_at(), &format!("dispute:{}", week.id));
    let disputed = week.dispute(&caller.user_id, dispute_id.clone(), req.now)?;
    let paused = contract.hourly_dispute_opened(&dispute_id, req.now)?;
    let amount = week
        .invoice
        .as_ref()
        .map(|i| i.amount)
        .ok_or_else(|| ApiError::Internal(format!("{} has no invoice", week.id)))?;
    let dispute = Dispute::hourly(dispute_id, &week, amount, reason.to_string(), req.now)
        .refunding_to(refund_to, week.card_charge.as_ref())?
        .priced_for_arbitration(ArbitrationCatalogue::standard().in_force(req.now));
    let tx = open_week_dispute_tx((&week, &disputed), (&contract, &paused), &dispute, req.now);
    Ok((tx, dispute))
}

/// `opening`: the reason and where a refund goes.
async fn open_on_milestone(
    app: &App,
    caller: &Caller,
    id: &MilestoneId,
    (reason, refund_to): (&str, RefundTo),
    req: &ApiRequest,
) -> Result<(Tx, Dispute), ApiError> {
    let milestone = app
        .store
        .milestone(id)
        .await?
        .filter(|m| m.client_id == caller.user_id || m.freelancer_id == caller.user_id)
        .ok_or(ApiError::NotFound("milestone"))?;
    let side = if milestone.client_id == caller.user_id {
        Side::Client
    } else {
        Side::Freelancer
    };
    // One dispute per funding of a milestone: a retry finds its own, a second opener a 409.
    let funded_at = milestone.funded_at.unwrap_or(milestone.created_at);
    let dispute_id = DisputeId::derived(funded_at, &format!("dispute:{}", milestone.id));
    let dispute = Dispute::milestone(dispute_id.clone(), &milestone, side, reason.into(), req.now)?
        .refunding_to(refund_to, milestone.card_charge.as_ref())?
        .priced_for_arbitration(ArbitrationCatalogue::standard().in_force(req.now));
    let frozen = milestone.dispute(dispute_id)?;
    let tx = open_milestone_dispute_tx((&milestone, &frozen), &dispute, req.now);
    Ok((tx, dispute))
}

fn dispute_id(req: &ApiRequest) -> Result<DisputeId, ApiError> {
    DisputeId::parse(req.path_param("id")?).ok_or(ApiError::NotFound("dispute"))
}

/// The dispute if the caller is a party to it or an admin; 404 for anyone else.
async fn visible_dispute(
    app: &App,
    caller: &Caller,
    req: &ApiRequest,
) -> Result<Dispute, ApiError> {
    app.store
        .dispute(&dispute_id(req)?)
        .await?
        .filter(|d| d.is_party(&caller.user_id) || caller.roles.contains(&Role::Admin))
        .ok_or(ApiError::NotFound("dispute"))
}

pub async fn get(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    let dispute = visible_dispute(app, &caller, &req).await?;
    Ok(ApiResponse::ok(&dispute))
}

/// Writes a settled dispute with the money it moves, or a contested one.
async fn settle_or_contest(
    app: &App,
    req: &ApiRequest,
    before: &Dispute,
    after: &Dispute,
    settlement: Option<Settlement>,
    audit: Option<&AuditEntry>,
) -> Result<Option<ApiResponse>, ApiError> {
    let mut tx = match settlement {
        Some(settlement) => {
            let view = app.store.settlement_view(before).await?;
            settle_tx(before, after, &settlement, &view, req.now)?
        }
        None => contest_tx(before, after, req.now)?,
    };
    if let Some(entry) = audit {
        tx = worklane::store::audit::record(tx, entry);
    }
    stale(worklane::http::handler::commit_answer(app, req, tx, ApiResponse::ok(after)).await)
}

/// The dispute in the path and the caller's side of it; anyone else finds no such dispute.
async fn party_dispute(
    app: &App,
    req: &ApiRequest,
    caller: &Caller,
) -> Result<(Dispute, Side), ApiError> {
    let dispute = app
        .store
        .dispute(&dispute_id(req)?)
        .await?
        .filter(|d| d.is_party(&caller.user_id))
        .ok_or(ApiError::NotFound("dispute"))?;
    let side = if dispute.client_id == caller.user_id {
        Side::Client
    } else {
        Side::Freelancer
    };
    Ok((dispute, side))
}

pub async fn respond(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    caller.require_confirmed()?;
    let body: AnswerRequest = req.json()?;
    let (accepted, message) = body.check()?;
    retry_stale(|| async {
        let (before, side) = party_dispute(app, &req, &caller).await?;
        let (after, settlement) = before.answer(side, accepted, message.clone(), req.now)?;
        settle_or_contest(app, &req, &before, &after, settlement, None).await
    })
    .await
}

pub async fn resolve(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Admin)?;
    let body: DecisionRequest = req.json()?;
    let decision = body.check()?;
    retry_stale(|| async {
        let before = app
            .store
            .dispute(&dispute_id(&req)?)
            .await?
            .ok_or(ApiError::NotFound("dispute"))?;
        let (after, settlement) = before.resolve(&caller.user_id, decision.clone(), req.now)?;
        // The admin's ruling goes into the audit trail with its outcome and note.
        let audit = AuditEntry::new(
            &caller.user_id,
            AuditAction::ResolveDispute,
            before.id.as_str(),
            format!(
                "{}: {}",
                json!(body.outcome).as_str().unwrap_or_default(),
                body.note.trim()
            ),
            req.now,
        );
        settle_or_contest(app, &req, &before, &after, Some(settlement), Some(&audit)).await
    })
    .await
}

/// The opener drops the claim: the subject goes back to where it stood (the milestone with its
/// auto-release time, the week in review, the contract resumed if the dispute paused it).
pub async fn withdraw(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    caller.require_confirmed()?;
    retry_stale(|| async {
        let (before, side) = party_dispute(app, &req, &caller).await?;
        let after = before.withdraw(side, req.now)?;
        let view = app.store.settlement_view(&before).await?;
        let unfrozen = match view.frozen {
            Frozen::Milestone(milestone) => Unfrozen::Milestone {
                after: milestone.withdraw_dispute()?,
                before: milestone,
            },
            Frozen::Week(week) => Unfrozen::Week {
                after: week.withdraw_dispute()?,
                before: week,
                contract: view.contract.and_then(|c| {
                    let resumed = c.hourly_dispute_closed(&before.id, req.now)?;
                    Some(Box::new((c, resumed)))
                }),
            },
        };
        let tx = withdraw_tx(&before, &after, &unfrozen, req.now)?;
        stale(worklane::http::handler::commit_answer(app, &req, tx, ApiResponse::ok(&after)).await)
    })
    .await
}

/// The caller's disputes, as client and as freelancer, newest first.
pub async fn my_disputes(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    let scope = format!("my-disputes:{}", caller.user_id);
    let start = app.cursors()?.start_key(&scope, &req)?;
    let limit = PAGE.page_size(&req)?;
    let (disputes, last) = app
        .store
        .party_disputes(&caller.user_id, limit, start)
        .await?;
    Ok(ApiResponse::ok(&Page {
        items: disputes,
        next_cursor: app.cursors()?.next(&scope, last.as_ref()),
    }))
}

/// A file of the evidence with a short-lived download link.
#[derive(Debug, Serialize, JsonSchema)]
pub struct EvidenceFile {
    pub file_id: FileId,
    pub file_name: String,
    pub content_type: String,
    pub download: PresignedUrl,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct EvidenceSubmission {
    #[serde(flatten)]
    pub submission: Submission,
    pub files: Vec<EvidenceFile>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct EvidenceSegment {
    #[serde(flatten)]
    pub segment: TimeSegment,
    pub screenshot: Option<EvidenceFile>,
}

/// What an admin weighs (§13.3).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Evidence {
    pub dispute: Dispute,
    pub contract: Contract,
    /// The contract room's most recent messages, newest first.
    pub messages: Vec<Message>,
    /// Whether older messages exist beyond these.
    pub more_messages: bool,
    pub milestone: Option<Milestone>,
    /// The milestone's submissions, with their files.
    pub submissions: Vec<EvidenceSubmission>,
    pub timesheet: Option<Timesheet>,
    /// The disputed week's work diary, with screenshots.
    pub segments: Vec<EvidenceSegment>,
    pub links_expire_at: Option<DateTime<Utc>>,
}

pub async fn evidence(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Admin)?;
    let dispute = visible_dispute(app, &caller, &req).await?;
    let contract = app
        .store
        .contract(&dispute.contract_id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("{} has no contract", dispute.id)))?;
    let (messages, more_messages) = app
        .store
        .messages_before(
            &RoomId::for_contract(&dispute.contract_id),
            None,
            EVIDENCE_MESSAGES,
        )
        .await?;
    let view = app.store.settlement_view(&dispute).await?;
    let (milestone, timesheet, segments) = match (&dispute.subject, view.frozen) {
        (DisputeSubject::Milestone { .. }, Frozen::Milestone(m)) => (Some(m), None, Vec::new()),
        (DisputeSubject::HourlyWeek { .. }, Frozen::Week(week)) => {
            let segments = app
                .store
                .segments_between(
                    &week.contract_id,
                    week.week().starts_at(),
                    week.week().ends_at(),
                )
                .await?;
            (None, Some(week), segments)
        }
        _ => {
            return Err(ApiError::Internal(format!(
                "{} subject mismatch",
                dispute.id
            )))
        }
    };
    let mut file_ids: Vec<FileId> = segments
        .iter()
        .filter_map(|s| s.screenshot_file_id.clone())
        .collect();
    if let Some(m) = &milestone {
        file_ids.extend(
            m.submissions
                .iter()
                .flat_map(|s| s.file_ids.iter().cloned()),
        );
    }
    let mut files: HashMap<FileId, EvidenceFile> =
        worklane::http::handler::download_links(app, &file_ids, req.now)
            .await?
            .into_iter()
            .map(|(id, (file, download))| {
                let file = EvidenceFile {
                    file_id: file.id,
                    file_name: file.file_name,
                    content_type: file.content_type,
                    download,
                };
                (id, file)
            })
            .collect();
    let mut take = |id: &FileId| files.remove(id);
    let submissions = milestone
        .iter()
        .flat_map(|m| m.submissions.iter())
        .map(|s| EvidenceSubmission {
            submission: s.clone(),
            files: s.file_ids.iter().filter_map(&mut take).collect(),
        })
        .collect();
    let segments = segments
        .into_iter()
        .map(|segment| EvidenceSegment {
            screenshot: segment.screenshot_file_id.as_ref().and_then(&mut take),
            segment,
        })
        .collect();
    Ok(ApiResponse::ok(&Evidence {
        dispute,
        contract,
        messages,
        more_messages,
        milestone,
        submissions,
        timesheet,
        segments,
        links_expire_at: (!file_ids.is_empty())
            .then(|| req.now + worklane::store::files::DOWNLOAD_URL_TTL),
    }))
}

pub async fn mediation_queue(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Admin)?;
    let scope = format!("mediation:{}", caller.user_id);
    let start = app.cursors()?.start_key(&scope, &req)?;
    let limit = PAGE.page_size(&req)?;
    let (disputes, last) = app.store.mediation_queue(limit, start).await?;
    Ok(ApiResponse::ok(&Page {
        items: disputes,
        next_cursor: app.cursors()?.next(&scope, last.as_ref()),
    }))
}
