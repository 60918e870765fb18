//! Profiles (PRODUCT §2.1–2.2): what a freelancer shows clients and what a client shows
//! freelancers. Requests and stored profiles share their parts (location, employment, …);
//! `check` turns a request into a profile with every field trimmed and every rule applied,
//! reporting all violations at once.

use super::billing::pattern;
use super::catalogue::{self, SkillsRule};
use super::ids::{FileId, UserId};
use super::money::{Money, MoneyInput};
use super::rules::{unique_items, AmountRule, TextRule};
use super::Violations;
use chrono::{DateTime, Datelike, Utc};
use schemars::{JsonSchema, Schema};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashSet;

/// ISO 3166-1 alpha-2 country codes (as in tzdata's iso3166.tab).
pub const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH \
BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY \
CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP \
GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM \
KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR \
MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS \
PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD \
TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA \
ZM ZW";

pub const MAX_SKILLS: usize = 15;
pub const SKILLS: SkillsRule = SkillsRule::new(1, MAX_SKILLS);
pub const MAX_EMPLOYMENT: usize = 20;
pub const MAX_EDUCATION: usize = 10;
pub const MAX_CERTIFICATIONS: usize = 20;
pub const MIN_LANGUAGES: usize = 1;
pub const MAX_LANGUAGES: usize = 10;
pub const MAX_PORTFOLIO_ITEMS: usize = 12;
pub const MAX_FILES_PER_PORTFOLIO_ITEM: usize = 4;
/// Files a profile shows (portfolio files and photo). A profile update touches the profile,
/// up to 2 × 15 skill index entries and the files shown now and before (made public or
/// private again): 1 + 30 + 2 × 24 stays inside one 100-operation DynamoDB transaction.
pub const MAX_PROFILE_FILES: usize = 24;
/// A freelancer's hourly rate: $3 to $999.
pub const HOURLY_RATE: AmountRule = AmountRule::units(3, 999);

pub const DISPLAY_NAME: TextRule = TextRule::new(2, 60);
/// The professional title, e.g. "Senior Rust engineer".
pub const TITLE: TextRule = TextRule::new(5, 70);
/// Upwork asks for at least 100 characters: an overview is what clients read first.
pub const OVERVIEW: TextRule = TextRule::new(100, 5_000);
pub const COMPANY: TextRule = TextRule::new(1, 100);
pub const JOB_TITLE: TextRule = TextRule::new(1, 100);
pub const SCHOOL: TextRule = TextRule::new(2, 150);
pub const CERTIFICATION: TextRule = TextRule::new(2, 150);
pub const LANGUAGE: TextRule = TextRule::new(2, 40);
pub const PORTFOLIO_TITLE: TextRule = TextRule::new(1, 100);
pub const PORTFOLIO_DESCRIPTION: TextRule = TextRule::new(0, 1_000);
// Texts that may be left out: blank counts as absent (see `optional_text`), so their rules
// have no minimum.
pub const CITY: TextRule = TextRule::new(0, 80);
pub const JOB_DESCRIPTION: TextRule = TextRule::new(0, 2_000);
pub const DEGREE: TextRule = TextRule::new(0, 100);
pub const FIELD_OF_STUDY: TextRule = TextRule::new(0, 100);
pub const ISSUER: TextRule = TextRule::new(0, 100);
pub const COMPANY_NAME: TextRule = TextRule::new(0, 100);
pub const CLIENT_DESCRIPTION: TextRule = TextRule::new(0, 5_000);
pub const WEBSITE: TextRule = TextRule::new(0, 200);
/// Years of `YYYY-MM` months and of education; education may also end up to
/// `EDUCATION_YEARS_AHEAD` years from now, nothing else after the current month.
pub const FIRST_YEAR: i32 = 1900;
pub const LAST_YEAR: i32 = 9999;
pub const EDUCATION_YEARS_AHEAD: i32 = 8;

/// `YYYY-MM` with a year from `FIRST_YEAR` (1900) to `LAST_YEAR` (9999): what `year_month`
/// accepts before comparing with the current month.
pub const YEAR_MONTH_PATTERN: &str = "^(19[0-9]{2}|[2-9][0-9]{3})-(0[1-9]|1[0-2])$";

fn year_month_schema(schema: &mut Schema) {
    schema.insert("pattern".into(), json!(YEAR_MONTH_PATTERN));
    schema.insert("examples".into(), json!(["2020-01"]));
}

/// One of the country codes `is_country` knows, as stored (`parse_country` also takes them
/// in lower case and with surrounding spaces, and normalizes them).
pub fn country_schema(schema: &mut Schema) {
    let codes: Vec<&str> = COUNTRIES.split_ascii_whitespace().collect();
    schema.insert("enum".into(), json!(codes));
    schema.insert("examples".into(), json!(["US"]));
}

/// `http(s)://host.tld[/…]` as `is_web_address` reads it, around it the white space that is
/// trimmed; or blank (no website).
pub fn website_pattern() -> String {
    let space = pattern::TEXT_SPACE;
    let ink = pattern::ink_except("");
    let host_char = "[A-Za-z0-9:-]";
    let host_or_dot = "[A-Za-z0-9.:-]";
    let host = format!("{host_char}{host_or_dot}*\\.{host_or_dot}*{host_char}");
    format!("^{space}*(?:https?://{host}(?:[/?#]{ink}*)?{space}*)?$")
}

fn website_schema(schema: &mut Schema) {
    WEBSITE.schema()(schema);
    schema.insert("pattern".into(), json!(website_pattern()));
    schema.insert("examples".into(), json!(["https://example.com"]));
}

/// An uppercase ISO 3166-1 alpha-2 code, e.g. `US`.
pub fn is_country(code: &str) -> bool {
    code.len() == 2 && COUNTRIES.split_ascii_whitespace().any(|c| c == code)
}

/// Normalizes and checks a country code (`us` → `US`); the message when it is not one.
pub fn parse_country(raw: &str) -> Result<String, String> {
    let code = raw.trim().to_ascii_uppercase();
    if is_country(&code) {
        Ok(code)
    } else {
        Err(format!(
            "{raw:?} is not an ISO 3166-1 alpha-2 country code (e.g. US, DE)"
        ))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// ISO 3166-1 alpha-2, e.g. `US`.
    #[schemars(transform = country_schema)]
    pub country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = CITY.schema())]
    pub city: Option<String>,
}

/// Hours per week a freelancer can take on, as Upwork shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    #[serde(rename = "more_than_30")]
    MoreThan30,
    #[serde(rename = "less_than_30")]
    LessThan30,
    AsNeeded,
    NotAvailable,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Proficiency {
    Basic,
    Conversational,
    Fluent,
    Native,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LanguageSkill {
    /// The language's name, e.g. `English`; each language once (ignoring case).
    #[schemars(transform = LANGUAGE.schema())]
    pub language: String,
    pub proficiency: Proficiency,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Employment {
    #[schemars(transform = COMPANY.schema())]
    pub company: String,
    #[schemars(transform = JOB_TITLE.schema())]
    pub title: String,
    /// `YYYY-MM`, not after the current month.
    #[schemars(transform = year_month_schema)]
    pub from: String,
    /// `YYYY-MM`, not before `from` nor after the current month; absent while the job is
    /// current.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = year_month_schema)]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = JOB_DESCRIPTION.schema())]
    pub description: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Education {
    #[schemars(transform = SCHOOL.schema())]
    pub school: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = DEGREE.schema())]
    pub degree: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = FIELD_OF_STUDY.schema())]
    pub field_of_study: Option<String>,
    /// At most 8 years from now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = FIRST_YEAR, max = LAST_YEAR))]
    pub from_year: Option<i32>,
    /// Not before `from_year`; at most 8 years from now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = FIRST_YEAR, max = LAST_YEAR))]
    pub to_year: Option<i32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Certification {
    #[schemars(transform = CERTIFICATION.schema())]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = ISSUER.schema())]
    pub issuer: Option<String>,
    /// `YYYY-MM`, not after the current month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = year_month_schema)]
    pub issued: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PortfolioItem {
    #[schemars(transform = PORTFOLIO_TITLE.schema())]
    pub title: String,
    #[serde(default)]
    #[schemars(transform = PORTFOLIO_DESCRIPTION.schema())]
    pub description: String,
    /// Uploaded files of purpose `portfolio`; they become public with the profile. Each file
    /// is shown once in the whole profile (photo included).
    #[serde(default)]
    #[schemars(length(max = MAX_FILES_PER_PORTFOLIO_ITEM), transform = unique_items)]
    pub file_ids: Vec<FileId>,
}

/// `PUT /v1/freelancers/me/profile`: the whole profile (absent lists mean empty).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FreelancerProfileInput {
    #[schemars(transform = DISPLAY_NAME.schema())]
    pub display_name: String,
    pub location: Location,
    /// Professional title, e.g. "Senior Rust engineer".
    #[schemars(transform = TITLE.schema())]
    pub title: String,
    #[schemars(transform = OVERVIEW.schema())]
    pub overview: String,
    /// Slugs from the skill catalogue, 1–15, each once.
    #[schemars(transform = SKILLS.schema())]
    pub skills: Vec<String>,
    #[schemars(transform = HOURLY_RATE.schema())]
    pub hourly_rate: MoneyInput,
    #[serde(default)]
    #[schemars(length(max = MAX_EMPLOYMENT))]
    pub employment: Vec<Employment>,
    #[serde(default)]
    #[schemars(length(max = MAX_EDUCATION))]
    pub education: Vec<Education>,
    #[serde(default)]
    #[schemars(length(max = MAX_CERTIFICATIONS))]
    pub certifications: Vec<Certification>,
    #[schemars(length(min = MIN_LANGUAGES, max = MAX_LANGUAGES))]
    pub languages: Vec<LanguageSkill>,
    /// At most 24 files in all, photo included.
    #[serde(default)]
    #[schemars(length(max = MAX_PORTFOLIO_ITEMS))]
    pub portfolio: Vec<PortfolioItem>,
    pub availability: Availability,
    /// An uploaded `portfolio` image; it becomes public with the profile.
    #[serde(default)]
    pub photo_file_id: Option<FileId>,
    /// The version this edit is based on (from the last read): the write fails with 409 if
    /// the profile changed since. Absent: overwrite whatever is there.
    #[serde(default)]
    pub version: Option<u64>,
}

/// The checked content of a freelancer profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FreelancerContent {
    pub display_name: String,
    pub location: Location,
    pub title: String,
    pub overview: String,
    pub skills: Vec<String>,
    pub hourly_rate: Money,
    pub employment: Vec<Employment>,
    pub education: Vec<Education>,
    pub certifications: Vec<Certification>,
    pub languages: Vec<LanguageSkill>,
    pub portfolio: Vec<PortfolioItem>,
    pub availability: Availability,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_file_id: Option<FileId>,
}

/// A freelancer profile as stored: content plus identity and optimistic-concurrency version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FreelancerProfile {
    pub user_id: UserId,
    #[serde(flatten)]
    pub content: FreelancerContent,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a freelancer search lists: enough to choose whom to open, copied onto each skill
/// index entry so a search page is one query.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FreelancerCard {
    pub id: UserId,
    pub display_name: String,
    pub title: String,
    pub location: Location,
    pub skills: Vec<String>,
    pub hourly_rate: Money,
    pub availability: Availability,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_file_id: Option<FileId>,
}

/// `PUT /v1/clients/me/profile`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientProfileInput {
    #[schemars(transform = DISPLAY_NAME.schema())]
    pub display_name: String,
    #[serde(default)]
    #[schemars(transform = COMPANY_NAME.schema())]
    pub company_name: Option<String>,
    pub location: Location,
    #[serde(default)]
    #[schemars(transform = CLIENT_DESCRIPTION.schema())]
    pub description: Option<String>,
    /// `https://…`
    #[serde(default)]
    #[schemars(transform = website_schema)]
    pub website: Option<String>,
    /// As for freelancer profiles: the version this edit is based on.
    #[serde(default)]
    pub version: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClientContent {
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    pub location: Location,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClientProfile {
    pub user_id: UserId,
    #[serde(flatten)]
    pub content: ClientContent,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The edit was based on a version that is no longer current.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the profile is at version {current}, not {expected}; read it again")]
pub struct StaleVersion {
    pub expected: u64,
    pub current: u64,
}

/// Versions start at 1; a missing profile is version 0.
pub fn check_version(expected: Option<u64>, current: Option<u64>) -> Result<(), StaleVersion> {
    let current = current.unwrap_or(0);
    match expected {
        Some(expected) if expected != current => Err(StaleVersion { expected, current }),
        _ => Ok(()),
    }
}

/// A text field that may be left out: checked by `rule` (which has no minimum), and blank
/// counts as absent.
fn optional_text(
    violations: &mut Violations,
    field: &str,
    value: &Option<String>,
    rule: TextRule,
) -> Option<String> {
    debug_assert_eq!(
        rule.min, 0,
        "a blank optional text is absent, not too short"
    );
    let text = rule.check(violations, field, value.as_deref()?);
    (!text.is_empty()).then_some(text)
}

/// `YYYY-MM` no later than the current month; returns it for ordering comparisons.
fn year_month(
    violations: &mut Violations,
    field: &str,
    value: &str,
    now: DateTime<Utc>,
) -> Option<String> {
    let bytes = value.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    let valid = bytes.len() == 7
        && bytes[4] == b'-'
        && digits(0..4)
        && digits(5..7)
        && value[..4]
            .parse::<i32>()
            .is_ok_and(|y| (FIRST_YEAR..=LAST_YEAR).contains(&y))
        && value[5..]
            .parse::<u32>()
            .is_ok_and(|m| (1..=12).contains(&m));
    if !valid {
        violations.push(field, "must be a month as YYYY-MM");
        return None;
    }
    if value > now.format("%Y-%m").to_string().as_str() {
        violations.push(field, "must not be in the future");
        return None;
    }
    Some(value.to_string())
}

fn check_location(violations: &mut Violations, field: &str, location: &Location) -> Location {
    let country = parse_country(&location.country).unwrap_or_else(|message| {
        violations.push(&format!("{field}.country"), message);
        location.country.clone()
    });
    Location {
        country,
        city: optional_text(violations, &format!("{field}.city"), &location.city, CITY),
    }
}

fn at_most(violations: &mut Violations, field: &str, len: usize, max: usize) {
    violations.check(len <= max, field, format!("at most {max} entries"));
}

impl FreelancerProfileInput {
    pub fn check(&self, now: DateTime<Utc>) -> Result<FreelancerContent, Violations> {
        let mut v = Violations::default();
        let display_name = DISPLAY_NAME.check(&mut v, "display_name", &self.display_name);
        let location = check_location(&mut v, "location", &self.location);
        let title = TITLE.check(&mut v, "title", &self.title);
        let overview = OVERVIEW.check(&mut v, "overview", &self.overview);
        let skills: Vec<String> = self.skills.iter().map(|s| s.trim().to_string()).collect();
        if let Err(message) = SKILLS.check(&skills) {
            v.push("skills", message);
        }
        let hourly_rate = HOURLY_RATE.check(&mut v, "hourly_rate", &self.hourly_rate);
        let employment = self.check_employment(&mut v, now);
        let education = self.check_education(&mut v, now);
        let certifications = self.check_certifications(&mut v, now);
        let languages = self.check_languages(&mut v);
        let portfolio = self.check_portfolio(&mut v);
        v.into_result()?;
        Ok(FreelancerContent {
            display_name,
            location,
            title,
            overview,
            skills,
            hourly_rate: hourly_rate.expect("checked above"),
            employment,
            education,
            certifications,
            languages,
            portfolio,
            availability: self.availability,
            photo_file_id: self.photo_file_id.clone(),
        })
    }

    fn check_employment(&self, v: &mut Violations, now: DateTime<Utc>) -> Vec<Employment> {
        at_most(v, "employment", self.employment.len(), MAX_EMPLOYMENT);
        let mut checked = Vec::with_capacity(self.employment.len());
        for (i, job) in self.employment.iter().enumerate() {
            let field = |name: &str| format!("employment[{i}].{name}");
            let from = year_month(v, &field("from"), &job.from, now);
            let to = job
                .to
                .as_deref()
                .and_then(|to| year_month(v, &field("to"), to, now));
            if let (Some(from), Some(to)) = (&from, &to) {
                v.check(to >= from, &field("to"), "must not be before `from`");
            }
            checked.push(Employment {
                company: COMPANY.check(v, &field("company"), &job.company),
                title: JOB_TITLE.check(v, &field("title"), &job.title),
                from: job.from.clone(),
                to: job.to.clone(),
                description: optional_text(
                    v,
                    &field("description"),
                    &job.description,
                    JOB_DESCRIPTION,
                ),
            });
        }
        checked
    }

    fn check_education(&self, v: &mut Violations, now: DateTime<Utc>) -> Vec<Education> {
        at_most(v, "education", self.education.len(), MAX_EDUCATION);
        // Studies may be planned to end a few years from now.
        let years = FIRST_YEAR..=(now.year() + EDUCATION_YEARS_AHEAD).min(LAST_YEAR);
        let mut checked = Vec::with_capacity(self.education.len());
        for (i, school) in self.education.iter().enumerate() {
            let field = |name: &str| format!("education[{i}].{name}");
            for (name, year) in [("from_year", school.from_year), ("to_year", school.to_year)] {
                if let Some(year) = year {
                    v.check(
                        years.contains(&year),
                        &field(name),
                        format!("must be a year from {} to {}", years.start(), years.end()),
                    );
                }
            }
            if let (Some(from), Some(to)) = (school.from_year, school.to_year) {
                v.check(
                    to >= from,
                    &field("to_year"),
                    "must not be before `from_year`",
                );
            }
            checked.push(Education {
                school: SCHOOL.check(v, &field("school"), &school.school),
                degree: optional_text(v, &field("degree"), &school.degree, DEGREE),
                field_of_study: optional_text(
                    v,
                    &field("field_of_study"),
                    &school.field_of_study,
                    FIELD_OF_STUDY,
                ),
                from_year: school.from_year,
                to_year: school.to_year,
            });
        }
        checked
    }

    fn check_certifications(&self, v: &mut Violations, now: DateTime<Utc>) -> Vec<Certification> {
        at_most(
            v,
            "certifications",
            self.certifications.len(),
            MAX_CERTIFICATIONS,
        );
        let mut checked = Vec::with_capacity(self.certifications.len());
        for (i, cert) in self.certifications.iter().enumerate() {
            let field = |name: &str| format!("certifications[{i}].{name}");
            if let Some(issued) = &cert.issued {
                year_month(v, &field("issued"), issued, now);
            }
            checked.push(Certification {
                name: CERTIFICATION.check(v, &field("name"), &cert.name),
                issuer: optional_text(v, &field("issuer"), &cert.issuer, ISSUER),
                issued: cert.issued.clone(),
            });
        }
        checked
    }

    fn check_languages(&self, v: &mut Violations) -> Vec<LanguageSkill> {
        v.check(
            (MIN_LANGUAGES..=MAX_LANGUAGES).contains(&self.languages.len()),
            "languages",
            format!("give between {MIN_LANGUAGES} and {MAX_LANGUAGES} languages"),
        );
        let mut seen = HashSet::new();
        let mut checked = Vec::with_capacity(self.languages.len());
        for (i, lang) in self.languages.iter().enumerate() {
            let field = format!("languages[{i}].language");
            let language = LANGUAGE.check(v, &field, &lang.language);
            v.check(
                seen.insert(language.to_lowercase()),
                &field,
                "is listed twice",
            );
            checked.push(LanguageSkill {
                language,
                proficiency: lang.proficiency,
            });
        }
        checked
    }

    fn check_portfolio(&self, v: &mut Violations) -> Vec<PortfolioItem> {
        at_most(v, "portfolio", self.portfolio.len(), MAX_PORTFOLIO_ITEMS);
        let mut seen = HashSet::new();
        if let Some(photo) = &self.photo_file_id {
            seen.insert(photo.clone());
        }
        let mut checked = Vec::with_capacity(self.portfolio.len());
        for (i, item) in self.portfolio.iter().enumerate() {
            let field = |name: &str| format!("portfolio[{i}].{name}");
            v.check(
                item.file_ids.len() <= MAX_FILES_PER_PORTFOLIO_ITEM,
                &field("file_ids"),
                format!("at most {MAX_FILES_PER_PORTFOLIO_ITEM} files per item"),
            );
            // Each file is shown once: a second mention would also touch one item twice in
            // the transaction that publishes the files, which DynamoDB refuses.
            if let Some(dup) = item.file_ids.iter().find(|id| !seen.insert((*id).clone())) {
                v.push(&field("file_ids"), format!("{dup} is used more than once"));
            }
            checked.push(PortfolioItem {
                title: PORTFOLIO_TITLE.check(v, &field("title"), &item.title),
                description: PORTFOLIO_DESCRIPTION.check(
                    v,
                    &field("description"),
                    &item.description,
                ),
                file_ids: item.file_ids.clone(),
            });
        }
        v.check(
            seen.len() <= MAX_PROFILE_FILES,
            "portfolio",
            format!("at most {MAX_PROFILE_FILES} files in all, photo included"),
        );
        checked
    }
}

impl FreelancerContent {
    /// Every file the profile shows (portfolio files, then the photo).
    pub fn file_ids(&self) -> Vec<FileId> {
        self.portfolio
            .iter()
            .flat_map(|item| item.file_ids.iter().cloned())
            .chain(self.photo_file_id.clone())
            .collect()
    }
}

impl FreelancerProfile {
    /// The next version of a profile: the first write creates version 1.
    pub fn revise(
        user_id: UserId,
        previous: Option<&FreelancerProfile>,
        content: FreelancerContent,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            user_id,
            content,
            version: previous.map_or(1, |p| p.version + 1),
            created_at: previous.map_or(now, |p| p.created_at),
            updated_at: now,
        }
    }

    pub fn card(&self) -> FreelancerCard {
        let c = &self.content;
        FreelancerCard {
            id: self.user_id.clone(),
            display_name: c.display_name.clone(),
            title: c.title.clone(),
            location: c.location.clone(),
            skills: c.skills.clone(),
            hourly_rate: c.hourly_rate,
            availability: c.availability,
            photo_file_id: c.photo_file_id.clone(),
        }
    }
}

impl ClientProfileInput {
    pub fn check(&self) -> Result<ClientContent, Violations> {
        let mut v = Violations::default();
        let display_name = DISPLAY_NAME.check(&mut v, "display_name", &self.display_name);
        let company_name = optional_text(&mut v, "company_name", &self.company_name, COMPANY_NAME);
        let location = check_location(&mut v, "location", &self.location);
        let description =
            optional_text(&mut v, "description", &self.description, CLIENT_DESCRIPTION);
        let website = optional_text(&mut v, "website", &self.website, WEBSITE);
        if let Some(site) = &website {
            v.check(
                is_web_address(site),
                "website",
                "must be an http(s) address, e.g. https://example.com",
            );
        }
        v.into_result()?;
        Ok(ClientContent {
            display_name,
            company_name,
            location,
            description,
            website,
        })
    }
}

/// `http(s)://host.tld[/…]` without spaces: shown as a link, so nothing that could be a
/// `javascript:` URL or a relative path.
fn is_web_address(site: &str) -> bool {
    let Some(rest) = site
        .strip_prefix("https://")
        .or_else(|| site.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    !site.contains(char::is_whitespace)
        && host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
}

impl ClientProfile {
    pub fn revise(
        user_id: UserId,
        previous: Option<&ClientProfile>,
        content: ClientContent,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            user_id,
            content,
            version: previous.map_or(1, |p| p.version + 1),
            created_at: previous.map_or(now, |p| p.created_at),
            updated_at: now,
        }
    }
}

/// Share of posted jobs that led to a hire, 0.0–1.0 to two places; `None` before the first
/// job. Several hires on one job cannot push it past 1.
pub fn hire_rate(jobs_posted: u64, hires: u64) -> Option<f64> {
    (jobs_posted > 0).then(|| {
        let rate = (hires.min(jobs_posted) as f64) / (jobs_posted as f64);
        (rate * 100.0).round() / 100.0
    })
}

/// Most skills one search may combine (every freelancer listed must have them all).
pub const MAX_SEARCH_SKILLS: usize = 5;

/// `GET /v1/freelancers`: who a client is looking for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FreelancerSearch {
    /// Known skills, deduplicated, in the order asked; the first one picks the index partition.
    pub skills: Vec<String>,
    pub rate_min_cents: Option<i64>,
    pub rate_max_cents: Option<i64>,
    pub country: Option<String>,
}

impl FreelancerSearch {
    /// From the query parameters as sent (`skills=rust,aws`, `rate_min=20`, `location=US`).
    pub fn parse(
        skills: &str,
        rate_min: Option<&str>,
        rate_max: Option<&str>,
        location: Option<&str>,
    ) -> Result<Self, Violations> {
        let mut v = Violations::default();
        let mut wanted: Vec<String> = Vec::new();
        for skill in skills.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let skill = skill.to_ascii_lowercase();
            if !wanted.contains(&skill) {
                wanted.push(skill);
            }
        }
        if let Err(message) = catalogue::check_skills(&wanted, 1, MAX_SEARCH_SKILLS) {
            v.push("skills", message);
        }
        let mut rate = |field: &str, raw: Option<&str>| {
            raw.filter(|r| !r.is_empty())
                .and_then(|raw| match Money::usd(raw) {
                    Ok(money) => Some(money.minor_units()),
                    Err(err) => {
                        v.push(field, format!("{err} (send a decimal like 25.00)"));
                        None
                    }
                })
        };
        let rate_min_cents = rate("rate_min", rate_min);
        let rate_max_cents = rate("rate_max", rate_max);
        if let (Some(min), Some(max)) = (rate_min_cents, rate_max_cents) {
            v.check(min <= max, "rate_max", "must not be below rate_min");
        }
        let country = location
            .filter(|l| !l.is_empty())
            .and_then(|raw| parse_country(raw).map_err(|m| v.push("location", m)).ok());
        v.into_result()?;
        Ok(Self {
            skills: wanted,
            rate_min_cents,
            rate_max_cents,
            country,
        })
    }

    /// A canonical spelling of the search, which cursors are bound to: a cursor from one
    /// search cannot page through another.
    pub fn scope(&self) -> String {
        format!(
            "freelancers:{}:{}:{}:{}",
            self.skills.join(","),
            self.rate_min_cents
                .map(|c| c.to_string())
                .unwrap_or_default(),
            self.rate_max_cents
                .map(|c| c.to_string())
                .unwrap_or_default(),
            self.country.as_deref().unwrap_or_default()
        )
    }

    /// Whether a card found in the first skill's partition matches the rest of the search.
    pub fn matches(&self, card: &FreelancerCard) -> bool {
        let rate = card.hourly_rate.minor_units();
        self.skills.iter().all(|s| card.skills.contains(s))
            && self.rate_min_cents.is_none_or(|min| rate >= min)
            && self.rate_max_cents.is_none_or(|max| rate <= max)
            && self
                .country
                .as_ref()
                .is_none_or(|c| *c == card.location.country)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Currency;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        "2026-06-15T12:00:00Z".parse().unwrap()
    }

    fn valid() -> serde_json::Value {
        json!({
            "display_name": "Ada L.",
            "location": {"country": "gb", "city": " London "},
            "title": "Senior Rust engineer",
            "overview": "I build reliable serverless backends in Rust on AWS. ".repeat(3),
            "skills": ["rust", "aws"],
            "hourly_rate": {"amount": "85.00", "currency": "USD"},
            "employment": [{"company": "Analytical Engines", "title": "Engineer", "from": "2020-01"}],
            "education": [{"school": "University of London", "from_year": 2010, "to_year": 2014}],
            "certifications": [{"name": "AWS Solutions Architect", "issued": "2024-03"}],
            "languages": [{"language": "English", "proficiency": "native"}],
            "portfolio": [{"title": "Ledger", "description": "A double-entry ledger"}],
            "availability": "more_than_30"
        })
    }

    fn input(value: serde_json::Value) -> FreelancerProfileInput {
        serde_json::from_value(value).unwrap()
    }

    fn fields(violations: Violations) -> Vec<String> {
        violations.0.into_iter().map(|v| v.field).collect()
    }

    #[test]
    fn a_valid_profile_is_normalized() {
        let content = input(valid()).check(now()).unwrap();
        assert_eq!(content.location.country, "GB");
        assert_eq!(content.location.city.as_deref(), Some("London"));
        assert_eq!(content.hourly_rate.minor_units(), 8500);
        assert_eq!(content.hourly_rate.currency, Currency::USD);
        assert!(content.overview.len() >= 100 && !content.overview.ends_with(' '));
    }

    #[test]
    fn every_violation_is_listed_with_its_field() {
        let mut body = valid();
        body["display_name"] = json!("A");
        body["location"]["country"] = json!("XX");
        body["overview"] = json!("too short");
        body["skills"] = json!(["rust", "cobol"]);
        body["hourly_rate"] = json!({"amount": "1.00", "currency": "USD"});
        body["employment"][0]["from"] = json!("2020-13");
        body["employment"][0]["to"] = json!("2030-01");
        body["education"][0]["to_year"] = json!(2009);
        body["languages"] = json!([]);
        let errors = fields(input(body).check(now()).unwrap_err());
        assert_eq!(
            errors,
            [
                "display_name",
                "location.country",
                "overview",
                "skills",
                "hourly_rate",
                "employment[0].from",
                "employment[0].to",
                "education[0].to_year",
                "languages"
            ]
        );
    }

    #[test]
    fn skills_rates_and_languages_have_bounds() {
        let mut body = valid();
        body["skills"] = json!(catalogue::SKILLS[..16].to_vec());
        body["hourly_rate"] = json!({"amount": "1000.00", "currency": "USD"});
        body["languages"] = json!([
            {"language": "English", "proficiency": "native"},
            {"language": "english", "proficiency": "fluent"}
        ]);
        let errors = fields(input(body).check(now()).unwrap_err());
        assert_eq!(errors, ["skills", "hourly_rate", "languages[1].language"]);
        let mut body = valid();
        body["hourly_rate"] = json!({"amount": "3.00", "currency": "USD"});
        body["skills"] = json!(catalogue::SKILLS[..15].to_vec());
        assert!(input(body).check(now()).is_ok());
    }

    #[test]
    fn portfolio_files_are_bounded_and_used_once() {
        let file = FileId::generate(now());
        let mut body = valid();
        body["photo_file_id"] = json!(file);
        body["portfolio"] = json!([{"title": "A", "file_ids": [file]}]);
        assert_eq!(
            fields(input(body).check(now()).unwrap_err()),
            ["portfolio[0].file_ids"]
        );
        let many: Vec<_> = (0..5).map(|_| FileId::generate(now())).collect();
        let mut body = valid();
        body["portfolio"] = json!([{"title": "A", "file_ids": many}]);
        assert_eq!(
            fields(input(body).check(now()).unwrap_err()),
            ["portfolio[0].file_ids"]
        );
        let items: Vec<_> = (0..7)
            .map(|_| {
                let files: Vec<_> = (0..4).map(|_| FileId::generate(now())).collect();
                json!({"title": "A", "file_ids": files})
            })
            .collect();
        let mut body = valid();
        body["portfolio"] = json!(items);
        assert_eq!(fields(input(body).check(now()).unwrap_err()), ["portfolio"]);
        let mut body = valid();
        body["portfolio"] = json!([{"title": "A", "file_ids": many[..2]}]);
        body["photo_file_id"] = json!(many[4]);
        let content = input(body).check(now()).unwrap();
        assert_eq!(content.file_ids(), [&many[..2], &many[4..5]].concat());
    }

    #[test]
    fn versions_are_optimistic() {
        assert!(check_version(None, Some(4)).is_ok());
        assert!(check_version(Some(0), None).is_ok());
        assert!(check_version(Some(4), Some(4)).is_ok());
        assert_eq!(
            check_version(Some(3), Some(4)),
            Err(StaleVersion {
                expected: 3,
                current: 4
            })
        );
        let content = input(valid()).check(now()).unwrap();
        let user = UserId::generate(now());
        let first = FreelancerProfile::revise(user.clone(), None, content.clone(), now());
        let later = now() + chrono::Duration::days(1);
        let second = FreelancerProfile::revise(user, Some(&first), content, later);
        assert_eq!((first.version, second.version), (1, 2));
        assert_eq!((second.created_at, second.updated_at), (now(), later));
    }

    #[test]
    fn client_profiles_check_location_and_website() {
        let parse = |v: serde_json::Value| serde_json::from_value::<ClientProfileInput>(v).unwrap();
        let ok = parse(
            json!({"display_name": "Acme", "location": {"country": "us"},
            "website": "https://acme.example/about", "company_name": "  "}),
        )
        .check()
        .unwrap();
        assert_eq!(ok.location.country, "US");
        assert_eq!(ok.company_name, None);
        for bad in [
            "javascript:alert(1)",
            "https://",
            "acme.example",
            "https://a b.com",
        ] {
            let err = parse(
                json!({"display_name": "Acme", "location": {"country": "US"},
                "website": bad}),
            )
            .check()
            .unwrap_err();
            assert_eq!(fields(err), ["website"], "{bad}");
        }
    }

    #[test]
    fn searches_are_parsed_and_matched() {
        let search =
            FreelancerSearch::parse(" rust,AWS,rust ", Some("20"), Some("90.5"), Some("us"))
                .unwrap();
        assert_eq!(search.skills, ["rust", "aws"]);
        assert_eq!(
            (search.rate_min_cents, search.rate_max_cents),
            (Some(2000), Some(9050))
        );
        assert_eq!(search.country.as_deref(), Some("US"));
        let card = |rate: &str, country: &str, skills: &[&str]| FreelancerCard {
            id: UserId::generate(now()),
            display_name: "A".into(),
            title: "T".into(),
            location: Location {
                country: country.into(),
                city: None,
            },
            skills: skills.iter().map(|s| s.to_string()).collect(),
            hourly_rate: Money::usd(rate).unwrap(),
            availability: Availability::AsNeeded,
            photo_file_id: None,
        };
        assert!(search.matches(&card("20.00", "US", &["aws", "rust", "go"])));
        assert!(search.matches(&card("90.50", "US", &["aws", "rust"])));
        assert!(!search.matches(&card("90.51", "US", &["aws", "rust"])));
        assert!(!search.matches(&card("50.00", "DE", &["aws", "rust"])));
        assert!(!search.matches(&card("50.00", "US", &["rust"])));
        let other = FreelancerSearch::parse("rust,aws", Some("20"), Some("90.5"), None).unwrap();
        assert_ne!(search.scope(), other.scope());
        let err =
            FreelancerSearch::parse("rust,cobol", Some("abc"), Some("-1"), Some("XX")).unwrap_err();
        assert_eq!(fields(err), ["skills", "rate_min", "rate_max", "location"]);
        let err = FreelancerSearch::parse("rust", Some("50"), Some("40"), None).unwrap_err();
        assert_eq!(fields(err), ["rate_max"]);
    }

    fn matches(pattern: &str, candidate: &str) -> bool {
        regex::Regex::new(pattern).unwrap().is_match(candidate)
    }

    #[test]
    fn the_month_pattern_is_what_year_month_accepts_before_looking_at_today() {
        let end_of_time: DateTime<Utc> = "9999-12-31T23:59:59Z".parse().unwrap();
        let mut candidates = vec![
            "2020-1".to_string(),
            "2020-011".into(),
            "".into(),
            "2020/01".into(),
            "२०२०-०१".into(),
            "2020-+1".into(),
            " 2020-1".into(),
        ];
        for year in [
            "1899", "1900", "1999", "2000", "2026", "9999", "0999", "+199", "19a0", "-999",
        ] {
            for month in ["00", "01", "09", "10", "12", "13", "+1", " 1", "1 ", "99"] {
                candidates.push(format!("{year}-{month}"));
            }
        }
        for candidate in candidates {
            let mut v = Violations::default();
            let accepted = year_month(&mut v, "from", &candidate, end_of_time).is_some();
            assert_eq!(
                matches(YEAR_MONTH_PATTERN, &candidate),
                accepted,
                "{candidate:?}"
            );
        }
        let mut v = Violations::default();
        assert_eq!(year_month(&mut v, "from", "2026-07", now()), None);
        assert_eq!(v.0[0].message, "must not be in the future");
    }

    #[test]
    fn the_website_pattern_is_what_the_client_check_accepts() {
        let long = format!("https://example.com/{}", "a".repeat(200 - 20));
        let too_long = format!("{long}a");
        for site in [
            "https://acme.example/about",
            "http://acme.example",
            " https://acme.example?q=1#top\n",
            "https://a.b",
            "https://a..b/x",
            "https://acme.example:8080/x",
            "https://acme-corp.example/%20",
            "https://acme.example/a b",
            "https://acme.example/a\u{a0}b",
            "https://acme.example/\u{e9}",
            "https://acme.example/a\u{0}",
            "https://acme.example/a\tb",
            "https://.acme",
            "https://acme.",
            "https://acme",
            "https://",
            "https://ac_me.example",
            "https://\u{e9}.example",
            "HTTPS://acme.example",
            "ftp://acme.example",
            "javascript:alert(1)",
            "acme.example",
            "",
            "   ",
            "\u{b}",
            long.as_str(),
            too_long.as_str(),
        ] {
            let input: ClientProfileInput = serde_json::from_value(json!({
                "display_name": "Acme", "location": {"country": "US"}, "website": site
            }))
            .unwrap();
            let accepted = input.check().is_ok();
            let schema_allows =
                matches(&website_pattern(), site) && site.chars().count() <= WEBSITE.max;
            assert_eq!(schema_allows, accepted, "{site:?}");
        }
    }

    #[test]
    fn the_schema_states_the_bounds_the_checks_apply() {
        let schema = serde_json::to_value(schemars::schema_for!(FreelancerProfileInput)).unwrap();
        let definition = |name: &str| &schema["$defs"][name]["properties"];
        let countries = definition("Location")["country"]["enum"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(countries.len(), COUNTRIES.split_ascii_whitespace().count());
        for code in countries {
            let code = code.as_str().unwrap();
            assert_eq!(parse_country(code).as_deref(), Ok(code));
        }
        let properties = &schema["properties"];
        assert_eq!(properties["languages"]["minItems"], json!(MIN_LANGUAGES));
        assert_eq!(
            properties["portfolio"]["maxItems"],
            json!(MAX_PORTFOLIO_ITEMS)
        );
        assert_eq!(
            definition("PortfolioItem")["file_ids"]["maxItems"],
            json!(MAX_FILES_PER_PORTFOLIO_ITEM)
        );
        assert_eq!(
            definition("Education")["to_year"]["minimum"],
            json!(FIRST_YEAR)
        );
        assert_eq!(
            properties["hourly_rate"]["properties"]["amount"]["pattern"],
            json!(HOURLY_RATE.pattern())
        );
        // One file twice in one item is refused whatever else the profile holds.
        let file = FileId::generate(now());
        let mut body = valid();
        body["portfolio"] = json!([{"title": "A", "file_ids": [file, file]}]);
        assert_eq!(
            fields(input(body).check(now()).unwrap_err()),
            ["portfolio[0].file_ids"]
        );
        assert_eq!(
            definition("PortfolioItem")["file_ids"]["uniqueItems"],
            json!(true)
        );
    }

    #[test]
    fn blank_optional_texts_are_absent_and_long_ones_refused() {
        let parse = |v: serde_json::Value| serde_json::from_value::<ClientProfileInput>(v).unwrap();
        let blank = parse(
            json!({"display_name": "Acme", "location": {"country": "US"},
            "company_name": " \t ", "description": "", "website": "  "}),
        )
        .check()
        .unwrap();
        assert_eq!(
            (blank.company_name, blank.description, blank.website),
            (None, None, None)
        );
        let long = parse(
            json!({"display_name": "Acme", "location": {"country": "US"},
            "company_name": "x".repeat(COMPANY_NAME.max + 1)}),
        )
        .check()
        .unwrap_err();
        assert_eq!(
            long.0
                .iter()
                .map(|v| v.message.as_str())
                .collect::<Vec<_>>(),
            ["must be at most 100 characters"]
        );
    }

    #[test]
    fn countries_and_hire_rates() {
        assert!(is_country("US") && is_country("ZW") && is_country("AD"));
        assert!(!is_country("us") && !is_country("UK") && !is_country("USA"));
        assert_eq!(COUNTRIES.split_ascii_whitespace().count(), 249);
        assert_eq!(hire_rate(0, 0), None);
        assert_eq!(hire_rate(3, 1), Some(0.33));
        assert_eq!(hire_rate(2, 5), Some(1.0));
    }
}
