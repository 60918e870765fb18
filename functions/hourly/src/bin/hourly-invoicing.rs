//! `hourly-invoicing` (SQS queue): Turns each closed contract-week into exactly one invoice and charges the client's billing method.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_queue(worklane_hourly::HOURLY_INVOICING).await
}
