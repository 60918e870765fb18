//! `event-forwarder` (DynamoDB stream): Forwards outbox items from the table stream to the domain event bus.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_stream(worklane_platform::EVENT_FORWARDER).await
}
