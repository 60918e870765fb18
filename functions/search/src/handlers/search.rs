//! Finding work (PRODUCT §3.3–3.5): keyword and filter search over the job index, saved
//! jobs, saved searches (alerts are raised by the search indexer) and recommendations.

use crate::search::{engine, FrozenStats, Ranking, SearchSpec, SortKey};
use chrono::{DateTime, Utc};
use http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use worklane::domain::account::Role;
use worklane::domain::ids::{JobId, SavedSearchId, UserId};
use worklane::domain::job::{Job, JobRuleViolation};
use worklane::domain::job_search::{
    is_findable, parse_q, FilterInput, JobFilters, SavedSearch, SavedSearchDraft, SearchInputError,
    SortOrder, FILTER_AMOUNT, MAX_FILTER_SKILLS, MAX_SAVED_SEARCHES,
};
use worklane::domain::search_query::MAX_QUERY_CHARS;
use worklane::handler;
use worklane::http::auth::Caller;
use worklane::http::cursor::Page;
use worklane::http::query::{QueryKind, QueryParam, CURSOR};
use worklane::http::router::{bearer_routes, schema_of, Route};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::store::search::SavedJobRecord;
use worklane::App;
use worklane_marketplace::handlers::jobs::{job_id, visible_job, JobView};

pub fn routes() -> Vec<Route> {
    let route = bearer_routes("job-search");
    vec![
        route(
            Method::GET,
            "/v1/jobs",
            "searchJobs",
            "Find work: open public jobs by keywords (AND, OR, NOT, \"phrases\", parentheses) and filters, by relevance or recency",
            None,
            Some(schema_of::<Page<JobView>> as _),
            200,
            handler!(search_jobs),
        )
        .with_query(&JOB_SEARCH)
        .limited(worklane::domain::rate_limit::Action::Search),
        route(
            Method::POST,
            "/v1/jobs/{id}/save",
            "saveJob",
            "Save a job to the caller's list (freelancers); saving it again changes nothing",
            None,
            Some(schema_of::<SavedJobRef> as _),
            201,
            handler!(save_job),
        ),
        route(
            Method::DELETE,
            "/v1/jobs/{id}/save",
            "unsaveJob",
            "Remove a job from the caller's saved jobs",
            None,
            None,
            204,
            handler!(unsave_job),
        ),
        route(
            Method::GET,
            "/v1/me/saved-jobs",
            "listSavedJobs",
            "The caller's saved jobs, newest save first; closed jobs stay listed with their state",
            None,
            Some(schema_of::<Page<SavedJobView>> as _),
            200,
            handler!(saved_jobs),
        )
        .with_query(&[SEARCH_PAGE, CURSOR]),
        route(
            Method::POST,
            "/v1/me/saved-searches",
            "createSavedSearch",
            "Save a search; new jobs matching it raise an alert",
            Some(schema_of::<SavedSearchDraft> as _),
            Some(schema_of::<SavedSearch> as _),
            201,
            handler!(create_saved_search),
        ),
        route(
            Method::GET,
            "/v1/me/saved-searches",
            "listSavedSearches",
            "The caller's saved searches, newest first",
            None,
            Some(schema_of::<Page<SavedSearch>> as _),
            200,
            handler!(saved_searches),
        )
        .with_query(&[SEARCH_PAGE, CURSOR]),
        route(
            Method::DELETE,
            "/v1/me/saved-searches/{id}",
            "deleteSavedSearch",
            "Delete a saved search (its alerts stop)",
            None,
            None,
            204,
            handler!(delete_saved_search),
        ),
        route(
            Method::GET,
            "/v1/me/recommended-jobs",
            "recommendedJobs",
            "Open public jobs sharing the freelancer's skills (profile, else saved jobs), most shared skills first, then newest",
            None,
            Some(schema_of::<Page<JobView>> as _),
            200,
            handler!(recommended_jobs),
        )
        .with_query(&[SEARCH_PAGE, CURSOR]),
    ]
}

/// A saved job: when it was saved.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SavedJobRef {
    pub job_id: JobId,
    pub saved_at: DateTime<Utc>,
}

/// A saved job with the job as it is now (closed jobs show `state: closed`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct SavedJobView {
    pub job_id: JobId,
    pub saved_at: DateTime<Utc>,
    pub job: JobView,
}

/// Where a paged search stopped. `as_of` and the BM25 statistics are those of the first
/// page, so every page answers the same question in the same order (docs/search.md).
#[derive(Serialize, Deserialize)]
struct SearchCursor {
    as_of: DateTime<Utc>,
    after: SortKey,
    #[serde(default)]
    stats: FrozenStats,
}

const SEARCH_PAGE: QueryParam = QueryParam::limit(20, 50);

/// Find work's query: the keywords, every filter `FilterInput::from_params` reads, the order
/// and the page. Each is checked against its declaration first, so the server takes exactly
/// what the document states.
const JOB_SEARCH: [QueryParam; 14] = [
    QueryParam::optional(
        "q",
        QueryKind::Text {
            max: MAX_QUERY_CHARS,
        },
        "Keywords: terms (all must match), OR, NOT or -term, \"phrases\", parentheses",
    ),
    QueryParam::optional(
        "category",
        QueryKind::Category,
        "A category of the catalogue",
    ),
    QueryParam::optional(
        "skills",
        QueryKind::ListOf {
            values: worklane::domain::catalogue::SKILLS,
            max: MAX_FILTER_SKILLS,
        },
        "Jobs asking for all of these skills",
    ),
    QueryParam::optional(
        "type",
        QueryKind::OneOf(&["fixed", "hourly"]),
        "Contract type",
    ),
    QueryParam::optional(
        "experience",
        QueryKind::OneOf(&["entry", "intermediate", "expert"]),
        "Experience level",
    ),
    QueryParam::optional(
        "budget_min",
        QueryKind::Amount(FILTER_AMOUNT),
        "The fixed price, or the top of the hourly range, at least this, USD",
    ),
    QueryParam::optional(
        "budget_max",
        QueryKind::Amount(FILTER_AMOUNT),
        "The fixed price, or the top of the hourly range, at most this, USD",
    ),
    QueryParam::optional(
        "payment_verified",
        QueryKind::OneOf(&["true", "false"]),
        "Whether the client has a verified billing method",
    ),
    QueryParam::optional(
        "client_hires_min",
        QueryKind::Integer {
            min: 0,
            max: 1_000_000,
            default: 0,
        },
        "Clients who hired at least this many times",
    ),
    QueryParam::optional(
        "client_spent_min",
        QueryKind::Amount(FILTER_AMOUNT),
        "Clients who spent at least this, USD",
    ),
    QueryParam::optional(
        "posted_within",
        QueryKind::OneOf(&["24h", "3d", "7d", "14d", "30d"]),
        "Posted within this long",
    ),
    QueryParam::optional(
        "sort",
        QueryKind::OneOf(&["relevance", "recency"]),
        "relevance (the default with q) or recency (without)",
    ),
    SEARCH_PAGE,
    CURSOR,
];

fn freelancer(app: &App, req: &ApiRequest) -> Result<Caller, ApiError> {
    let caller = Caller::from_request(app.keys()?, req)?;
    caller.require_role(Role::Freelancer)?;
    Ok(caller)
}

/// Runs one page of a search; `matching` scores (keywords or skills), `None` lists all.
async fn search_page(
    app: &App,
    req: &ApiRequest,
    caller: &UserId,
    scope: &str,
    matching: Option<Box<dyn tantivy::query::Query>>,
    filters: &JobFilters,
    ranking: Ranking,
) -> Result<Page<JobView>, ApiError> {
    let limit = SEARCH_PAGE.page_size(req)? as usize;
    let cursor: Option<SearchCursor> = match req.query_param("cursor").filter(|c| !c.is_empty()) {
        Some(raw) => Some(app.cursors()?.decode(scope, raw)?),
        None => None,
    };
    let Some(searcher) = engine::searcher(app).await? else {
        return Ok(Page {
            items: Vec::new(),
            next_cursor: None,
        });
    };
    let as_of = cursor.as_ref().map_or(req.now, |c| c.as_of);
    let (after, stats) = match cursor {
        Some(c) => (Some(c.after), Some(c.stats)),
        None => (None, None),
    };
    let hits = crate::search::search(
        &engine::SCHEMA,
        &searcher,
        SearchSpec {
            matching,
            filters,
            ranking,
            as_of,
            limit,
            after,
            stats,
        },
    )
    .map_err(crate::search::SearchError::from)?;
    let cursors = app.cursors()?;
    let next_cursor = hits.next.map(|after| {
        cursors.encode(
            scope,
            &SearchCursor {
                as_of,
                after,
                stats: hits.stats,
            },
        )
    });
    let jobs = app.store.jobs(&hits.ids).await?;
    // The table has the last word: a job closed since the snapshot is left out (the page
    // may come up short; the cursor still continues where the index stopped).
    let jobs: Vec<Job> = jobs
        .into_iter()
        .filter(|j| is_findable(j, req.now))
        .collect();
    Ok(Page {
        items: views(app, jobs, caller, req.now).await?,
        next_cursor,
    })
}

async fn views(
    app: &App,
    jobs: Vec<Job>,
    caller: &UserId,
    now: DateTime<Utc>,
) -> Result<Vec<JobView>, ApiError> {
    let clients: Vec<UserId> = jobs.iter().map(|j| j.client_id.clone()).collect();
    let stats = app.store.client_stats_many(&clients).await?;
    Ok(jobs
        .into_iter()
        .map(|job| {
            let client = stats.get(&job.client_id).cloned().unwrap_or_default();
            JobView::for_caller(job, client, caller, now)
        })
        .collect())
}

/// A list scope naming everything that shapes the result, so a cursor only continues the
/// search it came from.
fn scope_of(kind: &str, parts: &impl Serialize) -> String {
    let canonical = serde_json::to_vec(parts).expect("search parameters serialize");
    format!(
        "{kind}:{}",
        &worklane::security::sha256_hex(&canonical)[..32]
    )
}

pub async fn search_jobs(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    QueryParam::read_all(&JOB_SEARCH, &req)?;
    let q = req
        .query_param("q")
        .map(str::trim)
        .filter(|q| !q.is_empty());
    let query = parse_q(q).map_err(SearchInputError::Query)?;
    let input = FilterInput::from_params(|name| req.query_param(name))?;
    let filters = input.check()?;
    let sort = match req.query_param("sort").filter(|s| !s.is_empty()) {
        None if query.is_some() => SortOrder::Relevance,
        None => SortOrder::Recency,
        Some("relevance") => SortOrder::Relevance,
        Some("recency") => SortOrder::Recency,
        Some(_) => return Err(ApiError::validation("sort", "relevance or recency")),
    };
    let ranking = match sort {
        SortOrder::Relevance => Ranking::Score,
        SortOrder::Recency => Ranking::Recency,
    };
    let scope = scope_of("jobs", &(q, &input, sort));
    let page = search_page(
        app,
        &req,
        &caller.user_id,
        &scope,
        query.as_ref().map(|q| engine::SCHEMA.keyword_query(q)),
        &filters,
        ranking,
    )
    .await?;
    Ok(ApiResponse::ok(&page))
}

pub async fn save_job(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = freelancer(app, &req)?;
    let job = visible_job(app, &caller.user_id, &job_id(&req)?).await?;
    if !job.accepts_proposals(req.now) {
        return Err(JobRuleViolation::Closed.into());
    }
    let record = SavedJobRecord::new(caller.user_id.clone(), job.id.clone(), req.now);
    let view = |record: SavedJobRecord| SavedJobRef {
        job_id: record.job_id,
        saved_at: record.saved_at,
    };
    if app.store.save_job_for(&record).await? {
        Ok(ApiResponse::created(&view(record)))
    } else {
        let existing = app.store.saved_job(&caller.user_id, &job.id).await?;
        Ok(ApiResponse::ok(&view(existing.unwrap_or(record))))
    }
}

pub async fn unsave_job(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = freelancer(app, &req)?;
    app.store
        .unsave_job(&caller.user_id, &job_id(&req)?)
        .await?;
    Ok(ApiResponse::no_content())
}

pub async fn saved_jobs(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = freelancer(app, &req)?;
    let limit = SEARCH_PAGE.page_size(&req)?;
    let scope = format!("saved-jobs:{}", caller.user_id);
    let start = app.cursors()?.start_key(&scope, &req)?;
    let (records, next) = app.store.saved_jobs(&caller.user_id, limit, start).await?;
    let ids: Vec<JobId> = records.iter().map(|r| r.job_id.clone()).collect();
    // A job that turned invite-only (or was removed by an admin) since is no longer the
    // caller's to see; saving never needed an invitation, so none is read here.
    let jobs: Vec<Job> = app
        .store
        .jobs(&ids)
        .await?
        .into_iter()
        .filter(|j| j.is_visible_to(&caller.user_id, false))
        .collect();
    let mut views = views(app, jobs, &caller.user_id, req.now).await?;
    let items = records
        .into_iter()
        .filter_map(|record| {
            let at = views.iter().position(|v| v.job.id == record.job_id)?;
            Some(SavedJobView {
                job_id: record.job_id,
                saved_at: record.saved_at,
                job: views.swap_remove(at),
            })
        })
        .collect();
    Ok(ApiResponse::ok(&Page {
        items,
        next_cursor: app.cursors()?.next(&scope, next.as_ref()),
    }))
}

pub async fn create_saved_search(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = freelancer(app, &req)?;
    let draft: SavedSearchDraft = req.json()?;
    let search = draft.check(
        SavedSearchId::generate(req.now),
        caller.user_id.clone(),
        req.now,
    )?;
    // The count is read, not locked: two simultaneous creations may pass one over the limit,
    // which only costs a little alert work.
    let (existing, _) = app
        .store
        .saved_searches(&caller.user_id, MAX_SAVED_SEARCHES as i32, None)
        .await?;
    if existing.len() >= MAX_SAVED_SEARCHES {
        return Err(SearchInputError::TooManySaved.into());
    }
    app.store.create_saved_search(&search).await?;
    let mut response = ApiResponse::created(&search);
    response.set_header("location", format!("/v1/me/saved-searches/{}", search.id));
    Ok(response)
}

pub async fn saved_searches(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = freelancer(app, &req)?;
    let limit = SEARCH_PAGE.page_size(&req)?;
    let scope = format!("saved-searches:{}", caller.user_id);
    let start = app.cursors()?.start_key(&scope, &req)?;
    let (items, next) = app
        .store
        .saved_searches(&caller.user_id, limit, start)
        .await?;
    Ok(ApiResponse::ok(&Page {
        items,
        next_cursor: app.cursors()?.next(&scope, next.as_ref()),
    }))
}

pub async fn delete_saved_search(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = freelancer(app, &req)?;
    let id =
        SavedSearchId::parse(req.path_param("id")?).ok_or(ApiError::NotFound("saved search"))?;
    if app.store.delete_saved_search(&caller.user_id, &id).await? {
        Ok(ApiResponse::no_content())
    } else {
        Err(ApiError::NotFound("saved search"))
    }
}

/// How many saved jobs recommendations look at when the profile names no skills.
const SAVED_JOBS_FOR_SKILLS: i32 = 50;

/// The freelancer's skills: the profile's, else those of the jobs they saved (their history).
async fn skills_of(app: &App, user: &UserId) -> Result<Vec<String>, ApiError> {
    if let Some(profile) = app.store.freelancer_profile(user).await? {
        if !profile.content.skills.is_empty() {
            return Ok(profile.content.skills);
        }
    }
    let (saved, _) = app
        .store
        .saved_jobs(user, SAVED_JOBS_FOR_SKILLS, None)
        .await?;
    let ids: Vec<JobId> = saved.into_iter().map(|r| r.job_id).collect();
    let mut seen = HashSet::new();
    Ok(app
        .store
        .jobs(&ids)
        .await?
        .into_iter()
        .flat_map(|job| job.skills)
        .filter(|skill| seen.insert(skill.clone()))
        .collect())
}

pub async fn recommended_jobs(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = freelancer(app, &req)?;
    let mut skills = skills_of(app, &caller.user_id).await?;
    if skills.is_empty() {
        return Ok(ApiResponse::ok(&Page::<JobView> {
            items: Vec::new(),
            next_cursor: None,
        }));
    }
    skills.sort();
    let scope = scope_of(&format!("recommended:{}", caller.user_id), &skills);
    let page = search_page(
        app,
        &req,
        &caller.user_id,
        &scope,
        Some(engine::SCHEMA.skill_overlap(&skills)),
        &JobFilters::default(),
        Ranking::Score,
    )
    .await?;
    // A client who also freelances is not recommended their own jobs.
    let items = page
        .items
        .into_iter()
        .filter(|view| view.job.client_id != caller.user_id)
        .collect();
    Ok(ApiResponse::ok(&Page {
        items,
        next_cursor: page.next_cursor,
    }))
}
