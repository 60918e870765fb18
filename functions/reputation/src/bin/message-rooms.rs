//! `message-rooms` (SQS queue): Opens a message room (and its two memberships) for every proposal and contract.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_queue(worklane_reputation::MESSAGE_ROOMS).await
}
