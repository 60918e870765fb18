//! `payments` (HTTP API): Clients' billing methods and freelancers' payout methods, vaulted with the payment processor.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_http(worklane_accounts::PAYMENTS).await
}
