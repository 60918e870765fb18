//! The local API server in a process of its own (this binary, `bench-suite serve`), so the load
//! test measures the server's memory alone and the load generator does not share its runtime.

use crate::server::Delivery;
use crate::services::LocalServices;
use crate::stack::Stack;
use anyhow::{anyhow, bail, Context, Result};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

pub struct ChildServer {
    pub base: String,
    pub pid: u32,
    child: tokio::process::Child,
}

impl ChildServer {
    /// Starts `bench-suite serve` on the same DynamoDB Local and moto, with a fresh stack.
    pub async fn start(services: &LocalServices, prefix: &str) -> Result<Self> {
        let exe = std::env::current_exe()?;
        let mut child = tokio::process::Command::new(exe)
            .arg("serve")
            .env("WORKLANE_DYNAMODB_ENDPOINT", &services.dynamodb)
            .env("WORKLANE_MOTO_ENDPOINT", &services.moto)
            .env("BENCH_PREFIX", prefix)
            .env("RUST_LOG", "error")
            // The server stops when this pipe closes, however this process ends.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting bench-suite serve")?;
        let pid = child.id().ok_or_else(|| anyhow!("no pid"))?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(120), lines.next_line())
            .await
            .context("the server did not start within 120 s")??
            .ok_or_else(|| anyhow!("the server exited before listening"))?;
        let Some(addr) = line.strip_prefix("listening ") else {
            bail!("unexpected first line from the server: {line}");
        };
        Ok(Self {
            base: format!("http://{addr}"),
            pid,
            child,
        })
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// `bench-suite serve`: a fresh stack served with events delivered beside the API (a pump
/// round every 250 ms, as `worklane-local` runs it), until stdin closes.
pub async fn serve_main() -> Result<()> {
    let services = LocalServices::start().await?;
    let prefix = std::env::var("BENCH_PREFIX").unwrap_or_else(|_| "benchserve".into());
    let stack = Arc::new(Stack::create(&services, &prefix).await?);
    let listener = crate::server::bind(([127, 0, 0, 1], 0).into()).await?;
    println!("listening {}", listener.local_addr()?);
    let pump = stack.pump.clone();
    tokio::spawn(async move {
        loop {
            if let Err(err) = pump.settle().await {
                tracing::warn!(error = %err, "event delivery failed");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });
    tokio::spawn(crate::server::serve_with(listener, stack, Delivery::Beside));
    let (closed, stdin_closed) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        use std::io::Read;
        let mut buf = [0u8; 64];
        while std::io::stdin().read(&mut buf).unwrap_or(0) > 0 {}
        let _ = closed.send(());
    });
    let _ = stdin_closed.await;
    // `services` reused the parent's DynamoDB Local and moto: dropping it stops nothing.
    drop(services);
    Ok(())
}
