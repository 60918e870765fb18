//! Content reports and moderation over HTTP on the local stack (docs/trust-and-safety.md):
//! reports of each kind and their refusals, the admins' queue, and each decision — dismiss,
//! remove (a job with its applicants' Connects refunded once, a message replaced by a
//! notice, a proposal withdrawn), warn, suspend — with the ledger audit clean after each.

use reqwest::Method;
use serde_json::{json, Value};
use worklane::domain::events::{DomainEvent, EventPayload};
use worklane::domain::ids::{JobId, UserId};
use worklane::domain::job::CloseReason;
use worklane_tests::{admin, fixed_job_body, png, ready_file, user_id, Reply, TestApp};

/// Everyone a moderation story needs: a client with a public job, a freelancer who applied
/// to it and wrote in the proposal's room, a stranger, and an admin.
struct World {
    app: TestApp,
    client: String,
    freelancer: String,
    stranger: String,
    admin: String,
    freelancer_id: String,
    job: String,
    proposal: String,
    room: String,
}

fn content(kind: &str, id: &str) -> Value {
    match kind {
        "job" => json!({"type": "job", "job_id": id}),
        "profile" => json!({"type": "profile", "user_id": id}),
        "proposal" => json!({"type": "proposal", "proposal_id": id}),
        other => panic!("{other}"),
    }
}

fn fields(reply: &Reply) -> Vec<String> {
    reply.body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a page: {page}"))
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_string())
        .collect()
}

impl World {
    async fn new() -> World {
        let app = TestApp::spawn().await;
        let (client, _) = app.confirmed_user("client@example.com", &["client"]).await;
        let (freelancer, _) = app
            .confirmed_user("freelancer@example.com", &["freelancer"])
            .await;
        let (stranger, _) = app
            .confirmed_user("stranger@example.com", &["freelancer"])
            .await;
        let admin = admin(&app).await;
        let freelancer_id = user_id(&app, &freelancer).await;
        let job = app
            .post(
                "/v1/jobs",
                Some(&client),
                &fixed_job_body("Rust API on Lambda"),
            )
            .await;
        assert_eq!(job.status, 201, "{}", job.body);
        let job = job.body["id"].as_str().unwrap().to_string();
        let proposal = apply(&app, &freelancer, &job).await;
        let room = format!("room_{proposal}");
        World {
            app,
            client,
            freelancer,
            stranger,
            admin,
            freelancer_id,
            job,
            proposal,
            room,
        }
    }

    async fn report(&self, token: Option<&str>, body: &Value) -> Reply {
        self.app.post("/v1/content-reports", token, body).await
    }

    /// Files a report that must be accepted; returns its id.
    async fn filed(&self, token: &str, content: Value, reason: &str) -> String {
        let reply = self
            .report(Some(token), &json!({"content": content, "reason": reason}))
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        assert_eq!(reply.body["status"], "open");
        reply.body["id"].as_str().unwrap().to_string()
    }

    async fn say(&self, token: &str, body: &Value) -> String {
        let said = self
            .app
            .post(
                &format!("/v1/rooms/{}/messages", self.room),
                Some(token),
                body,
            )
            .await;
        assert_eq!(said.status, 201, "{}", said.body);
        said.body["id"].as_str().unwrap().to_string()
    }

    async fn decide(&self, token: &str, report: &str, action: &str, note: &str) -> Reply {
        self.app
            .post(
                &format!("/v1/admin/content-reports/{report}/{action}"),
                Some(token),
                &json!({ "reason": note }),
            )
            .await
    }

    async fn queue(&self, query: &str) -> Value {
        let reply = self
            .app
            .get(
                &format!("/v1/admin/content-reports{query}"),
                Some(&self.admin),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body
    }

    /// The audit trail of one subject, newest first, as (action, reason).
    async fn audit(&self, subject: &str) -> Vec<(String, String)> {
        let reply = self
            .app
            .get(
                &format!("/v1/admin/audit?subject={subject}"),
                Some(&self.admin),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| {
                assert!(entry["actor"].as_str().unwrap().starts_with("usr_"));
                (
                    entry["action"].as_str().unwrap().to_string(),
                    entry["reason"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    async fn notifications(&self, token: &str) -> Vec<Value> {
        let reply = self.app.get("/v1/me/notifications", Some(token)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["items"].as_array().unwrap().clone()
    }
}

async fn apply(app: &TestApp, freelancer: &str, job: &str) -> String {
    let reply = app
        .post(
            &format!("/v1/jobs/{job}/proposals"),
            Some(freelancer),
            &json!({"cover_letter": "I have shipped several Rust services on Lambda and DynamoDB.",
                "bid": {"amount": "550.00", "currency": "USD"}, "duration": "1-3 months"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["id"].as_str().unwrap().to_string()
}

async fn connects(app: &TestApp, token: &str) -> (i64, Vec<Value>) {
    let reply = app.get("/v1/me/connects?limit=200", Some(token)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    (
        reply.body["balance"].as_i64().unwrap(),
        reply.body["items"].as_array().unwrap().clone(),
    )
}

#[tokio::test]
async fn each_kind_is_reported_by_who_can_see_it_and_queued_oldest_first() {
    let w = World::new().await;
    let app = &w.app;
    w.put_profile().await;
    let message = w
        .say(
            &w.freelancer,
            &json!({"text": "Pay me on PayPal instead, it is cheaper."}),
        )
        .await;
    let message_ref = json!({"type": "message", "room_id": w.room, "message_id": message});

    // One of each kind, each by someone who can see it.
    let job_report = w
        .filed(&w.stranger, content("job", &w.job), "scam_or_fraud")
        .await;
    let message_report = w
        .filed(&w.client, message_ref.clone(), "off_platform_payment")
        .await;
    let proposal_report = w
        .filed(&w.client, content("proposal", &w.proposal), "spam")
        .await;
    let details = json!({"content": content("profile", &w.freelancer_id), "reason": "other",
        "details": "  The portfolio images are someone else's work.  "});
    let profile_report = w.report(Some(&w.stranger), &details).await;
    assert_eq!(profile_report.status, 201, "{}", profile_report.body);
    assert_eq!(
        profile_report.body["details"],
        "The portfolio images are someone else's work."
    );
    let profile_report = profile_report.body["id"].as_str().unwrap().to_string();

    // The same content again by the same reporter: the first report, not a second.
    let again = w
        .report(
            Some(&w.stranger),
            &json!({"content": content("job", &w.job), "reason": "spam"}),
        )
        .await;
    assert_eq!(
        (again.status, again.body["id"].as_str()),
        (200, Some(job_report.as_str()))
    );

    // What the reporter cannot see does not exist for them; their own content is refused.
    let private = app
        .post("/v1/jobs", Some(&w.client), &{
            let mut body = fixed_job_body("Confidential Rust work");
            body["visibility"] = json!("invite_only");
            body
        })
        .await;
    let private = private.body["id"].as_str().unwrap().to_string();
    let mut draft = fixed_job_body("A draft nobody sees yet");
    draft["draft"] = json!(true);
    let draft = app.post("/v1/jobs", Some(&w.client), &draft).await;
    let draft = draft.body["id"].as_str().unwrap().to_string();
    for (token, what) in [
        (&w.stranger, content("job", &private)),
        (&w.stranger, content("job", &draft)),
        (&w.stranger, message_ref.clone()),
        (&w.stranger, content("proposal", &w.proposal)),
        (
            &w.stranger,
            content("profile", &user_id(app, &w.client).await),
        ),
        (
            &w.stranger,
            content("job", "job_01jd5v3k8r9x2m4n6p7q8s9t0w"),
        ),
    ] {
        let refused = w
            .report(Some(token), &json!({"content": what, "reason": "spam"}))
            .await;
        assert_eq!(
            (refused.status, refused.code(), fields(&refused)),
            (404, "content_not_found", vec!["content".to_string()]),
            "{what}: {}",
            refused.body
        );
    }
    for (token, what) in [
        (&w.client, content("job", &w.job)),
        (&w.freelancer, message_ref.clone()),
        (&w.freelancer, content("profile", &w.freelancer_id)),
    ] {
        let own = w
            .report(Some(token), &json!({"content": what, "reason": "spam"}))
            .await;
        assert_eq!(
            (own.status, own.code(), fields(&own)),
            (422, "own_content", vec!["content".to_string()]),
            "{}",
            own.body
        );
    }

    // Bad input names its field; nobody anonymous reports anything.
    let job = content("job", &w.job);
    let bystander = w.client_only().await;
    for (body, field) in [
        (json!({"content": job, "reason": "boring"}), "reason"),
        (json!({"content": job, "reason": "other"}), "details"),
        (
            json!({"content": job, "reason": "other", "details": " "}),
            "details",
        ),
        (
            json!({"content": job, "reason": "spam", "details": "x".repeat(2001)}),
            "details",
        ),
        (
            json!({"content": {"type": "job"}, "reason": "spam"}),
            "content",
        ),
        (
            json!({"content": job, "reason": "spam", "status": "dismissed"}),
            "status",
        ),
    ] {
        let refused = w.report(Some(&bystander), &body).await;
        assert_eq!(refused.status, 422, "{body}: {}", refused.body);
        assert!(
            fields(&refused).iter().any(|f| f.starts_with(field))
                || refused.body["detail"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(field),
            "{body}: {}",
            refused.body
        );
    }
    assert_eq!(
        w.report(None, &json!({"content": job, "reason": "spam"}))
            .await
            .status,
        401
    );

    // The queue: admins only; oldest first; one kind at a time; pages with a cursor that
    // belongs to its queue.
    for token in [&w.client, &w.freelancer, &w.stranger] {
        let refused = app.get("/v1/admin/content-reports", Some(token)).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        let one = app
            .get(
                &format!("/v1/admin/content-reports/{job_report}"),
                Some(token),
            )
            .await;
        assert_eq!(one.status, 403, "{}", one.body);
    }
    assert_eq!(app.get("/v1/admin/content-reports", None).await.status, 401);
    let all = w.queue("").await;
    assert_eq!(
        ids(&all),
        [
            job_report.as_str(),
            message_report.as_str(),
            proposal_report.as_str(),
            profile_report.as_str()
        ]
    );
    assert_eq!(all["items"][1]["kind"], "message");
    assert_eq!(all["items"][1]["owner_id"], w.freelancer_id.as_str());
    assert_eq!(
        ids(&w.queue("?kind=message").await),
        [message_report.as_str()]
    );
    assert_eq!(
        ids(&w.queue("?kind=profile").await),
        [profile_report.as_str()]
    );
    let first = w.queue("?limit=3").await;
    assert_eq!(
        ids(&first),
        [
            job_report.as_str(),
            message_report.as_str(),
            proposal_report.as_str()
        ]
    );
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    let rest = w.queue(&format!("?limit=3&cursor={cursor}")).await;
    assert_eq!(ids(&rest), [profile_report.as_str()]);
    let foreign = app
        .get(
            &format!("/v1/admin/content-reports?kind=job&cursor={cursor}"),
            Some(&w.admin),
        )
        .await;
    assert_eq!(
        (foreign.status, fields(&foreign)),
        (422, vec!["cursor".to_string()]),
        "{}",
        foreign.body
    );
    let bad_kind = app
        .get("/v1/admin/content-reports?kind=user", Some(&w.admin))
        .await;
    assert_eq!(bad_kind.status, 422, "{}", bad_kind.body);

    // One report: the content as it was when reported, whatever happens to it later.
    let review = app
        .get(
            &format!("/v1/admin/content-reports/{message_report}"),
            Some(&w.admin),
        )
        .await;
    assert_eq!(review.status, 200, "{}", review.body);
    assert_eq!(review.body["reason"], "off_platform_payment");
    assert_eq!(
        review.body["reporter_id"],
        user_id(app, &w.client).await.as_str()
    );
    assert_eq!(
        review.body["snapshot"]["message"]["text"],
        "Pay me on PayPal instead, it is cheaper."
    );
    assert_eq!(review.body["decision"], Value::Null);
    let unknown = app
        .get(
            "/v1/admin/content-reports/rpt_01jd5v3k8r9x2m4n6p7q8s9t0w",
            Some(&w.admin),
        )
        .await;
    assert_eq!(unknown.status, 404);

    // The reporter's own list, newest first, without anyone else's.
    let mine = app.get("/v1/me/content-reports", Some(&w.stranger)).await;
    assert_eq!(
        ids(&mine.body),
        [profile_report.as_str(), job_report.as_str()]
    );
    assert!(mine.body["items"][0].get("reporter_id").is_none());
    let theirs = app.get("/v1/me/content-reports", Some(&w.freelancer)).await;
    assert_eq!(ids(&theirs.body), Vec::<String>::new());

    // Dismissed: out of the queue, and decided for good.
    let dismissed = w
        .decide(
            &w.admin,
            &profile_report,
            "dismiss",
            "The images are the freelancer's own work.",
        )
        .await;
    assert_eq!(dismissed.status, 200, "{}", dismissed.body);
    assert_eq!(dismissed.body["status"], "dismissed");
    assert_eq!(dismissed.body["decision"]["action"], "dismiss");
    assert_eq!(ids(&w.queue("?kind=profile").await), Vec::<String>::new());
    assert_eq!(
        w.audit(&profile_report).await,
        [(
            "dismiss_report".to_string(),
            format!("The images are the freelancer's own work. (report {profile_report})")
        )]
    );
    let twice = w
        .decide(&w.admin, &profile_report, "warn", "Second thoughts")
        .await;
    assert_eq!(
        (twice.status, twice.code()),
        (409, "report_decided"),
        "{}",
        twice.body
    );
    let no_note = w.decide(&w.admin, &job_report, "dismiss", "  ").await;
    assert_eq!(
        (no_note.status, fields(&no_note)),
        (422, vec!["reason".to_string()])
    );
    for token in [&w.client, &w.stranger] {
        let refused = w
            .decide(token, &job_report, "dismiss", "Not mine to decide")
            .await;
        assert_eq!(refused.status, 403, "{}", refused.body);
    }
    // A profile is its owner's account: it is not removed, its owner is warned or suspended.
    let profile_again = w
        .filed(
            &w.client,
            content("profile", &w.freelancer_id),
            "fake_or_misleading",
        )
        .await;
    let not_removable = w
        .decide(&w.admin, &profile_again, "remove", "Fake profile")
        .await;
    assert_eq!(
        (not_removable.status, not_removable.code()),
        (422, "profile_not_removable"),
        "{}",
        not_removable.body
    );
    app.assert_audit_clean().await;
}

impl World {
    /// The freelancer's public profile.
    async fn put_profile(&self) {
        let profile = json!({"display_name": "Frida F.", "location": {"country": "DE"},
            "title": "Rust backend engineer",
            "overview": "I build serverless backends in Rust: APIs, queues, data models and \
                         the reliability work that keeps them running.",
            "skills": ["rust"], "hourly_rate": {"amount": "60.00", "currency": "USD"},
            "languages": [{"language": "English", "proficiency": "fluent"}],
            "availability": "more_than_30"});
        let saved = self
            .app
            .send(
                Method::PUT,
                "/v1/freelancers/me/profile",
                Some(&self.freelancer),
                Some(&profile.to_string()),
                &[],
            )
            .await;
        assert_eq!(saved.status, 200, "{}", saved.body);
    }

    /// Another confirmed client, for requests whose refusal must not depend on who sends them.
    async fn client_only(&self) -> String {
        let email = format!(
            "client-{}@example.com",
            ulid::Ulid::new().to_string().to_lowercase()
        );
        self.app.confirmed_user(&email, &["client"]).await.0
    }
}

/// The `JobClosed` the removal emitted, as the marketplace worker's queue delivers it.
fn job_closed(job: &str, client: &str, at: chrono::DateTime<chrono::Utc>) -> Value {
    let event = DomainEvent::new(
        EventPayload::JobClosed {
            job_id: JobId::parse(job).unwrap(),
            client_id: UserId::parse(client).unwrap(),
            reason: CloseReason::Removed,
            refund_connects: true,
        },
        at,
    );
    json!({"detail-type": "JobClosed", "source": "worklane", "detail": event})
}

#[tokio::test]
async fn removing_a_job_closes_it_for_everyone_but_its_client_and_refunds_applicants_once() {
    let w = World::new().await;
    let app = &w.app;
    let mut applicants = vec![w.freelancer.clone()];
    for i in 0..2 {
        let (token, _) = app
            .confirmed_user(&format!("applicant{i}@example.com"), &["freelancer"])
            .await;
        apply(app, &token, &w.job).await;
        applicants.push(token);
    }
    for token in &applicants {
        assert_eq!(
            connects(app, token).await.0,
            10 - 6,
            "the job costs 6 Connects"
        );
    }
    let found = app.get("/v1/jobs?q=lambda", Some(&w.stranger)).await;
    assert!(found.body.to_string().contains(&w.job), "{}", found.body);

    let report = w
        .filed(&w.stranger, content("job", &w.job), "scam_or_fraud")
        .await;
    let removed = w
        .decide(
            &w.admin,
            &report,
            "remove",
            "Asks applicants for a deposit.",
        )
        .await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert_eq!(removed.body["status"], "removed");

    // Every applicant has their Connects back (the removal's own event, delivered by the
    // stack) ...
    for token in &applicants {
        assert_eq!(connects(app, token).await.0, 10, "refunded by the removal");
    }
    // ... once, even when the event comes again, twice at a time.
    let client_id = user_id(app, &w.client).await;
    let now = app.stack.clock.now();
    for round in 0..2 {
        let records: Vec<Value> = (0..2)
            .map(|i| {
                json!({"messageId": format!("m{round}-{i}"),
                    "body": job_closed(&w.job, &client_id, now).to_string()})
            })
            .collect();
        let sqs: aws_lambda_events::event::sqs::SqsEvent =
            serde_json::from_value(json!({ "Records": records })).unwrap();
        let worker = worklane_devstack::functions::queue("marketplace-events").unwrap();
        let response = worker.handle(&app.stack.app, sqs, now).await;
        assert!(response.batch_item_failures.is_empty());
    }
    for token in &applicants {
        let (balance, entries) = connects(app, token).await;
        assert_eq!(balance, 10, "{entries:?}");
        let refunds: Vec<&Value> = entries.iter().filter(|e| e["kind"] == "refund").collect();
        assert_eq!(refunds.len(), 1, "{entries:?}");
        assert_eq!(refunds[0]["amount"], 6);
        assert_eq!(refunds[0]["reason"], "the job was removed by Worklane");
        assert_eq!(
            entries
                .iter()
                .map(|e| e["amount"].as_i64().unwrap())
                .sum::<i64>(),
            balance
        );
    }

    // Gone from search and from everyone's view but its client's.
    let gone = app.get("/v1/jobs?q=lambda", Some(&w.stranger)).await;
    assert!(!gone.body.to_string().contains(&w.job), "{}", gone.body);
    for token in [&w.stranger, &w.freelancer] {
        let hidden = app.get(&format!("/v1/jobs/{}", w.job), Some(token)).await;
        assert_eq!(hidden.status, 404, "{}", hidden.body);
    }
    let own = app
        .get(&format!("/v1/jobs/{}", w.job), Some(&w.client))
        .await;
    assert_eq!(
        (own.status, &own.body["state"], &own.body["close_reason"]),
        (200, &json!("closed"), &json!("removed"))
    );
    let reopened = app
        .post(
            &format!("/v1/jobs/{}/resume", w.job),
            Some(&w.client),
            &json!({}),
        )
        .await;
    assert_eq!(reopened.status, 409, "{}", reopened.body);

    assert_eq!(
        w.audit(&w.job).await,
        [(
            "remove_content".to_string(),
            format!("Asks applicants for a deposit. (report {report})")
        )]
    );

    // The client is told why.
    let told = w.notifications(&w.client).await;
    let notice = told
        .iter()
        .find(|n| n["kind"] == "content_removed")
        .unwrap_or_else(|| panic!("{told:?}"));
    assert!(notice["text"]
        .as_str()
        .unwrap()
        .contains("Asks applicants for a deposit."));
    assert_eq!(notice["links"]["job_id"], w.job.as_str());

    // Decided once: again is a 409, and a second report of the removed job cannot be filed.
    let again = w.decide(&w.admin, &report, "remove", "Again").await;
    assert_eq!((again.status, again.code()), (409, "report_decided"));
    let late = w
        .report(
            Some(&w.freelancer),
            &json!({"content": content("job", &w.job), "reason": "spam"}),
        )
        .await;
    assert_eq!(late.status, 404, "{}", late.body);
    app.assert_audit_clean().await;
}

#[tokio::test]
async fn a_removed_message_is_a_notice_for_both_members_and_its_files_are_unshared() {
    let w = World::new().await;
    let app = &w.app;
    let file = ready_file(app, &w.freelancer, "attachment", &png(1024)).await;
    let said = w
        .say(
            &w.freelancer,
            &json!({"text": "Send the money to my crypto wallet.", "file_ids": [file]}),
        )
        .await;
    let kept = w
        .say(&w.client, &json!({"text": "Let us keep it on Worklane."}))
        .await;
    assert_eq!(
        app.get(&format!("/v1/files/{file}"), Some(&w.client))
            .await
            .status,
        200,
        "shared with the other member"
    );
    let report = w
        .filed(
            &w.client,
            json!({"type": "message", "room_id": w.room, "message_id": said}),
            "off_platform_payment",
        )
        .await;
    let removed = w
        .decide(&w.admin, &report, "remove", "Payment outside Worklane.")
        .await;
    assert_eq!(removed.status, 200, "{}", removed.body);

    for token in [&w.client, &w.freelancer] {
        let page = app
            .get(&format!("/v1/rooms/{}/messages", w.room), Some(token))
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        let text = page.body.to_string();
        assert!(!text.contains("crypto wallet"), "{text}");
        assert!(!text.contains(&file), "{text}");
        let items = page.body["items"].as_array().unwrap();
        assert_eq!(
            ids(&page.body),
            [kept.as_str(), said.as_str()],
            "the notice keeps its place"
        );
        assert_eq!(items[1]["removed"], true);
        assert_eq!(items[1]["text"], Value::Null);
        assert_eq!(items[1]["attachments"], json!([]));
        assert!(items[1]["notice"].as_str().unwrap().contains("removed"));
        assert!(items[0].get("removed").is_none(), "{}", items[0]);
    }
    let unshared = app.get(&format!("/v1/files/{file}"), Some(&w.client)).await;
    assert_eq!(unshared.status, 404, "{}", unshared.body);
    assert_eq!(
        app.get(&format!("/v1/files/{file}"), Some(&w.freelancer))
            .await
            .status,
        200,
        "still its owner's"
    );
    // The room goes on: read markers past the notice, new messages after it.
    let read = app
        .post(
            &format!("/v1/rooms/{}/read", w.room),
            Some(&w.freelancer),
            &json!({}),
        )
        .await;
    assert_eq!(read.status, 200, "{}", read.body);
    w.say(&w.freelancer, &json!({"text": "Understood."})).await;
    let told = w.notifications(&w.freelancer).await;
    assert!(
        told.iter().any(|n| n["kind"] == "content_removed"),
        "{told:?}"
    );
    let trail = w.audit(&said).await;
    assert_eq!(trail.len(), 1, "{trail:?}");
    assert_eq!(trail[0].0, "remove_content");
    app.assert_audit_clean().await;
}

#[tokio::test]
async fn a_removed_proposal_is_withdrawn_and_hidden_from_the_client() {
    let w = World::new().await;
    let app = &w.app;
    let report = w
        .filed(&w.client, content("proposal", &w.proposal), "spam")
        .await;
    let removed = w
        .decide(&w.admin, &report, "remove", "Copy-pasted spam proposal.")
        .await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    let hidden = app
        .get(&format!("/v1/proposals/{}", w.proposal), Some(&w.client))
        .await;
    assert_eq!(hidden.status, 404, "{}", hidden.body);
    for list in ["all", "archived", "shortlisted"] {
        let listed = app
            .get(
                &format!("/v1/jobs/{}/proposals?list={list}", w.job),
                Some(&w.client),
            )
            .await;
        assert_eq!(listed.status, 200, "{}", listed.body);
        assert!(
            !listed.body.to_string().contains(&w.proposal),
            "{list}: {}",
            listed.body
        );
    }
    let own = app
        .get(
            &format!("/v1/proposals/{}", w.proposal),
            Some(&w.freelancer),
        )
        .await;
    assert_eq!(own.body["state"], "withdrawn", "{}", own.body);
    assert!(own.body["removed_at"].is_string(), "{}", own.body);
    let shortlist = app
        .post(
            &format!("/v1/proposals/{}/shortlist", w.proposal),
            Some(&w.client),
            &json!({}),
        )
        .await;
    assert_eq!(shortlist.status, 404, "{}", shortlist.body);
    app.assert_audit_clean().await;
}

#[tokio::test]
async fn a_warning_reaches_the_owner_and_racing_admins_decide_once() {
    let w = World::new().await;
    let app = &w.app;
    let said = w
        .say(
            &w.freelancer,
            &json!({"text": "You are an idiot if you do not hire me."}),
        )
        .await;
    let report = w
        .filed(
            &w.client,
            json!({"type": "message", "room_id": w.room, "message_id": said}),
            "harassment",
        )
        .await;
    let second_admin = admin(app).await;
    let (a, b) = futures::join!(
        w.decide(&w.admin, &report, "warn", "Keep messages civil."),
        w.decide(&second_admin, &report, "dismiss", "Rude, not abusive."),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{} / {}", a.body, b.body);
    let winner = if a.status == 200 { &a } else { &b };
    let review = app
        .get(
            &format!("/v1/admin/content-reports/{report}"),
            Some(&w.admin),
        )
        .await;
    assert_eq!(review.body["status"], winner.body["status"]);
    if winner.body["status"] == "warned" {
        let told = w.notifications(&w.freelancer).await;
        let warning = told
            .iter()
            .find(|n| n["kind"] == "account_warned")
            .unwrap_or_else(|| panic!("{told:?}"));
        assert!(warning["text"]
            .as_str()
            .unwrap()
            .contains("Keep messages civil."));
    }

    // A warning on its own: the owner's inbox says what and why; the message itself stays.
    let proposal_report = w
        .filed(
            &w.client,
            content("proposal", &w.proposal),
            "fake_or_misleading",
        )
        .await;
    let warned = w
        .decide(
            &w.admin,
            &proposal_report,
            "warn",
            "Do not claim work you did not do.",
        )
        .await;
    assert_eq!(
        (warned.status, &warned.body["status"]),
        (200, &json!("warned"))
    );
    let told = w.notifications(&w.freelancer).await;
    let warning = told
        .iter()
        .find(|n| {
            n["kind"] == "account_warned"
                && n["text"].as_str().unwrap().contains("Do not claim work")
        })
        .unwrap_or_else(|| panic!("{told:?}"));
    assert_eq!(warning["links"]["proposal_id"], w.proposal.as_str());
    let still = app
        .get(&format!("/v1/proposals/{}", w.proposal), Some(&w.client))
        .await;
    assert_eq!(still.status, 200, "a warning removes nothing");
    // The owner's history holds each warning, with the report it came from.
    let warnings: Vec<(String, String)> = w
        .audit(&w.freelancer_id)
        .await
        .into_iter()
        .filter(|(action, _)| action == "warn_user")
        .collect();
    assert!(
        warnings
            .iter()
            .any(|(_, why)| why.ends_with(&format!("(report {proposal_report})"))),
        "{warnings:?}"
    );
    app.assert_audit_clean().await;
}

#[tokio::test]
async fn suspending_through_a_report_ends_the_owners_access_in_the_same_step() {
    let w = World::new().await;
    let app = &w.app;
    w.put_profile().await;
    let before = w
        .report(
            Some(&w.stranger),
            &json!({"content": content("profile", &w.freelancer_id), "reason": "spam"}),
        )
        .await;
    assert_eq!(before.status, 201, "reportable before: {}", before.body);
    let said = w
        .say(
            &w.freelancer,
            &json!({"text": "Send me your bank login to get paid faster."}),
        )
        .await;
    let report = w
        .filed(
            &w.client,
            json!({"type": "message", "room_id": w.room, "message_id": said}),
            "scam_or_fraud",
        )
        .await;
    let other = w
        .filed(&w.client, content("proposal", &w.proposal), "scam_or_fraud")
        .await;
    let suspended = w
        .decide(
            &w.admin,
            &report,
            "suspend",
            "Phishing for bank credentials.",
        )
        .await;
    assert_eq!(suspended.status, 200, "{}", suspended.body);
    assert_eq!(suspended.body["status"], "suspended");
    assert_eq!(suspended.body["decision"]["action"], "suspend");

    // The foundation's suspension: tokens and password refused from now on.
    let me = app.get("/v1/me", Some(&w.freelancer)).await;
    assert_eq!(me.status, 401, "{}", me.body);
    let login = app.login("freelancer@example.com").await;
    assert_eq!((login.status, login.code()), (403, "account_suspended"));
    let standing = app
        .get(
            &format!("/v1/admin/users/{}", w.freelancer_id),
            Some(&w.admin),
        )
        .await;
    assert_eq!(standing.body["suspended"], true, "{}", standing.body);
    assert_eq!(
        standing.body["suspension_reason"],
        "Phishing for bank credentials."
    );
    assert_eq!(
        w.audit(&w.freelancer_id).await,
        [(
            "suspend_account".to_string(),
            format!("Phishing for bank credentials. (report {report})")
        )]
    );
    // Like its public page, the suspended freelancer's profile is no longer there to report
    // for anyone new (the stranger's earlier report stays theirs).
    let gone = w
        .report(
            Some(&w.client),
            &json!({"content": content("profile", &w.freelancer_id), "reason": "spam"}),
        )
        .await;
    assert_eq!(
        (gone.status, gone.code()),
        (404, "content_not_found"),
        "{}",
        gone.body
    );
    // The message itself stays until removed: a suspension is about the account.
    let page = app
        .get(&format!("/v1/rooms/{}/messages", w.room), Some(&w.client))
        .await;
    assert!(
        page.body.to_string().contains("bank login"),
        "{}",
        page.body
    );

    // Once suspended, another report cannot suspend again; it is decided otherwise.
    let again = w.decide(&w.admin, &other, "suspend", "Same person.").await;
    assert_eq!(
        (again.status, again.code()),
        (409, "already_suspended"),
        "{}",
        again.body
    );
    let open = app
        .get(
            &format!("/v1/admin/content-reports/{other}"),
            Some(&w.admin),
        )
        .await;
    assert_eq!(
        open.body["status"], "open",
        "a refused decision changes nothing"
    );
    let removed = w.decide(&w.admin, &other, "remove", "Same scam.").await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    app.assert_audit_clean().await;
}
