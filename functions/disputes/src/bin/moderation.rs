//! `moderation` (HTTP API): Trust and safety - content reports (users report jobs, profiles, messages and proposals; admins dismiss, remove, warn or suspend), account suspension and reinstatement, and the append-only audit trail of admin actions.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_http(worklane_disputes::MODERATION).await
}
