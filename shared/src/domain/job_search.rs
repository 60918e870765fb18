//! Find-work filters and sort (PRODUCT §3.3), saved searches (§3.4): what a search asks for,
//! validated once, and decided in memory for a single job (saved-search alerts). The search
//! index answers the same question for many jobs at once (`crate::search`).

use super::catalogue::{self, SkillsRule};
use super::ids::{SavedSearchId, UserId};
use super::job::{ExperienceLevel, Job, JobState, JobType, Visibility};
use super::money::Currency;
use super::rules::{AmountRule, TextRule, ANY_AMOUNT};
use super::search_query::{tokens, Query, QueryError, MAX_QUERY_CHARS};
use super::Violations;
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use schemars::{JsonSchema, Schema};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Most skills one search may require.
pub const MAX_FILTER_SKILLS: usize = 10;
/// Skills a search requires: none, or up to `MAX_FILTER_SKILLS` catalogue slugs, each once.
pub const FILTER_SKILLS: SkillsRule = SkillsRule::new(0, MAX_FILTER_SKILLS);
/// Amount filters: any amount, in USD.
pub const FILTER_AMOUNT: AmountRule = ANY_AMOUNT;
pub const SAVED_SEARCH_NAME: TextRule = TextRule::new(1, 80);

/// A catalogue category, or null (serde reads null as no filter).
fn optional_category_schema(schema: &mut Schema) {
    catalogue::category_schema(schema);
    if let Some(Value::Array(slugs)) = schema.get_mut("enum") {
        slugs.push(Value::Null);
    }
}
/// Most saved searches a freelancer keeps.
pub const MAX_SAVED_SEARCHES: usize = 25;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PostedWithin {
    #[serde(rename = "24h")]
    Day,
    #[serde(rename = "3d")]
    ThreeDays,
    #[serde(rename = "7d")]
    Week,
    #[serde(rename = "14d")]
    TwoWeeks,
    #[serde(rename = "30d")]
    Month,
}

impl PostedWithin {
    pub const ALL: [(&'static str, PostedWithin); 5] = [
        ("24h", PostedWithin::Day),
        ("3d", PostedWithin::ThreeDays),
        ("7d", PostedWithin::Week),
        ("14d", PostedWithin::TwoWeeks),
        ("30d", PostedWithin::Month),
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(name, _)| *name == raw)
            .map(|(_, p)| *p)
    }

    pub fn duration(self) -> Duration {
        match self {
            PostedWithin::Day => Duration::hours(24),
            PostedWithin::ThreeDays => Duration::days(3),
            PostedWithin::Week => Duration::days(7),
            PostedWithin::TwoWeeks => Duration::days(14),
            PostedWithin::Month => Duration::days(30),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    /// Best keyword match first (BM25); ties newest first. Without keywords: recency.
    #[default]
    Relevance,
    /// Newest first.
    Recency,
}

/// Filters as a caller writes them: query parameters of `GET /v1/jobs`, or the body of a
/// saved search. Amounts are decimal strings in USD, like every amount in the API.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FilterInput {
    /// A category slug of `GET /v1/catalogue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = optional_category_schema)]
    pub category: Option<String>,
    /// Every one of these skills is required.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = FILTER_SKILLS.schema())]
    pub skills: Vec<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub job_type: Option<JobType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experience: Option<ExperienceLevel>,
    /// Lowest budget ceiling (fixed budget, or top of the hourly range), e.g. "100.00"; at
    /// most `budget_max`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = FILTER_AMOUNT.amount_schema())]
    pub budget_min: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = FILTER_AMOUNT.amount_schema())]
    pub budget_max: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_verified: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_hires_min: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = FILTER_AMOUNT.amount_schema())]
    pub client_spent_min: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posted_within: Option<PostedWithin>,
}

/// Validated filters; amounts in cents, as the index stores them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobFilters {
    pub category: Option<String>,
    pub skills: Vec<String>,
    pub job_type: Option<JobType>,
    pub experience: Option<ExperienceLevel>,
    pub budget_min_cents: Option<i64>,
    pub budget_max_cents: Option<i64>,
    pub payment_verified: Option<bool>,
    pub client_hires_min: Option<u64>,
    pub client_spent_min_cents: Option<i64>,
    pub posted_within: Option<PostedWithin>,
}

/// What the filters compare about a job's client (§2.2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientFacts {
    pub payment_verified: bool,
    pub hires: u64,
    pub total_spent_cents: i64,
}

fn cents(v: &mut Violations, field: &str, raw: &Option<String>) -> Option<i64> {
    FILTER_AMOUNT
        .check_str(v, field, raw.as_deref()?, Currency::USD)
        .map(|money| money.minor_units())
}

/// The spent total as the index stores it; totals beyond the amount limit saturate.
pub fn spent_cents(total: Decimal) -> i64 {
    (total * Decimal::from(100))
        .trunc()
        .try_into()
        .unwrap_or(i64::MAX)
}

impl FilterInput {
    /// Reads the filters from query parameters; a value of the wrong shape names its parameter.
    pub fn from_params<'a>(param: impl Fn(&str) -> Option<&'a str>) -> Result<Self, Violations> {
        let mut v = Violations::default();
        let present = |name: &str| param(name).map(str::trim).filter(|s| !s.is_empty());
        // The enums' wire names are their serde names: one spelling for body and query.
        let job_type: Option<JobType> =
            present("type").and_then(|raw| serde_json::from_value(raw.into()).ok());
        let experience: Option<ExperienceLevel> =
            present("experience").and_then(|raw| serde_json::from_value(raw.into()).ok());
        let mut input = FilterInput {
            category: present("category").map(str::to_string),
            skills: present("skills")
                .map(|raw| {
                    raw.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            job_type,
            experience,
            budget_min: present("budget_min").map(str::to_string),
            budget_max: present("budget_max").map(str::to_string),
            payment_verified: None,
            client_hires_min: None,
            client_spent_min: present("client_spent_min").map(str::to_string),
            posted_within: None,
        };
        if let Some(raw) = present("type") {
            if input.job_type.is_none() {
                v.push("type", format!("{raw:?} is not one of fixed, hourly"));
            }
        }
        if let Some(raw) = present("experience") {
            if input.experience.is_none() {
                v.push(
                    "experience",
                    format!("{raw:?} is not one of entry, intermediate, expert"),
                );
            }
        }
        if let Some(raw) = present("payment_verified") {
            match raw {
                "true" => input.payment_verified = Some(true),
                "false" => input.payment_verified = Some(false),
                _ => v.push("payment_verified", "true or false"),
            }
        }
        if let Some(raw) = present("client_hires_min") {
            match raw.parse::<u64>() {
                Ok(n) => input.client_hires_min = Some(n),
                Err(_) => v.push("client_hires_min", "a whole number, 0 or more"),
            }
        }
        if let Some(raw) = present("posted_within") {
            match PostedWithin::parse(raw) {
                Some(p) => input.posted_within = Some(p),
                None => v.push("posted_within", "one of 24h, 3d, 7d, 14d, 30d"),
            }
        }
        v.into_result()?;
        Ok(input)
    }

    pub fn check(&self) -> Result<JobFilters, Violations> {
        let mut v = Violations::default();
        if let Some(category) = &self.category {
            v.check(
                catalogue::is_category(category),
                "category",
                "not a category in the catalogue",
            );
        }
        if let Err(message) = FILTER_SKILLS.check(&self.skills) {
            v.push("skills", message);
        }
        let budget_min_cents = cents(&mut v, "budget_min", &self.budget_min);
        let budget_max_cents = cents(&mut v, "budget_max", &self.budget_max);
        if let (Some(min), Some(max)) = (budget_min_cents, budget_max_cents) {
            v.check(min <= max, "budget_min", "must not exceed budget_max");
        }
        let client_spent_min_cents = cents(&mut v, "client_spent_min", &self.client_spent_min);
        v.into_result()?;
        Ok(JobFilters {
            category: self.category.clone(),
            skills: self.skills.clone(),
            job_type: self.job_type,
            experience: self.experience,
            budget_min_cents,
            budget_max_cents,
            payment_verified: self.payment_verified,
            client_hires_min: self.client_hires_min,
            client_spent_min_cents,
            posted_within: self.posted_within,
        })
    }
}

impl JobFilters {
    /// The index and this must agree: `crate::search` builds the same conditions as queries.
    pub fn matches(&self, job: &Job, client: &ClientFacts, now: DateTime<Utc>) -> bool {
        let ceiling = job.terms.budget_ceiling().minor_units();
        self.category.as_ref().is_none_or(|c| *c == job.category)
            && self.skills.iter().all(|s| job.skills.contains(s))
            && self.job_type.is_none_or(|t| t == job.terms.job_type())
            && self.experience.is_none_or(|e| e == job.experience_level)
            && self.budget_min_cents.is_none_or(|min| ceiling >= min)
            && self.budget_max_cents.is_none_or(|max| ceiling <= max)
            && self
                .payment_verified
                .is_none_or(|p| p == client.payment_verified)
            && self.client_hires_min.is_none_or(|min| client.hires >= min)
            && self
                .client_spent_min_cents
                .is_none_or(|min| client.total_spent_cents >= min)
            && self
                .posted_within
                .is_none_or(|p| job.posted_at >= now - p.duration())
    }
}

/// Only open, public, unexpired jobs can be found; everything else is absent from search.
pub fn is_findable(job: &Job, now: DateTime<Utc>) -> bool {
    job.state == JobState::Open && job.visibility == Visibility::Public && now < job.expires_at
}

/// A job's searchable text, field by field, as `Query::matches` reads it.
pub struct JobText {
    pub title: Vec<Vec<String>>,
    pub description: Vec<Vec<String>>,
    pub skills: Vec<Vec<String>>,
}

impl JobText {
    pub fn of(job: &Job) -> Self {
        Self {
            title: vec![tokens(&job.title)],
            description: vec![tokens(&job.description)],
            skills: job.skills.iter().map(|s| tokens(s)).collect(),
        }
    }

    pub fn matches(&self, query: &Query) -> bool {
        query.matches(&[&self.title, &self.description, &self.skills])
    }
}

/// A freelancer's saved search: a name, an optional keyword query and filters. New jobs that
/// match it raise an alert (`SavedSearchMatched`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SavedSearch {
    pub id: SavedSearchId,
    pub user_id: UserId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    pub filters: FilterInput,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SavedSearchDraft {
    #[schemars(transform = SAVED_SEARCH_NAME.schema())]
    pub name: String,
    /// Keywords in the find-work search language (terms, "phrases", AND, OR, NOT, -term,
    /// parentheses); blank is none.
    #[serde(default)]
    #[schemars(length(max = MAX_QUERY_CHARS))]
    pub q: Option<String>,
    #[serde(default)]
    pub filters: FilterInput,
}

/// Why a saved search or a search request is refused.
#[derive(Debug)]
pub enum SearchInputError {
    Query(QueryError),
    Invalid(Violations),
    /// The freelancer already keeps `MAX_SAVED_SEARCHES`.
    TooManySaved,
}

impl From<Violations> for SearchInputError {
    fn from(v: Violations) -> Self {
        SearchInputError::Invalid(v)
    }
}

/// A keyword query: absent or blank is none.
pub fn parse_q(q: Option<&str>) -> Result<Option<Query>, QueryError> {
    match q.map(str::trim).filter(|q| !q.is_empty()) {
        None => Ok(None),
        Some(q) => Query::parse(q).map(Some),
    }
}

impl SavedSearchDraft {
    pub fn check(
        self,
        id: SavedSearchId,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<SavedSearch, SearchInputError> {
        let mut v = Violations::default();
        let name = SAVED_SEARCH_NAME.check(&mut v, "name", &self.name);
        if let Err(violations) = self.filters.check() {
            v.0.extend(violations.0);
        }
        v.into_result()?;
        // Parsed as sent (not trimmed), so the length limit counts what the schema counts
        // and error positions point into what was sent; blank is no query.
        if let Some(raw) = self.q.as_deref().filter(|q| !q.trim().is_empty()) {
            Query::parse(raw).map_err(SearchInputError::Query)?;
        }
        let q = self
            .q
            .map(|q| q.trim().to_string())
            .filter(|q| !q.is_empty());
        Ok(SavedSearch {
            id,
            user_id,
            name,
            q,
            filters: self.filters,
            created_at: now,
        })
    }
}

impl SavedSearch {
    /// Whether a newly posted job should alert this search's owner. A stored search that no
    /// longer validates (the rules tightened since) matches nothing rather than failing.
    pub fn matches(&self, job: &Job, client: &ClientFacts, now: DateTime<Utc>) -> bool {
        if job.client_id == self.user_id || !is_findable(job, now) {
            return false;
        }
        let (Ok(filters), Ok(query)) = (self.filters.check(), parse_q(self.q.as_deref())) else {
            return false;
        };
        filters.matches(job, client, now) && query.is_none_or(|q| JobText::of(job).matches(&q))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::JobId;
    use crate::domain::job::JobDraft;

    fn now() -> DateTime<Utc> {
        "2026-12-01T10:00:00Z".parse().unwrap()
    }

    fn job() -> Job {
        let draft: JobDraft = serde_json::from_value(serde_json::json!({
            "title": "Rust developer for a REST API", "description": "Build a serverless API on AWS Lambda.",
            "category": "web-mobile-software-dev", "skills": ["rust", "aws-lambda"],
            "experience_level": "expert", "type": "fixed",
            "budget": {"amount": "800.00", "currency": "USD"}, "duration": "1-3 months"
        }))
        .unwrap();
        Job::post(
            JobId::generate(now()),
            UserId::generate(now()),
            draft.check().unwrap(),
            now(),
        )
    }

    fn params(pairs: &[(&str, &str)]) -> Result<FilterInput, Violations> {
        FilterInput::from_params(|name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v))
    }

    #[test]
    fn query_parameters_name_the_bad_one() {
        let fields = |pairs: &[(&str, &str)]| -> Vec<String> {
            let err = match params(pairs) {
                Err(v) => v,
                Ok(input) => input.check().unwrap_err(),
            };
            err.0.into_iter().map(|v| v.field).collect()
        };
        assert_eq!(fields(&[("type", "weekly")]), ["type"]);
        assert_eq!(fields(&[("experience", "guru")]), ["experience"]);
        assert_eq!(fields(&[("client_hires_min", "-1")]), ["client_hires_min"]);
        assert_eq!(fields(&[("posted_within", "2h")]), ["posted_within"]);
        assert_eq!(fields(&[("payment_verified", "yes")]), ["payment_verified"]);
        assert_eq!(fields(&[("budget_min", "abc")]), ["budget_min"]);
        assert_eq!(
            fields(&[("budget_min", "50"), ("budget_max", "10")]),
            ["budget_min"]
        );
        assert_eq!(fields(&[("category", "pets")]), ["category"]);
        assert_eq!(fields(&[("skills", "rust,cobol")]), ["skills"]);
        let ok = params(&[
            ("skills", "rust, aws-lambda"),
            ("type", "fixed"),
            ("budget_max", "1000"),
        ])
        .unwrap()
        .check()
        .unwrap();
        assert_eq!(ok.skills, ["rust", "aws-lambda"]);
        assert_eq!(ok.budget_max_cents, Some(100_000));
    }

    #[test]
    fn filters_decide_a_job() {
        let job = job();
        let client = ClientFacts {
            payment_verified: true,
            hires: 3,
            total_spent_cents: 50_000,
        };
        let matches = |pairs: &[(&str, &str)]| {
            params(pairs)
                .unwrap()
                .check()
                .unwrap()
                .matches(&job, &client, now())
        };
        assert!(matches(&[]));
        assert!(matches(&[
            ("skills", "rust,aws-lambda"),
            ("budget_min", "800"),
            ("budget_max", "800")
        ]));
        assert!(!matches(&[("skills", "rust,go")]));
        assert!(!matches(&[("type", "hourly")]));
        assert!(!matches(&[("budget_min", "800.01")]));
        assert!(matches(&[
            ("payment_verified", "true"),
            ("client_hires_min", "3"),
            ("client_spent_min", "500")
        ]));
        assert!(!matches(&[("client_spent_min", "500.01")]));
        assert!(!matches(&[("client_hires_min", "4")]));
        let later = now() + Duration::hours(25);
        let filters = params(&[("posted_within", "24h")])
            .unwrap()
            .check()
            .unwrap();
        assert!(!filters.matches(&job, &client, later));
    }

    #[test]
    fn saved_searches_match_new_jobs_by_query_and_filters() {
        let job = job();
        let client = ClientFacts::default();
        let search = |q: Option<&str>, filters: serde_json::Value| {
            let mut body = serde_json::json!({"name": "alerts", "filters": filters});
            if let Some(q) = q {
                body["q"] = q.into();
            }
            let draft: SavedSearchDraft = serde_json::from_value(body).unwrap();
            draft.check(
                SavedSearchId::generate(now()),
                UserId::generate(now()),
                now(),
            )
        };
        let rust = search(
            Some("rust AND (api OR graphql)"),
            serde_json::json!({"category": "web-mobile-software-dev"}),
        )
        .unwrap();
        assert!(rust.matches(&job, &client, now()));
        let no = search(Some("rust -lambda"), serde_json::json!({})).unwrap();
        assert!(!no.matches(&job, &client, now()));
        let own = SavedSearch {
            user_id: job.client_id.clone(),
            ..rust.clone()
        };
        assert!(!own.matches(&job, &client, now()));
        assert!(matches!(
            search(Some("rust AND"), serde_json::json!({})),
            Err(SearchInputError::Query(_))
        ));
        assert!(matches!(
            search(None, serde_json::json!({"budget_min": "x"})),
            Err(SearchInputError::Invalid(_))
        ));
        assert!(!rust.matches(&job, &client, now() + crate::domain::job::JOB_LIFETIME));
    }

    #[test]
    fn saved_search_rules_are_the_schema_s() {
        let search = |body: serde_json::Value| {
            serde_json::from_value::<SavedSearchDraft>(body)
                .unwrap()
                .check(
                    SavedSearchId::generate(now()),
                    UserId::generate(now()),
                    now(),
                )
        };
        // The query's length counts what was sent, as `maxLength` does; blank is no query.
        let longest = "a".repeat(MAX_QUERY_CHARS);
        let saved = search(serde_json::json!({"name": "n", "q": longest.clone()})).unwrap();
        assert_eq!(saved.q.as_deref(), Some(longest.as_str()));
        assert!(matches!(
            search(serde_json::json!({"name": "n", "q": format!(" {longest}")})),
            Err(SearchInputError::Query(_))
        ));
        let blank = search(
            serde_json::json!({"name": "n", "q": "  ", "filters": {"category": null, "skills": []}}),
        );
        assert_eq!(blank.unwrap().q, None);
        let too_many: Vec<&str> = catalogue::SKILLS[..MAX_FILTER_SKILLS + 1].to_vec();
        let Err(SearchInputError::Invalid(v)) = search(
            serde_json::json!({"name": " ", "filters": {"skills": too_many, "budget_max": "1000000000.01"}}),
        ) else {
            panic!("invalid");
        };
        let fields: Vec<&str> = v.0.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["name", "skills", "budget_max"]);
        let schema = serde_json::to_value(schemars::schema_for!(SavedSearchDraft)).unwrap();
        assert_eq!(
            schema["properties"]["q"]["maxLength"],
            serde_json::json!(MAX_QUERY_CHARS)
        );
        let filters = &schema["$defs"]["FilterInput"]["properties"];
        assert_eq!(
            filters["skills"]["maxItems"],
            serde_json::json!(MAX_FILTER_SKILLS)
        );
        assert!(filters["skills"].get("minItems").is_none());
        assert!(filters["category"]["enum"]
            .as_array()
            .unwrap()
            .contains(&serde_json::Value::Null));
        assert_eq!(
            filters["budget_max"]["pattern"],
            serde_json::json!(FILTER_AMOUNT.pattern())
        );
    }
}
