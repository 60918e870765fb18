//! Queue, stream and schedule handlers.

pub mod disputes;
pub mod identity;
pub mod withdrawals;
