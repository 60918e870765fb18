//! Notifications end to end on the local stack (PRODUCT §12.2): real flows over HTTP, each
//! event's inbox item for the right recipient only, exactly once even when every event is
//! delivered again, emails once, the 48-hour auto-release and review-closing reminders fired
//! by their schedule at their time (not before), paging, unread counts, mark-read, who may
//! see and mark what, bad input, and a poison message in a batch.

use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use worklane_tests::{fixed_contract, hourly_contract, user_id, Reply, TestApp};

struct Party {
    access: String,
    refresh: String,
}

fn t(raw: &str) -> DateTime<Utc> {
    raw.parse().unwrap()
}

fn rfc(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn party(app: &TestApp, email: &str, roles: &[&str]) -> Party {
    let (access, refresh) = app.confirmed_user(email, roles).await;
    Party { access, refresh }
}

/// Moves the frozen clock and renews everyone's access token for the new time.
async fn at(app: &TestApp, now: &str, parties: &mut [&mut Party]) {
    app.set_clock(now).await;
    for party in parties.iter_mut() {
        let (access, refresh) = app.refresh(&party.refresh).await;
        party.access = access;
        party.refresh = refresh;
    }
}

/// The whole inbox, newest first, read in pages of `page`; and the unread count.
async fn inbox(app: &TestApp, token: &str, page: usize) -> (Vec<Value>, i64) {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    let mut unread = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/me/notifications?limit={page}&cursor={c}"),
            None => format!("/v1/me/notifications?limit={page}"),
        };
        let reply = app.get(&path, Some(token)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let count = reply.body["unread_count"].as_i64().unwrap();
        assert_eq!(*unread.get_or_insert(count), count, "stable while paging");
        let got = reply.body["items"].as_array().unwrap();
        assert!(got.len() <= page);
        items.extend(got.iter().cloned());
        match reply.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    let times: Vec<DateTime<Utc>> = items
        .iter()
        .map(|i| t(i["created_at"].as_str().unwrap()))
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    (items, unread.unwrap_or(0))
}

/// How many items of each kind.
fn kinds(items: &[Value]) -> BTreeMap<String, usize> {
    let mut kinds = BTreeMap::new();
    for item in items {
        *kinds
            .entry(item["kind"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    kinds
}

fn expect(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
}

async fn mailbox(app: &TestApp, email: &str) -> Vec<Value> {
    app.get(&format!("/_dev/mailbox?to={email}"), None)
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn mark(app: &TestApp, token: Option<&str>, body: Option<&str>) -> Reply {
    app.send(Method::POST, "/v1/me/notifications/read", token, body, &[])
        .await
}

/// Every event in the outbox (test-only inspection, never a request path).
async fn outbox_events(app: &TestApp) -> Vec<Value> {
    let store = &app.stack.app.store;
    let mut events = Vec::new();
    let mut start = None;
    loop {
        let output = store
            .client()
            .scan()
            .table_name(store.table())
            .filter_expression("begins_with(pk, :outbox)")
            .expression_attribute_values(
                ":outbox",
                aws_sdk_dynamodb::types::AttributeValue::S("OUTBOX#".into()),
            )
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        events.extend(
            output
                .items
                .unwrap_or_default()
                .into_iter()
                .filter_map(|item| item.get("event").and_then(|v| v.as_s().ok()).cloned())
                .map(|s| serde_json::from_str::<Value>(&s).unwrap()),
        );
        match output.last_evaluated_key {
            Some(key) => start = Some(key),
            None => return events,
        }
    }
}

/// Delivers `events` to the notifications worker again, as SQS may, with `extra` raw bodies;
/// returns the message ids reported as failed.
async fn redeliver(app: &TestApp, events: &[Value], extra: &[(&str, &str)]) -> Vec<String> {
    let mut records: Vec<Value> = events
        .iter()
        .enumerate()
        .map(|(i, detail)| {
            let envelope = json!({"version": "0", "id": format!("redelivery-{i}"),
                "detail-type": detail["type"], "source": "worklane", "detail": detail});
            json!({"messageId": format!("m{i}"), "body": envelope.to_string()})
        })
        .collect();
    for (id, body) in extra {
        records.push(json!({"messageId": id, "body": body}));
    }
    let mut failed = Vec::new();
    // SQS hands a function at most 10 messages at a time.
    for chunk in records.chunks(10) {
        let event: aws_lambda_events::event::sqs::SqsEvent =
            serde_json::from_value(json!({ "Records": chunk })).unwrap();
        let response = worklane_reputation::NOTIFICATIONS
            .handle(&app.stack.app, event, app.stack.clock.now())
            .await;
        failed.extend(
            response
                .batch_item_failures
                .into_iter()
                .map(|f| f.item_identifier),
        );
    }
    failed
}

#[tokio::test]
async fn fixed_price_work_notifies_each_party_once_and_the_inbox_reads_and_marks() {
    let app = TestApp::spawn().await;
    app.set_clock("2026-12-01T10:00:00Z").await;
    let mut client = party(&app, "client@example.com", &["client"]).await;
    let mut freelancer = party(&app, "freelancer@example.com", &["freelancer"]).await;
    let mut stranger = party(&app, "stranger@example.com", &["freelancer"]).await;
    app.add_card(&client.access).await;

    // A job: the client invites the freelancer; the stranger applies (a proposal).
    let job = app
        .post(
            "/v1/jobs",
            Some(&client.access),
            &json!({"title": "Rust worker for SQS",
                "description": "A queue worker in Rust on AWS Lambda with DynamoDB.",
                "category": "web-mobile-software-dev", "skills": ["rust"],
                "experience_level": "expert", "type": "fixed",
                "budget": {"amount": "500.00", "currency": "USD"}, "duration": "1-3 months"}),
        )
        .await;
    assert_eq!(job.status, 201, "{}", job.body);
    let job = job.body["id"].as_str().unwrap().to_string();
    let invited = app
        .post(
            &format!("/v1/jobs/{job}/invitations"),
            Some(&client.access),
            &json!({"freelancer_id": user_id(&app, &freelancer.access).await}),
        )
        .await;
    assert_eq!(invited.status, 201, "{}", invited.body);
    let applied = app
        .post(
            &format!("/v1/jobs/{job}/proposals"),
            Some(&stranger.access),
            &json!({"cover_letter": "I have shipped several Rust services on Lambda.",
                "bid": {"amount": "450.00", "currency": "USD"}, "duration": "1-3 months",
                "boost_connects": 0}),
        )
        .await;
    assert_eq!(applied.status, 201, "{}", applied.body);

    // Offer → contract → fund → submit → changes → submit again → approve.
    let (contract, first) =
        fixed_contract(&app, &client.access, &freelancer.access, "300.00").await;
    let act = |token: String, milestone: String, action: &'static str| {
        let app = &app;
        async move {
            let body = match action {
                "submit" | "request-changes" => json!({"message": "see the notes"}),
                _ => json!({}),
            };
            let reply = app
                .post(
                    &format!("/v1/milestones/{milestone}/{action}"),
                    Some(&token),
                    &body,
                )
                .await;
            assert_eq!(reply.status, 200, "{action}: {}", reply.body);
            reply
        }
    };
    act(client.access.clone(), first.clone(), "fund").await;
    act(freelancer.access.clone(), first.clone(), "submit").await;
    at(
        &app,
        "2026-12-01T10:05:00Z",
        &mut [&mut client, &mut freelancer, &mut stranger],
    )
    .await;
    act(client.access.clone(), first.clone(), "request-changes").await;
    at(
        &app,
        "2026-12-01T10:10:00Z",
        &mut [&mut client, &mut freelancer, &mut stranger],
    )
    .await;
    let resubmitted = act(freelancer.access.clone(), first.clone(), "submit").await;
    let auto_release_at = t(resubmitted.body["auto_release_at"].as_str().unwrap());
    assert_eq!(auto_release_at, t("2026-12-15T10:10:00Z"));

    // The 48-hour reminder: not a minute early; once at its time (the first submission's
    // reminder, made stale by the changes, tells nobody); a re-run adds nothing.
    let remind_at = auto_release_at - Duration::hours(48);
    let early = app
        .fire("notification-reminders", remind_at - Duration::minutes(1))
        .await;
    assert_eq!(early["applied"], 0, "{early}");
    let (items, _) = inbox(&app, &client.access, 100).await;
    assert_eq!(kinds(&items).get("auto_release_soon"), None);
    let due = app.fire("notification-reminders", remind_at).await;
    assert_eq!(due["applied"], 1, "{due}");
    let again = app
        .fire("notification-reminders", remind_at + Duration::minutes(15))
        .await;
    assert_eq!(again["applied"], 0, "{again}");

    // Back at the resubmission's time: approve; then a second milestone, funded and refunded.
    at(
        &app,
        "2026-12-01T10:20:00Z",
        &mut [&mut client, &mut freelancer, &mut stranger],
    )
    .await;
    act(client.access.clone(), first.clone(), "approve").await;
    let second = worklane_tests::add_milestone(&app, &client.access, &contract, "100.00").await;
    act(client.access.clone(), second.clone(), "fund").await;
    act(freelancer.access.clone(), second.clone(), "refund").await;

    let client_expected = expect(&[
        ("proposal_received", 1),
        ("contract_started", 1),
        ("milestone_submitted", 2),
        ("auto_release_soon", 1),
        ("milestone_refunded", 1),
    ]);
    let freelancer_expected = expect(&[
        ("invitation_received", 1),
        ("offer_received", 1),
        ("contract_started", 1),
        ("milestone_funded", 2),
        ("milestone_changes_requested", 1),
        ("milestone_released", 1),
        ("contract_changed", 1),
    ]);
    let (client_items, client_unread) = inbox(&app, &client.access, 3).await;
    assert_eq!(kinds(&client_items), client_expected);
    assert_eq!(client_unread, client_items.len() as i64);
    let (freelancer_items, freelancer_unread) = inbox(&app, &freelancer.access, 4).await;
    assert_eq!(kinds(&freelancer_items), freelancer_expected);
    assert_eq!(freelancer_unread, freelancer_items.len() as i64);
    let (stranger_items, _) = inbox(&app, &stranger.access, 100).await;
    assert!(stranger_items.is_empty(), "{stranger_items:?}");
    // Items carry their links and are unread.
    let reminder = client_items
        .iter()
        .find(|i| i["kind"] == "auto_release_soon")
        .unwrap();
    assert_eq!(reminder["links"]["milestone_id"], json!(first));
    assert_eq!(reminder["links"]["contract_id"], json!(contract));
    assert!(reminder["read_at"].is_null());
    assert!(reminder["title"].as_str().unwrap().contains("48 hours"));
    let proposal = client_items
        .iter()
        .find(|i| i["kind"] == "proposal_received")
        .unwrap();
    assert_eq!(proposal["links"]["job_id"], json!(job));
    assert_eq!(proposal["links"]["proposal_id"], applied.body["id"]);

    // Emails for the important ones, once each.
    let subjects = |mails: &[Value]| -> BTreeMap<String, usize> {
        let mut s = BTreeMap::new();
        for m in mails {
            *s.entry(m["subject"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        s
    };
    let client_mail = mailbox(&app, "client@example.com").await;
    let freelancer_mail = mailbox(&app, "freelancer@example.com").await;
    assert_eq!(
        subjects(&client_mail).get("Escrow is released in 48 hours"),
        Some(&1)
    );
    assert_eq!(
        subjects(&client_mail).get("Work was submitted for review"),
        Some(&2)
    );
    assert_eq!(subjects(&freelancer_mail).get("Payment released"), Some(&1));
    assert_eq!(
        subjects(&freelancer_mail).get("You received an offer"),
        Some(&1)
    );

    // Every event delivered again, twice, with a poison message in the batch: the poison
    // alone is reported (→ DLQ after maxReceiveCount); nothing is added or sent twice.
    let events = outbox_events(&app).await;
    assert!(events.len() >= 15, "{}", events.len());
    let mut doubled = events.clone();
    doubled.extend(events.iter().cloned());
    let failed = redeliver(
        &app,
        &doubled,
        &[
            ("poison", "not json"),
            ("poison-2", r#"{"detail":{"type":"NoSuchEvent"}}"#),
        ],
    )
    .await;
    assert_eq!(failed, vec!["poison".to_string(), "poison-2".to_string()]);
    assert_eq!(
        inbox(&app, &client.access, 100).await,
        (client_items.clone(), client_unread)
    );
    assert_eq!(
        inbox(&app, &freelancer.access, 100).await,
        (freelancer_items.clone(), freelancer_unread)
    );
    assert_eq!(
        mailbox(&app, "client@example.com").await.len(),
        client_mail.len()
    );
    assert_eq!(
        mailbox(&app, "freelancer@example.com").await.len(),
        freelancer_mail.len()
    );

    // Mark two read (one of them twice, plus the stranger's view of an id that is not theirs):
    // the count drops by exactly two; the same request again marks nothing.
    let ids: Vec<String> = client_items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    let body = json!({"ids": [ids[0], ids[1], ids[0], freelancer_items[0]["id"]]}).to_string();
    let marked = mark(&app, Some(&client.access), Some(&body)).await;
    assert_eq!(marked.status, 200, "{}", marked.body);
    assert_eq!(marked.body["marked"], 2);
    assert_eq!(marked.body["unread_count"], client_unread - 2);
    let again = mark(&app, Some(&client.access), Some(&body)).await;
    assert_eq!(
        (
            again.body["marked"].clone(),
            again.body["unread_count"].clone()
        ),
        (json!(0), json!(client_unread - 2))
    );
    let (after, unread) = inbox(&app, &client.access, 100).await;
    assert_eq!(unread, client_unread - 2);
    assert!(after[0]["read_at"].is_string() && after[1]["read_at"].is_string());
    assert!(after[2]["read_at"].is_null());
    // The freelancer's item named in the client's request was not touched.
    let (f_after, f_unread) = inbox(&app, &freelancer.access, 100).await;
    assert_eq!(f_unread, freelancer_unread);
    assert!(f_after.iter().all(|i| i["read_at"].is_null()));

    // A stranger can neither see nor mark the client's items.
    let theirs = json!({"ids": [ids[2], ids[3]]}).to_string();
    let tried = mark(&app, Some(&stranger.access), Some(&theirs)).await;
    assert_eq!(
        (tried.status, tried.body["marked"].clone()),
        (200, json!(0))
    );
    assert_eq!(inbox(&app, &client.access, 100).await.1, client_unread - 2);
    let cursor_of_client = app
        .get("/v1/me/notifications?limit=1", Some(&client.access))
        .await
        .body["next_cursor"]
        .as_str()
        .unwrap()
        .to_string();
    let replayed = app
        .get(
            &format!("/v1/me/notifications?limit=1&cursor={cursor_of_client}"),
            Some(&stranger.access),
        )
        .await;
    assert_eq!(
        (replayed.status, replayed.code()),
        (422, "validation_failed")
    );

    // Bad input: problem+json 4xx.
    for (body, status) in [
        (r#"{"ids": []}"#, 422),
        (r#"{"ids": ["nope"]}"#, 422),
        (r#"{"all": false}"#, 422),
        (r#"{"all": true, "ids": []}"#, 422),
        (r#"{"everything": true}"#, 422),
        (r#"{"ids": "#, 400),
    ] {
        let reply = mark(&app, Some(&client.access), Some(body)).await;
        assert_eq!(reply.status, status, "{body}: {}", reply.body);
        assert_eq!(reply.content_type(), "application/problem+json", "{body}");
    }
    let many: Vec<String> = (0..51).map(|_| ids[0].clone()).collect();
    let too_many = mark(
        &app,
        Some(&client.access),
        Some(&json!({ "ids": many }).to_string()),
    )
    .await;
    assert_eq!(too_many.status, 422);
    let named = mark(&app, Some(&client.access), Some(r#"{"ids": [" x"]}"#)).await;
    assert_eq!(named.body["errors"][0]["field"], "ids[0]");
    assert_eq!(app.get("/v1/me/notifications", None).await.status, 401);
    assert_eq!(mark(&app, None, None).await.status, 401);
    for query in ["limit=0", "limit=101", "limit=x", "cursor=forged.cursor"] {
        let reply = app
            .get(
                &format!("/v1/me/notifications?{query}"),
                Some(&client.access),
            )
            .await;
        assert_eq!(reply.status, 422, "{query}: {}", reply.body);
    }

    // Mark all (no body): everything read, in one step; a later event is unread again.
    let all = mark(&app, Some(&client.access), None).await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(
        (all.body["marked"].clone(), all.body["unread_count"].clone()),
        (json!(client_unread - 2), json!(0))
    );
    let (after, unread) = inbox(&app, &client.access, 100).await;
    assert_eq!(unread, 0);
    assert!(after.iter().all(|i| i["read_at"].is_string()), "{after:?}");
    at(
        &app,
        "2026-12-01T10:30:00Z",
        &mut [&mut client, &mut freelancer, &mut stranger],
    )
    .await;
    let ended = app
        .post(
            &format!("/v1/contracts/{contract}/end"),
            Some(&freelancer.access),
            &json!({}),
        )
        .await;
    assert_eq!(ended.status, 200, "{}", ended.body);
    let (after, unread) = inbox(&app, &client.access, 100).await;
    assert_eq!(unread, 1);
    // (The reminder, dated in this test's future, sorts first.)
    let fresh = after
        .iter()
        .find(|i| i["kind"] == "contract_changed")
        .unwrap();
    assert!(fresh["read_at"].is_null());
    assert_eq!(after.iter().filter(|i| i["read_at"].is_null()).count(), 1);
    // Marking it by id after a mark-all counts right; `{"all": true}` with nothing unread is 0.
    let one = json!({"ids": [fresh["id"]]}).to_string();
    let marked = mark(&app, Some(&client.access), Some(&one)).await;
    assert_eq!(
        (
            marked.body["marked"].clone(),
            marked.body["unread_count"].clone()
        ),
        (json!(1), json!(0))
    );
    let none = mark(&app, Some(&client.access), Some(r#"{"all": true}"#)).await;
    assert_eq!(
        (
            none.body["marked"].clone(),
            none.body["unread_count"].clone()
        ),
        (json!(0), json!(0))
    );
    let _ = freelancer_unread;
}

#[tokio::test]
async fn hourly_weeks_notify_and_the_review_closing_reminder_comes_on_thursday() {
    let app = TestApp::spawn().await;
    app.set_clock("2026-12-07T08:00:00Z").await;
    let mut client = party(&app, "client@example.com", &["client"]).await;
    let mut freelancer = party(&app, "freelancer@example.com", &["freelancer"]).await;
    app.add_card(&client.access).await;
    let contract = hourly_contract(&app, &client.access, &freelancer.access, 10).await;

    // An hour of manual time on Monday; the Monday after, the close invoices and charges it.
    at(
        &app,
        "2026-12-07T12:00:00Z",
        &mut [&mut client, &mut freelancer],
    )
    .await;
    let segments: Vec<Value> = (0..6)
        .map(|i| {
            json!({"start": rfc(t("2026-12-07T09:00:00Z") + Duration::minutes(10 * i)),
                   "manual": true, "memo": "Schema design"})
        })
        .collect();
    let logged = app
        .post(
            &format!("/v1/contracts/{contract}/time"),
            Some(&freelancer.access),
            &json!({ "segments": segments }),
        )
        .await;
    assert_eq!(logged.status, 200, "{}", logged.body);
    at(
        &app,
        "2026-12-14T12:00:00Z",
        &mut [&mut client, &mut freelancer],
    )
    .await;
    let close = app
        .fire("weekly-billing-close", t("2026-12-14T12:00:00Z"))
        .await;
    assert_eq!(close["applied"], 1, "{close}");

    let (client_items, _) = inbox(&app, &client.access, 100).await;
    let (freelancer_items, _) = inbox(&app, &freelancer.access, 100).await;
    assert_eq!(
        kinds(&client_items),
        expect(&[("contract_started", 1), ("week_invoiced", 1)])
    );
    assert_eq!(
        kinds(&freelancer_items),
        expect(&[
            ("offer_received", 1),
            ("contract_started", 1),
            ("week_charged", 1)
        ])
    );
    let invoiced = client_items
        .iter()
        .find(|i| i["kind"] == "week_invoiced")
        .unwrap();
    let timesheet = invoiced["links"]["timesheet_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(timesheet.starts_with("wk_"));

    // The review ends Saturday 2026-12-19 00:00: the client is reminded on Thursday 00:00.
    let early = app
        .fire("notification-reminders", t("2026-12-16T23:59:00Z"))
        .await;
    assert_eq!(early["applied"], 0, "{early}");
    let thursday = app
        .fire("notification-reminders", t("2026-12-17T00:00:00Z"))
        .await;
    assert_eq!(thursday["applied"], 1, "{thursday}");
    assert_eq!(
        app.fire("notification-reminders", t("2026-12-17T00:15:00Z"))
            .await["applied"],
        0
    );
    let (client_items, client_unread) = inbox(&app, &client.access, 100).await;
    let reminder = client_items
        .iter()
        .find(|i| i["kind"] == "review_closing")
        .unwrap();
    assert_eq!(reminder["links"]["timesheet_id"], json!(timesheet));
    assert_eq!(reminder["created_at"], "2026-12-17T00:00:00Z");
    assert_eq!(client_unread, 3);
    let mails = mailbox(&app, "client@example.com").await;
    assert_eq!(
        mails
            .iter()
            .filter(|m| m["subject"] == "The review of a week closes soon")
            .count(),
        1
    );

    // Saturday: released to the freelancer.
    let released = app
        .fire("hourly-review-release", t("2026-12-19T00:00:00Z"))
        .await;
    assert_eq!(released["applied"], 1, "{released}");
    let (freelancer_items, unread) = inbox(&app, &freelancer.access, 100).await;
    assert_eq!(
        kinds(&freelancer_items),
        expect(&[
            ("offer_received", 1),
            ("contract_started", 1),
            ("week_charged", 1),
            ("week_released", 1)
        ])
    );
    assert_eq!(unread, 4);
    // Delivered again: nothing new.
    let events = outbox_events(&app).await;
    assert!(redeliver(&app, &events, &[]).await.is_empty());
    assert_eq!(inbox(&app, &freelancer.access, 100).await.1, 4);
    assert_eq!(inbox(&app, &client.access, 100).await.1, 3);
}

#[tokio::test]
async fn a_disputed_week_tells_the_freelancer_and_its_reminder_is_dropped() {
    let app = TestApp::spawn().await;
    app.set_clock("2026-12-07T08:00:00Z").await;
    let mut client = party(&app, "client@example.com", &["client"]).await;
    let mut freelancer = party(&app, "freelancer@example.com", &["freelancer"]).await;
    app.add_card(&client.access).await;
    let contract = hourly_contract(&app, &client.access, &freelancer.access, 10).await;
    at(
        &app,
        "2026-12-07T12:00:00Z",
        &mut [&mut client, &mut freelancer],
    )
    .await;
    let segments: Vec<Value> = (0..3)
        .map(|i| {
            json!({"start": rfc(t("2026-12-07T09:00:00Z") + Duration::minutes(10 * i)),
                   "manual": true, "memo": "Schema design"})
        })
        .collect();
    let logged = app
        .post(
            &format!("/v1/contracts/{contract}/time"),
            Some(&freelancer.access),
            &json!({ "segments": segments }),
        )
        .await;
    assert_eq!(logged.status, 200, "{}", logged.body);
    at(
        &app,
        "2026-12-14T12:00:00Z",
        &mut [&mut client, &mut freelancer],
    )
    .await;
    app.fire("weekly-billing-close", t("2026-12-14T12:00:00Z"))
        .await;
    let (client_items, _) = inbox(&app, &client.access, 100).await;
    let timesheet = client_items
        .iter()
        .find(|i| i["kind"] == "week_invoiced")
        .expect("invoiced")["links"]["timesheet_id"]
        .clone();

    at(
        &app,
        "2026-12-15T09:00:00Z",
        &mut [&mut client, &mut freelancer],
    )
    .await;
    let disputed = app
        .post(
            "/v1/disputes",
            Some(&client.access),
            &json!({"timesheet_id": timesheet, "reason": "These hours do not match the work delivered."}),
        )
        .await;
    assert_eq!(disputed.status, 201, "{}", disputed.body);
    let (freelancer_items, _) = inbox(&app, &freelancer.access, 100).await;
    let kinds_of_freelancer = kinds(&freelancer_items);
    assert_eq!(kinds_of_freelancer.get("week_disputed"), Some(&1));
    let item = freelancer_items
        .iter()
        .find(|i| i["kind"] == "week_disputed")
        .unwrap();
    assert_eq!(item["links"]["dispute_id"], disputed.body["id"]);
    // The client is not told of their own dispute, and the week is no longer in review: the
    // Thursday reminder is dropped.
    let thursday = app
        .fire("notification-reminders", t("2026-12-17T00:00:00Z"))
        .await;
    assert_eq!(
        (thursday["examined"].clone(), thursday["applied"].clone()),
        (json!(1), json!(0))
    );
    let (client_items, _) = inbox(&app, &client.access, 100).await;
    assert_eq!(kinds(&client_items).get("week_disputed"), None);
    assert_eq!(kinds(&client_items).get("review_closing"), None);
}
