//! Queue, stream and schedule handlers.

pub mod hourly;
