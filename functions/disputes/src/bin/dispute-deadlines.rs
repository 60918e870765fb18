//! `dispute-deadlines` (EventBridge schedule): Settles disputes nobody answered by their deadline for the side that opened them (reads the sparse due index).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_schedule(worklane_disputes::DISPUTE_DEADLINES).await
}
