//! Starts DynamoDB Local (Java 17) and moto on free loopback ports, from the cache that
//! `scripts/bootstrap` fills, and stops them when dropped. Already-running services can be
//! reused by setting WORKLANE_DYNAMODB_ENDPOINT and WORKLANE_MOTO_ENDPOINT.

use anyhow::{bail, Context, Result};
use std::net::TcpListener;
use std::process::Stdio;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

pub struct LocalServices {
    pub dynamodb: String,
    pub moto: String,
    children: Vec<Child>,
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl LocalServices {
    pub async fn start() -> Result<Self> {
        if let (Ok(dynamodb), Ok(moto)) = (
            std::env::var("WORKLANE_DYNAMODB_ENDPOINT"),
            std::env::var("WORKLANE_MOTO_ENDPOINT"),
        ) {
            return Ok(Self {
                dynamodb,
                moto,
                children: Vec::new(),
            });
        }
        let cache = crate::repo_root().join(".cache");
        let jar_dir = cache.join("dynamodb-local");
        let moto_bin = cache.join("venv/bin/moto_server");
        if !jar_dir.join("DynamoDBLocal.jar").exists() || !moto_bin.exists() {
            bail!("the local stack is not installed: run scripts/bootstrap");
        }
        let dynamo_port = free_port()?;
        let moto_port = free_port()?;
        let library = jar_dir.join("DynamoDBLocal_lib");
        let jar = jar_dir.join("DynamoDBLocal.jar");
        let dynamo = spawn_tied(
            &jar_dir,
            &format!(
                "exec java -Djava.library.path='{}' -jar '{}' -inMemory -disableTelemetry -port {dynamo_port}",
                library.display(),
                jar.display()
            ),
        )
        .context("starting DynamoDB Local (is Java 17 installed? run scripts/bootstrap)")?;
        let moto = spawn_tied(
            &cache,
            &format!("exec '{}' -H 127.0.0.1 -p {moto_port}", moto_bin.display()),
        )
        .context("starting moto")?;
        let services = Self {
            dynamodb: format!("http://127.0.0.1:{dynamo_port}"),
            moto: format!("http://127.0.0.1:{moto_port}"),
            children: vec![dynamo, moto],
        };
        wait_until_listening(dynamo_port)
            .await
            .context("DynamoDB Local did not start")?;
        wait_until_listening(moto_port)
            .await
            .context("moto did not start")?;
        Ok(services)
    }
}

impl Drop for LocalServices {
    fn drop(&mut self) {
        // SIGTERM (not SIGKILL) so that the wrapper's trap stops the service it started.
        for child in &mut self.children {
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            let _ = child.wait();
        }
    }
}

/// Starts `command` under a small shell that also stops it when this process ends, however it
/// ends: a test binary keeps its services in a static that is never dropped.
fn spawn_tied(dir: &std::path::Path, command: &str) -> std::io::Result<Child> {
    let script = format!(
        "({command}) & service=$!; trap 'kill $service 2>/dev/null' EXIT INT TERM; \
         while kill -0 {parent} 2>/dev/null && kill -0 $service 2>/dev/null; do sleep 1; done",
        parent = std::process::id()
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
}

async fn wait_until_listening(port: u16) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("nothing listening on port {port} after 60 s")
}
