//! `notifications` (SQS queue): Sends e-mail notifications for domain events.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_queue(worklane_reputation::NOTIFICATIONS).await
}
