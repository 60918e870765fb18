//! `connects-monthly-grant` (EventBridge schedule): Grants every freelancer the monthly Connects allowance (idempotent per month).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_schedule(worklane_marketplace::CONNECTS_MONTHLY_GRANT).await
}
