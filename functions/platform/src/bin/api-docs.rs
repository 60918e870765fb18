//! `api-docs` (HTTP API): Serves the OpenAPI 3.1 document (no data access).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_http(worklane_platform::API_DOCS).await
}
