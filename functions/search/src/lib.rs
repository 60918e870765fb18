//! Find work: the tantivy job index, its S3 snapshots, search, saved searches and alerts.
//!
//! Functions of this area (each a binary in `src/bin/`, a Lambda in `infra/template.yaml`):
//! - `job-search` (HTTP API): Find work (keyword and filter search over the published index snapshot), saved jobs and searches, recommendations.
//! - `search-indexer` (SQS queue): Indexes job events into the search index, publishes snapshots to S3, raises saved-search alerts.

pub mod handlers;
pub mod search;
pub mod workers;

use worklane::lambda::{Function, HttpFunction, QueueFunction};

/// `job-search`: Find work (keyword and filter search over the published index snapshot), saved jobs and searches, recommendations.
pub const JOB_SEARCH: HttpFunction = HttpFunction {
    name: "job-search",
    routes: handlers::search::routes,
};

/// `search-indexer`: Indexes job events into the search index, publishes snapshots to S3, raises saved-search alerts.
pub const SEARCH_INDEXER: QueueFunction = QueueFunction {
    name: "search-indexer",
    handler: worklane::queue_handler!(workers::search_indexer::handle),
};

/// Every function of this area, for the local stack that serves them all in one process.
pub fn functions() -> Vec<Function> {
    vec![Function::Http(JOB_SEARCH), Function::Queue(SEARCH_INDEXER)]
}
