//! HTTP handlers: request → domain rule → one store transaction → response.

pub mod connects;
pub mod jobs;
pub mod plans;
pub mod profiles;
pub mod proposals;
