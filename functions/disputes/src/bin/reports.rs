//! `reports` (HTTP API): Earnings, work in progress, billings by client, transactions and timesheets reports (JSON or CSV).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_http(worklane_disputes::REPORTS).await
}
