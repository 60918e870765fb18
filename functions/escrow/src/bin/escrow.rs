//! `escrow` (HTTP API): Fixed-price escrow - fund, submit, request changes, approve (release), refund, bonus.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_http(worklane_escrow::ESCROW).await
}
