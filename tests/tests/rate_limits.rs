//! Rate limits (docs/trust-and-safety.md): the production limits driven over their edge and
//! back by the stack clock, per source address and per user; the 429 in the document; and
//! API Gateway's throttle classes in the template against the code's.

use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::IpAddr;
use worklane::domain::rate_limit::{Action, KeyKind, RateLimit};
use worklane_tests::{Reply, TestApp};

const T0: &str = "2026-12-07T10:00:00Z";

fn at(offset_secs: i64) -> String {
    let t0: chrono::DateTime<chrono::Utc> = T0.parse().unwrap();
    (t0 + chrono::Duration::seconds(offset_secs)).to_rfc3339()
}

/// The production row of `action` for `key`: the test drives the real defaults.
fn production(action: Action, key: KeyKind) -> RateLimit {
    *action
        .limits()
        .find(|limit| limit.key == key)
        .unwrap_or_else(|| panic!("{action:?} has no {key:?} limit"))
}

/// A stack with the production limits and the clock frozen at T0 (so no token comes back
/// while the test runs).
async fn stack() -> TestApp {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.stack.app.config.rate_limit_scale, 1,
        "this test drives the production limits: unset WORKLANE_RATE_LIMIT_SCALE"
    );
    app.set_clock(T0).await;
    app
}

/// POST from another source address (another loopback address: the local server keys by
/// the connection's peer, as API Gateway does by `sourceIp`).
async fn post_from(app: &TestApp, from: IpAddr, path: &str, body: &Value) -> Reply {
    let client = reqwest::Client::builder()
        .local_address(from)
        .build()
        .unwrap();
    let request = client
        .request(Method::POST, format!("{}{path}", app.base))
        .header("content-type", "application/json")
        .body(body.to_string());
    Reply::of(request).await
}

fn retry_after(reply: &Reply) -> i64 {
    reply
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After in seconds: {:?}", reply.headers))
}

/// The refusal every limit answers: 429 problem+json `rate_limited` naming the action, with
/// `Retry-After` of one refill interval (the bucket is empty by exactly one token).
fn assert_refused(reply: &Reply, limit: &RateLimit) {
    assert_eq!(reply.status, 429, "{}", reply.body);
    assert_eq!(reply.content_type(), "application/problem+json");
    assert_eq!(reply.code(), "rate_limited");
    assert_eq!(reply.body["status"], 429);
    let detail = reply.body["detail"].as_str().unwrap();
    assert!(
        detail.contains(limit.action.described()),
        "the detail names the action: {detail}"
    );
    assert_eq!(retry_after(reply), limit.refill_every.num_seconds());
}

#[tokio::test]
async fn an_address_over_its_limit_waits_and_other_addresses_do_not() {
    let app = stack().await;
    let limit = production(Action::ConfirmEmail, KeyKind::Ip);
    // Guessing confirmation tokens: each wrong guess is a 404 until the address's bucket is
    // empty.
    let guess = |i: u32| json!({"token": format!("guess-{i}")});
    for i in 0..limit.capacity {
        let reply = app.post("/v1/auth/confirm", None, &guess(i)).await;
        assert_eq!(
            (reply.status, reply.code()),
            (404, "invalid_token"),
            "guess {i}"
        );
    }
    let over = app.post("/v1/auth/confirm", None, &guess(999)).await;
    assert_refused(&over, &limit);

    // Another address has its own bucket.
    let other: IpAddr = "127.0.0.2".parse().unwrap();
    let elsewhere = post_from(&app, other, "/v1/auth/confirm", &guess(1000)).await;
    assert_eq!(elsewhere.status, 404, "{}", elsewhere.body);

    // Not a second earlier than Retry-After...
    let wait = retry_after(&over);
    app.set_clock(&at(wait - 1)).await;
    assert_eq!(
        app.post("/v1/auth/confirm", None, &guess(1001))
            .await
            .status,
        429
    );
    // ... and then one token is back: one call goes through, the next is refused again.
    app.set_clock(&at(wait)).await;
    let back = app.post("/v1/auth/confirm", None, &guess(1002)).await;
    assert_eq!(back.status, 404, "{}", back.body);
    assert_refused(
        &app.post("/v1/auth/confirm", None, &guess(1003)).await,
        &limit,
    );
}

#[tokio::test]
async fn a_user_over_the_limit_waits_and_other_users_do_not() {
    let app = stack().await;
    let (ann, _) = app.confirmed_user("ann@example.com", &["freelancer"]).await;
    let (bob, _) = app.confirmed_user("bob@example.com", &["freelancer"]).await;
    let limit = production(Action::Upload, KeyKind::User);
    let declaration = |name: &str| {
        json!({"purpose": "attachment", "content_type": "image/png", "size_bytes": 1000,
               "file_name": name})
    };
    for i in 0..limit.capacity {
        let reply = app
            .post(
                "/v1/files/uploads",
                Some(&ann),
                &declaration(&format!("{i}.png")),
            )
            .await;
        assert_eq!(reply.status, 201, "upload {i}: {}", reply.body);
    }
    // The refused request carries an Idempotency-Key: a refusal is not stored under it, so
    // the same request after the wait is served, not answered 429 again.
    let keyed = declaration("keyed.png").to_string();
    let key = [("idempotency-key", "upload-after-the-wait")];
    let over = app
        .send(
            Method::POST,
            "/v1/files/uploads",
            Some(&ann),
            Some(&keyed),
            &key,
        )
        .await;
    assert_refused(&over, &limit);

    // Bob, from the same address, is not Ann (and the address's own limit is wider).
    assert!(production(Action::Upload, KeyKind::Ip).capacity > limit.capacity + 1);
    let bobs = app
        .post("/v1/files/uploads", Some(&bob), &declaration("bob.png"))
        .await;
    assert_eq!(bobs.status, 201, "{}", bobs.body);

    app.set_clock(&at(retry_after(&over))).await;
    let retried = app
        .send(
            Method::POST,
            "/v1/files/uploads",
            Some(&ann),
            Some(&keyed),
            &key,
        )
        .await;
    assert_eq!(retried.status, 201, "{}", retried.body);
    assert!(retried.headers.get("idempotent-replayed").is_none());
    assert_refused(
        &app.post("/v1/files/uploads", Some(&ann), &declaration("more.png"))
            .await,
        &limit,
    );
}

#[test]
fn the_document_lists_the_429_of_every_limited_operation_and_only_theirs() {
    let routes = worklane_devstack::functions::routes();
    let document = worklane::http::openapi::document(routes, &Default::default());
    let mut limited = 0;
    for route in routes {
        let operation = &document["paths"][route.path][route.method.as_str().to_lowercase()];
        let answer = &operation["responses"]["429"];
        match route.limit {
            Some(action) => {
                limited += 1;
                let reference = answer["$ref"].as_str().unwrap_or_else(|| {
                    panic!("{} lists no 429: {}", route.operation_id, operation)
                });
                let name = reference.rsplit('/').next().unwrap();
                let shared = &document["components"]["responses"][name];
                assert!(
                    shared["headers"]["Retry-After"].is_object(),
                    "{}",
                    route.operation_id
                );
                let examples = &shared["content"]["application/problem+json"]["examples"];
                let named = examples.as_object().unwrap().values().any(|example| {
                    let name = example["$ref"].as_str().unwrap_or_default();
                    let body = &document["components"]["examples"]
                        [name.rsplit('/').next().unwrap_or_default()]["value"];
                    body["code"] == "rate_limited"
                        && body["detail"]
                            .as_str()
                            .is_some_and(|d| d.contains(action.described()))
                });
                assert!(named, "{}: no rate_limited example", route.operation_id);
            }
            // Login's lockout (too_many_attempts) is the only other 429.
            None => assert!(
                answer.is_null() || route.operation_id == "login",
                "{} lists a 429 but declares no limit",
                route.operation_id
            ),
        }
    }
    assert!(
        limited >= 8,
        "signup, login, confirm, proposals, messages, uploads, searches"
    );
}

#[test]
fn the_gateway_throttles_each_route_by_the_class_the_code_gives_it() {
    let template = worklane_devstack::template::Template::load_default().unwrap();
    let (default, in_template) = template.throttle_classes().unwrap();
    assert_eq!(default, "default");
    let in_code: BTreeMap<String, String> = worklane_devstack::functions::routes()
        .iter()
        .filter(|route| route.throttle_class() != "default")
        .map(|route| (route.key(), route.throttle_class().to_string()))
        .collect();
    assert_eq!(in_template, in_code);
    // Every rate-limited action sits in a tighter class than the default.
    for route in worklane_devstack::functions::routes() {
        if route.limit.is_some() {
            assert_ne!(route.throttle_class(), "default", "{}", route.key());
        }
    }
}

#[test]
fn docs_list_exactly_the_limits_of_the_code() {
    let path = worklane_devstack::repo_root().join("docs/trust-and-safety.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let section = text
        .split("### The application limits")
        .nth(1)
        .and_then(|rest| rest.split("\n### ").next())
        .expect("docs/trust-and-safety.md has the table of application limits");
    let documented: Vec<(String, String, u32, i64)> = section
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let seconds: f64 = cells[4].trim_end_matches(" s").parse().unwrap();
            (
                cells[1].trim_matches('`').to_string(),
                cells[2].to_string(),
                cells[3].parse().unwrap(),
                (seconds * 1000.0).round() as i64,
            )
        })
        .collect();
    let in_code: Vec<(String, String, u32, i64)> = worklane::domain::rate_limit::LIMITS
        .iter()
        .map(|limit| {
            (
                limit.action.as_str().to_string(),
                limit.key.as_str().to_string(),
                limit.capacity,
                limit.refill_every.num_milliseconds(),
            )
        })
        .collect();
    assert_eq!(documented, in_code);
}
