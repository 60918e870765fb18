//! HTTP handlers: request → domain rule → one store transaction → response.

pub mod time_tracking;
