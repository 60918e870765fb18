//! `withdrawals-processing` (SQS queue): Sends money out through the payment processor: pays out each requested withdrawal and refunds each dispute's refund to the card that paid (idempotent per withdrawal and per dispute), or returns the money to the balance.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_queue(worklane_disputes::WITHDRAWALS_PROCESSING).await
}
