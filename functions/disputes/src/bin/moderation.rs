//! `moderation` (HTTP API): Content reports and moderation - users report jobs, profiles, messages and proposals; admins work the queue and dismiss, remove, warn or suspend.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_http(worklane_disputes::MODERATION).await
}
