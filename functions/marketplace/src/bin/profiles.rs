//! `profiles` (HTTP API): Freelancer and client profiles, hiring history, and finding freelancers.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_http(worklane_marketplace::PROFILES).await
}
