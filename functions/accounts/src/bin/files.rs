//! `files` (HTTP API): File uploads and downloads with presigned S3 URLs; file records and access.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_http(worklane_accounts::FILES).await
}
