//! `time-tracking` (HTTP API): Hourly time - logging 10-minute segments, the work diary, deleting segments, weekly timesheets.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_http(worklane_hourly::TIME_TRACKING).await
}
