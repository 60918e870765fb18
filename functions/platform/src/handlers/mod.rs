//! HTTP handlers: request → domain rule → one store transaction → response.

pub mod docs;
