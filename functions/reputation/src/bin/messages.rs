//! `messages` (HTTP API): Message rooms - the caller's rooms, posting and reading messages with attachments, read receipts.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_http(worklane_reputation::MESSAGES).await
}
