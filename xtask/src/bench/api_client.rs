//! A small HTTP client for the local API server, timing every request.

use anyhow::{anyhow, ensure, Context, Result};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

use super::inproc::PASSWORD;

#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: String,
}

#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub ms: f64,
}

impl Answer {
    pub fn expect(self, status: u16, what: &str) -> Result<Answer> {
        ensure!(
            self.status == status,
            "{what}: {} instead of {status}: {}",
            self.status,
            self.body
        );
        Ok(self)
    }

    pub fn text(&self, field: &str) -> Result<String> {
        super::inproc::text(&self.body, field)
    }
}

/// A signed-up, confirmed and logged-in user of the HTTP API.
#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub email: String,
    pub access: String,
}

impl ApiClient {
    pub fn new(base: &str) -> Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(256)
                .timeout(Duration::from_secs(30))
                .build()?,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Answer> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let started = Instant::now();
        let response = request.send().await.with_context(|| path.to_string())?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        Ok(Answer {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            ms,
        })
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Result<Answer> {
        self.send(Method::POST, path, token, Some(body)).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Result<Answer> {
        self.send(Method::GET, path, token, None).await
    }

    /// The confirmation token of the newest email to `email` (the dev mailbox). The email is
    /// sent by a worker the event pump runs beside the server: it may take a moment to arrive.
    pub async fn confirmation_token(&self, email: &str) -> Result<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mailbox = self
                .get(&format!("/_dev/mailbox?to={email}"), None)
                .await?
                .expect(200, "mailbox")?;
            let token = mailbox.body["items"][0]["text"].as_str().and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("Confirmation token: "))
            });
            if let Some(token) = token {
                return Ok(token.trim().to_string());
            }
            if Instant::now() > deadline {
                return Err(anyhow!("no confirmation email to {email} within 20 s"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn login(&self, email: &str) -> Result<Answer> {
        self.post(
            "/v1/auth/login",
            None,
            &json!({"email": email, "password": PASSWORD}),
        )
        .await?
        .expect(200, "login")
    }
}
