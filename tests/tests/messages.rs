//! Message rooms end to end (PRODUCT §12.1): rooms opened for proposals and contracts, two
//! parties conversing with an attachment, strangers seeing nothing (not the room, its
//! messages, nor its attachments), stable paging while messages arrive, unread counts and read
//! receipts, validation, and Idempotency-Key.

use reqwest::Method;
use serde_json::{json, Value};
use worklane_tests::{fixed_contract, png, ready_file, Reply, TestApp};

struct Room {
    app: TestApp,
    client: String,
    freelancer: String,
    stranger: String,
    id: String,
}

impl Room {
    async fn new() -> Room {
        let app = TestApp::spawn().await;
        // Frozen: every message of a test lands in the same millisecond, which is what makes
        // message ids have to follow the room's last one rather than the clock.
        app.set_clock("2026-12-01T10:00:00Z").await;
        let (client, _) = app.confirmed_user("client@example.com", &["client"]).await;
        let (freelancer, _) = app
            .confirmed_user("freelancer@example.com", &["freelancer"])
            .await;
        let (stranger, _) = app
            .confirmed_user("stranger@example.com", &["client", "freelancer"])
            .await;
        let (contract, _) = fixed_contract(&app, &client, &freelancer, "500.00").await;
        Room {
            app,
            client,
            freelancer,
            stranger,
            id: format!("room_{contract}"),
        }
    }

    fn path(&self, tail: &str) -> String {
        format!("/v1/rooms/{}{tail}", self.id)
    }

    async fn post(&self, token: &str, body: &Value) -> Reply {
        self.app
            .post(&self.path("/messages"), Some(token), body)
            .await
    }

    async fn say(&self, token: &str, text: &str) -> String {
        let reply = self.post(token, &json!({ "text": text })).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.body["id"].as_str().unwrap().to_string()
    }

    async fn page(&self, token: &str, query: &str) -> Reply {
        self.app
            .get(&self.path(&format!("/messages{query}")), Some(token))
            .await
    }

    async fn messages(&self, token: &str) -> Vec<Value> {
        let reply = self.page(token, "?limit=100").await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["items"].as_array().unwrap().clone()
    }

    async fn read(&self, token: &str, body: Option<&str>) -> Reply {
        self.app
            .send(Method::POST, &self.path("/read"), Some(token), body, &[])
            .await
    }

    async fn rooms(&self, token: &str) -> Vec<Value> {
        let reply = self.app.get("/v1/rooms", Some(token)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["items"].as_array().unwrap().clone()
    }

    async fn listed(&self, token: &str) -> Value {
        self.rooms(token)
            .await
            .into_iter()
            .find(|r| r["id"] == self.id.as_str())
            .unwrap_or_else(|| panic!("{} is not listed", self.id))
    }
}

fn texts(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn parties_converse_with_attachments_and_strangers_see_nothing() {
    let r = Room::new().await;
    let app = &r.app;

    // The contract's room was opened from `ContractStarted`; a proposal gets one too.
    let listed = r.listed(&r.freelancer).await;
    assert_eq!(
        (&listed["subject_type"], &listed["side"], &listed["unread"]),
        (&json!("contract"), &json!("freelancer"), &json!(0))
    );
    app.set_clock("2026-12-01T10:00:30Z").await;
    let job = app
        .post(
            "/v1/jobs",
            Some(&r.client),
            &json!({"title": "Rust worker for SQS",
                "description": "A queue worker in Rust that processes SQS messages on Lambda.",
                "category": "web-mobile-software-dev", "skills": ["rust", "aws-lambda"],
                "experience_level": "expert", "type": "fixed",
                "budget": {"amount": "300.00", "currency": "USD"}, "duration": "1-3 months"}),
        )
        .await;
    assert_eq!(job.status, 201, "{}", job.body);
    let proposal = app
        .post(
            &format!("/v1/jobs/{}/proposals", job.body["id"].as_str().unwrap()),
            Some(&r.freelancer),
            &json!({"cover_letter": "I have shipped several Rust services on Lambda and SQS.",
                "bid": {"amount": "280.00", "currency": "USD"}, "duration": "1-3 months"}),
        )
        .await;
    assert_eq!(proposal.status, 201, "{}", proposal.body);
    let proposal_room = format!("room_{}", proposal.body["id"].as_str().unwrap());
    let client_rooms = r.rooms(&r.client).await;
    let ids: Vec<&str> = client_rooms
        .iter()
        .map(|room| room["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [proposal_room.as_str(), r.id.as_str()],
        "newest activity first"
    );
    assert!(r.rooms(&r.stranger).await.is_empty());

    // The freelancer sends a file; the client reads it and downloads the attachment.
    app.set_clock("2026-12-01T10:01:00Z").await;
    let bytes = png(4096);
    let file = ready_file(app, &r.freelancer, "attachment", &bytes).await;
    let sent = r
        .post(
            &r.freelancer,
            &json!({"text": "Here is the schema draft.", "file_ids": [file]}),
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    assert!(sent.body["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(sent.body["attachments"][0]["file_id"], file.as_str());
    assert_eq!(sent.body["read_by_other"], false);
    assert_eq!(r.listed(&r.client).await["unread"], 1);
    assert_eq!(
        r.rooms(&r.client).await[0]["id"],
        r.id.as_str(),
        "the room with the new message moves to the top"
    );
    let seen = r.messages(&r.client).await;
    assert_eq!(texts(&seen), ["Here is the schema draft."]);
    let attachment = &seen[0]["attachments"][0];
    assert_eq!(attachment["file_id"], file.as_str());
    let download = app
        .http
        .get(attachment["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.bytes().await.unwrap().to_vec(), bytes);
    let record = app.get(&format!("/v1/files/{file}"), Some(&r.client)).await;
    assert_eq!(record.status, 200, "shared with the other member");

    // The client answers: posting reads the room, so the freelancer's message shows as read.
    r.say(&r.client, "Thanks, looks good.").await;
    let thread = r.messages(&r.freelancer).await;
    assert_eq!(
        texts(&thread),
        ["Thanks, looks good.", "Here is the schema draft."]
    );
    assert_eq!(thread[1]["read_by_other"], true);
    assert_eq!(thread[0]["read_by_other"], true, "the other's own message");
    assert_eq!(r.listed(&r.freelancer).await["unread"], 1);
    assert_eq!(r.listed(&r.client).await["unread"], 0);

    // A stranger: no room, no messages, no posting, no receipts, no attachment.
    for reply in [
        r.page(&r.stranger, "").await,
        r.post(&r.stranger, &json!({"text": "hello?"})).await,
        r.read(&r.stranger, None).await,
        app.get(&format!("/v1/files/{file}"), Some(&r.stranger))
            .await,
        app.get(
            &format!("/v1/rooms/{proposal_room}/messages"),
            Some(&r.stranger),
        )
        .await,
    ] {
        assert_eq!(reply.status, 404, "{}", reply.body);
        assert_eq!(reply.content_type(), "application/problem+json");
    }
    assert!(r.rooms(&r.stranger).await.is_empty());
    assert_eq!(r.messages(&r.client).await.len(), 2, "nothing was posted");
    assert_eq!(app.get(&r.path("/messages"), None).await.status, 401);
}

#[tokio::test]
async fn paging_is_stable_while_messages_arrive() {
    let r = Room::new().await;
    for i in 0..25 {
        r.say(&r.freelancer, &format!("m{i:02}")).await;
    }
    let expected: Vec<String> = (0..25).rev().map(|i| format!("m{i:02}")).collect();

    let first = r.page(&r.client, "?limit=10").await;
    assert_eq!(first.status, 200, "{}", first.body);
    let mut seen = texts(first.body["items"].as_array().unwrap());
    let mut cursor = first.body["next_cursor"].as_str().unwrap().to_string();

    // New messages arrive (from both sides) between the pages.
    for i in 0..5 {
        r.say(&r.freelancer, &format!("new{i}")).await;
        r.say(&r.client, &format!("reply{i}")).await;
    }
    loop {
        let page = r
            .page(&r.client, &format!("?limit=10&cursor={cursor}"))
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        seen.extend(texts(page.body["items"].as_array().unwrap()));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, expected, "no duplicates, no gaps, no newcomers");

    // A fresh first page starts with the newest message.
    let top = r.page(&r.client, "?limit=3").await;
    assert_eq!(
        texts(top.body["items"].as_array().unwrap()),
        ["reply4", "new4", "reply3"]
    );

    // A cursor belongs to its list: not another caller's, not forged.
    let theirs = r.page(&r.freelancer, &format!("?cursor={cursor}")).await;
    assert_eq!((theirs.status, theirs.code()), (422, "validation_failed"));
    let forged = r.page(&r.client, "?cursor=bm90LmE.c2lnbmVk").await;
    assert_eq!(forged.status, 422);
    assert_eq!(forged.content_type(), "application/problem+json");
    assert_eq!(r.page(&r.client, "?limit=0").await.status, 422);

    // The room list pages with a cursor too.
    let rooms = r.app.get("/v1/rooms?limit=1", Some(&r.client)).await;
    assert_eq!(rooms.body["items"].as_array().unwrap().len(), 1);
    let bad = r.app.get("/v1/rooms?cursor=garbage", Some(&r.client)).await;
    assert_eq!(bad.status, 422);
}

#[tokio::test]
async fn unread_counts_and_read_receipts() {
    let r = Room::new().await;
    let m1 = r.say(&r.freelancer, "one").await;
    let m2 = r.say(&r.freelancer, "two").await;
    let m3 = r.say(&r.freelancer, "three").await;
    assert_eq!(r.listed(&r.client).await["unread"], 3);
    assert_eq!(r.listed(&r.freelancer).await["unread"], 0);
    let receipts = |items: Vec<Value>| -> Vec<(String, bool)> {
        items
            .iter()
            .map(|m| {
                (
                    m["text"].as_str().unwrap().to_string(),
                    m["read_by_other"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    assert!(receipts(r.messages(&r.freelancer).await)
        .iter()
        .all(|(_, read)| !read));

    // Read up to the first: two left, and the freelancer sees exactly that one as read.
    let read = r
        .read(&r.client, Some(&json!({ "up_to": m1 }).to_string()))
        .await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(
        (&read.body["unread"], &read.body["read_up_to"]),
        (&json!(2), &json!(m1))
    );
    assert_eq!(r.listed(&r.client).await["unread"], 2);
    let s = |t: &str, b: bool| (t.to_string(), b);
    assert_eq!(
        receipts(r.messages(&r.freelancer).await),
        [s("three", false), s("two", false), s("one", true)]
    );

    // An empty body reads everything.
    let all = r.read(&r.client, None).await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(
        (&all.body["unread"], &all.body["read_up_to"]),
        (&json!(0), &json!(m3))
    );
    assert_eq!(
        receipts(r.messages(&r.freelancer).await),
        [s("three", true), s("two", true), s("one", true)]
    );
    // Markers never move backwards.
    let back = r
        .read(&r.client, Some(&json!({ "up_to": m2 }).to_string()))
        .await;
    assert_eq!((back.status, &back.body["read_up_to"]), (200, &json!(m3)));
    assert_eq!(r.listed(&r.client).await["unread"], 0);

    // A new message counts again; an unknown id is refused.
    r.say(&r.freelancer, "four").await;
    assert_eq!(r.listed(&r.client).await["unread"], 1);
    for (body, status) in [
        (json!({"up_to": "msg_garbage"}), 422),
        (json!({"up_to": m1, "extra": true}), 422),
        (json!({"up_to": "msg_01jd0000000000000000000000"}), 404),
    ] {
        let bad = r.read(&r.client, Some(&body.to_string())).await;
        assert_eq!(bad.status, status, "{body}: {}", bad.body);
        assert_eq!(bad.content_type(), "application/problem+json");
        // A malformed id or an unknown field fails as the body's type (`invalid_body`, said
        // in `detail`); the unknown message names the field.
        if bad.code() == "invalid_body" {
            let detail = bad.body["detail"].as_str().unwrap();
            assert!(
                detail.contains("msg_garbage") || detail.contains("extra"),
                "{detail}"
            );
        } else {
            assert_eq!(bad.body["errors"][0]["field"], "up_to", "{}", bad.body);
        }
    }
    assert_eq!(r.listed(&r.client).await["unread"], 1);
}

#[tokio::test]
async fn bad_messages_are_refused_and_retries_post_once() {
    let r = Room::new().await;
    let app = &r.app;
    let theirs = ready_file(app, &r.client, "attachment", &png(1024)).await;
    let portfolio = ready_file(app, &r.freelancer, "portfolio", &png(1024)).await;
    let cases = [
        (json!({}), 422, "text"),
        (json!({"text": "   "}), 422, "text"),
        (json!({"text": "a".repeat(10_001)}), 422, "text"),
        (
            json!({"text": "x", "file_ids": ["fil_01jd0000000000000000000000"]}),
            404,
            "file_ids[0]",
        ),
        // Someone else's file is as unknown as a made-up id; one's own of another purpose
        // exists but cannot serve here.
        (
            json!({"text": "x", "file_ids": [theirs]}),
            404,
            "file_ids[0]",
        ),
        (json!({"file_ids": [portfolio]}), 409, "file_ids[0]"),
        (
            json!({"text": "x", "sender_id": "usr_01jd0000000000000000000000"}),
            422,
            "",
        ),
    ];
    for (body, status, field) in cases {
        let reply = r.post(&r.freelancer, &body).await;
        assert_eq!(reply.status, status, "{body}: {}", reply.body);
        assert_eq!(reply.content_type(), "application/problem+json");
        if !field.is_empty() {
            assert_eq!(reply.body["errors"][0]["field"], field, "{}", reply.body);
        }
    }
    let long = "é".repeat(10_000);
    assert_eq!(
        r.post(&r.freelancer, &json!({ "text": long })).await.status,
        201
    );
    assert_eq!(
        app.get(&format!("/v1/files/{theirs}"), Some(&r.freelancer))
            .await
            .status,
        404,
        "a refused message shared nothing"
    );
    for path in [
        "/v1/rooms/ctr_01jd0000000000000000000000/messages",
        "/v1/rooms/room_ctr_01jd0000000000000000000000/messages",
        "/v1/rooms/room_usr_01jd0000000000000000000000/messages",
    ] {
        assert_eq!(app.get(path, Some(&r.client)).await.status, 404, "{path}");
    }

    // The same Idempotency-Key: one message, one unread, the same answer.
    let body = json!({"text": "Sent once, even if retried."}).to_string();
    let headers = [("idempotency-key", "message-1")];
    let mut ids = Vec::new();
    for _ in 0..3 {
        let reply = app
            .send(
                Method::POST,
                &r.path("/messages"),
                Some(&r.freelancer),
                Some(&body),
                &headers,
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        ids.push(reply.body["id"].as_str().unwrap().to_string());
    }
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
    let thread = r.messages(&r.client).await;
    assert_eq!(thread.len(), 2);
    assert_eq!(thread[0]["id"], ids[0].as_str());
    assert_eq!(r.listed(&r.client).await["unread"], 2);
}
