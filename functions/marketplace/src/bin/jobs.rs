//! `jobs` (HTTP API): Post, read, edit and close jobs.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_http(worklane_marketplace::JOBS).await
}
