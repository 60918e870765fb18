//! Leave feedback (PRODUCT §11.1–11.2), its double-blind view, and a user's public feedback
//! with their Job Success Score and badges (§11.3–11.4).

use chrono::{DateTime, Utc};
use http::Method;
use schemars::JsonSchema;
use serde::Serialize;
use worklane::domain::account::Role;
use worklane::domain::feedback::{
    visible, window_closes_at, Feedback, FeedbackError, FeedbackRequest, FeedbackRuleViolation,
    PublicFeedback,
};
use worklane::domain::ids::{ContractId, UserId};
use worklane::domain::offer::Side;
use worklane::domain::reputation::Reputation;
use worklane::handler;
use worklane::http::auth::Caller;
use worklane::http::cursor::Page;
use worklane::http::handler::{caller_with_any, retry_stale};
use worklane::http::query::{QueryParam, CURSOR};
use worklane::http::router::{bearer_routes, schema_of, Access, Route};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::store::feedback::submit_tx;
use worklane::store::Label;
use worklane::store::TxError;
use worklane::App;

const PAGE: QueryParam = QueryParam::limit(20, 100);

pub fn routes() -> Vec<Route> {
    let route = bearer_routes("feedback");
    let mut public = route(Method::GET, "/v1/users/{id}/feedback", "listUserFeedback",
        "Public: revealed feedback a user received, newest first, with their Job Success Score and badges",
        None, Some(schema_of::<UserFeedback>), 200, handler!(user_feedback))
        .with_query(&[PAGE, CURSOR]);
    public.access = Access::Public;
    vec![
        route(Method::POST, "/v1/contracts/{id}/feedback", "leaveFeedback",
            "A party of an ended contract: ratings, a public comment and private feedback, within 14 days (double blind)",
            Some(schema_of::<FeedbackRequest>), Some(schema_of::<ContractFeedback>), 201, handler!(leave)),
        route(Method::GET, "/v1/contracts/{id}/feedback", "getContractFeedback",
            "A party: their own feedback, and the other side's once revealed",
            None, Some(schema_of::<ContractFeedback>), 200, handler!(contract_feedback)),
        public,
    ]
}

/// A contract's feedback as one party sees it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ContractFeedback {
    pub contract_id: ContractId,
    pub window_closes_at: Option<DateTime<Utc>>,
    /// The caller's own feedback, private part included.
    pub mine: Option<Feedback>,
    /// The other side's public feedback, once revealed; until then only whether it exists.
    pub theirs: Option<PublicFeedback>,
    pub theirs_submitted: bool,
}

async fn view(
    app: &App,
    caller: &Caller,
    id: &ContractId,
    now: DateTime<Utc>,
) -> Result<
    (
        worklane::domain::offer::Contract,
        Side,
        ContractFeedback,
        Option<Feedback>,
    ),
    ApiError,
> {
    let (contract, client, freelancer) = app.store.contract_feedback(id).await?;
    let (contract, side) = contract
        .and_then(|c| Side::of(&c.parties, &caller.user_id).map(|side| (c, side)))
        .ok_or(ApiError::NotFound("contract"))?;
    let (mine, theirs) = match side {
        Side::Client => (client, freelancer),
        Side::Freelancer => (freelancer, client),
    };
    let shown = theirs
        .as_ref()
        .filter(|f| visible(f, &contract, now))
        .map(PublicFeedback::from);
    let answer = ContractFeedback {
        contract_id: contract.id.clone(),
        window_closes_at: window_closes_at(&contract),
        theirs_submitted: theirs.is_some(),
        theirs: shown,
        mine,
    };
    // The other side's full item travels along: leaving feedback reveals or checks it.
    Ok((contract, side, answer, theirs))
}

fn contract_id(req: &ApiRequest) -> Result<ContractId, ApiError> {
    ContractId::parse(req.path_param("id")?).ok_or(ApiError::NotFound("contract"))
}

pub async fn leave(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with_any(app, &req, &[Role::Client, Role::Freelancer])?;
    let id = contract_id(&req)?;
    let body: FeedbackRequest = req.json()?;
    retry_stale(|| async {
        let (contract, side, before, other) = view(app, &caller, &id, req.now).await?;
        if before.mine.is_some() {
            return Err(FeedbackRuleViolation::AlreadyGiven.into());
        }
        let mine = body
            .check(&contract, side, req.now)
            .map_err(|err| match err {
                FeedbackError::Rule(rule) => ApiError::from(rule),
                FeedbackError::Invalid(violations) => ApiError::from(violations),
            })?;
        let tx = submit_tx(&contract, &mine, other.as_ref(), req.now)?;
        let mut answer = before;
        let revealed = other.is_some();
        let mut mine_shown = mine.clone();
        if revealed {
            mine_shown.revealed_at = Some(req.now);
            answer.theirs = other.as_ref().map(|o| {
                let mut o = PublicFeedback::from(o);
                o.revealed_at = Some(req.now);
                o
            });
        }
        answer.mine = Some(mine_shown);
        let response = ApiResponse::created(&answer);
        match worklane::http::handler::commit_answer(app, &req, tx, response).await {
            Ok(response) => Ok(Some(response)),
            // Our slot was taken by a parallel submission of ours (the next round says so),
            // or the other side submitted meanwhile (the next round reveals both).
            Err(TxError::ConditionFailed {
                label: Label::Feedback | Label::Other,
                ..
            }) => Ok(None),
            Err(err) => Err(err.into()),
        }
    })
    .await
}

pub async fn contract_feedback(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    let (_, _, answer, _) = view(app, &caller, &contract_id(&req)?, req.now).await?;
    Ok(ApiResponse::ok(&answer))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct UserFeedback {
    pub user_id: UserId,
    /// Job Success Score and badges as last recomputed (on a contract's end or a reveal);
    /// absent until there is something to compute from.
    pub reputation: Option<Reputation>,
    #[serde(flatten)]
    pub page: Page<PublicFeedback>,
}

pub async fn user_feedback(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let user = UserId::parse(req.path_param("id")?).ok_or(ApiError::NotFound("user"))?;
    let limit = PAGE.page_size(&req)?;
    let scope = format!("feedback:{user}");
    let cursors = app.cursors()?;
    let before: Option<String> = match req.query_param("cursor").filter(|c| !c.is_empty()) {
        Some(cursor) => Some(cursors.decode(&scope, cursor)?),
        None => None,
    };
    let (received, reputation) = futures::try_join!(
        app.store.feedback_received(&user, before.as_deref(), limit),
        app.store.reputation(&user),
    )?;
    let next_cursor = (received.len() == limit as usize)
        .then(|| received.last())
        .flatten()
        .and_then(|last| last.revealed_at.map(|at| (at, &last.contract_id)))
        .map(|(at, contract)| {
            cursors.encode(&scope, &format!("{:015}#{contract}", at.timestamp_millis()))
        });
    Ok(ApiResponse::ok(&UserFeedback {
        user_id: user,
        reputation,
        page: Page {
            items: received.iter().map(PublicFeedback::from).collect(),
            next_cursor,
        },
    }))
}
