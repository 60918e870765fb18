//! HTTP handlers: request → domain rule → one store transaction → response.

pub mod feedback;
pub mod inbox;
pub mod messages;
