//! HTTP handlers: request → domain rule → one store transaction → response.

pub mod auth;
pub mod files;
pub mod me;
pub mod payments;
