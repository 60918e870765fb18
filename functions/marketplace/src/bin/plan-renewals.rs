//! `plan-renewals` (EventBridge schedule): Renews Plus at the month edge (charged once per month), retries refused renewals, then downgrades to Basic.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_schedule(worklane_marketplace::PLAN_RENEWALS).await
}
