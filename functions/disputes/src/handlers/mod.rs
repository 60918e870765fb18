//! HTTP handlers: request → domain rule → one store transaction → response.

pub mod content_reports;
pub mod disputes;
pub mod identity;
pub mod moderation;
pub mod reports;
pub mod withdrawals;

/// The `moderation` function's routes: content reports and the decisions on them, account
/// suspension and reinstatement, and the audit trail they all write.
pub fn moderation_routes() -> Vec<worklane::http::router::Route> {
    [content_reports::routes(), moderation::routes()].concat()
}
