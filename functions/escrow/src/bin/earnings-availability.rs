//! `earnings-availability` (EventBridge schedule): Makes released earnings available after the 5-day security period.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_schedule(worklane_escrow::EARNINGS_AVAILABILITY).await
}
