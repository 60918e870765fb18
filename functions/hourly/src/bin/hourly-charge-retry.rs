//! `hourly-charge-retry` (EventBridge schedule): Charges again the hourly invoices whose charge failed, once their next attempt is due.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_schedule(worklane_hourly::HOURLY_CHARGE_RETRY).await
}
