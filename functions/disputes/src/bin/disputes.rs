//! `disputes` (HTTP API): Disputes - open on a milestone or a week in review (money frozen), answer, admin mediation with the evidence, and the settlement's ledger movement.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_http(worklane_disputes::DISPUTES).await
}
