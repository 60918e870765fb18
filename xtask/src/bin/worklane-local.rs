//! `worklane-local`: the whole product on one machine. Starts DynamoDB Local and moto,
//! provisions the resources from infra/template.yaml, serves the API on
//! http://127.0.0.1:3000 (WORKLANE_PORT to change) and delivers events continuously.
//! WORKLANE_STACK names its table, bucket, bus and queues (default `worklane-local`, what the
//! README's cargo-lambda environment names): two local stacks on one shared DynamoDB Local
//! and moto (scripts/test) each take a name of their own. WORKLANE_DELIVERY=beside answers
//! without waiting for the events a request set in motion. WORKLANE_RATE_LIMIT_SCALE=N widens
//! every rate limit N times (the contract fuzzing sends thousands of requests from 127.0.0.1);
//! unset, the production limits apply.

use std::sync::Arc;
use worklane_devstack::server::Delivery;
use worklane_devstack::services::LocalServices;
use worklane_devstack::stack::Stack;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    worklane::telemetry::init_pretty();
    let port: u16 = std::env::var("WORKLANE_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let services = LocalServices::start().await?;
    let name = std::env::var("WORKLANE_STACK").unwrap_or_else(|_| "worklane-local".into());
    let stack = Arc::new(Stack::create(&services, &name).await?);
    let listener = worklane_devstack::server::bind(([127, 0, 0, 1], port).into()).await?;
    println!(
        "Worklane API: http://127.0.0.1:{port}  (DynamoDB Local {}, moto {})",
        services.dynamodb, services.moto
    );
    println!("OpenAPI: http://127.0.0.1:{port}/openapi.json · mailbox: /_dev/mailbox?to=<email> · Ctrl-C stops");
    let pump = stack.pump.clone();
    tokio::spawn(async move {
        loop {
            if let Err(err) = pump.settle().await {
                tracing::warn!(error = %err, "event delivery failed");
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    });
    // Each answer waits for the events it set in motion unless WORKLANE_DELIVERY=beside,
    // where the loop above delivers them as Lambda's event sources would (a fuzzing run sends
    // thousands of requests and reads nothing back through the events).
    let delivery = match std::env::var("WORKLANE_DELIVERY").as_deref() {
        Ok("beside") => Delivery::Beside,
        _ => Delivery::BeforeAnswer,
    };
    let server = tokio::spawn(worklane_devstack::server::serve_with(
        listener, stack, delivery,
    ));
    tokio::signal::ctrl_c().await?;
    server.abort();
    drop(services);
    println!("stopped");
    Ok(())
}
