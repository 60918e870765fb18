//! `marketplace-events` (SQS queue): Reacts to marketplace events (refunds applicants' Connects when a job is cancelled before a hire).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_queue(worklane_marketplace::MARKETPLACE_EVENTS).await
}
