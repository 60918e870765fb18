//! `feedback` (HTTP API): Leave feedback on an ended contract (double blind) and read feedback with the Job Success Score.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_http(worklane_reputation::FEEDBACK).await
}
