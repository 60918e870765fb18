//! Queue, stream and schedule handlers.

pub mod connects_grant;
pub mod marketplace;
pub mod plan_renewals;
pub mod standing;
