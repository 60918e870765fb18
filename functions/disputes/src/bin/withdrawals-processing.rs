//! `withdrawals-processing` (SQS queue): Pays out each requested withdrawal through the payment processor (idempotent per withdrawal), or returns the money to available.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_queue(worklane_disputes::WITHDRAWALS_PROCESSING).await
}
