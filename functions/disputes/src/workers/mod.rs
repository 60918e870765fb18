//! Queue, stream and schedule handlers.

pub mod card_refunds;
pub mod disputes;
pub mod identity;
pub mod withdrawals;
