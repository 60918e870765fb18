//! `identity-retention` (EventBridge schedule): Deletes identity documents (objects and file records) 90 days after the decision on them (reads the sparse due index).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_schedule(worklane_disputes::IDENTITY_RETENTION).await
}
