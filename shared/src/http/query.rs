//! Query parameters: each one a route reads is declared once, as a `QueryParam`, and both the
//! OpenAPI document (its parameter schema) and the handler (its parsing) use that declaration,
//! so the document lists exactly what the handler accepts.

use super::error::ApiError;
use super::request::ApiRequest;
use crate::domain::rules::AmountRule;
use serde_json::{json, Value};

#[derive(Clone, Copy, Debug)]
pub struct QueryParam {
    pub name: &'static str,
    pub kind: QueryKind,
    pub required: bool,
    pub description: &'static str,
}

#[derive(Clone, Copy, Debug)]
pub enum QueryKind {
    /// Free text up to this many characters.
    Text { max: usize },
    /// A whole number in `min..=max`; `default` when absent.
    Integer { min: i64, max: i64, default: i64 },
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// One of these values.
    OneOf(&'static [&'static str]),
    /// Comma-separated values from this list, each once, at most `max` of them.
    ListOf {
        values: &'static [&'static str],
        max: usize,
    },
    /// A money amount under this rule (currency implied by the list).
    Amount(AmountRule),
    /// An ISO 3166-1 alpha-2 country code, uppercase.
    Country,
    /// A job category's slug from the catalogue.
    Category,
    /// A typed id: `pattern` as the schema states it, `parses` the id type's own parser.
    Id {
        pattern: &'static str,
        parses: fn(&str) -> bool,
    },
    /// An opaque cursor from a previous page's `next_cursor`.
    Cursor,
}

/// Every list's `cursor`.
pub const CURSOR: QueryParam = QueryParam {
    name: "cursor",
    kind: QueryKind::Cursor,
    required: false,
    description: "The `next_cursor` of the previous page; absent or empty for the first page",
};

impl QueryParam {
    pub const fn optional(name: &'static str, kind: QueryKind, description: &'static str) -> Self {
        Self {
            name,
            kind,
            required: false,
            description,
        }
    }

    pub const fn required(name: &'static str, kind: QueryKind, description: &'static str) -> Self {
        Self {
            name,
            kind,
            required: true,
            description,
        }
    }

    /// A page size: `limit`, from 1 to `max`, `default` when absent.
    pub const fn limit(default: i64, max: i64) -> Self {
        Self::optional(
            "limit",
            QueryKind::Integer {
                min: 1,
                max,
                default,
            },
            "Items per page",
        )
    }

    /// The OpenAPI parameter object.
    pub fn parameter(&self) -> Value {
        let schema = match self.kind {
            QueryKind::Text { max } => json!({"type": "string", "maxLength": max}),
            QueryKind::Integer { min, max, default } => {
                json!({"type": "integer", "minimum": min, "maximum": max, "default": default})
            }
            QueryKind::Date => json!({"type": "string", "format": "date",
                                      "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}),
            QueryKind::OneOf(values) => json!({"type": "string", "enum": values}),
            QueryKind::ListOf { values, max } => {
                let one = values
                    .iter()
                    .map(|v| regex_escape(v))
                    .collect::<Vec<_>>()
                    .join("|");
                json!({"type": "string",
                       "pattern": format!("^({one})(,({one})){{0,{}}}$", max.saturating_sub(1)),
                       "description": format!("Comma-separated, at most {max}")})
            }
            QueryKind::Amount(rule) => json!({"type": "string", "pattern": rule.pattern()}),
            QueryKind::Country => {
                let codes: Vec<&str> = crate::domain::profile::COUNTRIES
                    .split_ascii_whitespace()
                    .collect();
                json!({"type": "string", "enum": codes})
            }
            QueryKind::Category => {
                let slugs: Vec<&str> = crate::domain::catalogue::CATEGORIES
                    .iter()
                    .map(|(slug, _)| *slug)
                    .collect();
                json!({"type": "string", "enum": slugs})
            }
            QueryKind::Id { pattern, .. } => json!({"type": "string", "pattern": pattern}),
            QueryKind::Cursor => json!({"type": "string"}),
        };
        json!({"name": self.name, "in": "query", "required": self.required,
               "description": self.description, "schema": schema})
    }

    /// The raw value, checked against the declaration; `None` when absent. An empty text or
    /// cursor is absent too (the schema allows the empty string), but an empty number, date
    /// or choice is not one the schema allows: `?limit=` is a 422 like `?limit=x`. A missing
    /// required parameter or a value of the wrong shape is a 422.
    pub fn read<'r>(&self, req: &'r ApiRequest) -> Result<Option<&'r str>, ApiError> {
        let empty_is_absent = matches!(self.kind, QueryKind::Text { .. } | QueryKind::Cursor);
        let value = req
            .query_param(self.name)
            .filter(|v| !v.is_empty() || !empty_is_absent);
        let Some(value) = value else {
            if self.required {
                return Err(ApiError::validation(
                    self.name,
                    format!("required: {}", self.description),
                ));
            }
            return Ok(None);
        };
        let wrong = |message: String| Err(ApiError::validation(self.name, message));
        match self.kind {
            QueryKind::Text { max } if value.chars().count() > max => {
                wrong(format!("at most {max} characters"))
            }
            QueryKind::Integer { min, max, .. } => match value.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(Some(value)),
                _ => wrong(format!("a whole number from {min} to {max}")),
            },
            QueryKind::Date => match chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d") {
                Ok(_) if value.len() == 10 => Ok(Some(value)),
                _ => wrong("a date, YYYY-MM-DD".into()),
            },
            QueryKind::OneOf(values) if !values.contains(&value) => {
                wrong(format!("one of {}", values.join(", ")))
            }
            QueryKind::ListOf { values, max } => {
                let items: Vec<&str> = value.split(',').collect();
                if items.len() > max || items.iter().any(|item| !values.contains(item)) {
                    return wrong(format!(
                        "up to {max} comma-separated values of the catalogue"
                    ));
                }
                Ok(Some(value))
            }
            QueryKind::Amount(rule) => {
                let mut violations = crate::domain::Violations::default();
                rule.check_str(
                    &mut violations,
                    self.name,
                    value,
                    crate::domain::money::Currency::USD,
                );
                match violations.0.first() {
                    Some(violation) => wrong(violation.message.clone()),
                    None => Ok(Some(value)),
                }
            }
            QueryKind::Country if !crate::domain::profile::is_country(value) => {
                wrong("an ISO 3166-1 alpha-2 country code, uppercase (e.g. US, DE)".into())
            }
            QueryKind::Category if !crate::domain::catalogue::is_category(value) => {
                wrong("a category slug from GET /v1/catalogue".into())
            }
            QueryKind::Id { pattern, parses } if !parses(value) => {
                wrong(format!("an id matching {pattern}"))
            }
            _ => Ok(Some(value)),
        }
    }

    /// Every parameter of `params` read at once, so a request with several bad parameters
    /// learns of all of them in one answer.
    pub fn read_all<'r, const N: usize>(
        params: &[QueryParam; N],
        req: &'r ApiRequest,
    ) -> Result<[Option<&'r str>; N], ApiError> {
        let mut values = [None; N];
        let mut errors = Vec::new();
        for (value, param) in values.iter_mut().zip(params) {
            match param.read(req) {
                Ok(read) => *value = read,
                Err(ApiError::Validation(found)) => errors.extend(found),
                Err(other) => return Err(other),
            }
        }
        if errors.is_empty() {
            Ok(values)
        } else {
            Err(ApiError::Validation(errors))
        }
    }

    /// An integer parameter's value, or its default.
    pub fn integer(&self, req: &ApiRequest) -> Result<i64, ApiError> {
        let default = match self.kind {
            QueryKind::Integer { default, .. } => default,
            _ => unreachable!("integer() is called on integer parameters"),
        };
        Ok(self
            .read(req)?
            .map_or(default, |raw| raw.parse().unwrap_or(default)))
    }

    /// A date parameter's value.
    pub fn date(&self, req: &ApiRequest) -> Result<Option<chrono::NaiveDate>, ApiError> {
        Ok(self
            .read(req)?
            .and_then(|raw| chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()))
    }

    /// A page size (`QueryParam::limit`) as DynamoDB's `Limit` takes it.
    pub fn page_size(&self, req: &ApiRequest) -> Result<i32, ApiError> {
        Ok(self.integer(req)? as i32)
    }
}

fn regex_escape(literal: &str) -> String {
    literal
        .chars()
        .flat_map(|c| match c {
            '.' | '+' | '*' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' | '^' | '$' | '\\' => {
                vec!['\\', c]
            }
            _ => vec![c],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use http::Method;

    fn request(query: &str) -> ApiRequest {
        ApiRequest::new(Method::GET, &format!("/x?{query}"), Utc::now())
    }

    #[test]
    fn declarations_parse_what_their_schemas_state() {
        const SKILLS: QueryParam = QueryParam::required(
            "skills",
            QueryKind::ListOf {
                values: &["rust", "go", "c-plus-plus"],
                max: 2,
            },
            "skills",
        );
        let pattern =
            regex::Regex::new(SKILLS.parameter()["schema"]["pattern"].as_str().unwrap()).unwrap();
        for (value, ok) in [
            ("rust", true),
            ("rust,go", true),
            ("rust,go,c-plus-plus", false),
            ("cobol", false),
            ("rust,", false),
            ("c-plus-plus", true),
        ] {
            assert_eq!(pattern.is_match(value), ok, "{value}");
            assert_eq!(
                SKILLS.read(&request(&format!("skills={value}"))).is_ok(),
                ok,
                "{value}"
            );
        }
        assert!(SKILLS.read(&request("")).is_err(), "required");
        let limit = QueryParam::limit(20, 100);
        assert_eq!(limit.page_size(&request("")).unwrap(), 20);
        assert_eq!(limit.page_size(&request("limit=7")).unwrap(), 7);
        assert!(limit.page_size(&request("limit=0")).is_err());
        assert!(limit.page_size(&request("limit=101")).is_err());
        // An empty number is not the integer the schema states; an empty cursor or text is
        // the empty string the schema allows, read as absent.
        assert!(limit.page_size(&request("limit=")).is_err());
        assert_eq!(CURSOR.read(&request("cursor=")).unwrap(), None);
        let text = QueryParam::optional("q", QueryKind::Text { max: 5 }, "q");
        assert_eq!(text.read(&request("q=")).unwrap(), None);
        assert!(SKILLS.read(&request("skills=")).is_err(), "empty choice");
    }
}
