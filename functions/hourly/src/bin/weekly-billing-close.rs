//! `weekly-billing-close` (EventBridge schedule): Monday 12:00 UTC - closes the hourly week, one billing-queue message per contract-week with time logged.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_schedule(worklane_hourly::WEEKLY_BILLING_CLOSE).await
}
