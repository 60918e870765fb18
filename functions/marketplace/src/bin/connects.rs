//! `connects` (HTTP API): A freelancer's Connects balance and history, and buying Connects.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_http(worklane_marketplace::CONNECTS).await
}
