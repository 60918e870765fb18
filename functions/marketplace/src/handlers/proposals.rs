//! Proposals and invitations (PRODUCT §5, §4.1, §4.3): applying spends Connects in the same
//! transaction as the proposal; answering an invitation is free; boosts bid for the top slots.

use super::jobs::{job_id, own_job, require_attachments, visible_job};
use chrono::{DateTime, Utc};
use http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use worklane::domain::account::Role;
use worklane::domain::ids::{InvitationId, ProposalId, UserId};
use worklane::domain::job::{BoostOutcome, BoostSlot, Job, Visibility};
use worklane::domain::proposal::{
    Boost, BoostState, ClientAction, ClientList, FreelancerList, Invitation, InvitationState,
    Origin, Proposal, ProposalContent, ProposalDraft, ProposalEdit, ProposalRuleViolation,
    ProposalState,
};
use worklane::domain::rate_limit::Action;
use worklane::domain::rules::TextRule;
use worklane::domain::Violations;
use worklane::handler;
use worklane::http::auth::Caller;
use worklane::http::cursor::Page;
use worklane::http::handler::caller_with;
use worklane::http::handler::retry_stale;
use worklane::http::query::{QueryKind, QueryParam, CURSOR};
use worklane::http::router::{bearer_routes, schema_of, Route, SchemaFn};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::store::proposals::{ProposalStoreError, Submission};
use worklane::App;

pub fn routes() -> Vec<Route> {
    let route = bearer_routes("proposals");
    let proposal = Some(schema_of::<ProposalView> as SchemaFn);
    vec![
        route(Method::POST, "/v1/jobs/{id}/proposals", "submitProposal",
            "Apply to a public job, spending its Connects (plus an optional boost bid) at once",
            Some(schema_of::<ProposalDraft>), proposal, 201, handler!(submit))
            .limited(Action::SubmitProposal),
        route(Method::GET, "/v1/jobs/{id}/proposals", "listJobProposals",
            "The client's view of a job's proposals: boosted top slots first (?list=all|shortlisted|archived)",
            None, Some(schema_of::<Page<ClientProposalView>>), 200, handler!(list_for_job))
            .with_query(&[CLIENT_LIST, PAGE, CURSOR]),
        route(Method::GET, "/v1/proposals/{id}", "getProposal",
            "A proposal, for its freelancer or the job's client", None,
            Some(schema_of::<PartyProposalView>), 200, handler!(get)),
        route(Method::GET, "/v1/me/proposals", "listMyProposals",
            "The freelancer's proposals (?list=submitted|active|invited|archived), newest first",
            None, Some(schema_of::<Page<ProposalView>>), 200, handler!(list_mine))
            .with_query(&[FREELANCER_LIST, PAGE, CURSOR]),
        route(Method::PATCH, "/v1/proposals/{id}", "editProposal",
            "Change the bid, cover letter or duration while the client decides",
            Some(schema_of::<ProposalEdit>), proposal, 200, handler!(edit)),
        route(Method::POST, "/v1/proposals/{id}/withdraw", "withdrawProposal",
            "Withdraw a proposal (Connects are not refunded)", None, proposal, 200, handler!(withdraw)),
        route(Method::POST, "/v1/proposals/{id}/shortlist", "shortlistProposal",
            "Client: shortlist a proposal", None, Some(schema_of::<ClientProposalView>), 200, handler!(shortlist)),
        route(Method::POST, "/v1/proposals/{id}/archive", "archiveProposal",
            "Client: archive a proposal", None, Some(schema_of::<ClientProposalView>), 200, handler!(archive)),
        route(Method::POST, "/v1/proposals/{id}/decline", "declineProposal",
            "Client: decline a proposal (final)", None, Some(schema_of::<ClientProposalView>), 200, handler!(decline)),
        route(Method::POST, "/v1/jobs/{id}/invitations", "inviteFreelancer",
            "Client: invite a freelancer to an open job", Some(schema_of::<InviteRequest>),
            Some(schema_of::<Invitation>), 201, handler!(invite)),
        route(Method::GET, "/v1/me/invitations", "listMyInvitations",
            "The freelancer's invitations, newest first", None, Some(schema_of::<Page<Invitation>>), 200,
            handler!(my_invitations))
            .with_query(&[PAGE, CURSOR]),
        route(Method::POST, "/v1/invitations/{id}/accept", "acceptInvitation",
            "Answer an invitation with a proposal, free of Connects", Some(schema_of::<ProposalDraft>),
            proposal, 201, handler!(accept_invitation))
            .limited(Action::SubmitProposal),
        route(Method::POST, "/v1/invitations/{id}/decline", "declineInvitation",
            "Decline an invitation", None, Some(schema_of::<Invitation>), 200, handler!(decline_invitation)),
    ]
}

/// A proposal as its freelancer sees it, with what it cost.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProposalView {
    #[serde(flatten)]
    pub proposal: Proposal,
}

/// A proposal as the client sees it: what was offered, not what it cost the freelancer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ClientProposalView {
    pub id: ProposalId,
    pub job_id: worklane::domain::ids::JobId,
    pub freelancer_id: UserId,
    pub origin: Origin,
    pub cover_letter: String,
    pub bid: worklane::domain::money::Money,
    pub duration: worklane::domain::job::ProjectDuration,
    pub answers: Vec<String>,
    pub attachments: Vec<worklane::domain::ids::FileId>,
    /// Holds one of the job's top four boosted slots.
    pub boosted: bool,
    pub state: ProposalState,
    pub created_at: DateTime<Utc>,
}

impl From<Proposal> for ClientProposalView {
    fn from(p: Proposal) -> Self {
        Self {
            boosted: matches!(&p.boost, Some(b) if b.state == BoostState::Active),
            id: p.id,
            job_id: p.job_id,
            freelancer_id: p.freelancer_id,
            origin: p.origin,
            cover_letter: p.cover_letter,
            bid: p.bid,
            duration: p.duration,
            answers: p.answers,
            attachments: p.attachments,
            state: p.state,
            created_at: p.created_at,
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    pub freelancer_id: UserId,
    #[serde(default)]
    #[schemars(transform = INVITATION_MESSAGE.schema())]
    pub message: String,
}

const INVITATION_MESSAGE: TextRule = TextRule::new(0, 2_000);

fn proposal_id(req: &ApiRequest) -> Result<ProposalId, ApiError> {
    ProposalId::parse(req.path_param("id")?).ok_or(ApiError::NotFound("proposal"))
}

/// The proposal if the caller is its freelancer or the job's client; 404 for everyone else,
/// and for the client once an admin removed it.
async fn party_proposal(app: &App, caller: &UserId, id: &ProposalId) -> Result<Proposal, ApiError> {
    match app.store.proposal(id).await? {
        Some(p) if &p.freelancer_id == caller => Ok(p),
        Some(p) if &p.client_id == caller && p.removed_at.is_none() => Ok(p),
        _ => Err(ApiError::NotFound("proposal")),
    }
}

pub async fn submit(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Freelancer)?;
    let job = visible_job(app, &caller.user_id, &job_id(&req)?).await?;
    if job.client_id == caller.user_id {
        return Err(ApiError::Forbidden("you cannot apply to your own job"));
    }
    if job.visibility == Visibility::InviteOnly {
        return Err(ProposalRuleViolation::InvitationRequired.into());
    }
    let draft: ProposalDraft = req.json()?;
    let content = draft.check(&job)?;
    require_attachments(app, &caller.user_id, &content.attachments).await?;
    let application = Application {
        id: ProposalId::generate(req.now),
        freelancer: &caller.user_id,
        origin: Origin::Applied,
        content: &content,
        invitation: None,
    };
    let proposal = apply(app, job, &application, req.now).await?;
    Ok(ApiResponse::created(&ProposalView { proposal }))
}

struct Application<'a> {
    id: ProposalId,
    freelancer: &'a UserId,
    origin: Origin,
    content: &'a ProposalContent,
    invitation: Option<&'a Invitation>,
}

/// Submits a proposal against the job as it is now. When the boost auction moved between our
/// read and our write, the job is read again and the bid placed again.
async fn apply(
    app: &App,
    first_read: Job,
    application: &Application<'_>,
    now: DateTime<Utc>,
) -> Result<Proposal, ApiError> {
    let job_id = &first_read.id.clone();
    // The first attempt uses the job the caller already read; retries read it again.
    let mut first_read = Some(first_read);
    retry_stale(|| {
        let already_read = first_read.take();
        async move {
            let job = match already_read {
                Some(job) => job,
                None => app
                    .store
                    .job(job_id)
                    .await?
                    .ok_or(ApiError::NotFound("job"))?,
            };
            if job.state == worklane::domain::job::JobState::Paused {
                return Err(ProposalRuleViolation::JobPaused.into());
            }
            if !job.accepts_proposals(now) {
                return Err(ProposalStoreError::JobClosed.into());
            }
            let mut proposal = Proposal::new(
                application.id.clone(),
                &job,
                application.freelancer.clone(),
                application.origin,
                application.content.clone(),
                now,
            );
            let mut boosted = None;
            let mut displaced = None;
            let bid = application.content.boost_connects;
            if bid > 0 {
                let mut after = job.clone();
                let slot = BoostSlot {
                    proposal_id: proposal.id.clone(),
                    freelancer_id: proposal.freelancer_id.clone(),
                    connects: bid,
                    placed_at: now,
                };
                match after.place_boost(slot, now)? {
                    BoostOutcome::Placed { displaced: lost } => {
                        proposal.boost = Some(Boost {
                            connects: bid,
                            state: BoostState::Active,
                        });
                        displaced = lost;
                        boosted = Some(after);
                    }
                    BoostOutcome::Outbid { lowest_winning } => {
                        return Err(ProposalRuleViolation::BoostTooLow { lowest_winning }.into())
                    }
                }
            }
            let submission = Submission {
                proposal: &proposal,
                job: &job,
                boosted: boosted.as_ref(),
                displaced: displaced.as_ref(),
                invitation: application.invitation,
            };
            match app.store.submit_proposal(submission, now).await {
                Ok(()) => Ok(Some(proposal)),
                Err(ProposalStoreError::Stale) => Ok(None),
                Err(ProposalStoreError::InsufficientConnects) => {
                    let balance = app.store.connects_balance(application.freelancer).await?;
                    let needed = proposal.connects_spent + bid;
                    Err(ProposalRuleViolation::InsufficientConnects { needed, balance }.into())
                }
                Err(err) => Err(err.into()),
            }
        }
    })
    .await
}

pub async fn get(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    let proposal = party_proposal(app, &caller.user_id, &proposal_id(&req)?).await?;
    let view = if proposal.freelancer_id == caller.user_id {
        PartyProposalView::Freelancer(ProposalView { proposal })
    } else {
        PartyProposalView::Client(ClientProposalView::from(proposal))
    };
    Ok(ApiResponse::ok(&view))
}

/// What `GET /v1/proposals/{id}` answers: the freelancer's view, or the job's client's.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum PartyProposalView {
    Freelancer(ProposalView),
    Client(ClientProposalView),
}

const PAGE: QueryParam = QueryParam::limit(20, 100);
const CLIENT_LIST: QueryParam = QueryParam::optional(
    "list",
    QueryKind::OneOf(&["all", "shortlisted", "archived"]),
    "Which proposals: all (not archived, declined or withdrawn; the default), shortlisted, archived",
);
const FREELANCER_LIST: QueryParam = QueryParam::optional(
    "list",
    QueryKind::OneOf(&["submitted", "active", "invited", "archived"]),
    "Which proposals: submitted (the default), active, invited, archived",
);

/// The `list` a request names (or `default`), as the list type its values spell.
fn list_param<T: serde::de::DeserializeOwned>(
    req: &ApiRequest,
    param: &QueryParam,
    default: &str,
) -> Result<T, ApiError> {
    let raw = param.read(req)?.unwrap_or(default);
    serde_json::from_value(serde_json::Value::String(raw.to_string()))
        .map_err(|_| ApiError::validation("list", format!("{raw:?} is not a list name")))
}

pub async fn list_for_job(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Client)?;
    let job = own_job(app, &caller.user_id, &job_id(&req)?).await?;
    let list: ClientList = list_param(&req, &CLIENT_LIST, "all")?;
    let scope = format!("job-proposals:{}:{:?}", job.id, list);
    let start = app.cursors()?.start_key(&scope, &req)?;
    let limit = PAGE.page_size(&req)?;
    // The auction's winners lead the first page; later they are skipped where they arrived.
    let boosted_ids: Vec<ProposalId> = job.boosts.iter().map(|s| s.proposal_id.clone()).collect();
    let mut items: Vec<ClientProposalView> = Vec::new();
    if start.is_none() && list == ClientList::All {
        let mut boosted = app.store.proposals(&boosted_ids).await?;
        boosted.sort_by_key(|p| boosted_ids.iter().position(|id| id == &p.id));
        items.extend(
            boosted
                .into_iter()
                .filter(|p| list.contains(p))
                .map(ClientProposalView::from),
        );
    }
    let (page, last) = app.store.job_proposals(&job.id, limit, start).await?;
    items.extend(
        page.into_iter()
            .filter(|p| list.contains(p))
            .filter(|p| list != ClientList::All || !boosted_ids.contains(&p.id))
            .map(ClientProposalView::from),
    );
    Ok(ApiResponse::ok(&Page {
        items,
        next_cursor: app.cursors()?.next(&scope, last.as_ref()),
    }))
}

pub async fn list_mine(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Freelancer)?;
    let list: FreelancerList = list_param(&req, &FREELANCER_LIST, "submitted")?;
    let scope = format!("my-proposals:{}:{:?}", caller.user_id, list);
    let start = app.cursors()?.start_key(&scope, &req)?;
    let limit = PAGE.page_size(&req)?;
    let (page, last) = app
        .store
        .freelancer_proposals(&caller.user_id, limit, start)
        .await?;
    let items: Vec<ProposalView> = page
        .into_iter()
        .filter(|p| list.contains(p))
        .map(|proposal| ProposalView { proposal })
        .collect();
    Ok(ApiResponse::ok(&Page {
        items,
        next_cursor: app.cursors()?.next(&scope, last.as_ref()),
    }))
}

/// Loads the caller's own proposal (as its freelancer), changes it, and saves it.
async fn change_own<F>(app: &App, req: &ApiRequest, change: F) -> Result<Proposal, ApiError>
where
    F: Fn(&Proposal, &Job) -> Result<Proposal, ApiError>,
{
    let caller = caller_with(app, req, Role::Freelancer)?;
    let id = proposal_id(req)?;
    retry_stale(|| async {
        let current = party_proposal(app, &caller.user_id, &id).await?;
        if current.freelancer_id != caller.user_id {
            return Err(ApiError::Forbidden(
                "only the proposal's freelancer may do this",
            ));
        }
        let job = app
            .store
            .job(&current.job_id)
            .await?
            .ok_or(ApiError::NotFound("job"))?;
        let next = change(&current, &job)?;
        match app.store.save_proposal(&next, current.version).await {
            Ok(()) => Ok(Some(next)),
            Err(ProposalStoreError::Stale) => Ok(None),
            Err(err) => Err(err.into()),
        }
    })
    .await
}

pub async fn edit(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let patch: ProposalEdit = req.json()?;
    let proposal = change_own(app, &req, |current, job| {
        current
            .edit(patch.clone(), job, req.now)
            .map_err(|err| match err {
                Ok(violations) => violations.into(),
                Err(rule) => rule.into(),
            })
    })
    .await?;
    Ok(ApiResponse::ok(&ProposalView { proposal }))
}

pub async fn withdraw(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let proposal = change_own(app, &req, |current, _| Ok(current.withdraw(req.now)?)).await?;
    Ok(ApiResponse::ok(&ProposalView { proposal }))
}

async fn client_action(
    app: &App,
    req: ApiRequest,
    action: ClientAction,
) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Client)?;
    let id = proposal_id(&req)?;
    let proposal = retry_stale(|| async {
        let current = party_proposal(app, &caller.user_id, &id).await?;
        if current.client_id != caller.user_id {
            return Err(ApiError::Forbidden("only the job's client may do this"));
        }
        let next = current.client_action(action, req.now)?;
        match app.store.save_proposal(&next, current.version).await {
            Ok(()) => Ok(Some(next)),
            Err(ProposalStoreError::Stale) => Ok(None),
            Err(err) => Err(err.into()),
        }
    })
    .await?;
    Ok(ApiResponse::ok(&ClientProposalView::from(proposal)))
}

pub async fn shortlist(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    client_action(app, req, ClientAction::Shortlist).await
}

pub async fn archive(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    client_action(app, req, ClientAction::Archive).await
}

pub async fn decline(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    client_action(app, req, ClientAction::Decline).await
}

pub async fn invite(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Client)?;
    let job = own_job(app, &caller.user_id, &job_id(&req)?).await?;
    let body: InviteRequest = req.json()?;
    let mut violations = Violations::default();
    let message = INVITATION_MESSAGE.check(&mut violations, "message", &body.message);
    violations.into_result()?;
    let invitee = app.store.user(&body.freelancer_id).await?;
    if !invitee.is_some_and(|u| u.roles.contains(&Role::Freelancer)) {
        return Err(ApiError::NotFound("freelancer"));
    }
    if !job.accepts_proposals(req.now) {
        return Err(ProposalStoreError::JobClosed.into());
    }
    let invitation = Invitation {
        id: InvitationId::generate(req.now),
        job_id: job.id.clone(),
        client_id: caller.user_id.clone(),
        freelancer_id: body.freelancer_id,
        message,
        state: InvitationState::Pending,
        proposal_id: None,
        created_at: req.now,
        updated_at: req.now,
    };
    app.store
        .create_invitation(&invitation, &job, req.now)
        .await?;
    Ok(ApiResponse::created(&invitation))
}

pub async fn my_invitations(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Freelancer)?;
    let scope = format!("my-invitations:{}", caller.user_id);
    let start = app.cursors()?.start_key(&scope, &req)?;
    let limit = PAGE.page_size(&req)?;
    let (items, last) = app
        .store
        .freelancer_invitations(&caller.user_id, limit, start)
        .await?;
    Ok(ApiResponse::ok(&Page {
        items,
        next_cursor: app.cursors()?.next(&scope, last.as_ref()),
    }))
}

/// The caller's own invitation, still waiting for an answer.
async fn pending_invitation(app: &App, req: &ApiRequest) -> Result<(Caller, Invitation), ApiError> {
    let caller = caller_with(app, req, Role::Freelancer)?;
    let id = InvitationId::parse(req.path_param("id")?).ok_or(ApiError::NotFound("invitation"))?;
    let invitation = match app.store.invitation(&id).await? {
        Some(i) if i.freelancer_id == caller.user_id => i,
        _ => return Err(ApiError::NotFound("invitation")),
    };
    if invitation.state != InvitationState::Pending {
        return Err(ProposalStoreError::InvitationAnswered.into());
    }
    Ok((caller, invitation))
}

pub async fn accept_invitation(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let (caller, invitation) = pending_invitation(app, &req).await?;
    let draft: ProposalDraft = req.json()?;
    if draft.boost_connects > 0 {
        return Err(ApiError::validation(
            "boost_connects",
            "proposals from invitations are not boosted",
        ));
    }
    let job = app
        .store
        .job(&invitation.job_id)
        .await?
        .ok_or(ApiError::NotFound("job"))?;
    let content = draft.check(&job)?;
    require_attachments(app, &caller.user_id, &content.attachments).await?;
    let application = Application {
        id: ProposalId::generate(req.now),
        freelancer: &caller.user_id,
        origin: Origin::Invited,
        content: &content,
        invitation: Some(&invitation),
    };
    let proposal = apply(app, job, &application, req.now).await?;
    Ok(ApiResponse::created(&ProposalView { proposal }))
}

pub async fn decline_invitation(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let (_, invitation) = pending_invitation(app, &req).await?;
    app.store.decline_invitation(&invitation, req.now).await?;
    let mut declined = invitation;
    declined.state = InvitationState::Declined;
    declined.updated_at = req.now;
    Ok(ApiResponse::ok(&declined))
}

#[cfg(test)]
mod tests {
    use super::*;
    use worklane::domain::catalogue::enum_values;
    use worklane::http::query::QueryKind;

    #[test]
    fn list_parameters_name_every_list() {
        let declared = |param: QueryParam| match param.kind {
            QueryKind::OneOf(values) => {
                let mut values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
                values.sort();
                values
            }
            _ => unreachable!(),
        };
        let of_type = |values: Vec<serde_json::Value>| {
            let mut values: Vec<String> = values
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            values.sort();
            values
        };
        assert_eq!(declared(CLIENT_LIST), of_type(enum_values::<ClientList>()));
        assert_eq!(
            declared(FREELANCER_LIST),
            of_type(enum_values::<FreelancerList>())
        );
    }
}
