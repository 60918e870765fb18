//! HTTP handlers: request → domain rule → one store transaction → response.

pub mod contracts;
pub mod escrow;
pub mod wallet;
