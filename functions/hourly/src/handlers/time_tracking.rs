//! Hourly time (PRODUCT §8.1–8.3): logging segments from a tracker or by hand, the work
//! diary, deleting segments, and the weekly timesheets with their invoices.

use chrono::{DateTime, NaiveDate, Utc};
use http::Method;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use worklane::domain::account::Role;
use worklane::domain::fees::FeeCatalogue;
use worklane::domain::file::FilePurpose;
use worklane::domain::hourly::{
    self, may_delete, weekly_limit_for, BatchRejection, BillingWeek, ChargeStatus, Invoice,
    Payment, SegmentId, TimeBatch, TimeRuleViolation, TimeSegment, Timesheet, TimesheetId,
};
use worklane::domain::ids::{ContractId, DisputeId, FileId};
use worklane::domain::money::Money;
use worklane::domain::offer::{Contract, ContractTerms, Side};
use worklane::domain::Violations;
use worklane::handler;
use worklane::http::auth::Caller;
use worklane::http::cursor::Page;
use worklane::http::handler::{caller_with, retry_stale};
use worklane::http::query::{QueryKind, QueryParam, CURSOR};
use worklane::http::router::{bearer_routes, schema_of, Route};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::store::files::FileBlobs;
use worklane::store::hourly::{delete_segment_tx, log_time_tx};
use worklane::store::{Label, WriteConflict};
use worklane::store::{Tx, TxError};
use worklane::App;

pub fn routes() -> Vec<Route> {
    let route = bearer_routes("time-tracking");
    vec![
        route(Method::POST, "/v1/contracts/{id}/time", "logTime",
            "Freelancer: log 10-minute segments (tracker, or manual where allowed); a re-sent batch logs nothing twice",
            Some(schema_of::<TimeBatch>), Some(schema_of::<LoggedTime>), 200, handler!(log_time)),
        route(Method::GET, "/v1/contracts/{id}/work-diary", "getWorkDiary",
            "Either party: one day's segments (`?date=YYYY-MM-DD`, UTC) with screenshots and activity",
            None, Some(schema_of::<WorkDiary>), 200, handler!(work_diary))
            .with_query(&[DIARY_DATE]),
        route(Method::DELETE, "/v1/time-segments/{id}", "deleteTimeSegment",
            "Freelancer: delete a segment and its screenshot, until the week closes (Monday 12:00 UTC)",
            None, None, 204, handler!(delete_segment)),
        route(Method::GET, "/v1/contracts/{id}/timesheets", "listTimesheets",
            "Either party: each week's hours, invoice and state, newest first",
            None, Some(schema_of::<Page<TimesheetView>>), 200, handler!(timesheets))
            .with_query(&[TIMESHEETS_PAGE, CURSOR]),
    ]
}

/// A week as the parties see it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TimesheetView {
    pub id: TimesheetId,
    pub contract_id: ContractId,
    #[schemars(with = "String")]
    pub week_start: NaiveDate,
    #[schemars(with = "String")]
    pub week_end: NaiveDate,
    /// `open | payment_due | in_review | disputed | released | available`.
    pub state: &'static str,
    pub logged_minutes: u32,
    pub manual_minutes: u32,
    /// Monday 12:00 UTC: the diary freezes and the invoice is made.
    pub closes_at: DateTime<Utc>,
    /// The client may dispute until just before this (Friday 23:59:59 UTC).
    pub review_ends_at: DateTime<Utc>,
    /// Released money is withdrawable from then: the Wednesday of §8.5, or the security
    /// period after a dispute's settlement.
    pub available_at: DateTime<Utc>,
    pub invoice: Option<Invoice>,
    pub invoiced_at: Option<DateTime<Utc>>,
    /// While the charge has not gone through: attempts so far and the next one.
    pub charge: Option<ChargeStatus>,
    pub charged_at: Option<DateTime<Utc>>,
    pub disputed_at: Option<DateTime<Utc>>,
    pub dispute_id: Option<DisputeId>,
    pub released_at: Option<DateTime<Utc>>,
    /// What the release (or a dispute's outcome) paid the freelancer.
    pub payment: Option<Payment>,
    /// What a dispute's outcome gave back to the client.
    pub refunded: Option<Money>,
}

impl TimesheetView {
    pub fn new(sheet: Timesheet, now: DateTime<Utc>) -> Self {
        let week = sheet.week();
        let minutes = |n: u32| n * hourly::SEGMENT_MINUTES as u32;
        Self {
            id: sheet.id.clone(),
            contract_id: sheet.contract_id.clone(),
            week_start: sheet.week_start,
            week_end: sheet.week_start + chrono::Duration::days(6),
            state: sheet.display_state(now),
            logged_minutes: minutes(sheet.segments),
            manual_minutes: minutes(sheet.manual_segments),
            closes_at: week.closes_at(),
            review_ends_at: week.review_ends_at(),
            available_at: sheet.matures_at(),
            invoice: sheet.invoice,
            invoiced_at: sheet.invoiced_at,
            charge: sheet.charge,
            charged_at: sheet.charged_at,
            disputed_at: sheet.disputed_at,
            dispute_id: sheet.dispute_id,
            released_at: sheet.released_at,
            payment: sheet.payment,
            refunded: sheet.refunded,
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct LoggedTime {
    /// Segments this request logged.
    pub accepted: Vec<SegmentId>,
    /// Segments that were already logged with the same content (a re-sent batch).
    pub already_logged: Vec<SegmentId>,
    /// The weeks the batch touched, after it.
    pub weeks: Vec<TimesheetView>,
}

/// The contract if the caller is a party (strangers get 404, as for no contract).
fn of_party(contract: Option<Contract>, caller: &Caller) -> Result<(Contract, Side), ApiError> {
    contract
        .and_then(|c| Side::of(&c.parties, &caller.user_id).map(|side| (c, side)))
        .ok_or(ApiError::NotFound("contract"))
}

fn contract_id(req: &ApiRequest) -> Result<ContractId, ApiError> {
    ContractId::parse(req.path_param("id")?).ok_or(ApiError::NotFound("contract"))
}

/// The change and its answer in one transaction with the request's Idempotency-Key record.
/// `Ok(None)`: a week or slot changed since it was read; read again.
async fn commit(
    app: &App,
    req: &ApiRequest,
    tx: Tx,
    response: ApiResponse,
) -> Result<Option<ApiResponse>, ApiError> {
    match worklane::http::handler::commit_answer(app, req, tx, response).await {
        Ok(response) => Ok(Some(response)),
        Err(TxError::ConditionFailed { label, .. }) => match label {
            Label::Timesheet | Label::Segment | Label::Dispute => Ok(None),
            Label::Contract => Err(WriteConflict::ContractNotActive.into()),
            Label::Idempotency => Err(WriteConflict::RequestInFlight.into()),
            other => Err(WriteConflict::Unforeseen(other).into()),
        },
        Err(TxError::Store(err)) => Err(err.into()),
    }
}

pub async fn log_time(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Freelancer)?;
    let id = contract_id(&req)?;
    let batch: TimeBatch = req.json()?;
    if batch.segments.len() > hourly::MAX_SEGMENTS_PER_BATCH {
        return Err(ApiError::validation(
            "segments",
            format!(
                "send 1 to {} segments per request",
                hourly::MAX_SEGMENTS_PER_BATCH
            ),
        ));
    }
    // The slots and weeks are named by the request itself, so one read brings the contract,
    // the weeks and whatever already sits in those slots.
    let slots: Vec<SegmentId> = batch
        .segments
        .iter()
        .map(|s| SegmentId::new(&id, s.start))
        .collect();
    let mut weeks: Vec<BillingWeek> = batch
        .segments
        .iter()
        .map(|s| BillingWeek::containing(s.start))
        .collect();
    weeks.sort();
    weeks.dedup();
    retry_stale(|| async {
        let view = app.store.logging_view(&id, &weeks, &slots).await?;
        let (contract, _) = of_party(view.contract, &caller)?;
        let segments = batch
            .check(&contract, &caller.user_id, req.now)
            .map_err(|rejection| match rejection {
                BatchRejection::Rule(rule) => ApiError::from(rule),
                BatchRejection::Invalid(violations) => ApiError::from(violations),
            })?;
        let mut violations = Violations::default();
        let (mut fresh, mut repeated) = (Vec::new(), Vec::new());
        for (i, (segment, existing)) in segments.iter().zip(&view.existing).enumerate() {
            match existing {
                Some(old) if old.same_as(segment) => repeated.push(segment.id.clone()),
                Some(_) => violations.push(
                    &format!("segments[{i}].start"),
                    "this slot already holds a different segment (delete it first)",
                ),
                None => fresh.push((i, segment)),
            }
        }
        violations.into_result()?;
        check_screenshots(app, &caller, &fresh).await?;
        let mut touched: BTreeMap<BillingWeek, Vec<&TimeSegment>> = BTreeMap::new();
        for (_, segment) in &fresh {
            touched.entry(segment.week()).or_default().push(segment);
        }
        let mut pairs = Vec::new();
        for (week, added) in &touched {
            let index = weeks.binary_search(week).expect("every week was read");
            let before = view.weeks[index]
                .clone()
                .unwrap_or_else(|| Timesheet::open(&contract, *week));
            if before.state != hourly::TimesheetState::Open {
                return Err(TimeRuleViolation::WeekClosed(*week).into());
            }
            let after = before.counted(added, false);
            pairs.push((before, after));
        }
        let answer = LoggedTime {
            accepted: fresh.iter().map(|(_, s)| s.id.clone()).collect(),
            already_logged: repeated,
            weeks: pairs
                .iter()
                .map(|(_, after)| TimesheetView::new(after.clone(), req.now))
                .collect(),
        };
        if fresh.is_empty() {
            return Ok(Some(ApiResponse::ok(&answer)));
        }
        let added: Vec<TimeSegment> = fresh.into_iter().map(|(_, s)| s.clone()).collect();
        commit(
            app,
            &req,
            log_time_tx(&contract, &added, &pairs),
            ApiResponse::ok(&answer),
        )
        .await
    })
    .await
}

/// Screenshots must be the freelancer's own uploaded screenshots.
async fn check_screenshots(
    app: &App,
    caller: &Caller,
    fresh: &[(usize, &TimeSegment)],
) -> Result<(), ApiError> {
    let wanted: Vec<(usize, FileId)> = fresh
        .iter()
        .filter_map(|(i, s)| s.screenshot_file_id.clone().map(|f| (*i, f)))
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let ids: Vec<FileId> = wanted.iter().map(|(_, f)| f.clone()).collect();
    let index: HashMap<FileId, usize> = wanted.into_iter().map(|(i, f)| (f, i)).collect();
    app.store
        .usable_files(&caller.user_id, &ids, &[FilePurpose::Screenshot])
        .await
        .map(|_| ())
        .map_err(|err| {
            err.into_api_with(|file| match index.get(file) {
                Some(i) => format!("segments[{i}].screenshot_file_id"),
                None => "segments".into(),
            })
        })
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Screenshot {
    pub file_id: FileId,
    pub url: String,
    pub url_expires_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct DiarySegment {
    #[serde(flatten)]
    pub segment: TimeSegment,
    pub end: DateTime<Utc>,
    pub screenshot: Option<Screenshot>,
    /// Within the weekly limit, counting the week's time in the order it was worked.
    pub billable: bool,
    /// Meets §8.6 so far (tracked, memo, screenshot, activity, within the limit); the close
    /// also needs the client's billing method verified.
    pub protection_eligible: bool,
    /// The freelancer may still delete it (until the week closes).
    pub deletable: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct WorkDiary {
    pub contract_id: ContractId,
    #[schemars(with = "String")]
    pub date: NaiveDate,
    pub timesheet_id: TimesheetId,
    pub logged_minutes: u32,
    pub tracked_minutes: u32,
    pub manual_minutes: u32,
    pub segments: Vec<DiarySegment>,
}

const DIARY_DATE: QueryParam =
    QueryParam::required("date", QueryKind::Date, "The day, in UTC, e.g. 2026-12-07");
const TIMESHEETS_PAGE: QueryParam = QueryParam::limit(20, 100);

pub async fn work_diary(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    let id = contract_id(&req)?;
    let date = DIARY_DATE.date(&req)?.expect("a required parameter");
    let (contract, side) = of_party(app.store.contract(&id).await?, &caller)?;
    let ContractTerms::Hourly { hourly_rate, .. } = &contract.terms else {
        return Err(TimeRuleViolation::NotHourly.into());
    };
    let day_start = date.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let week = BillingWeek::containing(day_start);
    // The whole week: whether a segment is within the limit depends on what came before.
    let segments = app
        .store
        .segments_between(&id, week.starts_at(), week.ends_at())
        .await?;
    let schedule = FeeCatalogue::locked(&contract.fee_schedule)
        .ok_or_else(|| ApiError::Internal(format!("fee schedule {}", contract.fee_schedule)))?;
    let limit = weekly_limit_for(&contract, week).unwrap_or(0);
    let (_, verdicts) = hourly::invoice(&segments, *hourly_rate, limit, true, &schedule);
    let day: Vec<(TimeSegment, hourly::SegmentVerdict)> = segments
        .into_iter()
        .zip(verdicts)
        .filter(|(s, _)| s.start.date_naive() == date)
        .collect();
    let screenshot_ids: Vec<FileId> = day
        .iter()
        .filter_map(|(s, _)| s.screenshot_file_id.clone())
        .collect();
    let urls: HashMap<FileId, _> =
        worklane::http::handler::download_links(app, &screenshot_ids, req.now)
            .await?
            .into_iter()
            .map(|(id, (_, url))| (id, url))
            .collect();
    let open = req.now < week.closes_at();
    let count = |f: &dyn Fn(&TimeSegment) -> bool| {
        day.iter().filter(|(s, _)| f(s)).count() as u32 * hourly::SEGMENT_MINUTES as u32
    };
    let diary = WorkDiary {
        contract_id: id.clone(),
        date,
        timesheet_id: TimesheetId::new(&id, week),
        logged_minutes: count(&|_| true),
        tracked_minutes: count(&|s| !s.manual),
        manual_minutes: count(&|s| s.manual),
        segments: day
            .iter()
            .map(|(segment, verdict)| DiarySegment {
                end: segment.end(),
                screenshot: segment.screenshot_file_id.as_ref().and_then(|file| {
                    urls.get(file).map(|url| Screenshot {
                        file_id: file.clone(),
                        url: url.url.clone(),
                        url_expires_at: url.expires_at,
                    })
                }),
                billable: verdict.billable,
                protection_eligible: verdict.protected,
                deletable: open && side == Side::Freelancer,
                segment: segment.clone(),
            })
            .collect(),
    };
    Ok(ApiResponse::ok(&diary))
}

pub async fn delete_segment(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = caller_with(app, &req, Role::Freelancer)?;
    let id = SegmentId::parse(req.path_param("id")?).ok_or(ApiError::NotFound("time segment"))?;
    let week = BillingWeek::containing(id.start());
    let removed = retry_stale(|| async {
        let view = app
            .store
            .logging_view(id.contract(), &[week], std::slice::from_ref(&id))
            .await?;
        let (contract, _) =
            of_party(view.contract, &caller).map_err(|_| ApiError::NotFound("time segment"))?;
        let Some(segment) = view.existing.into_iter().next().flatten() else {
            return Err(ApiError::NotFound("time segment"));
        };
        may_delete(&contract, &caller.user_id, &segment, req.now)?;
        let before = view
            .weeks
            .into_iter()
            .next()
            .flatten()
            .ok_or_else(|| ApiError::Internal(format!("{id} has no week")))?;
        if before.state != hourly::TimesheetState::Open {
            return Err(TimeRuleViolation::WeekClosed(week).into());
        }
        let after = before.counted(&[&segment], true);
        let file = match &segment.screenshot_file_id {
            Some(file) => app.store.file(file).await?,
            None => None,
        };
        let committed = commit(
            app,
            &req,
            delete_segment_tx(&segment, &before, &after),
            ApiResponse::no_content(),
        )
        .await?;
        Ok(committed.map(|response| (response, file)))
    })
    .await?;
    let (response, file) = removed;
    // The record is gone with the segment; the object follows. Should this fail, the object
    // is unreachable (no record presigns it) and the bucket's lifecycle rule removes it.
    if let Some(file) = file {
        if let Err(err) = FileBlobs::new(app.s3(), app.bucket()?).delete(&file).await {
            tracing::warn!(file = %file.id, error = %err, "screenshot object not deleted");
        }
    }
    Ok(response)
}

pub async fn timesheets(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    let id = contract_id(&req)?;
    let limit = TIMESHEETS_PAGE.page_size(&req)?;
    of_party(app.store.contract(&id).await?, &caller)?;
    let scope = format!("timesheets:{id}");
    let cursors = app.cursors()?;
    let before = match req.query_param("cursor").filter(|c| !c.is_empty()) {
        Some(cursor) => Some(cursors.decode::<NaiveDate>(&scope, cursor)?),
        None => None,
    };
    let weeks = app.store.timesheets(&id, before, limit).await?;
    let next_cursor = (weeks.len() == limit as usize)
        .then(|| weeks.last())
        .flatten()
        .map(|last| cursors.encode(&scope, &last.week_start));
    Ok(ApiResponse::ok(&Page {
        items: weeks
            .into_iter()
            .map(|w| TimesheetView::new(w, req.now))
            .collect(),
        next_cursor,
    }))
}
