//! `identity` (HTTP API): Identity verification - users submit ID documents, admins review them (presigned downloads) and approve or reject.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_http(worklane_disputes::IDENTITY).await
}
