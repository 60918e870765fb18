//! `hourly-review-release` (EventBridge schedule): Pays the freelancer for hourly weeks whose review ended undisputed (reads the sparse due index).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_schedule(worklane_hourly::HOURLY_REVIEW_RELEASE).await
}
