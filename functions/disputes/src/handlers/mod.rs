//! HTTP handlers: request → domain rule → one store transaction → response.

pub mod disputes;
pub mod identity;
pub mod moderation;
pub mod reports;
pub mod withdrawals;
