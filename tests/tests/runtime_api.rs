//! Every function binary, started as Lambda starts it, answers one real event through the
//! Lambda Runtime API (emulated), against the local stack.

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use worklane::domain::account::Role;
use worklane::domain::ids::{SessionId, UserId};
use worklane::http::auth::AccessClaims;
use worklane_devstack::runtime_api::{Outcome, RuntimeApi};
use worklane_tests::TestApp;

struct Function {
    child: Child,
    runtime: RuntimeApi,
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The local value of each variable the template gives a function, and only those: a
/// binary that reads a setting its template entry lacks fails here, as it would deployed.
fn environment(app: &TestApp, binary: &str) -> Vec<(String, String)> {
    let template =
        std::fs::read_to_string(worklane_devstack::repo_root().join("infra/template.yaml"))
            .unwrap();
    let config = &app.stack.app.config;
    worklane_devstack::iam::policy::environment_of(&template, binary)
        .unwrap()
        .into_iter()
        .map(|name| {
            let value = match name.as_str() {
                "STAGE" => Some("local".to_string()),
                "RUST_LOG" => Some("warn".to_string()),
                "TABLE_NAME" => config.table.clone(),
                "BUCKET_NAME" => config.bucket.clone(),
                "EVENT_BUS_NAME" => config.event_bus.clone(),
                "EMAIL_FROM" => config.email_from.clone(),
                "JWT_SIGNING_KEYS" => config.signing_keys.clone(),
                "WORKLANE_PAYMENTS" => Some("sandbox".to_string()),
                "WEEKLY_BILLING_QUEUE_URL" => config.billing_queue_url.clone(),
                other => panic!("no local value for {other} (template of {binary})"),
            };
            (name, value.unwrap_or_default())
        })
        .collect()
}

async fn start(app: &TestApp, binary: &str, executable: &std::path::Path) -> Function {
    let runtime = RuntimeApi::start().await.unwrap();
    let child = Command::new(executable)
        .env_clear()
        .envs(environment(app, binary))
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", runtime.endpoint())
        .env("AWS_LAMBDA_FUNCTION_NAME", binary)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{binary}"))
        // The local stack's stand-in for SES, not a template setting.
        .env("WORKLANE_MAILER", "dev-mailbox")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL_DYNAMODB", &app.stack.endpoints.dynamodb)
        .env("AWS_ENDPOINT_URL", &app.stack.endpoints.moto)
        .env("AWS_ENDPOINT_URL_S3", &app.stack.endpoints.moto)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the function binary starts");
    Function { child, runtime }
}

async fn invoke(function: &Function, event: Value) -> Value {
    match function
        .runtime
        .invoke(event, Duration::from_secs(30))
        .await
        .unwrap()
    {
        Outcome::Response(value) => value,
        Outcome::Error(error) => panic!("the function reported an error: {error}"),
    }
}

fn sample(name: &str) -> Value {
    let path = worklane_devstack::repo_root().join(format!("infra/events/{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn auth_binary_signs_up_through_the_runtime_api() {
    let app = TestApp::spawn().await;
    let function = start(&app, "auth", &worklane_tests::function_binary("auth")).await;
    let response = invoke(&function, sample("auth")).await;
    assert_eq!(response["statusCode"], 201, "{response}");
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["email"], "sample@example.com");
    assert!(function.runtime.first_poll().await.is_some());
    // Bad input through the same entry point: a problem, not a crash.
    let mut bad = sample("auth");
    bad["body"] = json!("{not json");
    let response = invoke(&function, bad).await;
    assert_eq!(response["statusCode"], 400);
    assert_eq!(
        response["headers"]["content-type"],
        "application/problem+json"
    );
}

#[tokio::test]
async fn me_binary_reads_the_account_of_the_token() {
    let app = TestApp::spawn().await;
    let (access, _) = app.confirmed_user("runtime@example.com", &["client"]).await;
    let function = start(&app, "me", &worklane_tests::function_binary("me")).await;
    let mut event = sample("me");
    event["headers"]["authorization"] = json!(format!("Bearer {access}"));
    let response = invoke(&function, event).await;
    assert_eq!(response["statusCode"], 200, "{response}");
    assert!(response["body"]
        .as_str()
        .unwrap()
        .contains("runtime@example.com"));
    // A token for someone who does not exist, signed with the right key: 401, not 500.
    let now = chrono::Utc::now();
    let ghost = app
        .stack
        .app
        .keys()
        .expect("the local stack signs tokens")
        .issue(&AccessClaims::new(
            UserId::generate(now),
            SessionId::generate(now),
            vec![Role::Client],
            true,
            now,
        ));
    let mut event = sample("me");
    event["headers"]["authorization"] = json!(format!("Bearer {ghost}"));
    assert_eq!(invoke(&function, event).await["statusCode"], 401);
}

#[tokio::test]
async fn api_docs_binary_serves_openapi() {
    let app = TestApp::spawn().await;
    let function = start(
        &app,
        "api-docs",
        &worklane_tests::function_binary("api-docs"),
    )
    .await;
    let response = invoke(&function, sample("api-docs")).await;
    assert_eq!(response["statusCode"], 200);
    let doc: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
}

#[tokio::test]
async fn event_forwarder_binary_publishes_outbox_items_to_the_bus() {
    let app = TestApp::spawn().await;
    let function = start(
        &app,
        "event-forwarder",
        &worklane_tests::function_binary("event-forwarder"),
    )
    .await;
    let response = invoke(&function, sample("event-forwarder")).await;
    assert_eq!(response["batchItemFailures"], json!([]), "{response}");
    // The bus rule routed it to the notifications queue.
    let queue = &app.stack.provisioned.queues["NotificationsQueue"];
    let received = app
        .stack
        .sqs
        .receive_message()
        .queue_url(queue)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    let bodies: Vec<String> = received
        .messages
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| m.body)
        .collect();
    assert_eq!(bodies.len(), 1);
    assert!(bodies[0].contains("AccountConfirmed"));
}

#[tokio::test]
async fn notifications_binary_reports_poison_messages_as_failures() {
    let app = TestApp::spawn().await;
    let function = start(
        &app,
        "notifications",
        &worklane_tests::function_binary("notifications"),
    )
    .await;
    let mut event = sample("notifications");
    let mut poison = event["Records"][0].clone();
    poison["messageId"] = json!("poison-1");
    poison["body"] = json!("not an event");
    event["Records"].as_array_mut().unwrap().push(poison);
    let response = invoke(&function, event).await;
    assert_eq!(
        response["batchItemFailures"],
        json!([{"itemIdentifier": "poison-1"}]),
        "{response}"
    );
}

#[tokio::test]
async fn jobs_binary_posts_a_job_for_a_confirmed_client() {
    let app = TestApp::spawn().await;
    let (access, _) = app.confirmed_user("poster@example.com", &["client"]).await;
    let function = start(&app, "jobs", &worklane_tests::function_binary("jobs")).await;
    let mut event = sample("jobs");
    event["headers"]["authorization"] = json!(format!("Bearer {access}"));
    let response = invoke(&function, event).await;
    assert_eq!(response["statusCode"], 201, "{response}");
    let job: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(job["connects_cost"], 6);
    let read = app
        .get(
            &format!("/v1/jobs/{}", job["id"].as_str().unwrap()),
            Some(&access),
        )
        .await;
    assert_eq!(read.body["title"], job["title"]);
}

#[tokio::test]
async fn connects_monthly_grant_binary_takes_its_month_from_the_event() {
    let app = TestApp::spawn().await;
    let (access, _) = app
        .confirmed_user("monthly@example.com", &["freelancer"])
        .await;
    let function = start(
        &app,
        "connects-monthly-grant",
        &worklane_tests::function_binary("connects-monthly-grant"),
    )
    .await;
    let mut event = sample("connects-monthly-grant");
    let next_month = (chrono::Utc::now() + chrono::Duration::days(32))
        .format("%Y-%m-01T00:00:00Z")
        .to_string();
    event["time"] = json!(next_month);
    assert_eq!(invoke(&function, event.clone()).await["applied"], 1);
    // EventBridge may deliver a schedule twice: the second run finds the grant done.
    let again = invoke(&function, event).await;
    assert_eq!(
        (again["applied"].clone(), again["skipped"].clone()),
        (json!(0), json!(1))
    );
    let connects = app.get("/v1/me/connects", Some(&access)).await;
    assert_eq!(connects.body["balance"], 20);
}

#[tokio::test]
async fn marketplace_events_binary_refunds_applicants_of_a_cancelled_job() {
    let app = TestApp::spawn().await;
    let (client, _) = app.confirmed_user("mc@example.com", &["client"]).await;
    let (freelancer, _) = app.confirmed_user("mf@example.com", &["freelancer"]).await;
    let mut job = sample("jobs");
    job = serde_json::from_str(job["body"].as_str().unwrap()).unwrap();
    let posted = app.post("/v1/jobs", Some(&client), &job).await;
    let job_id = posted.body["id"].as_str().unwrap().to_string();
    let proposal = json!({"cover_letter": "I have built this kind of API many times.",
        "bid": {"amount": "600.00", "currency": "USD"}, "duration": "1-3 months"});
    let applied = app
        .post(
            &format!("/v1/jobs/{job_id}/proposals"),
            Some(&freelancer),
            &proposal,
        )
        .await;
    assert_eq!(applied.status, 201, "{}", applied.body);
    let function = start(
        &app,
        "marketplace-events",
        &worklane_tests::function_binary("marketplace-events"),
    )
    .await;
    let mut event = sample("marketplace-events");
    let mut body: Value =
        serde_json::from_str(event["Records"][0]["body"].as_str().unwrap()).unwrap();
    body["detail"]["job_id"] = json!(job_id);
    event["Records"][0]["body"] = json!(body.to_string());
    for _ in 0..2 {
        let response = invoke(&function, event.clone()).await;
        assert_eq!(response["batchItemFailures"], json!([]), "{response}");
    }
    let connects = app.get("/v1/me/connects", Some(&freelancer)).await;
    assert_eq!(
        connects.body["balance"], 10,
        "refunded exactly once: {}",
        connects.body
    );
}

#[tokio::test]
async fn hourly_billing_binaries_answer_their_events() {
    let app = TestApp::spawn().await;
    // The Monday close with no week to bill: a summary, read from the queue URL in its env.
    let close = start(
        &app,
        "weekly-billing-close",
        &worklane_tests::function_binary("weekly-billing-close"),
    )
    .await;
    let summary = invoke(&close, sample("weekly-billing-close")).await;
    assert_eq!(summary["applied"], 0, "{summary}");
    for (binary, executable) in [
        (
            "hourly-review-release",
            &worklane_tests::function_binary("hourly-review-release"),
        ),
        (
            "hourly-charge-retry",
            &worklane_tests::function_binary("hourly-charge-retry"),
        ),
    ] {
        let function = start(&app, binary, executable).await;
        let summary = invoke(&function, sample(binary)).await;
        assert_eq!(summary["applied"], 0, "{binary}: {summary}");
    }
    // Invoicing: a week that does not exist is nothing to do; a poison message fails alone.
    let invoicing = start(
        &app,
        "hourly-invoicing",
        &worklane_tests::function_binary("hourly-invoicing"),
    )
    .await;
    let mut event = sample("hourly-invoicing");
    let mut poison = event["Records"][0].clone();
    poison["messageId"] = json!("poison-1");
    poison["body"] = json!("not a week");
    event["Records"].as_array_mut().unwrap().push(poison);
    let response = invoke(&invoicing, event).await;
    assert_eq!(
        response["batchItemFailures"],
        json!([{"itemIdentifier": "poison-1"}]),
        "{response}"
    );
}
