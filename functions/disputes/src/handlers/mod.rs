//! HTTP handlers: request → domain rule → one store transaction → response.

pub mod disputes;
pub mod content_reports;
pub mod identity;
pub mod reports;
pub mod withdrawals;
