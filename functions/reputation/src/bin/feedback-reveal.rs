//! `feedback-reveal` (EventBridge schedule): Reveals feedback whose 14-day window closed without the other side's (reads the sparse due index).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_schedule(worklane_reputation::FEEDBACK_REVEAL).await
}
