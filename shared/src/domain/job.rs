//! Jobs (PRODUCT §3.1–3.2, §4.1, §4.3): what a job is, what may change and when, what it
//! costs in Connects to apply, and the boost auction for the top four proposal slots.

use super::catalogue;
use super::ids::{FileId, JobId, ProposalId, UserId};
use super::money::{Currency, Money};
use super::rules::{unique_items, AmountRule, TextRule};
use super::Violations;
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A job stays open for applications this long unless it is filled or cancelled first.
pub const JOB_LIFETIME: Duration = Duration::days(30);
/// The boost auction for a job's top slots is open this long (or until the first hire).
pub const BOOST_WINDOW: Duration = Duration::days(7);
pub const BOOST_SLOTS: usize = 4;
pub const MAX_BOOST_CONNECTS: u32 = 100;
pub const MAX_SCREENING_QUESTIONS: usize = 10;
pub const MAX_ATTACHMENTS: usize = 10;
pub const TITLE: TextRule = TextRule::new(5, 120);
pub const DESCRIPTION: TextRule = TextRule::new(20, 10_000);
pub const SCREENING_QUESTION: TextRule = TextRule::new(5, 500);
pub const SKILLS: catalogue::SkillsRule = catalogue::SkillsRule::new(1, 15);
/// A fixed-price budget: at least $5.
pub const BUDGET: AmountRule = AmountRule::units(5, 1_000_000_000);
/// Each end of an hourly rate range: $3 to $999 an hour.
pub const HOURLY_RATE: AmountRule = AmountRule::units(3, 999);
pub const MIN_HOURS_PER_WEEK: u32 = 1;
pub const MAX_HOURS_PER_WEEK: u32 = 80;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExperienceLevel {
    Entry,
    Intermediate,
    Expert,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Public,
    InviteOnly,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ProjectDuration {
    #[serde(rename = "less than 1 month")]
    LessThanOneMonth,
    #[serde(rename = "1-3 months")]
    #[default]
    OneToThreeMonths,
    #[serde(rename = "3-6 months")]
    ThreeToSixMonths,
    #[serde(rename = "more than 6 months")]
    MoreThanSixMonths,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobType {
    Fixed,
    Hourly,
}

/// Hourly rate range a client offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RateRange {
    #[serde(with = "amount")]
    #[schemars(with = "String")]
    pub min: Decimal,
    #[serde(with = "amount")]
    #[schemars(with = "String")]
    pub max: Decimal,
    pub currency: Currency,
}

/// The money side of a job: a fixed budget, or an hourly rate range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JobTerms {
    Fixed {
        budget: Money,
    },
    Hourly {
        hourly_rate: RateRange,
        /// Expected hours per week, if the client said.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hours_per_week: Option<u32>,
    },
}

impl JobTerms {
    pub fn job_type(&self) -> JobType {
        match self {
            JobTerms::Fixed { .. } => JobType::Fixed,
            JobTerms::Hourly { .. } => JobType::Hourly,
        }
    }

    /// The amount budget filters compare: the fixed budget, or the top of the hourly range.
    pub fn budget_ceiling(&self) -> Money {
        match self {
            JobTerms::Fixed { budget } => *budget,
            JobTerms::Hourly { hourly_rate, .. } => Money {
                amount: hourly_rate.max,
                currency: hourly_rate.currency,
            },
        }
    }

    /// Connects to apply (§4.1): bigger jobs cost more, 2 / 4 / 6 / 8.
    pub fn connects_cost(&self) -> u32 {
        let (amount, steps) = match self {
            JobTerms::Fixed { budget } => (budget.amount, [100, 500, 1000]),
            JobTerms::Hourly { hourly_rate, .. } => (hourly_rate.max, [20, 40, 60]),
        };
        2 + 2 * steps
            .iter()
            .filter(|step| amount >= Decimal::from(**step))
            .count() as u32
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Written but not published: only its client sees it.
    Draft,
    Open,
    /// Temporarily not taking applications, and out of search (§3.2).
    Paused,
    Closed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    Filled,
    Cancelled,
    Expired,
    /// Taken down by an admin on a report (docs/trust-and-safety.md): only its client still
    /// sees it.
    Removed,
}

/// A proposal holding one of the top slots, and the Connects it bid for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BoostSlot {
    pub proposal_id: ProposalId,
    pub freelancer_id: UserId,
    pub connects: u32,
    pub placed_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Job {
    pub id: JobId,
    pub client_id: UserId,
    pub title: String,
    pub description: String,
    pub category: String,
    pub skills: Vec<String>,
    pub experience_level: ExperienceLevel,
    #[serde(flatten)]
    pub terms: JobTerms,
    pub duration: ProjectDuration,
    pub visibility: Visibility,
    pub screening_questions: Vec<String>,
    pub attachments: Vec<FileId>,
    pub state: JobState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_reason: Option<CloseReason>,
    pub connects_cost: u32,
    pub proposals_count: u32,
    /// The boost auction's winners, best first (most Connects, then earliest). Who bid is
    /// the client's business only, so public views leave it out.
    #[serde(default)]
    pub boosts: Vec<BoostSlot>,
    /// Bumped by every change of `boosts`: boost placements are checked against it instead of
    /// `version`, so they do not conflict with edits or with plain applications.
    #[serde(default)]
    pub boost_version: u64,
    pub posted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub boost_closes_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hired_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    pub version: u64,
}

/// The fields of a job a client writes, as they arrive (validated by `JobDraft::check`).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = job_terms_schema)]
pub struct JobDraft {
    #[schemars(transform = TITLE.schema())]
    pub title: String,
    #[schemars(transform = DESCRIPTION.schema())]
    pub description: String,
    /// A category slug of `GET /v1/catalogue`.
    #[schemars(transform = catalogue::category_schema)]
    pub category: String,
    /// Skill slugs of `GET /v1/catalogue`, each once.
    #[schemars(transform = SKILLS.schema())]
    pub skills: Vec<String>,
    pub experience_level: ExperienceLevel,
    #[serde(rename = "type")]
    pub job_type: JobType,
    /// Fixed-price jobs (and only they): the budget.
    #[serde(default)]
    #[schemars(transform = BUDGET.schema())]
    pub budget: Option<super::money::MoneyInput>,
    /// Hourly jobs (and only they): the rate range, `min` at most `max`.
    #[serde(default)]
    pub hourly_rate: Option<RateInput>,
    /// Hourly jobs: the expected hours a week.
    #[serde(default)]
    #[schemars(range(min = MIN_HOURS_PER_WEEK, max = MAX_HOURS_PER_WEEK))]
    pub hours_per_week: Option<u32>,
    /// How long the work is expected to take; "1-3 months" when not given.
    #[serde(default)]
    pub duration: ProjectDuration,
    #[serde(default = "public")]
    pub visibility: Visibility,
    #[serde(default)]
    #[schemars(length(max = MAX_SCREENING_QUESTIONS), transform = SCREENING_QUESTION.items_schema())]
    pub screening_questions: Vec<String>,
    #[serde(default)]
    #[schemars(length(max = MAX_ATTACHMENTS), transform = unique_items)]
    pub attachments: Vec<FileId>,
    /// Save as a draft instead of publishing.
    #[serde(default)]
    pub draft: bool,
}

/// A fixed-price job has a budget and no hourly terms; an hourly job a rate range and no budget.
fn job_terms_schema(schema: &mut schemars::Schema) {
    schema.insert(
        "allOf".into(),
        serde_json::json!([
            super::rules::when(
                "type",
                "fixed",
                &["budget"],
                &["hourly_rate", "hours_per_week"]
            ),
            super::rules::when("type", "hourly", &["hourly_rate"], &["budget"]),
        ]),
    );
}

fn public() -> Visibility {
    Visibility::Public
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateInput {
    #[schemars(transform = HOURLY_RATE.amount_schema())]
    pub min: String,
    #[schemars(transform = HOURLY_RATE.amount_schema())]
    pub max: String,
    pub currency: Currency,
}

/// A job's fields after validation: what `Job::post` and `Job::edit` accept.
#[derive(Clone, Debug, PartialEq)]
pub struct JobContent {
    pub title: String,
    pub description: String,
    pub category: String,
    pub skills: Vec<String>,
    pub experience_level: ExperienceLevel,
    pub terms: JobTerms,
    pub duration: ProjectDuration,
    pub visibility: Visibility,
    pub screening_questions: Vec<String>,
    pub attachments: Vec<FileId>,
}

impl JobDraft {
    pub fn check(&self) -> Result<JobContent, Violations> {
        let mut v = Violations::default();
        let title = TITLE.check(&mut v, "title", &self.title);
        let description = DESCRIPTION.check(&mut v, "description", &self.description);
        v.check(
            catalogue::is_category(&self.category),
            "category",
            "not a category in the catalogue",
        );
        if let Err(message) = SKILLS.check(&self.skills) {
            v.push("skills", message);
        }
        let terms = self.terms(&mut v);
        v.check(
            self.screening_questions.len() <= MAX_SCREENING_QUESTIONS,
            "screening_questions",
            format!("at most {MAX_SCREENING_QUESTIONS} questions"),
        );
        let screening_questions = self
            .screening_questions
            .iter()
            .enumerate()
            .map(|(i, q)| SCREENING_QUESTION.check(&mut v, &format!("screening_questions[{i}]"), q))
            .collect();
        v.check(
            self.attachments.len() <= MAX_ATTACHMENTS,
            "attachments",
            format!("at most {MAX_ATTACHMENTS} files"),
        );
        v.into_result()?;
        Ok(JobContent {
            title,
            description,
            category: self.category.clone(),
            skills: self.skills.clone(),
            experience_level: self.experience_level,
            terms: terms.expect("terms are valid when there are no violations"),
            duration: self.duration,
            visibility: self.visibility,
            screening_questions,
            attachments: self.attachments.clone(),
        })
    }

    fn terms(&self, v: &mut Violations) -> Option<JobTerms> {
        match self.job_type {
            JobType::Fixed => {
                v.check(
                    self.hourly_rate.is_none() && self.hours_per_week.is_none(),
                    "hourly_rate",
                    "a fixed-price job has a budget, not an hourly rate",
                );
                let Some(budget) = &self.budget else {
                    v.push("budget", "a fixed-price job needs a budget");
                    return None;
                };
                BUDGET
                    .check(v, "budget", budget)
                    .map(|budget| JobTerms::Fixed { budget })
            }
            JobType::Hourly => {
                v.check(
                    self.budget.is_none(),
                    "budget",
                    "an hourly job has a rate range, not a budget",
                );
                if let Some(hours) = self.hours_per_week {
                    v.check(
                        (MIN_HOURS_PER_WEEK..=MAX_HOURS_PER_WEEK).contains(&hours),
                        "hours_per_week",
                        format!("between {MIN_HOURS_PER_WEEK} and {MAX_HOURS_PER_WEEK}"),
                    );
                }
                let Some(rate) = &self.hourly_rate else {
                    v.push("hourly_rate", "an hourly job needs a rate range");
                    return None;
                };
                let min = HOURLY_RATE.check_str(v, "hourly_rate.min", &rate.min, rate.currency);
                let max = HOURLY_RATE.check_str(v, "hourly_rate.max", &rate.max, rate.currency);
                let (min, max) = (min?, max?);
                if min.amount > max.amount {
                    v.push("hourly_rate.min", "must not exceed max");
                    return None;
                }
                Some(JobTerms::Hourly {
                    hourly_rate: RateRange {
                        min: min.amount,
                        max: max.amount,
                        currency: rate.currency,
                    },
                    hours_per_week: self.hours_per_week,
                })
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JobRuleViolation {
    #[error("the job is closed")]
    Closed,
    #[error("screening questions cannot change once proposals have arrived")]
    QuestionsLocked,
    #[error("the job type cannot change once proposals have arrived")]
    TypeLocked,
    #[error("the boost auction for this job is over")]
    BoostClosed,
    #[error("a boost needs between 1 and {MAX_BOOST_CONNECTS} Connects")]
    BoostOutOfRange,
    #[error("the job is {0:?}; that is not possible now")]
    WrongState(JobState),
}

/// What placing a boost did to the auction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BoostOutcome {
    /// The bid won a slot; `displaced` lost its slot to it and must be refunded.
    Placed { displaced: Option<BoostSlot> },
    /// The bid did not beat the fourth slot; it is not charged.
    Outbid { lowest_winning: u32 },
}

impl Job {
    /// A job saved as a draft: not visible to freelancers until published.
    pub fn draft(id: JobId, client_id: UserId, content: JobContent, now: DateTime<Utc>) -> Job {
        let mut job = Job::post(id, client_id, content, now);
        job.state = JobState::Draft;
        job
    }

    pub fn post(id: JobId, client_id: UserId, content: JobContent, now: DateTime<Utc>) -> Job {
        Job {
            id,
            client_id,
            connects_cost: content.terms.connects_cost(),
            title: content.title,
            description: content.description,
            category: content.category,
            skills: content.skills,
            experience_level: content.experience_level,
            terms: content.terms,
            duration: content.duration,
            visibility: content.visibility,
            screening_questions: content.screening_questions,
            attachments: content.attachments,
            state: JobState::Open,
            close_reason: None,
            proposals_count: 0,
            boosts: Vec::new(),
            boost_version: 0,
            posted_at: now,
            updated_at: now,
            expires_at: now + JOB_LIFETIME,
            boost_closes_at: now + BOOST_WINDOW,
            hired_at: None,
            closed_at: None,
            version: 1,
        }
    }

    /// Open jobs past their lifetime read as closed (expired) without a write: expiry needs
    /// no sweep, and every reader sees the same answer for the same `now`.
    pub fn effective(mut self, now: DateTime<Utc>) -> Job {
        let live = matches!(self.state, JobState::Open | JobState::Paused);
        if live && now >= self.expires_at {
            self.state = JobState::Closed;
            self.close_reason = Some(CloseReason::Expired);
            self.closed_at = Some(self.expires_at);
        }
        self
    }

    /// Whether its client can still send offers and hire on it (a paused job can).
    pub fn accepts_offers(&self, now: DateTime<Utc>) -> bool {
        matches!(self.state, JobState::Open | JobState::Paused) && now < self.expires_at
    }

    pub fn accepts_proposals(&self, now: DateTime<Utc>) -> bool {
        self.state == JobState::Open && now < self.expires_at
    }

    /// Whether the client may still change or close it: a draft, or a live job not expired.
    fn is_manageable(&self, now: DateTime<Utc>) -> bool {
        match self.state {
            JobState::Draft => true,
            JobState::Open | JobState::Paused => now < self.expires_at,
            JobState::Closed => false,
        }
    }

    /// Publishes a draft: its lifetime and boost window start now.
    pub fn publish(&self, now: DateTime<Utc>) -> Result<Job, JobRuleViolation> {
        if self.state != JobState::Draft {
            return Err(JobRuleViolation::WrongState(self.state));
        }
        let mut job = self.clone();
        job.state = JobState::Open;
        job.posted_at = now;
        job.expires_at = now + JOB_LIFETIME;
        job.boost_closes_at = now + BOOST_WINDOW;
        job.updated_at = now;
        job.version += 1;
        Ok(job)
    }

    pub fn pause(&self, now: DateTime<Utc>) -> Result<Job, JobRuleViolation> {
        self.move_between(JobState::Open, JobState::Paused, now)
    }

    pub fn resume(&self, now: DateTime<Utc>) -> Result<Job, JobRuleViolation> {
        self.move_between(JobState::Paused, JobState::Open, now)
    }

    fn move_between(
        &self,
        from: JobState,
        to: JobState,
        now: DateTime<Utc>,
    ) -> Result<Job, JobRuleViolation> {
        if !self.is_manageable(now) {
            return Err(JobRuleViolation::Closed);
        }
        if self.state != from {
            return Err(JobRuleViolation::WrongState(self.state));
        }
        let mut job = self.clone();
        job.state = to;
        job.updated_at = now;
        job.version += 1;
        Ok(job)
    }

    pub fn edit(&self, content: JobContent, now: DateTime<Utc>) -> Result<Job, JobRuleViolation> {
        if !self.is_manageable(now) {
            return Err(JobRuleViolation::Closed);
        }
        if self.proposals_count > 0 {
            if content.screening_questions != self.screening_questions {
                return Err(JobRuleViolation::QuestionsLocked);
            }
            if content.terms.job_type() != self.terms.job_type() {
                return Err(JobRuleViolation::TypeLocked);
            }
        }
        let mut job = self.clone();
        job.connects_cost = content.terms.connects_cost();
        job.title = content.title;
        job.description = content.description;
        job.category = content.category;
        job.skills = content.skills;
        job.experience_level = content.experience_level;
        job.terms = content.terms;
        job.duration = content.duration;
        job.visibility = content.visibility;
        job.screening_questions = content.screening_questions;
        job.attachments = content.attachments;
        job.updated_at = now;
        job.version += 1;
        Ok(job)
    }

    /// The client closes the job. Cancelling before anyone was hired refunds every applicant's
    /// Connects (§4.3); the caller learns that from `refunds_connects`.
    pub fn close(&self, reason: CloseReason, now: DateTime<Utc>) -> Result<Job, JobRuleViolation> {
        if !self.is_manageable(now) {
            return Err(JobRuleViolation::Closed);
        }
        let mut job = self.clone();
        job.state = JobState::Closed;
        job.close_reason = Some(reason);
        job.closed_at = Some(now);
        job.updated_at = now;
        job.version += 1;
        Ok(job)
    }

    /// An admin takes the job down on a report, whatever its state: it closes (for good), and
    /// leaves every view but its client's. Nobody was hired on a job that turns out to be a
    /// scam, so its applicants get their Connects back as on a cancellation.
    pub fn remove(&self, now: DateTime<Utc>) -> Job {
        let mut job = self.clone().effective(now);
        job.state = JobState::Closed;
        job.close_reason = Some(CloseReason::Removed);
        // A job that had closed already keeps the time it did; the removal's is the report's.
        job.closed_at = job.closed_at.or(Some(now));
        job.updated_at = now;
        job.version = self.version + 1;
        job
    }

    pub fn refunds_connects(&self) -> bool {
        matches!(
            self.close_reason,
            Some(CloseReason::Cancelled) | Some(CloseReason::Removed)
        ) && self.hired_at.is_none()
    }

    /// Whether `user` may see the job: its client always; anyone else a published job that is
    /// public (or invite-only with `invited` true) and was not removed.
    pub fn is_visible_to(&self, user: &UserId, invited: bool) -> bool {
        if &self.client_id == user {
            return true;
        }
        let published = self.state != JobState::Draft;
        let removed = self.close_reason == Some(CloseReason::Removed);
        published && !removed && (self.visibility == Visibility::Public || invited)
    }

    pub fn boost_auction_open(&self, now: DateTime<Utc>) -> bool {
        self.accepts_proposals(now) && self.hired_at.is_none() && now < self.boost_closes_at
    }

    /// Places a bid in the boost auction. Slots go to the highest bids; on a tie the earlier
    /// bid keeps its place, so a newcomer must bid strictly more than the fourth slot.
    pub fn place_boost(
        &mut self,
        slot: BoostSlot,
        now: DateTime<Utc>,
    ) -> Result<BoostOutcome, JobRuleViolation> {
        if !(1..=MAX_BOOST_CONNECTS).contains(&slot.connects) {
            return Err(JobRuleViolation::BoostOutOfRange);
        }
        if !self.boost_auction_open(now) {
            return Err(JobRuleViolation::BoostClosed);
        }
        if self.boosts.len() >= BOOST_SLOTS {
            let lowest = self.boosts.last().map(|s| s.connects).unwrap_or(0);
            if slot.connects <= lowest {
                return Ok(BoostOutcome::Outbid {
                    lowest_winning: lowest,
                });
            }
        }
        let position = self
            .boosts
            .iter()
            .position(|s| s.connects < slot.connects)
            .unwrap_or(self.boosts.len());
        self.boosts.insert(position, slot);
        let displaced = (self.boosts.len() > BOOST_SLOTS)
            .then(|| self.boosts.pop())
            .flatten();
        self.boost_version += 1;
        Ok(BoostOutcome::Placed { displaced })
    }
}

mod amount {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(amount: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&amount.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-12-01T10:00:00Z".parse().unwrap()
    }

    fn draft(json: serde_json::Value) -> JobDraft {
        serde_json::from_value(json).unwrap()
    }

    fn fixed(budget: &str) -> JobDraft {
        draft(serde_json::json!({
            "title": "Build a Rust API", "description": "A serverless API on AWS Lambda with DynamoDB.",
            "category": "web-mobile-software-dev", "skills": ["rust", "aws-lambda"],
            "experience_level": "expert", "type": "fixed",
            "budget": {"amount": budget, "currency": "USD"}, "duration": "1-3 months"
        }))
    }

    fn job(budget: &str) -> Job {
        Job::post(
            JobId::generate(now()),
            UserId::generate(now()),
            fixed(budget).check().unwrap(),
            now(),
        )
    }

    fn slot(connects: u32, minute: i64) -> BoostSlot {
        BoostSlot {
            proposal_id: ProposalId::generate(now()),
            freelancer_id: UserId::generate(now()),
            connects,
            placed_at: now() + Duration::minutes(minute),
        }
    }

    #[test]
    fn connects_cost_follows_the_budget() {
        for (budget, cost) in [("50", 2), ("99.99", 2), ("100", 4), ("600", 6), ("1000", 8)] {
            assert_eq!(job(budget).connects_cost, cost, "budget {budget}");
        }
        let hourly = draft(serde_json::json!({
            "title": "Rust help", "description": "Ongoing help with a Rust codebase, weekly.",
            "category": "web-mobile-software-dev", "skills": ["rust"], "experience_level": "entry",
            "type": "hourly", "hourly_rate": {"min": "15", "max": "45", "currency": "USD"},
            "duration": "3-6 months"
        }))
        .check()
        .unwrap();
        assert_eq!(hourly.terms.connects_cost(), 6);
    }

    #[test]
    fn drafts_report_every_violation() {
        let mut bad = fixed("4.99");
        bad.title = "x".into();
        bad.skills = vec!["cobol".into()];
        bad.hourly_rate = Some(RateInput {
            min: "1".into(),
            max: "2".into(),
            currency: Currency::USD,
        });
        let fields: Vec<String> = bad
            .check()
            .unwrap_err()
            .0
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(fields, ["title", "skills", "hourly_rate", "budget"]);
        let mut reversed = fixed("10");
        reversed.job_type = JobType::Hourly;
        reversed.budget = None;
        reversed.hourly_rate = Some(RateInput {
            min: "50".into(),
            max: "20".into(),
            currency: Currency::USD,
        });
        assert_eq!(reversed.check().unwrap_err().0[0].field, "hourly_rate.min");
    }

    #[test]
    fn drafts_publish_and_open_jobs_pause_and_resume() {
        let later = now() + Duration::days(3);
        let draft = Job::draft(
            JobId::generate(now()),
            UserId::generate(now()),
            fixed("500").check().unwrap(),
            now(),
        );
        assert!(!draft.accepts_proposals(now()));
        assert_eq!(
            draft.pause(now()),
            Err(JobRuleViolation::WrongState(JobState::Draft))
        );
        let open = draft.publish(later).unwrap();
        assert_eq!(
            (open.state, open.expires_at),
            (JobState::Open, later + JOB_LIFETIME)
        );
        assert!(open.publish(later).is_err());
        let paused = open.pause(later).unwrap();
        assert!(!paused.accepts_proposals(later));
        assert!(paused.edit(fixed("600").check().unwrap(), later).is_ok());
        let resumed = paused.resume(later).unwrap();
        assert!(resumed.accepts_proposals(later));
        assert_eq!(resumed.version, 4);
        let expired = paused.clone().effective(later + JOB_LIFETIME);
        assert_eq!(expired.close_reason, Some(CloseReason::Expired));
        assert!(paused.resume(later + JOB_LIFETIME).is_err());
    }

    #[test]
    fn jobs_expire_without_a_write() {
        let job = job("500");
        assert!(job.accepts_proposals(now() + JOB_LIFETIME - Duration::seconds(1)));
        let later = job.clone().effective(now() + JOB_LIFETIME);
        assert_eq!(later.close_reason, Some(CloseReason::Expired));
        assert!(!later.accepts_proposals(now() + JOB_LIFETIME));
        assert_eq!(
            job.close(CloseReason::Cancelled, now() + JOB_LIFETIME),
            Err(JobRuleViolation::Closed)
        );
    }

    #[test]
    fn questions_lock_once_proposals_arrive() {
        let mut job = job("500");
        let mut content = fixed("700").check().unwrap();
        content.screening_questions = vec!["Have you used DynamoDB?".into()];
        assert!(job.edit(content.clone(), now()).is_ok());
        job.proposals_count = 1;
        assert_eq!(
            job.edit(content, now()),
            Err(JobRuleViolation::QuestionsLocked)
        );
    }

    #[test]
    fn boost_auction_keeps_the_four_best_and_displaces_the_fifth() {
        let mut job = job("500");
        for (connects, minute) in [(5, 0), (9, 1), (5, 2), (7, 3)] {
            assert!(matches!(
                job.place_boost(slot(connects, minute), now()),
                Ok(BoostOutcome::Placed { displaced: None })
            ));
        }
        let order: Vec<u32> = job.boosts.iter().map(|s| s.connects).collect();
        assert_eq!(order, [9, 7, 5, 5]);
        // A tie with the last slot does not win it.
        assert_eq!(
            job.place_boost(slot(5, 4), now()),
            Ok(BoostOutcome::Outbid { lowest_winning: 5 })
        );
        let second_five = job.boosts[3].clone();
        match job.place_boost(slot(6, 5), now()).unwrap() {
            BoostOutcome::Placed { displaced } => assert_eq!(displaced, Some(second_five)),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            job.boosts.iter().map(|s| s.connects).collect::<Vec<_>>(),
            [9, 7, 6, 5]
        );
        assert_eq!(
            job.place_boost(slot(50, 6), now() + BOOST_WINDOW),
            Err(JobRuleViolation::BoostClosed)
        );
        assert_eq!(
            job.place_boost(slot(0, 6), now()),
            Err(JobRuleViolation::BoostOutOfRange)
        );
    }

    #[test]
    fn job_serializes_in_the_api_shape() {
        let json = serde_json::to_value(job("500")).unwrap();
        assert_eq!(json["type"], "fixed");
        assert_eq!(json["budget"]["amount"], "500.00");
        assert_eq!(json["experience_level"], "expert");
        assert_eq!(json["duration"], "1-3 months");
        let back: Job = serde_json::from_value(json).unwrap();
        assert_eq!(back.connects_cost, 6);
    }
}
