//! `wallet` (HTTP API): Wallet, transaction history and the admin ledger audit.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_http(worklane_escrow::WALLET).await
}
