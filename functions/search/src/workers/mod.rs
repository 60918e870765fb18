//! Queue, stream and schedule handlers.

pub mod search_indexer;
