//! `job-search` (HTTP API): Find work (keyword and filter search over the published index snapshot), saved jobs and searches, recommendations.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_http(worklane_search::JOB_SEARCH).await
}
