//! `TestApp::spawn()` gives each test its own world: its own table, bucket, bus and queues on
//! the shared local services, and the local API server on a free port.

use reqwest::Method;
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::OnceCell;
use worklane_devstack::services::LocalServices;
use worklane_devstack::stack::Stack;

static SERVICES: OnceCell<LocalServices> = OnceCell::const_new();

pub struct TestApp {
    pub stack: Arc<Stack>,
    pub base: String,
    pub http: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub raw: Vec<u8>,
}

impl Reply {
    /// Sends the request to the local server and reads the whole answer.
    pub async fn of(request: reqwest::RequestBuilder) -> Reply {
        let response = request
            .send()
            .await
            .expect("request reaches the local server");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let raw = response.bytes().await.unwrap().to_vec();
        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            raw,
        }
    }

    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

/// The local services every world of this test binary runs on, started once.
pub async fn services() -> &'static LocalServices {
    SERVICES
        .get_or_try_init(LocalServices::start)
        .await
        .expect("local services (run scripts/bootstrap first)")
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let services = services().await;
        // Every e2e test is evidence for the functions' roles (`iam check`, docs/security.md).
        worklane_devstack::iam::record::start();
        // ... and for the statuses and codes the OpenAPI document lists (`openapi answers check`).
        worklane_devstack::answers::start();
        let prefix = format!("t{}", ulid::Ulid::new().to_string().to_lowercase());
        let stack = Arc::new(
            Stack::create(services, &prefix)
                .await
                .expect("provisioning"),
        );
        let listener = worklane_devstack::server::bind(([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(worklane_devstack::server::serve(listener, stack.clone()));
        TestApp {
            stack,
            base,
            http: reqwest::Client::new(),
            server,
        }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Reply::of(request).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.send(Method::POST, path, token, Some(&body.to_string()), &[])
            .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(Method::GET, path, token, None, &[]).await
    }

    /// Freezes the stack's clock at `now` (RFC 3339): every request and queue worker sees it
    /// until the next `set_clock` or `reset_clock`. Access tokens live 15 minutes of *this*
    /// clock, so after moving it further than that, get new ones with `refresh`.
    pub async fn set_clock(&self, now: &str) {
        let body = serde_json::json!({ "now": now }).to_string();
        let reply = self
            .send(Method::PUT, "/_dev/clock", None, Some(&body), &[])
            .await;
        assert_eq!(reply.status, 200, "PUT /_dev/clock {now}: {}", reply.body);
    }

    /// Back to the wall clock.
    pub async fn reset_clock(&self) {
        let reply = self
            .send(Method::DELETE, "/_dev/clock", None, None, &[])
            .await;
        assert_eq!(reply.status, 200, "DELETE /_dev/clock: {}", reply.body);
    }

    /// Fires the scheduled function `schedule` with an EventBridge event for `time` (as
    /// `POST /_dev/schedules/{name}?time=` does, waiting for what it fans out); returns the
    /// run's summary (`examined`, `applied`, `skipped`).
    pub async fn fire(&self, schedule: &str, time: chrono::DateTime<chrono::Utc>) -> Value {
        let time = time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        let reply = self
            .send(
                Method::POST,
                &format!("/_dev/schedules/{schedule}?time={time}"),
                None,
                None,
                &[],
            )
            .await;
        assert_eq!(reply.status, 200, "{schedule} at {time}: {}", reply.body);
        reply.body["summary"].clone()
    }

    /// `GET /v1/me/wallet` of the caller.
    pub async fn wallet(&self, token: &str) -> Value {
        let reply = self.get("/v1/me/wallet", Some(token)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body
    }

    /// What the sandbox processor paid out (`payouts: true`) or gave back to cards
    /// (`false`) in this process, in order: money the ledger shows only as leaving for the
    /// world.
    pub fn sandbox_sent(&self, payouts: bool) -> Vec<worklane::domain::money::Money> {
        use worklane::payments::sandbox::SandboxEntry;
        self.stack
            .app
            .payments()
            .sandbox_journal()
            .into_iter()
            .filter_map(|entry| match entry {
                SandboxEntry::PaidOut { amount, .. } if payouts => Some(amount),
                SandboxEntry::Refunded { amount, .. } if !payouts => Some(amount),
                _ => None,
            })
            .collect()
    }

    /// The whole-ledger audit balances: Σ per currency is zero and every balance replays.
    pub async fn assert_audit_clean(&self) {
        let report = self.stack.app.store.audit_ledger().await.unwrap();
        assert!(report.balanced, "{report:?}");
    }

    /// Adds the sandbox card that always succeeds (`4242…`) as the caller's billing method.
    pub async fn add_card(&self, token: &str) {
        let card = serde_json::json!({"type": "card", "card": {"number": "4242424242424242",
            "exp_month": 12, "exp_year": 2031, "cvc": "123"}});
        let added = self
            .post("/v1/me/billing-methods", Some(token), &card)
            .await;
        assert_eq!(added.status, 201, "{}", added.body);
    }

    /// Rotates a refresh token (`POST /v1/auth/refresh`); returns the new
    /// (access token, refresh token). The old refresh token is spent.
    pub async fn refresh(&self, refresh_token: &str) -> (String, String) {
        let reply = self
            .post(
                "/v1/auth/refresh",
                None,
                &serde_json::json!({ "refresh_token": refresh_token }),
            )
            .await;
        assert_eq!(reply.status, 200, "refresh: {}", reply.body);
        (
            reply.body["access_token"].as_str().unwrap().to_string(),
            reply.body["refresh_token"].as_str().unwrap().to_string(),
        )
    }

    /// A signup with a body as given (not necessarily valid) and extra headers.
    pub async fn signup_raw(&self, body: &str, headers: &[(&str, &str)]) -> Reply {
        self.send(Method::POST, "/v1/auth/signup", None, Some(body), headers)
            .await
    }

    pub async fn signup(&self, email: &str, roles: &[&str]) -> Reply {
        self.post(
            "/v1/auth/signup",
            None,
            &serde_json::json!({"email": email, "password": PASSWORD, "name": "Test User", "roles": roles}),
        )
        .await
    }

    /// The confirmation token from the newest email in the local mailbox.
    pub async fn confirmation_token(&self, email: &str) -> String {
        let mailbox = self.get(&format!("/_dev/mailbox?to={email}"), None).await;
        let text = mailbox.body["items"][0]["text"]
            .as_str()
            .expect("a confirmation email")
            .to_string();
        text.lines()
            .find_map(|line| line.strip_prefix("Confirmation token: "))
            .expect("the email carries a token")
            .trim()
            .to_string()
    }

    pub async fn login(&self, email: &str) -> Reply {
        self.post(
            "/v1/auth/login",
            None,
            &serde_json::json!({"email": email, "password": PASSWORD}),
        )
        .await
    }

    /// Signs up, confirms and logs in; returns (access token, refresh token).
    pub async fn confirmed_user(&self, email: &str, roles: &[&str]) -> (String, String) {
        assert_eq!(self.signup(email, roles).await.status, 201);
        let token = self.confirmation_token(email).await;
        assert_eq!(
            self.post(
                "/v1/auth/confirm",
                None,
                &serde_json::json!({"token": token})
            )
            .await
            .status,
            200
        );
        let login = self.login(email).await;
        assert_eq!(login.status, 200, "{:?}", login.body);
        (
            login.body["access_token"].as_str().unwrap().to_string(),
            login.body["refresh_token"].as_str().unwrap().to_string(),
        )
    }
}

pub const PASSWORD: &str = "correct horse battery staple";

/// The access token of a signed-up, confirmed user holding the admin role (granted through
/// the store, as an operator would: no API route grants it).
pub async fn admin(app: &TestApp) -> String {
    let email = format!(
        "admin-{}@example.com",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let (token, _) = app.confirmed_user(&email, &["client"]).await;
    let id = worklane::domain::ids::UserId::parse(&user_id(app, &token).await).expect("a user id");
    app.stack
        .app
        .store
        .grant_admin(&id, chrono::Utc::now())
        .await
        .expect("granting the admin role");
    // Roles travel in access tokens: log in again to get one that carries the new role.
    let login = app.login(&email).await;
    assert_eq!(login.status, 200, "{}", login.body);
    login.body["access_token"].as_str().unwrap().to_string()
}

// ---- files: shared by every test that uploads something

use serde_json::json;

pub async fn user_id(app: &TestApp, token: &str) -> String {
    app.get("/v1/me", Some(token)).await.body["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Declares a file; returns the 201 reply (id, upload URL and headers).
pub async fn declare(
    app: &TestApp,
    token: &str,
    purpose: &str,
    content_type: &str,
    size: usize,
) -> Reply {
    let reply = app
        .post(
            "/v1/files/uploads",
            Some(token),
            &json!({"purpose": purpose, "content_type": content_type, "size_bytes": size,
                    "file_name": "work sample.png"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    reply
}

/// PUTs `bytes` to the presigned URL with the signed headers, or another content type.
pub async fn upload(
    app: &TestApp,
    declared: &Reply,
    bytes: &[u8],
    content_type: Option<&str>,
) -> u16 {
    let upload = &declared.body["upload"];
    assert_eq!(upload["method"], "PUT");
    let mut request = app
        .http
        .put(upload["url"].as_str().unwrap())
        .body(bytes.to_vec());
    for (name, value) in upload["headers"].as_object().unwrap() {
        // The HTTP client sets the length from the body itself.
        let replaced = name == "content-type" && content_type.is_some();
        if name != "content-length" && !replaced {
            request = request.header(name, value.as_str().unwrap());
        }
    }
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    request.send().await.unwrap().status().as_u16()
}

/// A ready file of the caller's: declared, uploaded and completed.
pub async fn ready_file(app: &TestApp, token: &str, purpose: &str, bytes: &[u8]) -> String {
    let declared = declare(app, token, purpose, "image/png", bytes.len()).await;
    assert_eq!(upload(app, &declared, bytes, None).await, 200);
    let id = declared.body["id"].as_str().unwrap().to_string();
    let done = app
        .post(&format!("/v1/files/{id}/complete"), Some(token), &json!({}))
        .await;
    assert_eq!(
        (done.status, &done.body["state"]),
        (200, &json!("ready")),
        "{:?}",
        done.body
    );
    id
}

pub fn png(len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend((0..len.saturating_sub(8)).map(|i| (i % 251) as u8));
    bytes
}

// ---- contracts: shared by every test that moves escrow

/// The client sends `offer` (its `freelancer_id` added) and the freelancer accepts it; returns
/// the acceptance (`contract_id`, the contract view).
async fn hire(app: &TestApp, client: &str, freelancer: &str, mut offer: Value) -> Value {
    offer["freelancer_id"] = json!(user_id(app, freelancer).await);
    let sent = app.post("/v1/offers", Some(client), &offer).await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let accepted = app
        .post(
            &format!("/v1/offers/{}/accept", sent.body["id"].as_str().unwrap()),
            Some(freelancer),
            &json!({}),
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    accepted.body
}

/// A fixed-price contract between `client` and `freelancer`: a job, an offer with one
/// milestone of `amount`, accepted. Returns (contract id, that milestone's id).
pub async fn fixed_contract(
    app: &TestApp,
    client: &str,
    freelancer: &str,
    amount: &str,
) -> (String, String) {
    let job = app
        .post(
            "/v1/jobs",
            Some(client),
            &json!({"title": "Rust API on Lambda",
                "description": "A serverless REST API in Rust on AWS Lambda with DynamoDB.",
                "category": "web-mobile-software-dev", "skills": ["rust", "dynamodb"],
                "experience_level": "expert", "type": "fixed",
                "budget": {"amount": "600.00", "currency": "USD"}, "duration": "1-3 months"}),
        )
        .await;
    assert_eq!(job.status, 201, "{}", job.body);
    let accepted = hire(
        app,
        client,
        freelancer,
        json!({"job_id": job.body["id"], "type": "fixed", "milestones": [
            {"description": "First milestone", "amount": {"amount": amount, "currency": "USD"}}]}),
    )
    .await;
    (
        accepted["contract_id"].as_str().unwrap().to_string(),
        accepted["milestones"][0]["id"]
            .as_str()
            .unwrap()
            .to_string(),
    )
}

/// Adds an unfunded milestone to a fixed-price contract (an amendment); returns its id.
pub async fn add_milestone(app: &TestApp, client: &str, contract: &str, amount: &str) -> String {
    let reply = app
        .post(
            &format!("/v1/contracts/{contract}/milestones"),
            Some(client),
            &json!({"description": "Another milestone", "amount": {"amount": amount, "currency": "USD"}}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["id"].as_str().unwrap().to_string()
}

/// An hourly contract between `client` and `freelancer`: a job, an offer at $30/h with a
/// weekly limit of `limit` hours and manual time allowed, accepted. Returns the contract id.
pub async fn hourly_contract(app: &TestApp, client: &str, freelancer: &str, limit: u32) -> String {
    let job = app
        .post(
            "/v1/jobs",
            Some(client),
            &json!({"title": "Rust backend, ongoing hourly work",
                "description": "Ongoing work on a serverless Rust backend with DynamoDB and SQS.",
                "category": "web-mobile-software-dev", "skills": ["rust", "aws-lambda"],
                "experience_level": "expert", "type": "hourly",
                "hourly_rate": {"min": "25.00", "max": "40.00", "currency": "USD"},
                "duration": "3-6 months"}),
        )
        .await;
    assert_eq!(job.status, 201, "{}", job.body);
    let accepted = hire(
        app,
        client,
        freelancer,
        json!({"job_id": job.body["id"], "type": "hourly",
            "hourly_rate": {"amount": "30.00", "currency": "USD"},
            "weekly_limit_hours": limit, "manual_time_allowed": true}),
    )
    .await;
    accepted["contract_id"].as_str().unwrap().to_string()
}

/// The debug build of the function binary `name`, built on first use: an integration test
/// only gets `CARGO_BIN_EXE_*` for the binaries of its own package, and each function's
/// binary lives in its area's crate. Up to date (as after `scripts/test`'s build), this is
/// only cargo's check.
pub fn function_binary(name: &str) -> std::path::PathBuf {
    static BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = BUILD
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args(["build", "--quiet", "--bin", name])
        .current_dir(worklane_devstack::repo_root())
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build --bin {name} failed");
    // This test runs from <target>/debug/deps/; the binaries are in <target>/debug/.
    let exe = std::env::current_exe().expect("the test knows its path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("tests run from <target>/<profile>/deps");
    profile_dir.join(name)
}

/// A fixed-price job as a client posts it (the body the plumbing and billing tests send).
pub fn fixed_job_body(title: &str) -> Value {
    json!({
        "title": title,
        "description": "We need a serverless REST API in Rust on AWS Lambda with DynamoDB storage.",
        "category": "web-mobile-software-dev",
        "skills": ["rust"],
        "experience_level": "expert",
        "type": "fixed",
        "budget": {"amount": "600.00", "currency": "USD"},
        "duration": "1-3 months",
    })
}
