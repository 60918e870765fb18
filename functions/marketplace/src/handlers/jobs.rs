//! Posting and managing jobs (PRODUCT §3.1–3.2). Finding them is `handlers::search`.

use chrono::{DateTime, Utc};
use http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use worklane::domain::account::Role;
use worklane::domain::catalogue;
use worklane::domain::events::{DomainEvent, EventPayload};
use worklane::domain::ids::{JobId, UserId};
use worklane::domain::job::{
    self, CloseReason, Job, JobDraft, JobRuleViolation, JobState, JobTerms, JobType, RateInput,
    Visibility,
};
use worklane::domain::money::MoneyInput;
use worklane::handler;
use worklane::http::auth::Caller;
use worklane::http::cursor::Page;
use worklane::http::handler::{caller_with, owned_job, retry_stale};
use worklane::http::query::{QueryParam, CURSOR};
use worklane::http::router::{bearer_routes, schema_of, Route};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::store::jobs::{ClientStats, JobStoreError};
use worklane::store::Cond;
use worklane::App;

const PAGE: QueryParam = QueryParam::limit(20, 100);

pub fn routes() -> Vec<Route> {
    let route = bearer_routes("jobs");
    vec![
        route(
            Method::POST,
            "/v1/jobs",
            "postJob",
            "Post a job (confirmed clients); the answer shows its Connects cost",
            Some(schema_of::<JobDraft> as _),
            Some(schema_of::<JobView> as _),
            201,
            handler!(post_job),
        ),
        route(
            Method::GET,
            "/v1/jobs/{id}",
            "getJob",
            "A job: public jobs for everyone signed in, invite-only ones for the client and invitees",
            None,
            Some(schema_of::<JobView> as _),
            200,
            handler!(get_job),
        ),
        route(
            Method::PATCH,
            "/v1/jobs/{id}",
            "editJob",
            "Change an open job; screening questions and type lock once proposals arrive",
            Some(schema_of::<JobPatch> as _),
            Some(schema_of::<JobView> as _),
            200,
            handler!(edit_job),
        ),
        route(
            Method::POST,
            "/v1/jobs/{id}/close",
            "closeJob",
            "Close a job as filled or cancelled; cancelling before a hire refunds applicants' Connects",
            Some(schema_of::<CloseRequest> as _),
            Some(schema_of::<JobView> as _),
            200,
            handler!(close_job),
        ),
        route(
            Method::POST,
            "/v1/jobs/{id}/publish",
            "publishJob",
            "Publish a draft: it becomes findable and its 30 days start",
            None,
            Some(schema_of::<JobView> as _),
            200,
            handler!(publish_job),
        ),
        route(
            Method::POST,
            "/v1/jobs/{id}/pause",
            "pauseJob",
            "Stop taking applications for a while (the job leaves search)",
            None,
            Some(schema_of::<JobView> as _),
            200,
            handler!(pause_job),
        ),
        route(
            Method::POST,
            "/v1/jobs/{id}/resume",
            "resumeJob",
            "Take applications again",
            None,
            Some(schema_of::<JobView> as _),
            200,
            handler!(resume_job),
        ),
        route(
            Method::GET,
            "/v1/me/jobs",
            "listMyJobs",
            "The caller's posted jobs, newest first",
            None,
            Some(schema_of::<Page<JobView>> as _),
            200,
            handler!(my_jobs),
        )
        .with_query(&[PAGE, CURSOR]),
    ]
}

/// A job as a caller sees it: the boost slots (who bid what) only for its client.
#[derive(Debug, Serialize, JsonSchema)]
pub struct JobView {
    #[serde(flatten)]
    pub job: Job,
    /// The client's hiring history (§2.2), shown to freelancers deciding whether to apply.
    pub client: ClientHistory,
    /// Low, average and high bid of the other proposals: on a job's own page, for
    /// freelancers on Plus (docs/plans.md), when there are any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub competing_bids: Option<worklane::domain::plan::BidRange>,
}

// The answer's own copy of the stored counters, so the item can change shape without
// changing the API, or the API without a migration.
/// A client's hiring history (§2.2): jobs posted, hires, money spent, payment verified.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ClientHistory {
    pub jobs_posted: u64,
    pub hires: u64,
    /// Decimal string in USD.
    #[schemars(with = "String")]
    pub total_spent: rust_decimal::Decimal,
    pub payment_verified: bool,
}

impl From<ClientStats> for ClientHistory {
    fn from(stats: ClientStats) -> Self {
        Self {
            jobs_posted: stats.jobs_posted,
            hires: stats.hires,
            total_spent: stats.total_spent,
            payment_verified: stats.payment_verified,
        }
    }
}

impl JobView {
    pub fn for_caller(job: Job, client: ClientStats, caller: &UserId, now: DateTime<Utc>) -> Self {
        let mut job = job.effective(now);
        if &job.client_id != caller {
            job.boosts.clear();
        }
        Self {
            job,
            client: client.into(),
            competing_bids: None,
        }
    }
}

/// Fields to change; absent fields keep their value.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = patch_terms_schema)]
pub struct JobPatch {
    #[schemars(transform = job::TITLE.schema())]
    pub title: Option<String>,
    #[schemars(transform = job::DESCRIPTION.schema())]
    pub description: Option<String>,
    #[schemars(transform = catalogue::category_schema)]
    pub category: Option<String>,
    #[schemars(transform = job::SKILLS.schema())]
    pub skills: Option<Vec<String>>,
    pub experience_level: Option<job::ExperienceLevel>,
    #[serde(rename = "type")]
    pub job_type: Option<job::JobType>,
    #[schemars(transform = job::BUDGET.schema())]
    pub budget: Option<MoneyInput>,
    pub hourly_rate: Option<RateInput>,
    #[schemars(range(min = job::MIN_HOURS_PER_WEEK, max = job::MAX_HOURS_PER_WEEK))]
    pub hours_per_week: Option<u32>,
    pub duration: Option<job::ProjectDuration>,
    pub visibility: Option<Visibility>,
    #[schemars(
        length(max = job::MAX_SCREENING_QUESTIONS),
        transform = job::SCREENING_QUESTION.items_schema()
    )]
    pub screening_questions: Option<Vec<String>>,
    #[schemars(length(max = job::MAX_ATTACHMENTS), transform = worklane::domain::rules::unique_items)]
    pub attachments: Option<Vec<worklane::domain::ids::FileId>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    pub reason: CloseAs,
}

/// Why a client closes a job (jobs expire on their own, so `expired` is not a choice).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CloseAs {
    Filled,
    Cancelled,
}

impl From<CloseAs> for CloseReason {
    fn from(reason: CloseAs) -> Self {
        match reason {
            CloseAs::Filled => CloseReason::Filled,
            CloseAs::Cancelled => CloseReason::Cancelled,
        }
    }
}

pub fn job_id(req: &ApiRequest) -> Result<JobId, ApiError> {
    JobId::parse(req.path_param("id")?).ok_or(ApiError::NotFound("job"))
}

/// The job if the caller may see it. Invite-only jobs do not exist for anyone but their
/// client and the freelancers invited to them, removed jobs for anyone but their client
/// (404, so ids reveal nothing).
pub async fn visible_job(app: &App, caller: &UserId, id: &JobId) -> Result<Job, ApiError> {
    let job = app.store.job(id).await?.ok_or(ApiError::NotFound("job"))?;
    // Only an invite-only job someone else posted needs the invitation read.
    let invited = &job.client_id != caller
        && job.visibility == Visibility::InviteOnly
        && app.store.is_invited(id, caller).await?;
    if job.is_visible_to(caller, invited) {
        Ok(job)
    } else {
        Err(ApiError::NotFound("job"))
    }
}

/// The job if the caller is its client; others get the same 404 as for a missing job.
pub async fn own_job(app: &App, caller: &UserId, id: &JobId) -> Result<Job, ApiError> {
    owned_job(app.store.job(id).await?, caller)
}

pub async fn post_job(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Client)?;
    let draft: JobDraft = req.json()?;
    let content = draft.check()?;
    require_attachments(app, &caller.user_id, &content.attachments).await?;
    let id = JobId::generate(req.now);
    let job = if draft.draft {
        Job::draft(id, caller.user_id.clone(), content, req.now)
    } else {
        Job::post(id, caller.user_id.clone(), content, req.now)
    };
    app.store.create_job(&job, req.now).await?;
    let stats = app.store.client_stats(&caller.user_id).await?;
    let mut response = ApiResponse::created(&JobView::for_caller(
        job.clone(),
        stats,
        &caller.user_id,
        req.now,
    ));
    response.set_header("location", format!("/v1/jobs/{}", job.id));
    Ok(response)
}

/// The answer of every job route: the job as `caller` may see it, with its client's history.
async fn job_answer(
    app: &App,
    job: Job,
    caller: &UserId,
    now: DateTime<Utc>,
) -> Result<ApiResponse, ApiError> {
    let stats = app.store.client_stats(&job.client_id).await?;
    Ok(ApiResponse::ok(&JobView::for_caller(
        job, stats, caller, now,
    )))
}

/// Writes a client's change of a job: `Some` when it landed, `None` when the job moved since
/// it was read (the caller retries).
async fn save_change(
    app: &App,
    next: Job,
    read_version: u64,
    extra: Option<Cond>,
    event: &DomainEvent,
) -> Result<Option<Job>, ApiError> {
    match app.store.save_job(&next, read_version, extra, event).await {
        Ok(()) => Ok(Some(next)),
        Err(JobStoreError::Stale) => Ok(None),
        Err(JobStoreError::Store(err)) => Err(err.into()),
    }
}

pub async fn get_job(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    let job = visible_job(app, &caller.user_id, &job_id(&req)?).await?;
    let stats = app.store.client_stats(&job.client_id).await?;
    let mut view = JobView::for_caller(job, stats, &caller.user_id, req.now);
    if view.job.client_id != caller.user_id && caller.roles.contains(&Role::Freelancer) {
        let plan = app.store.subscription(&caller.user_id).await?;
        if plan.is_some_and(|p| p.plan == worklane::domain::plan::PlanId::Plus) {
            let bids = app
                .store
                .competing_bids(&view.job.id, &caller.user_id)
                .await?;
            view.competing_bids = worklane::domain::plan::bid_range(&bids);
        }
    }
    Ok(ApiResponse::ok(&view))
}

pub async fn edit_job(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Client)?;
    let id = job_id(&req)?;
    let patch: JobPatch = req.json()?;
    let job = retry_stale(|| async {
        let job = own_job(app, &caller.user_id, &id).await?;
        terms_conflict(&job, &patch)?;
        let content = apply_patch(&job, &patch).check()?;
        if content.attachments != job.attachments {
            require_attachments(app, &caller.user_id, &content.attachments).await?;
        }
        let locked_fields_change = content.screening_questions != job.screening_questions
            || content.terms.job_type() != job.terms.job_type();
        let next = job.edit(content, req.now)?;
        // Questions may only change while nobody has answered them: checked in the write too,
        // because a proposal can land between our read and our write.
        let no_proposals_yet = locked_fields_change.then(|| {
            Cond::new("proposals_count = :zero OR attribute_not_exists(proposals_count)")
                .value(":zero", 0)
        });
        let event = DomainEvent::new(EventPayload::JobUpdated { job_id: id.clone() }, req.now);
        save_change(app, next, job.version, no_proposals_yet, &event).await
    })
    .await?;
    job_answer(app, job, &caller.user_id, req.now).await
}

pub async fn close_job(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Client)?;
    let id = job_id(&req)?;
    let body: CloseRequest = req.json()?;
    let reason = CloseReason::from(body.reason);
    let job = retry_stale(|| async {
        let job = own_job(app, &caller.user_id, &id).await?;
        let next = job.close(reason, req.now)?;
        let event = DomainEvent::new(
            EventPayload::JobClosed {
                job_id: id.clone(),
                client_id: job.client_id.clone(),
                reason,
                refund_connects: next.refunds_connects(),
            },
            req.now,
        );
        // A hire recorded after our read must not be undone into a "cancelled before hiring".
        let not_hired = Cond::new("attribute_not_exists(hired_at)");
        let guard = next.refunds_connects().then_some(not_hired);
        save_change(app, next, job.version, guard, &event).await
    })
    .await?;
    job_answer(app, job, &caller.user_id, req.now).await
}

/// A client's lifecycle step on their job (publish, pause, resume), retried on a stale read.
async fn lifecycle(
    app: &App,
    req: ApiRequest,
    step: fn(&Job, DateTime<Utc>) -> Result<Job, JobRuleViolation>,
) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Client)?;
    let id = job_id(&req)?;
    let job = retry_stale(|| async {
        let job = own_job(app, &caller.user_id, &id).await?;
        let next = step(&job, req.now)?;
        let landed = if job.state == JobState::Draft {
            app.store.publish_job(&next, job.version, req.now).await
        } else {
            let event = DomainEvent::new(EventPayload::JobUpdated { job_id: id.clone() }, req.now);
            app.store.save_job(&next, job.version, None, &event).await
        };
        match landed {
            Ok(()) => Ok(Some(next)),
            Err(JobStoreError::Stale) => Ok(None),
            Err(JobStoreError::Store(err)) => Err(err.into()),
        }
    })
    .await?;
    job_answer(app, job, &caller.user_id, req.now).await
}

pub async fn publish_job(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    lifecycle(app, req, Job::publish).await
}

pub async fn pause_job(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    lifecycle(app, req, Job::pause).await
}

pub async fn resume_job(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    lifecycle(app, req, Job::resume).await
}

pub async fn my_jobs(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Client)?;
    let scope = format!("client-jobs:{}", caller.user_id);
    let start = app.cursors()?.start_key(&scope, &req)?;
    let limit = PAGE.page_size(&req)?;
    let (jobs, last) = app.store.client_jobs(&caller.user_id, limit, start).await?;
    let stats = app.store.client_stats(&caller.user_id).await?;
    let items = jobs
        .into_iter()
        .map(|job| JobView::for_caller(job, stats.clone(), &caller.user_id, req.now))
        .collect();
    Ok(ApiResponse::ok(&Page {
        items,
        next_cursor: app.cursors()?.next(&scope, last.as_ref()),
    }))
}

/// The job's current fields as a draft with the patch laid over, so an edit is validated by
/// exactly the rules a new job is.
/// A patch that names the type brings no terms of the other type.
fn patch_terms_schema(schema: &mut schemars::Schema) {
    use worklane::domain::rules::when;
    schema.insert(
        "allOf".into(),
        serde_json::json!([
            when("type", "fixed", &[], &["hourly_rate", "hours_per_week"]),
            when("type", "hourly", &[], &["budget"]),
        ]),
    );
}

/// Terms of the other type, or a switch of type without the new type's terms, conflict with
/// the job as it is stored (409): the same patch may be right for another job.
fn terms_conflict(job: &Job, patch: &JobPatch) -> Result<(), ApiError> {
    let job_type = patch.job_type.unwrap_or(job.terms.job_type());
    let foreign_terms = match job_type {
        JobType::Fixed => patch.hourly_rate.is_some() || patch.hours_per_week.is_some(),
        JobType::Hourly => patch.budget.is_some(),
    };
    if foreign_terms {
        return Err(ApiError::Conflict(
            "these terms are for the other job type: send `type` to switch it",
        ));
    }
    let switched_without_terms = job_type != job.terms.job_type()
        && match job_type {
            JobType::Fixed => patch.budget.is_none(),
            JobType::Hourly => patch.hourly_rate.is_none(),
        };
    if switched_without_terms {
        return Err(ApiError::Conflict(
            "switching the job type needs the new terms: a budget (fixed) or hourly_rate (hourly)",
        ));
    }
    Ok(())
}

fn apply_patch(job: &Job, patch: &JobPatch) -> JobDraft {
    let (budget, hourly_rate, hours_per_week) = match &job.terms {
        JobTerms::Fixed { budget } => (
            Some(MoneyInput {
                amount: budget.amount.to_string(),
                currency: budget.currency,
            }),
            None,
            None,
        ),
        JobTerms::Hourly {
            hourly_rate,
            hours_per_week,
        } => (
            None,
            Some(RateInput {
                min: hourly_rate.min.to_string(),
                max: hourly_rate.max.to_string(),
                currency: hourly_rate.currency,
            }),
            *hours_per_week,
        ),
    };
    let job_type = patch.job_type.unwrap_or(job.terms.job_type());
    let type_changed = job_type != job.terms.job_type();
    // Switching type drops the old terms: the patch must bring the new ones.
    let (budget, hourly_rate, hours_per_week) = if type_changed {
        (None, None, None)
    } else {
        (budget, hourly_rate, hours_per_week)
    };
    JobDraft {
        title: patch.title.clone().unwrap_or_else(|| job.title.clone()),
        description: patch
            .description
            .clone()
            .unwrap_or_else(|| job.description.clone()),
        category: patch
            .category
            .clone()
            .unwrap_or_else(|| job.category.clone()),
        skills: patch.skills.clone().unwrap_or_else(|| job.skills.clone()),
        experience_level: patch.experience_level.unwrap_or(job.experience_level),
        job_type,
        budget: patch.budget.clone().or(budget),
        hourly_rate: patch.hourly_rate.clone().or(hourly_rate),
        hours_per_week: patch.hours_per_week.or(hours_per_week),
        duration: patch.duration.unwrap_or(job.duration),
        visibility: patch.visibility.unwrap_or(job.visibility),
        screening_questions: patch
            .screening_questions
            .clone()
            .unwrap_or_else(|| job.screening_questions.clone()),
        attachments: patch
            .attachments
            .clone()
            .unwrap_or_else(|| job.attachments.clone()),
        draft: false,
    }
}

/// Attached files must be the caller's own, uploaded, attachment-purpose files.
pub async fn require_attachments(
    app: &App,
    owner: &UserId,
    files: &[worklane::domain::ids::FileId],
) -> Result<(), ApiError> {
    if files.is_empty() {
        return Ok(());
    }
    app.store
        .usable_files(
            owner,
            files,
            &[worklane::domain::file::FilePurpose::Attachment],
        )
        .await
        .map(|_| ())
        .map_err(|err| err.into_api("attachments"))
}
