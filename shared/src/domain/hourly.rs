//! Hourly contracts (PRODUCT §8), pure: the billing calendar, time segments and what may be
//! logged when, the weekly invoice (limit, protection, amount), and the timesheet's states.
//!
//! The calendar is Upwork's, in UTC: a week runs Monday 00:00 – Sunday 23:59:59; the diary
//! may change until Monday 11:59:59; Monday 12:00 closes the week into an invoice; the client
//! may dispute until Friday 23:59:59; Saturday 00:00 releases; the money is available on the
//! Wednesday ten days after the week ended (five days of review, five of security).

use super::fees::{client_fee, round_cents, FeeSchedule};
use super::ids::{ContractId, DisputeId, FileId, TransferId, UserId};
use super::money::Money;
use super::offer::Contract;
use super::rules::TextRule;
use super::Violations;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use rust_decimal::Decimal;
use schemars::{JsonSchema, Schema};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::fmt;

/// Time is logged in slots of this length, aligned to the clock (…:00, :10, … :50).
pub const SEGMENT_MINUTES: i64 = 10;
pub const SEGMENTS_PER_HOUR: u32 = 6;
/// One request's segments fit one transaction (100 items) with the week counters, the
/// contract check and the idempotency record.
pub const MAX_SEGMENTS_PER_BATCH: usize = 72;
pub const MIN_SEGMENTS_PER_BATCH: usize = 1;
/// A tracker's clock may run this far ahead of ours; a slot ending later is "in the future".
pub const CLOCK_SKEW: Duration = Duration::minutes(2);
/// Activity (share of the slot's minutes with keyboard or mouse input, 0–100) at or above
/// which tracked time counts as "reasonable activity" for hourly protection (§8.6).
pub const PROTECTED_MIN_ACTIVITY: u8 = 10;
pub const MAX_MEMO: usize = 500;
pub const MEMO: TextRule = TextRule::new(0, MAX_MEMO);
/// Activity is a percentage.
pub const MAX_ACTIVITY: u8 = 100;
/// A declined weekly charge is tried again this long after each failure (§8.4: never lost).
pub const CHARGE_RETRY_AFTER: Duration = Duration::hours(24);
/// The other side of an hourly dispute answers within this long (§13.2).
pub const HOURLY_DISPUTE_RESPONSE: Duration = Duration::days(3);

/// Monday 00:00 UTC of the week containing `at`.
pub fn week_start_of(at: DateTime<Utc>) -> NaiveDate {
    let date = at.date_naive();
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

fn midnight(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
}

/// One billing week, named by its Monday.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BillingWeek(NaiveDate);

impl BillingWeek {
    pub fn containing(at: DateTime<Utc>) -> Self {
        Self(week_start_of(at))
    }

    /// `None` unless `date` is a Monday.
    pub fn starting(date: NaiveDate) -> Option<Self> {
        (date.weekday() == chrono::Weekday::Mon).then_some(Self(date))
    }

    pub fn monday(self) -> NaiveDate {
        self.0
    }

    pub fn starts_at(self) -> DateTime<Utc> {
        midnight(self.0)
    }

    /// The first instant after the week (the next Monday 00:00).
    pub fn ends_at(self) -> DateTime<Utc> {
        midnight(self.0 + Duration::days(7))
    }

    /// Monday 12:00 after the week: the diary is frozen and the invoice made (§8.4).
    pub fn closes_at(self) -> DateTime<Utc> {
        self.ends_at() + Duration::hours(12)
    }

    /// Saturday 00:00 after the close: the first instant the client can no longer dispute.
    pub fn review_ends_at(self) -> DateTime<Utc> {
        midnight(self.0 + Duration::days(12))
    }

    /// The Wednesday 10 days after the week ended: released money becomes available (§8.5).
    pub fn available_at(self) -> DateTime<Utc> {
        midnight(self.0 + Duration::days(16))
    }

    /// The last week that is closed at `at` (its close time has come).
    pub fn last_closed_at(at: DateTime<Utc>) -> Self {
        let this = Self::containing(at);
        let previous = Self(this.0 - Duration::days(7));
        if at >= previous.closes_at() {
            previous
        } else {
            Self(previous.0 - Duration::days(7))
        }
    }
}

impl fmt::Display for BillingWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The ulid part of a contract id: composite ids below embed it.
fn contract_ulid(contract: &ContractId) -> &str {
    contract
        .as_str()
        .strip_prefix(concat!("ctr", "_"))
        .unwrap_or_default()
}

fn contract_of(ulid: &str) -> Option<ContractId> {
    ContractId::parse(&format!("ctr_{ulid}"))
}

/// A segment's id names its slot: `seg_<contract ulid>_<yyyymmddhhmm>`. A contract has at
/// most one segment per slot, so the id is also what makes a re-sent batch collide with
/// itself instead of logging time twice.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String")]
pub struct SegmentId {
    contract: ContractId,
    start: DateTime<Utc>,
}

impl SegmentId {
    pub fn new(contract: &ContractId, start: DateTime<Utc>) -> Self {
        Self {
            contract: contract.clone(),
            start,
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let rest = raw.strip_prefix("seg_")?;
        let (ulid, slot) = rest.split_once('_')?;
        let contract = contract_of(ulid)?;
        let start = chrono::NaiveDateTime::parse_from_str(slot, "%Y%m%d%H%M")
            .ok()?
            .and_utc();
        (slot.len() == 12 && is_slot_start(start)).then_some(Self { contract, start })
    }

    pub fn contract(&self) -> &ContractId {
        &self.contract
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }
}

impl fmt::Display for SegmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seg_{}_{}",
            contract_ulid(&self.contract),
            self.start.format("%Y%m%d%H%M")
        )
    }
}

impl From<SegmentId> for String {
    fn from(id: SegmentId) -> String {
        id.to_string()
    }
}

impl TryFrom<String> for SegmentId {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        SegmentId::parse(&raw).ok_or_else(|| format!("not a segment id: {raw}"))
    }
}

/// A timesheet (one contract-week) id: `wk_<contract ulid>_<yyyymmdd of the Monday>`.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String")]
pub struct TimesheetId {
    contract: ContractId,
    week: BillingWeek,
}

impl TimesheetId {
    pub fn new(contract: &ContractId, week: BillingWeek) -> Self {
        Self {
            contract: contract.clone(),
            week,
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let rest = raw.strip_prefix("wk_")?;
        let (ulid, day) = rest.split_once('_')?;
        let contract = contract_of(ulid)?;
        let date = NaiveDate::parse_from_str(day, "%Y%m%d").ok()?;
        let week = BillingWeek::starting(date)?;
        (day.len() == 8).then_some(Self { contract, week })
    }

    pub fn contract(&self) -> &ContractId {
        &self.contract
    }

    pub fn week(&self) -> BillingWeek {
        self.week
    }
}

impl fmt::Display for TimesheetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "wk_{}_{}",
            contract_ulid(&self.contract),
            self.week.0.format("%Y%m%d")
        )
    }
}

impl From<TimesheetId> for String {
    fn from(id: TimesheetId) -> String {
        id.to_string()
    }
}

impl TryFrom<String> for TimesheetId {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        TimesheetId::parse(&raw).ok_or_else(|| format!("not a timesheet id: {raw}"))
    }
}

// `slot_start_pattern` reads a minute by its last digit.
const _: () = assert!(SEGMENT_MINUTES == 10);

/// The RFC 3339 date-times that `is_slot_start` accepts once in UTC: zero seconds (and
/// fraction), and a minute on a 10-minute boundary after the offset is taken away, that is a
/// last minute digit equal to the offset's (`+`) or adding up to ten with it (`-`).
pub fn slot_start_pattern() -> String {
    let zero_seconds = r":00(?:\.0+)?";
    let alternatives: Vec<String> = (0..10)
        .map(|d| {
            let utc = if d == 0 { "|[Zz]" } else { "" };
            let minus = (10 - d) % 10;
            format!(
                "[0-5]{d}{zero_seconds}(?:\\+[0-9]{{2}}:[0-5]{d}|-[0-9]{{2}}:[0-5]{minus}{utc})"
            )
        })
        .collect();
    format!(
        "^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}[Tt][0-9]{{2}}:(?:{})$",
        alternatives.join("|")
    )
}

fn slot_start_schema(schema: &mut Schema) {
    schema.insert("pattern".into(), json!(slot_start_pattern()));
    schema.insert("examples".into(), json!([SLOT_EXAMPLE]));
}

const SLOT_EXAMPLE: &str = "2026-06-15T12:10:00Z";

/// RFC 3339 as the schema's pattern and `date-time` state it: chrono also reads a space for
/// the `T` and white space around, which the document does not promise.
fn strict_rfc3339<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<DateTime<Utc>, D::Error> {
    let raw = String::deserialize(deserializer)?;
    let strict =
        matches!(raw.as_bytes().get(10), Some(b'T' | b't')) && !raw.contains(char::is_whitespace);
    DateTime::parse_from_rfc3339(&raw)
        .ok()
        .filter(|_| strict)
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{raw:?} is not an RFC 3339 date-time like {SLOT_EXAMPLE}"
            ))
        })
}

/// What `check` asks of each kind of segment: tracked time (`manual` absent or false) reports
/// its activity and input counts; manual time has a memo and none of those. The example is a
/// tracked segment, since a segment with only `start` is neither.
fn tracked_or_manual_schema(schema: &mut Schema) {
    let measures = ["activity", "keystrokes", "mouse"];
    let manual = json!({"properties": {"manual": {"const": true}}, "required": ["manual"]});
    let mut absent: serde_json::Map<String, serde_json::Value> = measures
        .iter()
        .chain(&["screenshot_file_id"])
        .map(|field| (field.to_string(), json!({"type": "null"})))
        .collect();
    absent.insert(
        "memo".into(),
        json!({"pattern": TextRule::new(1, MEMO.max).pattern()}),
    );
    let present: serde_json::Map<String, serde_json::Value> = measures
        .iter()
        .map(|field| (field.to_string(), json!({"not": {"type": "null"}})))
        .collect();
    schema.insert(
        "allOf".into(),
        json!([
            {"if": manual, "then": {"required": ["memo"], "properties": absent}},
            {"if": {"not": manual}, "then": {"required": measures, "properties": present}},
        ]),
    );
    schema.insert(
        "examples".into(),
        json!([{"start": SLOT_EXAMPLE, "activity": 80, "keystrokes": 420, "mouse": 310}]),
    );
}

fn is_slot_start(at: DateTime<Utc>) -> bool {
    at.second() == 0 && at.nanosecond() == 0 && i64::from(at.minute()) % SEGMENT_MINUTES == 0
}

/// The slot containing `at` starts here.
pub fn slot_start(at: DateTime<Utc>) -> DateTime<Utc> {
    let minute = i64::from(at.minute()) / SEGMENT_MINUTES * SEGMENT_MINUTES;
    at.with_minute(minute as u32)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .expect("a valid minute")
}

/// Ten minutes of work in the diary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TimeSegment {
    pub id: SegmentId,
    pub contract_id: ContractId,
    pub start: DateTime<Utc>,
    /// Added by hand rather than by the tracker (§8.1): never protected.
    pub manual: bool,
    /// Percent of the slot's minutes with input (tracked time only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keystrokes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mouse: Option<u32>,
    pub memo: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screenshot_file_id: Option<FileId>,
    pub logged_at: DateTime<Utc>,
}

impl TimeSegment {
    pub fn end(&self) -> DateTime<Utc> {
        self.start + Duration::minutes(SEGMENT_MINUTES)
    }

    pub fn week(&self) -> BillingWeek {
        BillingWeek::containing(self.start)
    }

    /// Whether `other` says the same about this slot (a re-sent segment, not a conflict).
    pub fn same_as(&self, other: &TimeSegment) -> bool {
        let mut other = other.clone();
        other.logged_at = self.logged_at;
        &other == self
    }

    /// Everything §8.6 asks of the segment itself; the limit and the client's billing method
    /// are the invoice's to judge.
    pub fn protectable(&self) -> bool {
        !self.manual
            && !self.memo.trim().is_empty()
            && self.screenshot_file_id.is_some()
            && self.activity.unwrap_or(0) >= PROTECTED_MIN_ACTIVITY
    }
}

/// One segment of `POST /v1/contracts/{id}/time`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = tracked_or_manual_schema)]
pub struct SegmentInput {
    /// Start of the 10-minute slot, RFC 3339, on a 10-minute boundary in UTC (zero
    /// seconds); in a week whose diary is still open, after the contract started, not in the
    /// future, once per batch.
    #[schemars(transform = slot_start_schema)]
    #[serde(deserialize_with = "strict_rfc3339")]
    pub start: DateTime<Utc>,
    /// Percent of the slot's minutes with input: required for tracked time, absent for
    /// manual time (as are `keystrokes`, `mouse` and `screenshot_file_id`).
    #[serde(default)]
    #[schemars(range(max = MAX_ACTIVITY))]
    pub activity: Option<u8>,
    #[serde(default)]
    pub keystrokes: Option<u32>,
    #[serde(default)]
    pub mouse: Option<u32>,
    /// What was done; required for manual time.
    #[serde(default)]
    #[schemars(transform = MEMO.schema())]
    pub memo: String,
    #[serde(default)]
    pub screenshot_file_id: Option<FileId>,
    /// Added by hand, if the contract allows manual time.
    #[serde(default)]
    pub manual: bool,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeBatch {
    #[schemars(length(min = MIN_SEGMENTS_PER_BATCH, max = MAX_SEGMENTS_PER_BATCH))]
    pub segments: Vec<SegmentInput>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimeRuleViolation {
    #[error("only the contract's freelancer logs or deletes time")]
    NotFreelancer,
    #[error("only an hourly contract has a work diary")]
    NotHourly,
    #[error("time can be logged on an active contract only")]
    NotActive,
    #[error("the week of {0} closed on Monday 12:00 UTC; its diary can no longer change")]
    WeekClosed(BillingWeek),
}

impl TimeBatch {
    /// The batch's segments if every one may be logged at `now`; otherwise every problem,
    /// each named by its index (`segments[3].start`), and nothing is logged.
    pub fn check(
        &self,
        contract: &Contract,
        caller: &UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<TimeSegment>, BatchRejection> {
        if &contract.parties.freelancer_id != caller {
            return Err(BatchRejection::Rule(TimeRuleViolation::NotFreelancer));
        }
        let settings = contract
            .hourly_at(now)
            .ok_or(BatchRejection::Rule(TimeRuleViolation::NotHourly))?;
        if contract.state != super::contract::ContractState::Active {
            return Err(BatchRejection::Rule(TimeRuleViolation::NotActive));
        }
        let mut v = Violations::default();
        if !(MIN_SEGMENTS_PER_BATCH..=MAX_SEGMENTS_PER_BATCH).contains(&self.segments.len()) {
            v.push(
                "segments",
                format!(
                    "send {MIN_SEGMENTS_PER_BATCH} to {MAX_SEGMENTS_PER_BATCH} segments per request"
                ),
            );
            return Err(BatchRejection::Invalid(v));
        }
        let mut seen = std::collections::HashSet::new();
        let mut segments = Vec::with_capacity(self.segments.len());
        for (i, input) in self.segments.iter().enumerate() {
            let field = |name: &str| format!("segments[{i}].{name}");
            let start = input.start;
            if !is_slot_start(start) {
                v.push(
                    &field("start"),
                    "must start on a 10-minute boundary (…:00, :10, … :50, zero seconds)",
                );
                continue;
            }
            let end = start + Duration::minutes(SEGMENT_MINUTES);
            let week = BillingWeek::containing(start);
            if !seen.insert(start) {
                v.push(&field("start"), "this slot appears twice in the batch");
            } else if end > now + CLOCK_SKEW {
                v.push(&field("start"), "the slot has not ended yet (future time)");
            } else if end <= contract.started_at {
                v.push(&field("start"), "before the contract started");
            } else if now >= week.closes_at() {
                v.push(
                    &field("start"),
                    TimeRuleViolation::WeekClosed(week).to_string(),
                );
            }
            let memo = MEMO.check(&mut v, &field("memo"), &input.memo);
            if input.manual {
                if !settings.manual_time_allowed {
                    v.push(
                        &field("manual"),
                        "manual time is not allowed on this contract",
                    );
                }
                v.check(
                    !memo.is_empty(),
                    &field("memo"),
                    "manual time needs a memo saying what was done",
                );
                v.check(
                    input.activity.is_none()
                        && input.keystrokes.is_none()
                        && input.mouse.is_none()
                        && input.screenshot_file_id.is_none(),
                    &field("manual"),
                    "manual time has no activity, input counts or screenshot",
                );
            } else {
                match input.activity {
                    Some(level) => v.check(
                        level <= MAX_ACTIVITY,
                        &field("activity"),
                        format!("0 to {MAX_ACTIVITY} (percent)"),
                    ),
                    None => v.push(&field("activity"), "tracked time reports its activity"),
                }
                v.check(
                    input.keystrokes.is_some() && input.mouse.is_some(),
                    &field("keystrokes"),
                    "tracked time reports keyboard and mouse counts",
                );
                // A screenshot id is well-formed once it deserialized (`FileId`); whether the
                // file can be used is the store's to say.
            }
            segments.push(TimeSegment {
                id: SegmentId::new(&contract.id, start),
                contract_id: contract.id.clone(),
                start,
                manual: input.manual,
                activity: input.activity,
                keystrokes: input.keystrokes,
                mouse: input.mouse,
                memo,
                screenshot_file_id: input.screenshot_file_id.clone(),
                logged_at: now,
            });
        }
        v.into_result().map_err(BatchRejection::Invalid)?;
        Ok(segments)
    }
}

#[derive(Debug)]
pub enum BatchRejection {
    /// The contract or caller rule out any logging.
    Rule(TimeRuleViolation),
    /// Some segments are wrong; each violation names one.
    Invalid(Violations),
}

/// Whether the freelancer may delete `segment` at `now` (§8.2).
pub fn may_delete(
    contract: &Contract,
    caller: &UserId,
    segment: &TimeSegment,
    now: DateTime<Utc>,
) -> Result<(), TimeRuleViolation> {
    if &contract.parties.freelancer_id != caller {
        return Err(TimeRuleViolation::NotFreelancer);
    }
    let week = segment.week();
    if now >= week.closes_at() {
        return Err(TimeRuleViolation::WeekClosed(week));
    }
    Ok(())
}

/// What the close decides about one segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SegmentVerdict {
    pub billable: bool,
    pub protected: bool,
}

/// A week's invoice (§8.3–8.6).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Invoice {
    pub hourly_rate: Money,
    pub weekly_limit_hours: u32,
    pub logged_minutes: u32,
    pub manual_minutes: u32,
    /// Logged minutes within the weekly limit, in the order they were worked.
    pub billable_minutes: u32,
    pub over_limit_minutes: u32,
    /// Billable minutes hourly protection covers (§8.6).
    pub protected_minutes: u32,
    pub unprotected_minutes: u32,
    /// Whether the client had a usable billing method when the week closed.
    pub billing_verified: bool,
    /// Billable hours × rate, to the cent.
    pub amount: Money,
    /// The client marketplace fee on top (§10.2).
    pub client_fee: Money,
    pub fee_schedule: String,
}

impl Invoice {
    pub fn total(&self) -> Money {
        Money {
            amount: self.amount.amount + self.client_fee.amount,
            currency: self.amount.currency,
        }
    }

    /// The share of the client fee that goes back with `refunded` of the invoice (§10.2).
    pub fn client_fee_back(&self, refunded: Money) -> Money {
        Money {
            amount: super::fees::client_fee_refund(
                self.client_fee.amount,
                self.amount.amount,
                Decimal::ZERO,
                refunded.amount,
            ),
            currency: self.client_fee.currency,
        }
    }
}

/// The invoice of a week's `segments` (any order): the first `limit` hours worked are
/// billable, the rest is not; protection as §8.6 says.
pub fn invoice(
    segments: &[TimeSegment],
    hourly_rate: Money,
    weekly_limit_hours: u32,
    billing_verified: bool,
    schedule: &FeeSchedule,
) -> (Invoice, Vec<SegmentVerdict>) {
    let mut order: Vec<usize> = (0..segments.len()).collect();
    order.sort_by_key(|&i| segments[i].start);
    let allowed = (weekly_limit_hours * SEGMENTS_PER_HOUR) as usize;
    let mut verdicts = vec![
        SegmentVerdict {
            billable: false,
            protected: false,
        };
        segments.len()
    ];
    for (rank, &i) in order.iter().enumerate() {
        let billable = rank < allowed;
        verdicts[i] = SegmentVerdict {
            billable,
            protected: billable && billing_verified && segments[i].protectable(),
        };
    }
    let minutes = |n: usize| (n as u32) * SEGMENT_MINUTES as u32;
    let billable = verdicts.iter().filter(|v| v.billable).count();
    let protected = verdicts.iter().filter(|v| v.protected).count();
    let amount = round_cents(
        hourly_rate.amount * Decimal::from(billable as u64) / Decimal::from(SEGMENTS_PER_HOUR),
    );
    let currency = hourly_rate.currency;
    let invoice = Invoice {
        hourly_rate,
        weekly_limit_hours,
        logged_minutes: minutes(segments.len()),
        manual_minutes: minutes(segments.iter().filter(|s| s.manual).count()),
        billable_minutes: minutes(billable),
        over_limit_minutes: minutes(segments.len() - billable),
        protected_minutes: minutes(protected),
        unprotected_minutes: minutes(billable - protected),
        billing_verified,
        amount: Money { amount, currency },
        client_fee: Money {
            amount: client_fee(schedule, amount),
            currency,
        },
        fee_schedule: schedule.id.clone(),
    };
    (invoice, verdicts)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimesheetState {
    /// The week is still being logged (or waits for Monday 12:00).
    Open,
    /// Invoiced, but the client's charge has not gone through yet; retried until it does.
    PaymentDue,
    /// Charged and held; the client may dispute until Friday 23:59:59.
    InReview,
    Disputed,
    /// Paid to the freelancer (available from `available_at`: see `display_state`) — all of
    /// it, or a dispute's share with the rest refunded.
    Released,
    /// A dispute gave the whole invoice back to the client.
    Refunded,
}

/// The last charge attempt of an invoice that is not paid yet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ChargeStatus {
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
}

/// What a week's release paid the freelancer: priced like every payment to them.
pub use super::payment::Payment;

/// One contract-week: its running totals while open, then its invoice and money.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Timesheet {
    pub id: TimesheetId,
    pub contract_id: ContractId,
    pub client_id: UserId,
    pub freelancer_id: UserId,
    #[schemars(with = "String")]
    pub week_start: NaiveDate,
    pub state: TimesheetState,
    /// Running totals of the diary, kept with every segment written or deleted.
    pub segments: u32,
    pub manual_segments: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice: Option<Invoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoiced_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge: Option<ChargeStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charged_at: Option<DateTime<Utc>>,
    /// The pending ledger transfer holding the invoice amount during review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_transfer: Option<TransferId>,
    /// The processor charge that paid the invoice: what a refund to the card gives back to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_charge: Option<super::card_refund::CardCharge>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disputed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispute_id: Option<DisputeId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<Payment>,
    /// What a dispute gave back to the client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded: Option<Money>,
    /// When the paid net leaves the security period: the Wednesday of §8.5, or for a week
    /// settled by a dispute, the security period after the settlement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_at: Option<DateTime<Utc>>,
    pub version: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimesheetRuleViolation {
    #[error("the week is {0:?}; that is not possible now")]
    WrongState(TimesheetState),
    #[error("the week of {0} cannot close before Monday 12:00 UTC")]
    NotClosable(BillingWeek),
    #[error("the review period of this week ended on Friday 23:59 UTC")]
    ReviewOver,
    #[error("the week's review period is still running")]
    InReview,
    #[error("only the contract's client may dispute a week")]
    NotClient,
    #[error("the week's payment has not gone through yet; there is nothing to dispute")]
    NotCharged,
    #[error("this week was disputed already; its dispute was withdrawn")]
    AlreadyDisputed,
}

impl Timesheet {
    pub fn open(contract: &Contract, week: BillingWeek) -> Self {
        Self {
            id: TimesheetId::new(&contract.id, week),
            contract_id: contract.id.clone(),
            client_id: contract.parties.client_id.clone(),
            freelancer_id: contract.parties.freelancer_id.clone(),
            week_start: week.monday(),
            state: TimesheetState::Open,
            segments: 0,
            manual_segments: 0,
            invoice: None,
            invoiced_at: None,
            charge: None,
            charged_at: None,
            hold_transfer: None,
            card_charge: None,
            disputed_at: None,
            dispute_id: None,
            released_at: None,
            payment: None,
            refunded: None,
            available_at: None,
            version: 0,
        }
    }

    pub fn week(&self) -> BillingWeek {
        self.id.week()
    }

    /// The state a reader sees at `now`: released money is "available" from the Wednesday.
    pub fn display_state(&self, now: DateTime<Utc>) -> &'static str {
        match self.state {
            TimesheetState::Open => "open",
            TimesheetState::PaymentDue => "payment_due",
            TimesheetState::InReview => "in_review",
            TimesheetState::Disputed => "disputed",
            TimesheetState::Released if now >= self.matures_at() => "available",
            TimesheetState::Released => "released",
            TimesheetState::Refunded => "refunded",
        }
    }

    /// When the week's paid net becomes available.
    pub fn matures_at(&self) -> DateTime<Utc> {
        self.available_at.unwrap_or(self.week().available_at())
    }

    fn next(&self) -> Self {
        let mut next = self.clone();
        next.version += 1;
        next
    }

    /// The running totals after `segments` were logged (or, with `removed`, deleted).
    pub fn counted(&self, segments: &[&TimeSegment], removed: bool) -> Self {
        let mut next = self.next();
        let n = segments.len() as u32;
        let manual = segments.iter().filter(|s| s.manual).count() as u32;
        if removed {
            next.segments = next.segments.saturating_sub(n);
            next.manual_segments = next.manual_segments.saturating_sub(manual);
        } else {
            next.segments += n;
            next.manual_segments += manual;
        }
        next
    }

    /// Monday 12:00 (`at` is the schedule's time): the week becomes its invoice. Nothing to
    /// bill ends the week at once; otherwise the charge is due.
    pub fn close(
        &self,
        invoice: Invoice,
        at: DateTime<Utc>,
    ) -> Result<Self, TimesheetRuleViolation> {
        if self.state != TimesheetState::Open {
            return Err(TimesheetRuleViolation::WrongState(self.state));
        }
        if at < self.week().closes_at() {
            return Err(TimesheetRuleViolation::NotClosable(self.week()));
        }
        let mut next = self.next();
        next.invoiced_at = Some(at);
        if invoice.amount.amount > Decimal::ZERO {
            next.state = TimesheetState::PaymentDue;
            next.charge = Some(ChargeStatus {
                attempts: 0,
                last_error: None,
                next_attempt_at: at,
            });
        } else {
            next.state = TimesheetState::Released;
            next.released_at = Some(at);
        }
        next.invoice = Some(invoice);
        Ok(next)
    }

    /// The charge went through: the money is held for review.
    pub fn charged(
        &self,
        hold: TransferId,
        card_charge: super::card_refund::CardCharge,
        now: DateTime<Utc>,
    ) -> Result<Self, TimesheetRuleViolation> {
        if self.state != TimesheetState::PaymentDue {
            return Err(TimesheetRuleViolation::WrongState(self.state));
        }
        let mut next = self.next();
        next.state = TimesheetState::InReview;
        next.charge = None;
        next.charged_at = Some(now);
        next.hold_transfer = Some(hold);
        next.card_charge = Some(card_charge);
        Ok(next)
    }

    /// The charge was refused; it is tried again later.
    pub fn charge_failed(
        &self,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, TimesheetRuleViolation> {
        if self.state != TimesheetState::PaymentDue {
            return Err(TimesheetRuleViolation::WrongState(self.state));
        }
        let mut next = self.next();
        let attempts = self.charge.as_ref().map_or(0, |c| c.attempts) + 1;
        next.charge = Some(ChargeStatus {
            attempts,
            last_error: Some(error.to_string()),
            next_attempt_at: now + CHARGE_RETRY_AFTER,
        });
        Ok(next)
    }

    /// The client disputes the week during its review (§8.5, §13.1): the held money freezes.
    pub fn dispute(
        &self,
        caller: &UserId,
        dispute: DisputeId,
        now: DateTime<Utc>,
    ) -> Result<Self, TimesheetRuleViolation> {
        if caller != &self.client_id {
            return Err(TimesheetRuleViolation::NotClient);
        }
        if now >= self.week().review_ends_at() {
            return Err(TimesheetRuleViolation::ReviewOver);
        }
        match self.state {
            TimesheetState::InReview => {}
            TimesheetState::PaymentDue => return Err(TimesheetRuleViolation::NotCharged),
            other => return Err(TimesheetRuleViolation::WrongState(other)),
        }
        // One dispute per week: a withdrawn claim is dropped for good.
        if self.dispute_id.is_some() {
            return Err(TimesheetRuleViolation::AlreadyDisputed);
        }
        let mut next = self.next();
        next.state = TimesheetState::Disputed;
        next.disputed_at = Some(now);
        next.dispute_id = Some(dispute);
        Ok(next)
    }

    /// The client withdrew the dispute: the week is back in review and its release runs on
    /// the calendar as for any week (Saturday 00:00 after the close). The dispute held the
    /// money, not the review period: when it ended meanwhile, the next release run pays it.
    pub fn withdraw_dispute(&self) -> Result<Self, TimesheetRuleViolation> {
        if self.state != TimesheetState::Disputed {
            return Err(TimesheetRuleViolation::WrongState(self.state));
        }
        let mut next = self.next();
        next.state = TimesheetState::InReview;
        Ok(next)
    }

    /// After Friday 23:59:59 an undisputed week is paid to the freelancer.
    pub fn release(
        &self,
        payment: Payment,
        at: DateTime<Utc>,
    ) -> Result<Self, TimesheetRuleViolation> {
        if self.state != TimesheetState::InReview {
            return Err(TimesheetRuleViolation::WrongState(self.state));
        }
        if at < self.week().review_ends_at() {
            return Err(TimesheetRuleViolation::InReview);
        }
        let mut next = self.next();
        next.state = TimesheetState::Released;
        next.released_at = Some(at);
        next.payment = Some(payment);
        next.available_at = Some(self.week().available_at());
        Ok(next)
    }

    /// A dispute's outcome (§13.3): the freelancer's share is paid (`payment`, None for a
    /// full refund) and `refunded` goes back to the client. The share matures no earlier
    /// than the week would have, and a full security period after the settlement.
    pub fn settle_dispute(
        &self,
        payment: Option<Payment>,
        refunded: Money,
        at: DateTime<Utc>,
    ) -> Result<Self, TimesheetRuleViolation> {
        if self.state != TimesheetState::Disputed {
            return Err(TimesheetRuleViolation::WrongState(self.state));
        }
        let mut next = self.next();
        next.released_at = Some(at);
        next.refunded = (refunded.amount > Decimal::ZERO).then_some(refunded);
        match payment {
            Some(payment) => {
                next.state = TimesheetState::Released;
                next.payment = Some(payment);
                next.available_at = Some(
                    self.week()
                        .available_at()
                        .max(at + crate::domain::contract::SECURITY_PERIOD),
                );
            }
            None => next.state = TimesheetState::Refunded,
        }
        Ok(next)
    }
}

/// The weekly limit that applies to a week: the settings in force at its last instant, so an
/// increase made during the week counts for it and a decrease waits for the next Monday.
pub fn weekly_limit_for(contract: &Contract, week: BillingWeek) -> Option<u32> {
    contract
        .hourly_at(week.ends_at() - Duration::nanoseconds(1))
        .map(|s| s.weekly_limit_hours)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::contract::Parties;
    use crate::domain::fees::FeeCatalogue;
    use crate::domain::ids::{JobId, OfferId};
    use crate::domain::offer::{ContractTerms, HourlyChange, OfferContent, Side};

    fn t(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    #[test]
    fn segment_starts_are_read_as_the_schema_states_them() {
        let start = |raw: &str| {
            serde_json::from_value::<SegmentInput>(json!({"start": raw}))
                .map(|segment| segment.start)
                .ok()
        };
        assert_eq!(
            start("2026-06-15T12:10:00Z"),
            Some(t("2026-06-15T12:10:00Z"))
        );
        assert_eq!(
            start("2026-06-15t14:10:00+02:00"),
            Some(t("2026-06-15T12:10:00Z"))
        );
        for loose in [
            "2026-06-15 12:10:00Z",
            " 2026-06-15T12:10:00Z",
            "2026-06-15T12:10:00Z ",
            "2026-06-15T12:10:00 Z",
            "2026-06-15T12:10:00",
        ] {
            assert_eq!(start(loose), None, "{loose:?}");
        }
    }

    fn contract(started: &str, limit: u32, manual: bool) -> Contract {
        let now = t(started);
        let parties = Parties {
            job_id: JobId::generate(now),
            proposal_id: None,
            client_id: UserId::generate(now),
            freelancer_id: UserId::generate(now),
        };
        let offer = crate::domain::offer::Offer::new(
            OfferId::generate(now),
            parties,
            OfferContent {
                terms: ContractTerms::Hourly {
                    hourly_rate: Money::usd("25.00").unwrap(),
                    weekly_limit_hours: limit,
                    manual_time_allowed: manual,
                },
                message: String::new(),
            },
            now,
        );
        Contract::start(&offer, "standard", now)
    }

    fn tracked(start: &str) -> SegmentInput {
        SegmentInput {
            start: t(start),
            activity: Some(60),
            keystrokes: Some(300),
            mouse: Some(120),
            memo: "API work".into(),
            screenshot_file_id: Some(FileId::generate(t(start))),
            manual: false,
        }
    }

    fn fields(rejection: BatchRejection) -> Vec<String> {
        match rejection {
            BatchRejection::Invalid(v) => v.0.into_iter().map(|v| v.field).collect(),
            BatchRejection::Rule(rule) => vec![format!("{rule:?}")],
        }
    }

    #[test]
    fn the_calendar_edges() {
        let week = BillingWeek::containing(t("2026-12-13T23:59:59Z"));
        assert_eq!(week.monday().to_string(), "2026-12-07");
        assert_eq!(
            BillingWeek::containing(t("2026-12-14T00:00:00Z"))
                .monday()
                .to_string(),
            "2026-12-14"
        );
        assert_eq!(week.closes_at(), t("2026-12-14T12:00:00Z"));
        assert_eq!(week.review_ends_at(), t("2026-12-19T00:00:00Z"));
        assert_eq!(week.available_at(), t("2026-12-23T00:00:00Z"));
        assert_eq!(week.available_at().weekday(), chrono::Weekday::Wed);
        assert_eq!(BillingWeek::last_closed_at(t("2026-12-14T12:00:00Z")), week);
        assert_eq!(
            BillingWeek::last_closed_at(t("2026-12-14T11:59:59Z"))
                .monday()
                .to_string(),
            "2026-11-30"
        );
    }

    #[test]
    fn ids_name_their_slot_and_round_trip() {
        let c = contract("2026-12-07T08:00:00Z", 40, false);
        let id = SegmentId::new(&c.id, t("2026-12-07T10:20:00Z"));
        let parsed = SegmentId::parse(&id.to_string()).unwrap();
        assert_eq!(parsed, id);
        assert_eq!(parsed.contract(), &c.id);
        assert!(SegmentId::parse(&id.to_string().replace("1020", "1025")).is_none());
        assert!(SegmentId::parse("seg_nope_202612071020").is_none());
        let week = TimesheetId::new(&c.id, BillingWeek::containing(t("2026-12-09T00:00:00Z")));
        assert!(week.to_string().ends_with("_20261207"));
        assert_eq!(TimesheetId::parse(&week.to_string()).unwrap(), week);
        // A Tuesday names no week.
        assert!(TimesheetId::parse(&week.to_string().replace("20261207", "20261208")).is_none());
    }

    #[test]
    fn the_slot_pattern_is_what_is_slot_start_accepts_in_rfc_3339() {
        let pattern = regex::Regex::new(&slot_start_pattern()).unwrap();
        let offsets = [
            "Z", "z", "+00:00", "-00:00", "+05:30", "+05:45", "-03:30", "-09:50", "+01:07",
            "-01:07", "-01:03", "+14:00", "-12:01", "+00:09",
        ];
        for separator in ["T", "t"] {
            for minute in 0..60 {
                for seconds in ["00", "30", "00.0", "00.000", "00.5", "00.000000001"] {
                    for offset in offsets {
                        let candidate =
                            format!("2026-12-07{separator}10:{minute:02}:{seconds}{offset}");
                        // What a request's `start` turns into (serde reads it like this).
                        let parsed: Result<DateTime<Utc>, _> =
                            serde_json::from_value(serde_json::json!(candidate));
                        let accepted = parsed.as_ref().is_ok_and(|at| is_slot_start(*at));
                        assert_eq!(
                            pattern.is_match(&candidate),
                            accepted,
                            "{candidate}: {parsed:?}"
                        );
                    }
                }
            }
        }
        let schema = serde_json::to_value(schemars::schema_for!(TimeBatch)).unwrap();
        let segments = &schema["properties"]["segments"];
        assert_eq!(
            (&segments["minItems"], &segments["maxItems"]),
            (
                &serde_json::json!(MIN_SEGMENTS_PER_BATCH),
                &serde_json::json!(MAX_SEGMENTS_PER_BATCH)
            )
        );
        let start = &schema["$defs"]["SegmentInput"]["properties"]["start"];
        assert_eq!(start["format"], "date-time");
        assert_eq!(start["pattern"], serde_json::json!(slot_start_pattern()));
    }

    #[test]
    fn a_batch_is_checked_slot_by_slot() {
        let c = contract("2026-12-07T08:00:00Z", 40, false);
        let freelancer = c.parties.freelancer_id.clone();
        let now = t("2026-12-07T12:00:00Z");
        let ok = TimeBatch {
            segments: vec![
                tracked("2026-12-07T10:00:00Z"),
                tracked("2026-12-07T11:50:00Z"),
            ],
        };
        assert_eq!(ok.check(&c, &freelancer, now).unwrap().len(), 2);

        let mut manual = tracked("2026-12-07T09:00:00Z");
        manual.manual = true;
        let bad = TimeBatch {
            segments: vec![
                tracked("2026-12-07T10:05:00Z"), // not aligned
                tracked("2026-12-07T12:00:00Z"), // ends 12:10 > now + skew
                tracked("2026-12-07T07:40:00Z"), // ends before the start
                tracked("2026-12-07T10:00:00Z"),
                tracked("2026-12-07T10:00:00Z"), // twice
                manual,                          // not allowed, and has tracker fields
            ],
        };
        let got = fields(bad.check(&c, &freelancer, now).unwrap_err());
        assert_eq!(
            got,
            vec![
                "segments[0].start",
                "segments[1].start",
                "segments[2].start",
                "segments[4].start",
                "segments[5].manual",
                "segments[5].manual",
            ]
        );
        // The slot that straddles the start counts (it ends after the contract started).
        let late_start = contract("2026-12-07T08:03:00Z", 40, false);
        let straddle = TimeBatch {
            segments: vec![tracked("2026-12-07T08:00:00Z")],
        };
        let who = late_start.parties.freelancer_id.clone();
        assert!(straddle.check(&late_start, &who, now).is_ok());
        let before = TimeBatch {
            segments: vec![tracked("2026-12-07T07:50:00Z")],
        };
        assert!(before.check(&late_start, &who, now).is_err());
        // Only the freelancer.
        assert!(matches!(
            ok.check(&c, &c.parties.client_id, now),
            Err(BatchRejection::Rule(TimeRuleViolation::NotFreelancer))
        ));
    }

    #[test]
    fn the_diary_closes_at_monday_noon() {
        let c = contract("2026-12-01T08:00:00Z", 40, true);
        let freelancer = c.parties.freelancer_id.clone();
        let sunday_night = TimeBatch {
            segments: vec![tracked("2026-12-13T23:50:00Z")],
        };
        assert!(sunday_night
            .check(&c, &freelancer, t("2026-12-14T11:59:59Z"))
            .is_ok());
        let late = fields(
            sunday_night
                .check(&c, &freelancer, t("2026-12-14T12:00:00Z"))
                .unwrap_err(),
        );
        assert_eq!(late, vec!["segments[0].start"]);
        let segment = &sunday_night
            .check(&c, &freelancer, t("2026-12-14T00:00:00Z"))
            .unwrap()[0];
        assert!(may_delete(&c, &freelancer, segment, t("2026-12-14T11:59:59Z")).is_ok());
        assert_eq!(
            may_delete(&c, &freelancer, segment, t("2026-12-14T12:00:00Z")),
            Err(TimeRuleViolation::WeekClosed(segment.week()))
        );
        assert_eq!(
            may_delete(&c, &c.parties.client_id, segment, t("2026-12-14T00:00:00Z")),
            Err(TimeRuleViolation::NotFreelancer)
        );
    }

    fn segment(c: &Contract, start: &str, manual: bool, activity: u8) -> TimeSegment {
        TimeSegment {
            id: SegmentId::new(&c.id, t(start)),
            contract_id: c.id.clone(),
            start: t(start),
            manual,
            activity: (!manual).then_some(activity),
            keystrokes: (!manual).then_some(10),
            mouse: (!manual).then_some(10),
            memo: "work".into(),
            screenshot_file_id: (!manual).then(|| FileId::generate(t(start))),
            logged_at: t(start),
        }
    }

    #[test]
    fn the_invoice_caps_at_the_limit_in_the_order_worked() {
        let c = contract("2026-12-07T00:00:00Z", 1, true);
        let schedule = FeeCatalogue::standard()
            .in_force(t("2026-12-07T00:00:00Z"))
            .clone();
        // 8 slots, given out of order: the first 6 worked are billable.
        let mut segments: Vec<TimeSegment> = (0..8)
            .map(|i| {
                let start = t("2026-12-08T09:00:00Z") + Duration::minutes(10 * i);
                segment(&c, &start.to_rfc3339(), i == 1, if i == 2 { 5 } else { 50 })
            })
            .collect();
        segments.reverse();
        let (bill, verdicts) = invoice(&segments, Money::usd("25.00").unwrap(), 1, true, &schedule);
        assert_eq!(bill.logged_minutes, 80);
        assert_eq!(bill.billable_minutes, 60);
        assert_eq!(bill.over_limit_minutes, 20);
        // Manual (i = 1) and idle (i = 2) time are billable but not protected.
        assert_eq!(bill.protected_minutes, 40);
        assert_eq!(bill.unprotected_minutes, 20);
        assert_eq!(bill.amount, Money::usd("25.00").unwrap());
        assert_eq!(bill.client_fee, Money::usd("1.25").unwrap());
        assert_eq!(bill.total(), Money::usd("26.25").unwrap());
        // reversed: index 0 is the last slot worked (over the limit).
        assert!(!verdicts[0].billable && !verdicts[1].billable && verdicts[2].billable);
        // Without a verified billing method nothing is protected.
        let (unverified, _) = invoice(&segments, Money::usd("25.00").unwrap(), 1, false, &schedule);
        assert_eq!(unverified.protected_minutes, 0);
    }

    #[test]
    fn a_third_of_an_hour_rounds_to_the_cent() {
        let c = contract("2026-12-07T00:00:00Z", 40, false);
        let schedule = FeeCatalogue::standard()
            .in_force(t("2026-12-07T00:00:00Z"))
            .clone();
        let segments = vec![
            segment(&c, "2026-12-08T09:00:00Z", false, 50),
            segment(&c, "2026-12-08T09:10:00Z", false, 50),
        ];
        let (bill, _) = invoice(&segments, Money::usd("25.00").unwrap(), 40, true, &schedule);
        assert_eq!(bill.amount, Money::usd("8.33").unwrap());
    }

    #[test]
    fn the_limit_of_a_week_follows_8_7() {
        let c = contract("2026-12-01T00:00:00Z", 40, false);
        let client = Side::Client;
        // A decrease on Wednesday waits for the next Monday: this week keeps 40.
        let lowered = c
            .change_hourly(
                client,
                &HourlyChange {
                    weekly_limit_hours: Some(10),
                    manual_time_allowed: None,
                },
                t("2026-12-09T10:00:00Z"),
            )
            .unwrap();
        let this_week = BillingWeek::containing(t("2026-12-09T10:00:00Z"));
        assert_eq!(weekly_limit_for(&lowered, this_week), Some(40));
        let next_week = BillingWeek::containing(t("2026-12-14T00:00:00Z"));
        assert_eq!(weekly_limit_for(&lowered, next_week), Some(10));
        // An increase on Sunday 23:59:59 counts for the week it was made in.
        let raised = c
            .change_hourly(
                client,
                &HourlyChange {
                    weekly_limit_hours: Some(50),
                    manual_time_allowed: None,
                },
                t("2026-12-13T23:59:59Z"),
            )
            .unwrap();
        assert_eq!(weekly_limit_for(&raised, this_week), Some(50));
    }

    fn invoiced(c: &Contract) -> Timesheet {
        let schedule = FeeCatalogue::standard()
            .in_force(t("2026-12-07T00:00:00Z"))
            .clone();
        let week = BillingWeek::containing(t("2026-12-08T00:00:00Z"));
        let segments = vec![segment(c, "2026-12-08T09:00:00Z", false, 50)];
        let (inv, _) = invoice(&segments, Money::usd("30.00").unwrap(), 40, true, &schedule);
        let sheet = Timesheet::open(c, week).counted(&[&segments[0]], false);
        assert_eq!(
            sheet.close(inv.clone(), t("2026-12-14T11:59:59Z")),
            Err(TimesheetRuleViolation::NotClosable(week))
        );
        let closed = sheet.close(inv, t("2026-12-14T12:00:00Z")).unwrap();
        assert_eq!(closed.state, TimesheetState::PaymentDue);
        assert_eq!(
            closed.close(closed.invoice.clone().unwrap(), t("2026-12-14T12:00:00Z")),
            Err(TimesheetRuleViolation::WrongState(
                TimesheetState::PaymentDue
            ))
        );
        closed
    }

    #[test]
    fn review_dispute_and_release_edges() {
        let c = contract("2026-12-01T00:00:00Z", 40, false);
        let closed = invoiced(&c);
        let failed = closed
            .charge_failed("card_declined", t("2026-12-14T12:00:01Z"))
            .unwrap();
        assert_eq!(failed.charge.as_ref().unwrap().attempts, 1);
        assert_eq!(
            failed.charge.as_ref().unwrap().next_attempt_at,
            t("2026-12-15T12:00:01Z")
        );
        let dispute = DisputeId::generate(t("2026-12-15T00:00:00Z"));
        assert_eq!(
            failed.dispute(
                &c.parties.client_id,
                dispute.clone(),
                t("2026-12-15T00:00:00Z")
            ),
            Err(TimesheetRuleViolation::NotCharged)
        );
        let held = failed
            .charged(
                TransferId::generate(t("2026-12-15T12:00:00Z")),
                crate::domain::card_refund::CardCharge {
                    charge_id: "ch_sbx_1".into(),
                    amount: failed.invoice.as_ref().unwrap().total(),
                    method: "visa •••• 4242".into(),
                },
                t("2026-12-15T12:00:00Z"),
            )
            .unwrap();
        assert_eq!(held.display_state(t("2026-12-16T00:00:00Z")), "in_review");
        let last_second = t("2026-12-18T23:59:59Z");
        assert!(held
            .dispute(&c.parties.client_id, dispute.clone(), last_second)
            .is_ok());
        assert_eq!(
            held.dispute(&c.parties.freelancer_id, dispute.clone(), last_second),
            Err(TimesheetRuleViolation::NotClient)
        );
        assert_eq!(
            held.dispute(&c.parties.client_id, dispute, t("2026-12-19T00:00:00Z")),
            Err(TimesheetRuleViolation::ReviewOver)
        );
        let payment = Payment {
            gross: Money::usd("5.00").unwrap(),
            service_fee: Money::usd("1.00").unwrap(),
            net: Money::usd("4.00").unwrap(),
        };
        assert_eq!(
            held.release(payment, last_second),
            Err(TimesheetRuleViolation::InReview)
        );
        let released = held.release(payment, t("2026-12-19T00:00:00Z")).unwrap();
        assert_eq!(
            released.display_state(t("2026-12-22T23:59:59Z")),
            "released"
        );
        assert_eq!(
            released.display_state(t("2026-12-23T00:00:00Z")),
            "available"
        );
    }

    #[test]
    fn a_week_with_nothing_billable_ends_at_the_close() {
        let c = contract("2026-12-01T00:00:00Z", 40, false);
        let schedule = FeeCatalogue::standard()
            .in_force(t("2026-12-07T00:00:00Z"))
            .clone();
        let week = BillingWeek::containing(t("2026-12-08T00:00:00Z"));
        let (inv, _) = invoice(&[], Money::usd("30.00").unwrap(), 40, true, &schedule);
        let closed = Timesheet::open(&c, week)
            .close(inv, t("2026-12-14T12:00:00Z"))
            .unwrap();
        assert_eq!(closed.state, TimesheetState::Released);
        assert!(closed.charge.is_none());
    }
}
