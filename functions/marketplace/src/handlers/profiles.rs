//! Profiles (PRODUCT §2.1–2.2) and clients finding freelancers (§3.6). Profiles are written
//! only through `/me/` routes, so the path can never name someone else's profile to change.

use chrono::{DateTime, Utc};
use http::Method;
use schemars::JsonSchema;
use serde::Serialize;
use worklane::domain::account::Role;
use worklane::domain::file::FilePurpose;
use worklane::domain::ids::UserId;
use worklane::domain::money::{Currency, Money};
use worklane::domain::profile::{
    check_version, hire_rate, ClientContent, ClientProfile, ClientProfileInput, FreelancerCard,
    FreelancerContent, FreelancerProfile, FreelancerProfileInput, FreelancerSearch,
};
use worklane::domain::{catalogue, profile};
use worklane::handler;
use worklane::http::auth::Caller;
use worklane::http::cursor::Page;
use worklane::http::handler::caller_with;
use worklane::http::handler::retry_stale;
use worklane::http::query::{QueryKind, QueryParam, CURSOR};
use worklane::http::router::{schema_of, Access, Route, SchemaFn};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::store::profiles::ProfileError;
use worklane::App;

pub fn routes() -> Vec<Route> {
    let route = |method,
                 path,
                 operation_id,
                 summary,
                 access,
                 request: Option<SchemaFn>,
                 response: SchemaFn,
                 handler| Route {
        method,
        path,
        function: "profiles",
        operation_id,
        summary,
        access,
        request,
        response: Some(response),
        success: 200,
        handler,
        query: &[],
        body_optional: false,
        limit: None,
    };
    vec![
        route(
            Method::PUT,
            "/v1/freelancers/me/profile",
            "putFreelancerProfile",
            "Write the caller's freelancer profile (confirmed freelancers); portfolio files become public",
            Access::Bearer,
            Some(schema_of::<FreelancerProfileInput>),
            schema_of::<FreelancerProfile>,
            handler!(put_freelancer_profile),
        ),
        route(
            Method::GET,
            "/v1/freelancers/me/profile",
            "getMyFreelancerProfile",
            "The caller's freelancer profile with its version, for editing",
            Access::Bearer,
            None,
            schema_of::<FreelancerProfile>,
            handler!(my_freelancer_profile),
        ),
        route(
            Method::GET,
            "/v1/freelancers/{id}",
            "getFreelancer",
            "A freelancer's public profile",
            Access::Public,
            None,
            schema_of::<PublicFreelancerView>,
            handler!(get_freelancer),
        ),
        route(
            Method::GET,
            "/v1/freelancers",
            "searchFreelancers",
            "Find freelancers by skills (all of them), hourly rate range and country; cheapest first",
            Access::Bearer,
            None,
            schema_of::<Page<FreelancerCard>>,
            handler!(search_freelancers),
        )
        .with_query(&FREELANCER_SEARCH)
        .limited(worklane::domain::rate_limit::Action::Search),
        route(
            Method::PUT,
            "/v1/clients/me/profile",
            "putClientProfile",
            "Write the caller's client profile (confirmed clients)",
            Access::Bearer,
            Some(schema_of::<ClientProfileInput>),
            schema_of::<ClientProfile>,
            handler!(put_client_profile),
        ),
        route(
            Method::GET,
            "/v1/clients/me/profile",
            "getMyClientProfile",
            "The caller's client profile with its version, for editing",
            Access::Bearer,
            None,
            schema_of::<ClientProfile>,
            handler!(my_client_profile),
        ),
        route(
            Method::GET,
            "/v1/clients/{id}",
            "getClient",
            "A client as freelancers see them: profile and hiring history",
            Access::Bearer,
            None,
            schema_of::<ClientView>,
            handler!(get_client),
        ),
    ]
}

/// A freelancer profile as anyone sees it: no version or edit times, no account data.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PublicFreelancerView {
    pub id: UserId,
    #[serde(flatten)]
    pub profile: FreelancerContent,
    pub member_since: DateTime<Utc>,
    /// The verified badge: an admin approved the freelancer's identity documents (§1.4).
    pub identity_verified: bool,
    /// The Plus badge: the freelancer's membership plan is Plus (docs/plans.md).
    pub plus: bool,
}

/// A client as freelancers see them (§2.2).
#[derive(Debug, Serialize, JsonSchema)]
pub struct ClientView {
    pub id: UserId,
    /// Absent until the client writes a profile; the hiring history is there regardless.
    #[serde(flatten)]
    pub profile: Option<ClientContent>,
    pub member_since: DateTime<Utc>,
    pub hiring: HiringHistory,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct HiringHistory {
    pub jobs_posted: u64,
    pub hires: u64,
    /// Share of posted jobs that led to a hire (0–1); absent before the first job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hire_rate: Option<f64>,
    pub total_spent: Money,
    pub payment_verified: bool,
}

/// A versioned write's outcome for `retry_stale`: a lost race means read and try again
/// (where a version the caller based the edit on then refuses it with 409).
fn landed<P>(result: Result<(), ProfileError>, profile: P) -> Result<Option<P>, ApiError> {
    match result {
        Ok(()) => Ok(Some(profile)),
        Err(ProfileError::Stale) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

fn user_in_path(req: &ApiRequest, what: &'static str) -> Result<UserId, ApiError> {
    UserId::parse(req.path_param("id")?).ok_or(ApiError::NotFound(what))
}

/// The profile's files must be the caller's uploaded portfolio files, the photo an image;
/// the write re-checks this in its transaction, this read is for precise errors.
async fn check_profile_files(
    app: &App,
    owner: &UserId,
    content: &FreelancerContent,
) -> Result<(), ApiError> {
    let ids = content.file_ids();
    if ids.is_empty() {
        return Ok(());
    }
    let photo = content.photo_file_id.as_ref();
    let field_of = |id: &_| {
        if Some(id) == photo {
            "photo_file_id".to_string()
        } else {
            "portfolio".to_string()
        }
    };
    let files = app
        .store
        .usable_files(owner, &ids, &[FilePurpose::Portfolio])
        .await
        .map_err(|err| err.into_api_with(field_of))?;
    match files.iter().find(|f| Some(&f.id) == photo) {
        Some(file) if !file.is_image() => Err(ApiError::validation(
            "photo_file_id",
            "the photo must be an image (JPEG, PNG, GIF or WebP)",
        )),
        _ => Ok(()),
    }
}

pub async fn put_freelancer_profile(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Freelancer)?;
    let body: FreelancerProfileInput = req.json()?;
    let content = body.check(req.now)?;
    check_profile_files(app, &caller.user_id, &content).await?;
    let profile = retry_stale(|| async {
        let previous = app.store.freelancer_profile(&caller.user_id).await?;
        check_version(body.version, previous.as_ref().map(|p| p.version))?;
        let next = FreelancerProfile::revise(
            caller.user_id.clone(),
            previous.as_ref(),
            content.clone(),
            req.now,
        );
        let saved = app
            .store
            .save_freelancer_profile(&next, previous.as_ref())
            .await;
        landed(saved, next)
    })
    .await?;
    Ok(ApiResponse::ok(&profile))
}

pub async fn my_freelancer_profile(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    let profile = app
        .store
        .freelancer_profile(&caller.user_id)
        .await?
        .ok_or(ApiError::NotFound("freelancer profile"))?;
    Ok(ApiResponse::ok(&profile))
}

pub async fn get_freelancer(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    const NOT_FOUND: ApiError = ApiError::NotFound("freelancer");
    let id = user_in_path(&req, "freelancer")?;
    let (profile, account, plan) = app.store.freelancer_page_with_plan(&id).await?;
    // A suspended freelancer's page is gone with them from search (docs/trust-and-safety.md).
    if account.as_ref().is_some_and(|a| a.standing.is_suspended()) {
        return Err(NOT_FOUND);
    }
    let profile = profile.ok_or(NOT_FOUND)?;
    Ok(ApiResponse::ok(&PublicFreelancerView {
        id: profile.user_id,
        profile: profile.content,
        member_since: profile.created_at,
        identity_verified: account.is_some_and(|a| a.identity_verified_at.is_some()),
        plus: plan.is_some_and(|p| p.plan == worklane::domain::plan::PlanId::Plus),
    }))
}

/// Freelancers are found by skill, never listed all at once: `skills` is required.
const FREELANCER_SEARCH: [QueryParam; 6] = [
    QueryParam::required(
        "skills",
        QueryKind::ListOf {
            values: catalogue::SKILLS,
            max: profile::MAX_SEARCH_SKILLS,
        },
        "Skill slugs of the catalogue, comma-separated; a freelancer has all of them",
    ),
    QueryParam::optional(
        "rate_min",
        QueryKind::Amount(profile::HOURLY_RATE),
        "Lowest hourly rate, USD",
    ),
    QueryParam::optional(
        "rate_max",
        QueryKind::Amount(profile::HOURLY_RATE),
        "Highest hourly rate, USD",
    ),
    QueryParam::optional(
        "location",
        QueryKind::Country,
        "ISO 3166-1 alpha-2 country code",
    ),
    QueryParam::limit(20, 50),
    CURSOR,
];

pub async fn search_freelancers(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    Caller::from_request(app.keys()?, &req)?;
    let [skills, rate_min, rate_max, location, _, _] =
        QueryParam::read_all(&FREELANCER_SEARCH, &req)?;
    let search = FreelancerSearch::parse(skills.unwrap_or_default(), rate_min, rate_max, location)?;
    let limit = FREELANCER_SEARCH[4].page_size(&req)?;
    let scope = search.scope();
    let start = app.cursors()?.start_key(&scope, &req)?;
    let (items, next) = app
        .store
        .search_freelancers(&search, limit as usize, start)
        .await?;
    Ok(ApiResponse::ok(&Page {
        items,
        next_cursor: app.cursors()?.next(&scope, next.as_ref()),
    }))
}

pub async fn put_client_profile(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Client)?;
    let body: ClientProfileInput = req.json()?;
    let content = body.check()?;
    let profile = retry_stale(|| async {
        let previous = app.store.client_profile(&caller.user_id).await?;
        check_version(body.version, previous.as_ref().map(|p| p.version))?;
        let next = ClientProfile::revise(
            caller.user_id.clone(),
            previous.as_ref(),
            content.clone(),
            req.now,
        );
        landed(
            app.store
                .save_client_profile(&next, previous.as_ref())
                .await,
            next,
        )
    })
    .await?;
    Ok(ApiResponse::ok(&profile))
}

pub async fn my_client_profile(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    let profile = app
        .store
        .client_profile(&caller.user_id)
        .await?
        .ok_or(ApiError::NotFound("client profile"))?;
    Ok(ApiResponse::ok(&profile))
}

pub async fn get_client(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    Caller::from_request(app.keys()?, &req)?;
    let id = user_in_path(&req, "client")?;
    let (user, profile, stats) = app.store.client_page(&id).await?;
    let user = user
        .filter(|u| u.roles.contains(&Role::Client))
        .ok_or(ApiError::NotFound("client"))?;
    let total_spent = Money::new(stats.total_spent, Currency::USD)
        .map_err(|err| ApiError::Internal(format!("client {id} total_spent: {err}")))?;
    Ok(ApiResponse::ok(&ClientView {
        id,
        profile: profile.map(|p| p.content),
        member_since: user.created_at,
        hiring: HiringHistory {
            jobs_posted: stats.jobs_posted,
            hires: stats.hires,
            hire_rate: hire_rate(stats.jobs_posted, stats.hires),
            total_spent,
            payment_verified: stats.payment_verified,
        },
    }))
}
