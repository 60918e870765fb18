//! Cross-cutting plumbing on the local stack: idempotency keys, the outbox pipeline,
//! OpenAPI, and the route table against the SAM template.

use chrono::Utc;
use serde_json::json;
use std::collections::BTreeSet;
use worklane::http::idempotency::fingerprint;
use worklane::http::ApiRequest;
use worklane_devstack::template::Template;
use worklane_tests::fixed_job_body;
use worklane_tests::{TestApp, PASSWORD};

fn signup_body(email: &str) -> String {
    json!({"email": email, "password": PASSWORD, "name": "Jo", "roles": ["client"]}).to_string()
}

async fn post_keyed(
    app: &TestApp,
    token: Option<&str>,
    body: &str,
    key: &str,
) -> worklane_tests::Reply {
    app.send(
        reqwest::Method::POST,
        "/v1/jobs",
        token,
        Some(body),
        &[("idempotency-key", key)],
    )
    .await
}

#[tokio::test]
async fn idempotency_replays_refuses_mismatch_and_reports_in_progress() {
    let app = TestApp::spawn().await;
    let (client, _) = app.confirmed_user("jo@example.com", &["client"]).await;
    let body = fixed_job_body("Rust API on Lambda");
    let first = post_keyed(&app, Some(&client), &body.to_string(), "job-1").await;
    assert_eq!(first.status, 201, "{}", first.body);
    let replay = post_keyed(&app, Some(&client), &body.to_string(), "job-1").await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.raw, first.raw, "replayed byte for byte");
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    // The same JSON in another key order and layout is the same request.
    let mut fields: Vec<(String, serde_json::Value)> =
        body.as_object().unwrap().clone().into_iter().collect();
    fields.reverse();
    let reordered = format!(
        "{{\n  {}\n}}",
        fields
            .iter()
            .map(|(k, v)| format!("{:?} :  {v}", k))
            .collect::<Vec<_>>()
            .join(",\n  ")
    );
    assert_ne!(reordered, body.to_string());
    let again = post_keyed(&app, Some(&client), &reordered, "job-1").await;
    assert_eq!((again.status, &again.raw), (201, &first.raw), "{reordered}");

    let mismatch = post_keyed(
        &app,
        Some(&client),
        &fixed_job_body("Another job").to_string(),
        "job-1",
    )
    .await;
    assert_eq!(
        (mismatch.status, mismatch.code()),
        (422, "idempotency_key_reused")
    );

    // A request still running holds its key: simulate one by claiming the key first.
    let pending_body = fixed_job_body("Pending job").to_string();
    let mut pending = ApiRequest::new(http::Method::POST, "/v1/jobs", Utc::now());
    pending.body = pending_body.clone().into();
    let user = worklane_tests::user_id(&app, &client).await;
    app.stack
        .app
        .store
        .claim_idempotency_key(&user, "job-pending", &fingerprint(&pending), Utc::now())
        .await
        .unwrap();
    let busy = post_keyed(&app, Some(&client), &pending_body, "job-pending").await;
    assert_eq!((busy.status, busy.code()), (409, "idempotency_in_progress"));

    let bad_key = post_keyed(&app, Some(&client), &body.to_string(), "has space").await;
    assert_eq!(bad_key.status, 400);
}

/// As Stripe: a request refused before it ran (its body, its media type, its caller) is not
/// kept under its key, so the corrected retry with the same key goes through.
#[tokio::test]
async fn a_rejected_request_does_not_use_up_its_key() {
    let app = TestApp::spawn().await;
    let (client, _) = app.confirmed_user("lea@example.com", &["client"]).await;
    let good = fixed_job_body("Rust API on Lambda").to_string();
    let mut unknown = fixed_job_body("Rust API on Lambda");
    unknown["owner_id"] = json!("usr_x");
    let mut invalid = fixed_job_body("Rust API on Lambda");
    invalid["title"] = json!("");
    let mut nulled = fixed_job_body("Rust API on Lambda");
    nulled["title"] = json!(null);
    for (n, (token, body, status)) in [
        (None, good.clone(), 401),
        (Some(client.as_str()), "{".to_string(), 400),
        (Some(client.as_str()), unknown.to_string(), 422),
        (Some(client.as_str()), invalid.to_string(), 422),
        (Some(client.as_str()), nulled.to_string(), 422),
    ]
    .into_iter()
    .enumerate()
    {
        let key = format!("job-{n}");
        let refused = post_keyed(&app, token, &body, &key).await;
        assert_eq!(refused.status, status, "{n}: {}", refused.body);
        let corrected = post_keyed(&app, Some(&client), &good, &key).await;
        assert_eq!(corrected.status, 201, "{n}: {}", corrected.body);
        assert!(
            corrected.headers.get("idempotent-replayed").is_none(),
            "{n}"
        );
        // ... and from then on the key is the success's.
        let replay = post_keyed(&app, Some(&client), &good, &key).await;
        assert_eq!((replay.status, &replay.raw), (201, &corrected.raw), "{n}");
    }
    let wrong_type = app
        .send(
            reqwest::Method::POST,
            "/v1/jobs",
            Some(&client),
            None,
            &[
                ("idempotency-key", "job-text"),
                ("content-type", "text/plain"),
            ],
        )
        .await;
    assert_eq!(wrong_type.status, 415, "{}", wrong_type.body);
    assert_eq!(
        post_keyed(&app, Some(&client), &good, "job-text")
            .await
            .status,
        201
    );
}

/// Auth routes answer with secrets (tokens) or about one (a password): they never store an
/// answer under an Idempotency-Key, so nothing replays a session to whoever sends the key.
#[tokio::test]
async fn auth_routes_never_store_or_replay_under_a_key() {
    let app = TestApp::spawn().await;
    let body = signup_body("max@example.com");
    let key = [("idempotency-key", "signup-max")];
    assert_eq!(app.signup_raw(&body, &key).await.status, 201);
    let again = app.signup_raw(&body, &key).await;
    assert_eq!((again.status, again.code()), (409, "email_taken"));
    assert!(again.headers.get("idempotent-replayed").is_none());
    let token = app.confirmation_token("max@example.com").await;
    let confirm = json!({"token": token}).to_string();
    let send = |path: &'static str, body: String| {
        let app = &app;
        async move {
            app.send(
                reqwest::Method::POST,
                path,
                None,
                Some(&body),
                &[("idempotency-key", "auth-key")],
            )
            .await
        }
    };
    assert_eq!(send("/v1/auth/confirm", confirm.clone()).await.status, 200);
    assert_eq!(send("/v1/auth/confirm", confirm).await.status, 404);
    let login = json!({"email": "max@example.com", "password": PASSWORD}).to_string();
    let first = send("/v1/auth/login", login.clone()).await;
    let second = send("/v1/auth/login", login).await;
    assert_eq!((first.status, second.status), (200, 200));
    assert!(second.headers.get("idempotent-replayed").is_none());
    assert_ne!(first.body["refresh_token"], second.body["refresh_token"]);
    // Logged out, the first session's tokens are not replayed by its login's key either.
    let refresh = json!({"refresh_token": first.body["refresh_token"]}).to_string();
    assert_eq!(send("/v1/auth/logout", refresh.clone()).await.status, 204);
    assert_eq!(send("/v1/auth/refresh", refresh).await.status, 401);
    // Not a word about keys in their documentation either.
    let doc = app.get("/openapi.json", None).await.body;
    for path in [
        "/v1/auth/signup",
        "/v1/auth/login",
        "/v1/auth/refresh",
        "/v1/auth/logout",
        "/v1/auth/confirm",
    ] {
        let operation = &doc["paths"][path]["post"];
        assert!(!operation.to_string().contains("Idempotency-Key"), "{path}");
    }
    assert!(doc["paths"]["/v1/jobs"]["post"]
        .to_string()
        .contains("Idempotency-Key"));
}

#[tokio::test]
async fn a_redelivered_signup_event_sends_one_email() {
    let app = TestApp::spawn().await;
    assert_eq!(app.signup("lee@example.com", &["client"]).await.status, 201);
    let token = app.confirmation_token("lee@example.com").await;
    let mailbox = app.get("/_dev/mailbox?to=lee@example.com", None).await;
    assert_eq!(mailbox.body["items"].as_array().unwrap().len(), 1);

    // Deliver the same EventBridge event again straight to the worker, as SQS may.
    let (items, _) = app
        .stack
        .app
        .store
        .query_prefix(None, "", "", false, 1, None)
        .await
        .unwrap_or_default();
    let _ = items;
    let outbox = scan_outbox(&app).await;
    let signed_up = outbox
        .iter()
        .find(|e| e["type"] == "AccountSignedUp")
        .expect("outbox event")
        .clone();
    let envelope = json!({"version": "0", "id": "x", "detail-type": "AccountSignedUp", "source": "worklane", "detail": signed_up});
    let event: aws_lambda_events::event::sqs::SqsEvent =
        serde_json::from_value(json!({"Records": [
            {"messageId": "m1", "body": envelope.to_string()},
            {"messageId": "m2", "body": envelope.to_string()},
            {"messageId": "poison", "body": "not json"}
        ]}))
        .unwrap();
    let response = worklane_reputation::NOTIFICATIONS
        .handle(&app.stack.app, event, Utc::now())
        .await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, vec!["poison"]);
    let mailbox = app.get("/_dev/mailbox?to=lee@example.com", None).await;
    assert_eq!(
        mailbox.body["items"].as_array().unwrap().len(),
        1,
        "no second email"
    );
    assert_eq!(app.confirmation_token("lee@example.com").await, token);
}

async fn scan_outbox(app: &TestApp) -> Vec<serde_json::Value> {
    // Test-only inspection of the outbox items (never a request path).
    let output = app
        .stack
        .app
        .store
        .client()
        .scan()
        .table_name(app.stack.app.store.table())
        .filter_expression("begins_with(pk, :outbox)")
        .expression_attribute_values(
            ":outbox",
            aws_sdk_dynamodb::types::AttributeValue::S("OUTBOX#".into()),
        )
        .send()
        .await
        .unwrap();
    output
        .items
        .unwrap_or_default()
        .into_iter()
        .filter_map(|item| item.get("event").and_then(|v| v.as_s().ok()).cloned())
        .map(|s| serde_json::from_str(&s).unwrap())
        .collect()
}

#[tokio::test]
async fn openapi_describes_every_route() {
    let app = TestApp::spawn().await;
    let doc = app.get("/openapi.json", None).await;
    assert_eq!(doc.status, 200);
    assert_eq!(doc.body["openapi"], "3.1.0");
    for route in worklane_devstack::functions::routes() {
        let operation = &doc.body["paths"][route.path][route.method.as_str().to_lowercase()];
        assert_eq!(
            operation["operationId"],
            route.operation_id,
            "{}",
            route.key()
        );
    }
    let signup = &doc.body["paths"]["/v1/auth/signup"]["post"]["requestBody"]["content"]
        ["application/json"]["schema"];
    let reference = signup["$ref"].as_str().expect("a schema reference");
    let name = reference.rsplit('/').next().unwrap();
    assert!(doc.body["components"]["schemas"][name]["properties"]["email"].is_object());
}

/// `api-docs` embeds `docs/openapi.json` so that it links no handler: the file must be what
/// the routes generate today.
#[test]
fn the_committed_openapi_document_is_what_the_routes_generate() {
    let committed =
        std::fs::read_to_string(worklane_devstack::repo_root().join("docs/openapi.json"))
            .expect("docs/openapi.json exists");
    assert!(
        committed == worklane_devstack::functions::openapi_document(),
        "docs/openapi.json is stale: run `cargo run -p worklane-devstack --bin openapi`"
    );
    assert_eq!(committed, worklane_platform::handlers::docs::DOCUMENT);
}

#[test]
fn the_local_routes_are_exactly_the_sam_template_routes() {
    let template = Template::load_default().unwrap();
    let in_template: BTreeSet<(String, String, String)> = template
        .http_routes()
        .into_iter()
        .map(|r| (r.method, r.path, r.binary))
        .collect();
    let in_code: BTreeSet<(String, String, String)> = worklane_devstack::functions::routes()
        .iter()
        .map(|r| {
            (
                r.method.to_string(),
                r.path.to_string(),
                r.function.to_string(),
            )
        })
        .collect();
    assert_eq!(in_template, in_code);
    // And every function binary in the template exists in the code, and vice versa.
    let binaries: BTreeSet<String> = template.functions().into_iter().map(|f| f.binary).collect();
    let functions: BTreeSet<String> = worklane_devstack::functions::all()
        .iter()
        .map(|f| f.name().to_string())
        .collect();
    assert_eq!(binaries, functions);
}

#[test]
fn every_function_has_a_template_resource_and_a_sample_event() {
    let template = worklane_devstack::template::Template::load_default().unwrap();
    let in_template: BTreeSet<String> =
        template.functions().into_iter().map(|f| f.binary).collect();
    for function in worklane_devstack::functions::all() {
        let binary = function.name();
        assert!(
            in_template.contains(binary),
            "{binary} is not in infra/template.yaml"
        );
        let sample = worklane_devstack::repo_root().join(format!("infra/events/{binary}.json"));
        let text = std::fs::read_to_string(&sample)
            .unwrap_or_else(|_| panic!("{} is missing", sample.display()));
        serde_json::from_str::<serde_json::Value>(&text).expect("sample events are JSON");
    }
    assert_eq!(
        in_template.len(),
        worklane_devstack::functions::all().len(),
        "no template function without code"
    );
}

#[tokio::test]
async fn the_dev_clock_freezes_what_requests_and_schedules_see() {
    let app = TestApp::spawn().await;
    let frozen = "2027-03-01T09:30:00Z";
    let at = |raw: &serde_json::Value| {
        chrono::DateTime::parse_from_rfc3339(raw.as_str().expect("a time"))
            .expect("an RFC 3339 time")
            .with_timezone(&Utc)
    };
    let frozen_at = at(&json!(frozen));
    app.set_clock(frozen).await;
    let clock = app.get("/_dev/clock", None).await;
    assert_eq!(clock.status, 200);
    assert_eq!(
        (at(&clock.body["now"]), &clock.body["frozen"]),
        (frozen_at, &json!(true))
    );

    // A request is stamped with the frozen time.
    let (client, refresh) = app.confirmed_user("clock@example.com", &["client"]).await;
    let job = app
        .post(
            "/v1/jobs",
            Some(&client),
            &json!({"title": "Rust API on Lambda",
                "description": "A serverless REST API in Rust on AWS Lambda with DynamoDB.",
                "category": "web-mobile-software-dev", "skills": ["rust", "dynamodb"],
                "experience_level": "expert", "type": "fixed",
                "budget": {"amount": "600.00", "currency": "USD"}, "duration": "1-3 months"}),
        )
        .await;
    assert_eq!(job.status, 201, "{}", job.body);
    assert_eq!(at(&job.body["posted_at"]), frozen_at, "{}", job.body);
    // A schedule run without ?time= runs at the clock's time.
    let run = app
        .send(
            http::Method::POST,
            "/_dev/schedules/escrow-auto-release",
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(run.status, 200, "{}", run.body);
    assert_eq!(at(&run.body["time"]), frozen_at);

    // 20 minutes later the access token has expired; a refresh gives a working one.
    app.set_clock("2027-03-01T09:50:00Z").await;
    assert_eq!(app.get("/v1/me", Some(&client)).await.status, 401);
    let (client, _) = app.refresh(&refresh).await;
    assert_eq!(app.get("/v1/me", Some(&client)).await.status, 200);

    // Back to the wall clock.
    let reset = app
        .send(http::Method::DELETE, "/_dev/clock", None, None, &[])
        .await;
    assert_eq!((reset.status, &reset.body["frozen"]), (200, &json!(false)));
    let drift = (at(&reset.body["now"]) - Utc::now()).num_seconds().abs();
    assert!(drift < 60, "{}", reset.body);

    // Not a time: a 422 problem, and the clock stays as it was.
    let bad = app
        .send(
            http::Method::PUT,
            "/_dev/clock",
            None,
            Some(r#"{"now":"next tuesday"}"#),
            &[],
        )
        .await;
    assert_eq!((bad.status, bad.code()), (422, "validation_failed"));
    assert_eq!(bad.content_type(), "application/problem+json");
    assert_eq!(bad.body["errors"][0]["field"], "now", "{}", bad.body);
    assert_eq!(app.get("/_dev/clock", None).await.body["frozen"], false);
}

/// The local server, probed with a raw TCP client: a client that never finishes its headers
/// or its body does not hold a connection open, and a body announced larger than the limit
/// is refused with 413 at once, without `100 Continue`. The timeouts are the test's own
/// (500 ms), so nothing here waits long.
#[tokio::test]
async fn the_local_server_drops_stalled_clients_and_refuses_large_bodies_at_once() {
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use worklane_devstack::server::{bind, serve_with_limits, Delivery, Limits};

    let app = TestApp::spawn().await;
    let limits = Limits {
        header_read: Duration::from_millis(500),
        body_read: Duration::from_millis(500),
        ..Limits::default()
    };
    let listener = bind(([127, 0, 0, 1], 0).into()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(serve_with_limits(
        listener,
        app.stack.clone(),
        Delivery::BeforeAnswer,
        limits,
    ));
    // What the server says on a connection after `request`, until it closes it (bounded).
    async fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> (String, Duration) {
        let started = Instant::now();
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(request).await.unwrap();
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
            .await
            .expect("the server closed the connection within 10 s")
            .ok();
        (
            String::from_utf8_lossy(&answer).into_owned(),
            started.elapsed(),
        )
    }

    // Headers never finished: closed after the header timeout, not a minute later.
    let (answer, took) =
        exchange(addr, b"GET /openapi.json HTTP/1.1\r\nHost: x\r\nX-Slow: 1").await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(5),
        "{took:?}"
    );

    // 20 MB announced, asking to continue: 413 problem+json at once, never `100 Continue`.
    let (answer, took) = exchange(
        addr,
        b"POST /v1/auth/signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 20971520\r\nExpect: 100-continue\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(!answer.contains("100 Continue"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");
    assert!(took < Duration::from_millis(400), "{took:?}");

    // A body that stops coming: 408 after the body deadline, and the connection closes.
    let (answer, took) = exchange(
        addr,
        b"POST /v1/auth/signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"email\":",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(5),
        "{took:?}"
    );

    // A well-behaved client is served as before.
    let (answer, _) = exchange(
        addr,
        b"GET /openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "{}",
        &answer[..answer.len().min(200)]
    );
    server.abort();
}

/// Every object a request body may contain is closed (`additionalProperties: false`), as
/// the server is (`deny_unknown_fields`, tagged enums included): a new request type that
/// forgets it fails here, not in a probe.
#[test]
fn every_request_body_refuses_unknown_fields() {
    use serde_json::Value;
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(worklane_devstack::repo_root().join("docs/openapi.json"))
            .expect("docs/openapi.json exists"),
    )
    .unwrap();
    let schemas = &doc["components"]["schemas"];
    fn walk(
        schema: &Value,
        schemas: &Value,
        at: &str,
        seen: &mut BTreeSet<String>,
        open: &mut Vec<String>,
        objects: &mut usize,
    ) {
        if let Some(name) = schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
            if seen.insert(name.to_string()) {
                walk(
                    &schemas[name],
                    schemas,
                    &format!("{at} > {name}"),
                    seen,
                    open,
                    objects,
                );
            }
            return;
        }
        let is_object = match &schema["type"] {
            Value::String(t) => t == "object",
            Value::Array(types) => types.iter().any(|t| t == "object"),
            _ => false,
        };
        if is_object {
            *objects += 1;
            if schema["additionalProperties"] != Value::Bool(false) {
                open.push(at.to_string());
            }
        }
        let nested = schema["properties"]
            .as_object()
            .into_iter()
            .flat_map(|p| p.values());
        let alternatives = ["oneOf", "anyOf", "allOf"]
            .into_iter()
            .flat_map(|k| schema[k].as_array().into_iter().flatten());
        for inner in nested
            .chain(alternatives)
            .chain(std::iter::once(&schema["items"]))
        {
            if inner.is_object() {
                walk(inner, schemas, at, seen, open, objects);
            }
        }
    }
    let (mut open, mut objects) = (Vec::new(), 0);
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let body = &operation["requestBody"]["content"]["application/json"]["schema"];
            if body.is_object() {
                let at = format!("{method} {path}");
                walk(
                    body,
                    schemas,
                    &at,
                    &mut BTreeSet::new(),
                    &mut open,
                    &mut objects,
                );
            }
        }
    }
    assert!(objects > 50, "only {objects} request objects found");
    assert!(
        open.is_empty(),
        "request objects that accept unknown fields: {open:#?}"
    );
}
