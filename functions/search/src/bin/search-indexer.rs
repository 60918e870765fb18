//! `search-indexer` (SQS queue): Indexes job events into the search index, publishes snapshots to S3, raises saved-search alerts.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_queue(worklane_search::SEARCH_INDEXER).await
}
