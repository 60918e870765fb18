//! The API edge: one request/response shape for Lambda, the local server and tests alike,
//! one error → HTTP mapping, auth, validation, idempotency and pagination cursors.

pub mod auth;
pub mod cursor;
mod domain_errors;
pub use domain_errors::{account_suspended, INVALID_REFRESH};
pub mod error;
pub mod handler;
pub mod idempotency;
pub mod openapi;
pub mod query;
pub mod request;
pub mod router;

pub use error::{ApiError, FieldError};
pub use request::{ApiRequest, ApiResponse};
pub use router::{Route, RouteMatch};
