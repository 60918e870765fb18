//! `bench-escrow`: per workflow step of fixed-price escrow, the DynamoDB round trips a handler
//! makes and its latency on the local stack (DynamoDB Local + moto on this machine).
//!
//!     cargo run --release -p worklane-devstack --bin bench-escrow [-- MILESTONES]
//!
//! Handlers run in-process exactly as the Lambda runs them (`router::dispatch`, including the
//! idempotency layer when a key is sent), against a DynamoDB client whose interceptor counts
//! every request attempt by operation. DynamoDB Local is slower than the service and runs on
//! the same 2 cores, so read latencies as relative, round trips as exact.

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use chrono::{Duration, Utc};
use http::Method;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use worklane::domain::account::Email;
use worklane::domain::account::Role;
use worklane::domain::ids::{SessionId, UserId};
use worklane::http::auth::AccessClaims;
use worklane::http::router::dispatch;
use worklane::http::ApiRequest;
use worklane::store::accounts::{NewAccount, UserRecord};
use worklane::store::Store;
use worklane::App;
use worklane_devstack::services::LocalServices;
use worklane_devstack::stack::Stack;

/// Counts request attempts per DynamoDB operation (the `x-amz-target` header).
#[derive(Debug, Default, Clone)]
struct RoundTrips(Arc<Mutex<BTreeMap<String, u64>>>);

impl RoundTrips {
    fn take(&self) -> BTreeMap<String, u64> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl Intercept for RoundTrips {
    fn name(&self) -> &'static str {
        "RoundTrips"
    }

    fn read_before_attempt(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let operation = context
            .request()
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.split('.').nth(1))
            .unwrap_or("?")
            .to_string();
        *self.0.lock().unwrap().entry(operation).or_default() += 1;
        Ok(())
    }
}

struct Step {
    name: &'static str,
    latencies: Vec<f64>,
    trips: BTreeMap<String, u64>,
    runs: u64,
}

impl Step {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            latencies: Vec::new(),
            trips: BTreeMap::new(),
            runs: 0,
        }
    }

    fn record(&mut self, elapsed: std::time::Duration, trips: BTreeMap<String, u64>) {
        self.latencies.push(elapsed.as_secs_f64() * 1000.0);
        self.runs += 1;
        for (op, n) in trips {
            *self.trips.entry(op).or_default() += n;
        }
    }

    fn print(&mut self) {
        self.latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let pick =
            |p: f64| self.latencies[((self.latencies.len() as f64 - 1.0) * p).round() as usize];
        let trips: Vec<String> = self
            .trips
            .iter()
            .map(|(op, n)| format!("{op} {:.1}", *n as f64 / self.runs as f64))
            .collect();
        let total: u64 = self.trips.values().sum();
        println!(
            "{:<24} {:>5.1} round trips  p50 {:>6.1} ms  p99 {:>6.1} ms   ({})",
            self.name,
            total as f64 / self.runs as f64,
            pick(0.5),
            pick(0.99),
            trips.join(", ")
        );
    }
}

fn token(app: &App, user: &UserId, role: Role) -> String {
    let now = Utc::now();
    app.keys()
        .expect("the local stack signs tokens")
        .issue(&AccessClaims::new(
            user.clone(),
            SessionId::generate(now),
            vec![role],
            true,
            now,
        ))
}

async fn call(app: &App, token: &str, path: &str, body: Value) -> (u16, Value) {
    let req = ApiRequest::new(Method::POST, path, Utc::now())
        .with_header("authorization", &format!("Bearer {token}"))
        .with_json(&body);
    let response = dispatch(app, worklane_devstack::functions::routes(), req).await;
    (
        response.status.as_u16(),
        serde_json::from_slice(&response.body).unwrap_or(Value::Null),
    )
}

async fn post(app: &App, token: &str, path: &str, body: Value) -> u16 {
    call(app, token, path, body).await.0
}

/// A confirmed account with `role`, written straight to the table (no email round trip).
async fn user(app: &App, email: &str, role: Role) -> anyhow::Result<(UserId, String)> {
    let now = Utc::now();
    let id = UserId::generate(now);
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("{e}"))?;
    let account = NewAccount {
        password_hash: worklane::security::hash_password("bench password of some length"),
        user: UserRecord::new(id.clone(), &email, "Bench".into(), vec![role], now),
    };
    app.store
        .create_account(account, now)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok((id.clone(), token(app, &id, role)))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let services = LocalServices::start().await?;
    let prefix = format!("bench{}", ulid::Ulid::new().to_string().to_lowercase());
    let stack = Stack::create(&services, &prefix).await?;
    let counter = RoundTrips::default();
    let sdk = worklane::config::sdk_config(true).await;
    let client = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .endpoint_url(&services.dynamodb)
            .interceptor(counter.clone())
            .build(),
    );
    let mut app = stack.app.clone();
    app.store = Store::new(client, stack.app.store.table());

    let (_, client) = user(&app, "client@bench.example", Role::Client).await?;
    let (freelancer_id, freelancer) =
        user(&app, "freelancer@bench.example", Role::Freelancer).await?;
    let card = json!({"type": "card", "card": {"number": "4242424242424242",
        "exp_month": 12, "exp_year": 2031, "cvc": "123"}});
    anyhow::ensure!(post(&app, &client, "/v1/me/billing-methods", card).await == 201);
    let (status, job) = call(&app, &client, "/v1/jobs", json!({"title": "Benchmark contract",
        "description": "A contract whose milestones the benchmark funds and releases.",
        "category": "web-mobile-software-dev", "skills": ["rust"], "experience_level": "expert",
        "type": "fixed", "budget": {"amount": "600.00", "currency": "USD"}, "duration": "1-3 months"}))
    .await;
    anyhow::ensure!(status == 201, "job: {job}");
    let (status, offer) = call(&app, &client, "/v1/offers", json!({"job_id": job["id"],
        "freelancer_id": freelancer_id, "type": "fixed",
        "milestones": [{"description": "first", "amount": {"amount": "250.00", "currency": "USD"}}]}))
    .await;
    anyhow::ensure!(status == 201, "offer: {offer}");
    let offer_id = offer["id"].as_str().unwrap_or_default();
    let (status, contract) = call(
        &app,
        &freelancer,
        &format!("/v1/offers/{offer_id}/accept"),
        json!({}),
    )
    .await;
    anyhow::ensure!(status == 200, "accept: {contract}");
    let contract_id = contract["contract_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut milestones = vec![contract["milestones"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string()];
    while milestones.len() < count {
        let (status, milestone) = call(
            &app,
            &client,
            &format!("/v1/contracts/{contract_id}/milestones"),
            json!({"description": "bench", "amount": {"amount": "250.00", "currency": "USD"}}),
        )
        .await;
        anyhow::ensure!(status == 201, "milestone: {milestone}");
        milestones.push(milestone["id"].as_str().unwrap_or_default().to_string());
    }
    counter.take();

    let steps: [(&str, bool, &str, Value); 5] = [
        ("fund", true, "fund", json!({})),
        ("submit", false, "submit", json!({"message": "done"})),
        (
            "request changes",
            true,
            "request-changes",
            json!({"message": "again"}),
        ),
        ("resubmit", false, "submit", json!({"message": "fixed"})),
        ("approve (release)", true, "approve", json!({})),
    ];
    println!("escrow steps over {count} milestones (release build recommended):");
    // Half the milestones go through approval, half are left for the schedule.
    let (approved, scheduled) = milestones.split_at(count / 2);
    for (name, by_client, action, body) in steps {
        let mut step = Step::new(name);
        let targets = if action == "approve" {
            approved
        } else {
            &milestones[..]
        };
        for id in targets {
            let who = if by_client { &client } else { &freelancer };
            let started = Instant::now();
            let status = post(
                &app,
                who,
                &format!("/v1/milestones/{id}/{action}"),
                body.clone(),
            )
            .await;
            step.record(started.elapsed(), counter.take());
            anyhow::ensure!(status == 200, "{name} on {id}: {status}");
        }
        step.print();
    }
    let started = Instant::now();
    let summary = worklane_escrow::ESCROW_AUTO_RELEASE
        .run(&app, Utc::now() + Duration::days(15))
        .await?;
    let elapsed = started.elapsed();
    let trips = counter.take();
    println!(
        "{:<24} released {} of {} in {:.0} ms: {:.1} round trips per release ({:?})",
        "auto-release sweep",
        summary.applied,
        scheduled.len(),
        elapsed.as_secs_f64() * 1000.0,
        trips.values().sum::<u64>() as f64 / summary.applied.max(1) as f64,
        trips
    );
    let started = Instant::now();
    let summary = worklane_escrow::EARNINGS_AVAILABILITY
        .run(&app, Utc::now() + Duration::days(30))
        .await?;
    let trips = counter.take();
    println!(
        "{:<24} moved {} in {:.0} ms: {:.1} round trips per item ({:?})",
        "availability sweep",
        summary.applied,
        started.elapsed().as_secs_f64() * 1000.0,
        trips.values().sum::<u64>() as f64 / summary.applied.max(1) as f64,
        trips
    );
    let audit = app.store.audit_ledger().await?;
    println!(
        "ledger audit: balanced = {}, {} transfers",
        audit.balanced, audit.transfers
    );
    Ok(())
}
