//! Errors as `application/problem+json` (RFC 9457) with a stable machine `code`.
//! Every error knows its status here and nowhere else.

use super::request::ApiResponse;
use crate::store::StoreError;
use http::StatusCode;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("{0}")]
    InvalidBody(String),
    /// A body that is JSON but not of the request's shape at a known place (a wrong type, a
    /// `null` where a value is required): `invalid_body`, naming the field.
    #[error("{detail}")]
    InvalidField {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("the request failed validation")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    BadRequest(String),
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("send the body as application/json")]
    UnsupportedMediaType,
    #[error("{0}")]
    InvalidToken(&'static str),
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("confirm your email address first")]
    EmailUnconfirmed,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("no route for {method} {path}")]
    NoRoute { method: String, path: String },
    #[error("{method} is not allowed here")]
    MethodNotAllowed {
        method: String,
        allowed: Vec<String>,
    },
    #[error("{0}")]
    Conflict(&'static str),
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("a request with this Idempotency-Key is still being processed")]
    IdempotencyInProgress,
    #[error("this Idempotency-Key was used with a different request")]
    IdempotencyMismatch,
    #[error("too many attempts; try again later")]
    TooManyAttempts { retry_after_secs: i64 },
    /// A rate limit (domain::rate_limit) refused the request; `what` names the action.
    #[error("too many {what}; try again in {retry_after_secs} s")]
    RateLimited {
        what: &'static str,
        retry_after_secs: i64,
    },
    /// A business rule refused the request; `code` is stable and documented for apps.
    #[error("{detail}")]
    Rule {
        status: StatusCode,
        code: &'static str,
        detail: String,
    },
    /// As `Rule`, about named fields of the request (e.g. files it refers to).
    #[error("{detail}")]
    FieldRule {
        status: StatusCode,
        code: &'static str,
        detail: &'static str,
        errors: Vec<FieldError>,
    },
    #[error("the service is busy; retry the request")]
    Unavailable,
    #[error("internal error")]
    Internal(String),
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    code: &'a str,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        use ApiError::*;
        match self {
            MalformedJson(_) | BadRequest(_) => StatusCode::BAD_REQUEST,
            InvalidBody(_) | InvalidField { .. } | Validation(_) | IdempotencyMismatch => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Forbidden(_) | EmailUnconfirmed => StatusCode::FORBIDDEN,
            // A confirmation token names a pending confirmation; an unknown, used or expired
            // one names nothing, and which of the three is not told.
            NotFound(_) | NoRoute { .. } | InvalidToken(_) => StatusCode::NOT_FOUND,
            MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Conflict(_) | EmailTaken | IdempotencyInProgress => StatusCode::CONFLICT,
            TooManyAttempts { .. } | RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Rule { status, .. } | FieldRule { status, .. } => *status,
            Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable, documented codes that apps branch on; titles and details may change.
    pub fn code(&self) -> &'static str {
        use ApiError::*;
        match self {
            MalformedJson(_) => "malformed_json",
            InvalidBody(_) | InvalidField { .. } => "invalid_body",
            Validation(_) => "validation_failed",
            BadRequest(_) => "bad_request",
            PayloadTooLarge { .. } => "payload_too_large",
            UnsupportedMediaType => "unsupported_media_type",
            InvalidToken(_) => "invalid_token",
            Unauthenticated(_) => "unauthenticated",
            Forbidden(_) => "forbidden",
            EmailUnconfirmed => "email_unconfirmed",
            NotFound(_) => "not_found",
            NoRoute { .. } => "no_route",
            MethodNotAllowed { .. } => "method_not_allowed",
            Conflict(_) => "conflict",
            EmailTaken => "email_taken",
            IdempotencyInProgress => "idempotency_in_progress",
            IdempotencyMismatch => "idempotency_key_reused",
            TooManyAttempts { .. } => "too_many_attempts",
            RateLimited { .. } => "rate_limited",
            Rule { code, .. } | FieldRule { code, .. } => code,
            Unavailable => "unavailable",
            Internal(_) => "internal",
        }
    }

    /// 409: the request is well formed but the current state refuses it.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::Rule {
            status: StatusCode::CONFLICT,
            code,
            detail: detail.into(),
        }
    }

    /// 404 for a well-formed id in the body that names nothing the caller can see.
    pub fn missing_reference(
        code: &'static str,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ApiError::FieldRule {
            status: StatusCode::NOT_FOUND,
            code,
            detail: "the request names something that does not exist",
            errors: vec![FieldError {
                field: field.into(),
                message: message.into(),
            }],
        }
    }

    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    pub fn to_response(&self, request_id: Option<&str>) -> ApiResponse {
        let status = self.status();
        if let ApiError::Internal(cause) = self {
            // The cause stays in the logs; the caller only learns that it was our fault.
            tracing::error!(%cause, "internal error");
        }
        let title = status.canonical_reason().unwrap_or("Error");
        let problem = Problem {
            kind: format!("https://worklane.dev/problems/{}", self.code()),
            title,
            status: status.as_u16(),
            code: self.code(),
            detail: self.to_string(),
            instance: request_id,
            errors: match self {
                ApiError::Validation(errors)
                | ApiError::FieldRule { errors, .. }
                | ApiError::InvalidField { errors, .. } => Some(errors),
                _ => None,
            },
        };
        let body = serde_json::to_vec(&problem).expect("problem serializes");
        let mut response = ApiResponse::new(status, body, "application/problem+json");
        match self {
            ApiError::TooManyAttempts { retry_after_secs }
            | ApiError::RateLimited {
                retry_after_secs, ..
            } => {
                response.set_header("retry-after", retry_after_secs.to_string());
            }
            ApiError::MethodNotAllowed { allowed, .. } => {
                response.set_header("allow", allowed.join(", "));
            }
            ApiError::Unauthenticated(_) => {
                response.set_header("www-authenticate", "Bearer".to_string());
            }
            _ => {}
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Throttled | StoreError::TransactionConflict => ApiError::Unavailable,
            // A request that failed in flight (timeout, connection reset) may or may not have
            // been applied; the caller retries with its Idempotency-Key. Logged for operators.
            StoreError::Unavailable(cause) => {
                tracing::warn!(%cause, "DynamoDB request failed");
                ApiError::Unavailable
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<crate::domain::account::AccountRuleViolation> for ApiError {
    fn from(violation: crate::domain::account::AccountRuleViolation) -> Self {
        use crate::domain::account::AccountRuleViolation::*;
        let field = match violation {
            InvalidEmail => "email",
            PasswordLength | PasswordContainsEmail => "password",
            InvalidName => "name",
            NoRoles | ForbiddenRole => "roles",
        };
        ApiError::validation(field, violation.to_string())
    }
}

impl From<crate::domain::Violations> for ApiError {
    fn from(violations: crate::domain::Violations) -> Self {
        ApiError::Validation(
            violations
                .0
                .into_iter()
                .map(|v| FieldError {
                    field: v.field,
                    message: v.message,
                })
                .collect(),
        )
    }
}

impl From<crate::domain::money::MoneyError> for ApiError {
    fn from(err: crate::domain::money::MoneyError) -> Self {
        ApiError::validation("amount", err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_carry_status_code_and_content_type() {
        let response = ApiError::validation("email", "bad").to_response(Some("req-1"));
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            response.header("content-type"),
            Some("application/problem+json")
        );
        let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(body["code"], "validation_failed");
        assert_eq!(body["status"], 422);
        assert_eq!(body["errors"][0]["field"], "email");
        assert_eq!(body["instance"], "req-1");
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let response = ApiError::Internal("secret table name".into()).to_response(None);
        let body = String::from_utf8(response.body.to_vec()).unwrap();
        assert!(!body.contains("secret"));
    }
}
