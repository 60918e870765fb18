//! `proposals` (HTTP API): Proposals (spending Connects, boost auction) and invitations.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_http(worklane_marketplace::PROPOSALS).await
}
