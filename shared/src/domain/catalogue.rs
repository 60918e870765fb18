//! The fixed catalogues that jobs, profiles and searches share: categories and skills.
//! Free-text skills would split one skill into many spellings and make filters useless, so
//! every skill is a slug from this list (clients and freelancers pick, never type).

pub const CATEGORIES: &[(&str, &str)] = &[
    ("web-mobile-software-dev", "Web, Mobile & Software Dev"),
    ("it-networking", "IT & Networking"),
    ("data-science-analytics", "Data Science & Analytics"),
    ("design-creative", "Design & Creative"),
    ("writing", "Writing"),
    ("translation", "Translation"),
    ("sales-marketing", "Sales & Marketing"),
    ("admin-support", "Admin Support"),
    ("customer-service", "Customer Service"),
    ("engineering-architecture", "Engineering & Architecture"),
    ("accounting-consulting", "Accounting & Consulting"),
    ("legal", "Legal"),
];

pub const SKILLS: &[&str] = &[
    "rust",
    "go",
    "python",
    "java",
    "kotlin",
    "swift",
    "javascript",
    "typescript",
    "react",
    "vue",
    "angular",
    "node-js",
    "django",
    "ruby-on-rails",
    "php",
    "laravel",
    "wordpress",
    "shopify",
    "html-css",
    "c-sharp",
    "dot-net",
    "c-plus-plus",
    "ios",
    "android",
    "flutter",
    "react-native",
    "aws",
    "aws-lambda",
    "dynamodb",
    "postgresql",
    "mysql",
    "mongodb",
    "docker",
    "kubernetes",
    "terraform",
    "devops",
    "linux",
    "network-security",
    "machine-learning",
    "data-analysis",
    "data-visualization",
    "sql",
    "tableau",
    "excel",
    "graphic-design",
    "logo-design",
    "ui-design",
    "ux-design",
    "figma",
    "illustration",
    "video-editing",
    "animation",
    "photography",
    "copywriting",
    "content-writing",
    "technical-writing",
    "editing-proofreading",
    "translation-spanish",
    "translation-french",
    "translation-german",
    "seo",
    "social-media-marketing",
    "email-marketing",
    "lead-generation",
    "virtual-assistance",
    "data-entry",
    "customer-support",
    "bookkeeping",
    "accounting",
    "financial-modeling",
    "contract-law",
    "cad",
    "mechanical-engineering",
    "electrical-engineering",
];

pub fn is_category(slug: &str) -> bool {
    CATEGORIES.iter().any(|(s, _)| *s == slug)
}

pub fn is_skill(slug: &str) -> bool {
    SKILLS.contains(&slug)
}

/// Checks a skill list: known slugs, no duplicates, between `min` and `max` of them.
/// Returns the message for the caller's validation error.
pub fn check_skills(skills: &[String], min: usize, max: usize) -> Result<(), String> {
    if skills.len() < min || skills.len() > max {
        return Err(format!("give between {min} and {max} skills"));
    }
    if let Some(unknown) = skills.iter().find(|s| !is_skill(s)) {
        return Err(format!("{unknown:?} is not a skill in the catalogue"));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = skills.iter().find(|s| !seen.insert(s.as_str())) {
        return Err(format!("{dup:?} is listed twice"));
    }
    Ok(())
}

/// Everything a form needs to offer the values the API accepts (`GET /v1/catalogue`). Enum
/// lists are read from the same schemas the OpenAPI document publishes, so the two cannot
/// disagree; prices and fees are the ones in force at `now`.
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Catalogue {
    pub categories: Vec<CategoryEntry>,
    pub skills: Vec<&'static str>,
    pub experience_levels: Vec<serde_json::Value>,
    pub job_types: Vec<serde_json::Value>,
    pub durations: Vec<serde_json::Value>,
    pub visibilities: Vec<serde_json::Value>,
    pub file_purposes: Vec<serde_json::Value>,
    pub currencies: Vec<serde_json::Value>,
    /// ISO 3166-1 alpha-2 codes a profile's location may name.
    pub countries: Vec<&'static str>,
    pub connects: ConnectsPrices,
    pub fees: FeesInForce,
    /// The membership plans' prices and grants (docs/plans.md): the schedule in force first,
    /// then any announced one.
    pub plans: Vec<super::plan::PlanSchedule>,
}

#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct CategoryEntry {
    pub slug: &'static str,
    pub name: &'static str,
}

#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct ConnectsPrices {
    /// What one Connect costs.
    pub price: super::money::Money,
    pub min_purchase: u32,
    pub max_purchase: u32,
    /// Connects every freelancer receives each month.
    pub monthly_grant: u32,
    /// What applying to a job costs, by the job's budget (fixed) or top hourly rate.
    pub proposal_cost: Vec<ConnectsCostStep>,
    pub max_boost: u32,
}

/// Applying to a job whose budget (or top hourly rate) is at least `from` costs `connects`.
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct ConnectsCostStep {
    #[serde(rename = "type")]
    pub job_type: super::job::JobType,
    #[schemars(with = "String")]
    #[serde(with = "rust_decimal::serde::str")]
    pub from: rust_decimal::Decimal,
    pub connects: u32,
}

#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct FeesInForce {
    pub schedule_id: String,
    pub effective_from: chrono::DateTime<chrono::Utc>,
    /// The freelancer's service fee by lifetime billings with the same client: each band's
    /// rate applies to the billings up to `up_to` (the last band has none).
    pub service_fee_bands: Vec<FeeBand>,
    /// The marketplace fee a client pays on top of each funding or invoice.
    #[schemars(with = "String")]
    #[serde(with = "rust_decimal::serde::str")]
    pub client_fee_rate: rust_decimal::Decimal,
    /// What contesting a dispute costs (sending it to an admin): `rate` of the amount in
    /// dispute, at least `floor`, at most `cap`, never more than the amount itself. The
    /// schedule in force first, then any announced one; each dispute shows its own price.
    pub arbitration_fees: Vec<super::arbitration::ArbitrationFeeSchedule>,
}

#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct FeeBand {
    #[schemars(with = "Option<String>")]
    #[serde(with = "rust_decimal::serde::str_option")]
    pub up_to: Option<rust_decimal::Decimal>,
    #[schemars(with = "String")]
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: rust_decimal::Decimal,
}

/// The values of an enum type as its schema lists them (`enum`, or one `const` per variant).
pub fn enum_values<T: schemars::JsonSchema>() -> Vec<serde_json::Value> {
    let schema = schemars::SchemaGenerator::default().into_root_schema_for::<T>();
    if let Some(values) = schema.get("enum").and_then(|v| v.as_array()) {
        return values.clone();
    }
    schema
        .get("oneOf")
        .and_then(|v| v.as_array())
        .map(|variants| {
            variants
                .iter()
                .flat_map(|variant| {
                    variant
                        .get("const")
                        .cloned()
                        .map(|c| vec![c])
                        .or_else(|| variant.get("enum").and_then(|e| e.as_array()).cloned())
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default()
}

impl Catalogue {
    pub fn at(fees: &super::fees::FeeCatalogue, now: chrono::DateTime<chrono::Utc>) -> Self {
        use super::connects::{CONNECT_PRICE, MAX_PURCHASE, MIN_PURCHASE, MONTHLY_GRANT};
        use super::job::{JobTerms, JobType, RateRange, MAX_BOOST_CONNECTS};
        use super::money::{Currency, Money};
        use rust_decimal::Decimal;
        let schedule = fees.in_force(now);
        let usd = |amount: Decimal| Money {
            amount,
            currency: Currency::USD,
        };
        // The cost steps are read off `connects_cost` itself at each threshold it knows.
        let mut proposal_cost = Vec::new();
        for (job_type, steps) in [
            (JobType::Fixed, [0, 100, 500, 1000]),
            (JobType::Hourly, [0, 20, 40, 60]),
        ] {
            for from in steps.map(Decimal::from) {
                let terms = match job_type {
                    JobType::Fixed => JobTerms::Fixed { budget: usd(from) },
                    JobType::Hourly => JobTerms::Hourly {
                        hourly_rate: RateRange {
                            min: from,
                            max: from,
                            currency: Currency::USD,
                        },
                        hours_per_week: None,
                    },
                };
                proposal_cost.push(ConnectsCostStep {
                    job_type,
                    from,
                    connects: terms.connects_cost(),
                });
            }
        }
        let service_fee_bands = match &schedule.freelancer_fee {
            super::fees::FreelancerFee::Sliding(bands) => bands
                .iter()
                .map(|band| FeeBand {
                    up_to: band.up_to,
                    rate: band.rate,
                })
                .collect(),
            super::fees::FreelancerFee::Flat(rate) => vec![FeeBand {
                up_to: None,
                rate: *rate,
            }],
        };
        Catalogue {
            categories: CATEGORIES
                .iter()
                .map(|(slug, name)| CategoryEntry { slug, name })
                .collect(),
            skills: SKILLS.to_vec(),
            experience_levels: enum_values::<super::job::ExperienceLevel>(),
            job_types: enum_values::<JobType>(),
            durations: enum_values::<super::job::ProjectDuration>(),
            visibilities: enum_values::<super::job::Visibility>(),
            file_purposes: enum_values::<super::file::FilePurpose>(),
            currencies: enum_values::<Currency>(),
            countries: super::profile::COUNTRIES.split_ascii_whitespace().collect(),
            connects: ConnectsPrices {
                price: usd(CONNECT_PRICE),
                min_purchase: MIN_PURCHASE,
                max_purchase: MAX_PURCHASE,
                monthly_grant: MONTHLY_GRANT,
                proposal_cost,
                max_boost: MAX_BOOST_CONNECTS,
            },
            fees: FeesInForce {
                schedule_id: schedule.id.clone(),
                effective_from: schedule.effective_from,
                service_fee_bands,
                client_fee_rate: schedule.client_fee_rate,
                arbitration_fees: super::arbitration::ArbitrationCatalogue::standard().from(now),
            },
            plans: super::plan::PlanCatalogue::standard().from(now),
        }
    }
}

/// The schema of a category field: one of the catalogue's slugs.
pub fn category_schema(schema: &mut schemars::Schema) {
    let slugs: Vec<&str> = CATEGORIES.iter().map(|(slug, _)| *slug).collect();
    schema.insert("enum".into(), serde_json::json!(slugs));
}

/// How many skills a list holds, each a catalogue slug listed once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SkillsRule {
    pub min: usize,
    pub max: usize,
}

impl SkillsRule {
    pub const fn new(min: usize, max: usize) -> Self {
        Self { min, max }
    }

    pub fn check(&self, skills: &[String]) -> Result<(), String> {
        check_skills(skills, self.min, self.max)
    }

    pub fn schema(self) -> impl FnMut(&mut schemars::Schema) {
        move |schema: &mut schemars::Schema| {
            let items = serde_json::json!({"type": "string", "enum": SKILLS});
            schema.insert("items".into(), items);
            schema.insert("uniqueItems".into(), true.into());
            schema.insert("maxItems".into(), self.max.into());
            if self.min > 0 {
                schema.insert("minItems".into(), self.min.into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_entries_are_unique_slugs() {
        let mut all: Vec<&str> = SKILLS.to_vec();
        all.extend(CATEGORIES.iter().map(|(s, _)| *s));
        for slug in &all {
            assert!(slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
        }
        let unique: std::collections::HashSet<_> = SKILLS.iter().collect();
        assert_eq!(unique.len(), SKILLS.len());
    }

    #[test]
    fn the_catalogue_lists_every_value_of_each_enum() {
        let catalogue = Catalogue::at(
            &crate::domain::fees::FeeCatalogue::standard(),
            "2026-12-02T00:00:00Z".parse().unwrap(),
        );
        assert_eq!(
            catalogue.experience_levels,
            ["entry", "intermediate", "expert"]
        );
        assert_eq!(catalogue.durations.len(), 4);
        assert!(catalogue.countries.contains(&"DE"));
        let fixed: Vec<u32> = catalogue
            .connects
            .proposal_cost
            .iter()
            .filter(|step| step.job_type == crate::domain::job::JobType::Fixed)
            .map(|step| step.connects)
            .collect();
        assert_eq!(fixed, [2, 4, 6, 8]);
        assert_eq!(catalogue.fees.service_fee_bands.len(), 3);
        assert_eq!(catalogue.plans[0].plus.monthly_connects, 100);
    }

    #[test]
    fn skill_lists_are_checked() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(check_skills(&s(&["rust", "aws"]), 1, 15).is_ok());
        assert!(check_skills(&s(&["rust", "cobol"]), 1, 15).is_err());
        assert!(check_skills(&s(&["rust", "rust"]), 1, 15).is_err());
        assert!(check_skills(&s(&[]), 1, 15).is_err());
    }
}
