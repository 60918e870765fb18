//! `inbox` (HTTP API): The caller's notifications (newest first, unread count) and marking them read.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_http(worklane_reputation::INBOX).await
}
