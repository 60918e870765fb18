//! `withdrawals` (HTTP API): Withdrawals - a verified freelancer sets available money aside for a payout; lists and reads them.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_http(worklane_disputes::WITHDRAWALS).await
}
