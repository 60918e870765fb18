//! `plans` (HTTP API): A freelancer's membership plan (subscribe to Plus, cancel at the period's end, history).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_http(worklane_marketplace::PLANS).await
}
