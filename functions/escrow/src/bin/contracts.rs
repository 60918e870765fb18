//! `contracts` (HTTP API): Offers and contracts - send, accept (starts the contract), decline, withdraw; pause, resume, end; amendments and unfunded milestone edits.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_http(worklane_escrow::CONTRACTS).await
}
