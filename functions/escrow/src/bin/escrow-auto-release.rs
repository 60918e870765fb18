//! `escrow-auto-release` (EventBridge schedule): Releases submitted milestones whose 14-day review is over (reads the sparse due index).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_schedule(worklane_escrow::ESCROW_AUTO_RELEASE).await
}
