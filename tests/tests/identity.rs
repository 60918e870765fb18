//! Identity verification over HTTP on the local stack (PRODUCT §1.4): submit, the admin's
//! queue and review (with download links), reject with a reason, resubmit, approve, the
//! verified badge; who may read the documents; their deletion by the retention schedule.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{json, Value};
use worklane_tests::{admin, fixed_contract, png, ready_file, user_id, Reply, TestApp};

fn at(raw: &str) -> DateTime<Utc> {
    raw.parse().expect("an RFC 3339 time")
}

async fn submit(app: &TestApp, token: &str, body: &Value, key: Option<&str>) -> Reply {
    let headers: Vec<(&str, &str)> = key.map(|k| ("idempotency-key", k)).into_iter().collect();
    app.send(
        Method::POST,
        "/v1/me/identity",
        Some(token),
        Some(&body.to_string()),
        &headers,
    )
    .await
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

/// The bytes behind a presigned download link (S3 answers 404 once the object is gone).
async fn download(app: &TestApp, link: &Value) -> (u16, Vec<u8>) {
    let response = app
        .http
        .get(link["url"].as_str().expect("a download url"))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.bytes().await.unwrap().to_vec())
}

/// A link that served the object before no longer does: storage answers 404, or 403 where
/// the signer may not list the bucket (S3; moto says so too), never the bytes.
async fn assert_object_gone(app: &TestApp, link: &Value) {
    let (status, _) = download(app, link).await;
    assert!(
        matches!(status, 403 | 404),
        "the object is still served: {status}"
    );
}

fn summary(applied: u64, examined: u64) -> Value {
    json!({"examined": examined, "applied": applied, "skipped": examined - applied})
}

#[tokio::test]
async fn submit_reject_resubmit_approve_badge_and_retention() {
    let app = TestApp::spawn().await;
    app.set_clock("2027-01-01T10:00:00Z").await;
    let (freelancer, _) = app
        .confirmed_user("frida@example.com", &["freelancer"])
        .await;
    let (client, _) = app.confirmed_user("carl@example.com", &["client"]).await;
    let reviewer = admin(&app).await;
    let frida = user_id(&app, &freelancer).await;

    let none = app.get("/v1/me/identity", Some(&freelancer)).await;
    assert_eq!((none.status, &none.body["status"]), (200, &json!("none")));
    assert_eq!(none.body["documents"], json!([]));

    let id_card_bytes = png(1_500);
    let id_card = ready_file(&app, &freelancer, "identity", &id_card_bytes).await;
    let bill = ready_file(&app, &freelancer, "identity", &png(900)).await;
    let portfolio = ready_file(&app, &freelancer, "portfolio", &png(300)).await;

    // Only the caller's own identity files: wrong purpose, unknown, twice the same file.
    let wrong = submit(
        &app,
        &freelancer,
        &json!({"document_file_id": portfolio}),
        None,
    )
    .await;
    // The caller's own file of another purpose: it exists, it just cannot serve here.
    assert_eq!((wrong.status, wrong.code()), (409, "file_unusable"));
    assert_eq!(fields(&wrong), ["document_file_id"]);
    let unknown = submit(
        &app,
        &freelancer,
        &json!({"document_file_id": id_card, "proof_of_address_file_id": "fil_01jd0000000000000000000000"}),
        None,
    )
    .await;
    assert_eq!(fields(&unknown), ["proof_of_address_file_id"]);
    let not_mine = submit(&app, &client, &json!({"document_file_id": id_card}), None).await;
    // Someone else's file answers as an unknown one.
    assert_eq!(
        (not_mine.status, fields(&not_mine)),
        (404, vec!["document_file_id".to_string()])
    );
    let twice = submit(
        &app,
        &freelancer,
        &json!({"document_file_id": id_card, "proof_of_address_file_id": id_card}),
        None,
    )
    .await;
    assert_eq!(twice.status, 422, "{}", twice.body);
    let extra = submit(
        &app,
        &freelancer,
        &json!({"document_file_id": id_card, "selfie": id_card}),
        None,
    )
    .await;
    assert_eq!(extra.status, 422, "{}", extra.body);

    // Submitted, idempotently.
    let first_body = json!({"document_file_id": id_card, "proof_of_address_file_id": bill});
    let first = submit(&app, &freelancer, &first_body, Some("identity-1")).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(
        (&first.body["status"], &first.body["submission"]),
        (&json!("pending"), &json!(1))
    );
    assert_eq!(first.body["submitted_at"], "2027-01-01T10:00:00Z");
    assert_eq!(first.body["decided_at"], Value::Null);
    let kinds: Vec<&Value> = first.body["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["kind"])
        .collect();
    assert_eq!(kinds, [&json!("document"), &json!("proof_of_address")]);
    assert!(first.body["documents"][0].get("download").is_none());
    let replay = submit(&app, &freelancer, &first_body, Some("identity-1")).await;
    assert_eq!((replay.status, &replay.body), (201, &first.body));
    assert_eq!(
        replay
            .headers
            .get("idempotent-replayed")
            .map(|v| v.to_str().unwrap()),
        Some("true")
    );
    let again = submit(&app, &freelancer, &first_body, None).await;
    assert_eq!((again.status, again.code()), (409, "identity_pending"));

    // Admin routes are for admins only.
    let queue = "/v1/admin/identity?status=pending";
    let review = format!("/v1/admin/identity/{frida}");
    for token in [&freelancer, &client] {
        assert_eq!(app.get(queue, Some(token)).await.status, 403);
        assert_eq!(app.get(&review, Some(token)).await.status, 403);
        for action in ["approve", "reject"] {
            let reply = app
                .post(
                    &format!("{review}/{action}"),
                    Some(token),
                    &json!({"reason": "x"}),
                )
                .await;
            assert_eq!(reply.status, 403, "{action}: {}", reply.body);
        }
    }
    assert_eq!(app.get(queue, None).await.status, 401);

    // The queue, and the review with working download links.
    let pending = app.get(queue, Some(&reviewer)).await;
    assert_eq!(pending.status, 200, "{}", pending.body);
    assert_eq!(
        pending.body["items"],
        json!([{"user_id": frida, "submission": 1, "submitted_at": "2027-01-01T10:00:00Z",
                "has_proof_of_address": true}])
    );
    let other_status = app
        .get("/v1/admin/identity?status=approved", Some(&reviewer))
        .await;
    assert_eq!(other_status.status, 422);
    let seen = app.get(&review, Some(&reviewer)).await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    assert_eq!(seen.body["user"]["email"], "frida@example.com");
    assert_eq!(seen.body["status"], "pending");
    let links: Vec<Value> = seen.body["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["download"].clone())
        .collect();
    assert_eq!(links.len(), 2);
    assert_eq!(
        download(&app, &links[0]).await,
        (200, id_card_bytes.clone())
    );
    let nobody = app
        .get(
            "/v1/admin/identity/usr_01jd0000000000000000000000",
            Some(&reviewer),
        )
        .await;
    assert_eq!(nobody.status, 404);

    // Only the owner reads the documents through the file routes.
    assert_eq!(
        app.get(&format!("/v1/files/{id_card}"), Some(&freelancer))
            .await
            .status,
        200
    );
    for token in [Some(client.as_str()), None] {
        let reply = app.get(&format!("/v1/files/{id_card}"), token).await;
        assert_eq!(reply.status, 404, "{}", reply.body);
    }

    // Rejected with a reason (required), once.
    let no_reason = app
        .post(&format!("{review}/reject"), Some(&reviewer), &json!({}))
        .await;
    assert_eq!(no_reason.status, 422);
    let blank = app
        .post(
            &format!("{review}/reject"),
            Some(&reviewer),
            &json!({"reason": "   "}),
        )
        .await;
    assert_eq!(
        (blank.status, fields(&blank)),
        (422, vec!["reason".to_string()])
    );
    let reason = "The photo of the ID is blurred; upload a sharp scan.";
    let rejected = app
        .post(
            &format!("{review}/reject"),
            Some(&reviewer),
            &json!({ "reason": reason }),
        )
        .await;
    assert_eq!(rejected.status, 200, "{}", rejected.body);
    assert_eq!(rejected.body["status"], "rejected");
    assert_eq!(rejected.body["decided_at"], "2027-01-01T10:00:00Z");
    assert_eq!(rejected.body["documents_purge_at"], "2027-04-01T10:00:00Z");
    for action in ["reject", "approve"] {
        let late = app
            .post(
                &format!("{review}/{action}"),
                Some(&reviewer),
                &json!({ "reason": reason }),
            )
            .await;
        assert_eq!((late.status, late.code()), (409, "identity_not_pending"));
    }
    let mine = app.get("/v1/me/identity", Some(&freelancer)).await;
    assert_eq!(
        (&mine.body["status"], &mine.body["rejection_reason"]),
        (&json!("rejected"), &json!(reason))
    );
    let queue_after = app.get(queue, Some(&reviewer)).await;
    assert_eq!(queue_after.body["items"], json!([]));

    // A new submission after the rejection, then the approval.
    app.set_clock("2027-01-01T10:05:00Z").await;
    let sharp = ready_file(&app, &freelancer, "identity", &png(2_000)).await;
    let second = submit(&app, &freelancer, &json!({"document_file_id": sharp}), None).await;
    assert_eq!(second.status, 201, "{}", second.body);
    assert_eq!(
        (&second.body["submission"], &second.body["rejection_reason"]),
        (&json!(2), &Value::Null)
    );
    assert_eq!(
        app.get(queue, Some(&reviewer)).await.body["items"][0]["submission"],
        2
    );
    let me = app.get("/v1/me", Some(&freelancer)).await;
    assert_eq!(me.body["identity_verified"], false);
    app.set_clock("2027-01-01T10:10:00Z").await;
    let approved = app
        .post(&format!("{review}/approve"), Some(&reviewer), &json!({}))
        .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(
        (&approved.body["status"], &approved.body["decided_at"]),
        (&json!("approved"), &json!("2027-01-01T10:10:00Z"))
    );
    assert_eq!(approved.body["documents_purge_at"], "2027-04-01T10:10:00Z");
    assert_eq!(
        app.get(queue, Some(&reviewer)).await.body["items"],
        json!([])
    );
    // Both decisions are in the admins' audit trail, newest first.
    let trail = app
        .get(&format!("/v1/admin/audit?subject={frida}"), Some(&reviewer))
        .await;
    let actions: Vec<&Value> = trail.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", trail.body))
        .iter()
        .map(|entry| &entry["action"])
        .collect();
    assert_eq!(
        actions,
        [&json!("approve_identity"), &json!("reject_identity")]
    );
    assert_eq!(trail.body["items"][0]["at"], "2027-01-01T10:10:00Z");
    let after = submit(&app, &freelancer, &json!({"document_file_id": sharp}), None).await;
    assert_eq!(
        (after.status, after.code()),
        (409, "identity_already_verified")
    );

    // Both decisions reached the inbox, once each; the rejection also by email.
    let inbox = app.get("/v1/me/notifications", Some(&freelancer)).await;
    let mut kinds: Vec<&str> = inbox.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        ["identity_approved", "identity_rejected"],
        "{}",
        inbox.body
    );
    let mailbox = app.get("/_dev/mailbox?to=frida@example.com", None).await;
    let rejection_mail = mailbox.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["subject"] == "Your identity could not be verified")
        .expect("the rejection is emailed");
    assert!(rejection_mail["text"].as_str().unwrap().contains(reason));

    // The badge: on the account and on the public profile.
    assert_eq!(
        app.get("/v1/me", Some(&freelancer)).await.body["identity_verified"],
        true
    );
    let profile = json!({"display_name": "Frida F.", "location": {"country": "DE", "city": "Berlin"},
        "title": "Rust backend engineer",
        "overview": "I build serverless backends in Rust: APIs, queues, data models and the \
                     reliability work that keeps them running.",
        "skills": ["rust"], "hourly_rate": {"amount": "60.00", "currency": "USD"},
        "languages": [{"language": "English", "proficiency": "fluent"}],
        "availability": "more_than_30"});
    let saved = app
        .send(
            Method::PUT,
            "/v1/freelancers/me/profile",
            Some(&freelancer),
            Some(&profile.to_string()),
            &[],
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let public = app
        .get(&format!("/v1/freelancers/{frida}"), Some(&client))
        .await;
    assert_eq!(public.body["identity_verified"], true, "{}", public.body);

    // Retention: the rejected submission's documents go 90 days after the rejection, the
    // approved one's 90 days after the approval; the decisions stay.
    let old_link = links[1].clone();
    assert_eq!(
        app.fire("identity-retention", at("2027-04-01T09:59:59Z"))
            .await,
        summary(0, 0)
    );
    assert_eq!(download(&app, &old_link).await.0, 200);
    assert_eq!(
        app.fire("identity-retention", at("2027-04-01T10:00:00Z"))
            .await,
        summary(1, 1)
    );
    for file in [&id_card, &bill] {
        let gone = app
            .get(&format!("/v1/files/{file}"), Some(&freelancer))
            .await;
        assert_eq!(gone.status, 404, "{file} was deleted");
    }
    let fresh = app
        .get(&format!("/v1/files/{sharp}"), Some(&freelancer))
        .await;
    assert_eq!(
        fresh.status, 200,
        "the approved submission's document stays"
    );
    let objects = app.get(&review, Some(&reviewer)).await;
    assert_eq!(objects.body["documents"].as_array().unwrap().len(), 1);
    let current_link = objects.body["documents"][0]["download"].clone();
    assert_eq!(download(&app, &current_link).await.0, 200);
    assert_object_gone(&app, &old_link).await;
    assert_eq!(
        app.fire("identity-retention", at("2027-04-01T10:00:00Z"))
            .await,
        summary(0, 0),
        "a re-run finds nothing"
    );
    assert_eq!(
        app.fire("identity-retention", at("2027-04-01T10:09:59Z"))
            .await,
        summary(0, 0)
    );
    assert_eq!(
        app.fire("identity-retention", at("2027-04-01T10:10:00Z"))
            .await,
        summary(1, 1)
    );
    assert_eq!(
        app.fire("identity-retention", at("2027-04-02T00:00:00Z"))
            .await,
        summary(0, 0)
    );
    // The objects are gone from storage too, not just their records.
    assert_object_gone(&app, &current_link).await;
    let mine = app.get("/v1/me/identity", Some(&freelancer)).await;
    assert_eq!(mine.body["status"], "approved");
    assert_eq!(mine.body["documents"], json!([]));
    assert_eq!(mine.body["documents_deleted_at"], "2027-04-01T10:10:00Z");
    assert_eq!(
        app.get("/v1/me", Some(&freelancer)).await.body["identity_verified"],
        true
    );
    let reviewed = app.get(&review, Some(&reviewer)).await;
    assert_eq!(
        (&reviewed.body["status"], &reviewed.body["documents"]),
        (&json!("approved"), &json!([]))
    );
}

#[tokio::test]
async fn nobody_but_the_owner_and_admins_sees_identity_documents() {
    let app = TestApp::spawn().await;
    let (client, _) = app.confirmed_user("cleo@example.com", &["client"]).await;
    let (freelancer, _) = app
        .confirmed_user("finn@example.com", &["freelancer"])
        .await;
    let (stranger, _) = app.confirmed_user("sam@example.com", &["freelancer"]).await;
    let (contract, milestone) = fixed_contract(&app, &client, &freelancer, "100.00").await;
    let passport = ready_file(&app, &freelancer, "identity", &png(700)).await;
    let path = format!("/v1/files/{passport}");

    // Attaching an ID where the other party would see it is refused.
    let message = app
        .post(
            &format!("/v1/rooms/room_{contract}/messages"),
            Some(&freelancer),
            &json!({"text": "my passport", "file_ids": [passport]}),
        )
        .await;
    assert_eq!(
        (message.status, message.code()),
        (409, "file_unusable"),
        "{}",
        message.body
    );
    let delivered = app
        .post(
            &format!("/v1/milestones/{milestone}/submit"),
            Some(&freelancer),
            &json!({"message": "done", "file_ids": [passport]}),
        )
        .await;
    assert_eq!(
        (delivered.status, delivered.code()),
        (409, "file_unusable"),
        "{}",
        delivered.body
    );
    for token in [Some(client.as_str()), Some(stranger.as_str()), None] {
        let reply = app.get(&path, token).await;
        assert_eq!(reply.status, 404, "{}", reply.body);
        assert_eq!(reply.content_type(), "application/problem+json");
    }
    assert_eq!(app.get(&path, Some(&freelancer)).await.status, 200);

    // Nobody reads another user's verification, and an admin cannot approve their own.
    let submitted = app
        .post(
            "/v1/me/identity",
            Some(&freelancer),
            &json!({"document_file_id": passport}),
        )
        .await;
    assert_eq!(submitted.status, 201, "{}", submitted.body);
    let finn = user_id(&app, &freelancer).await;
    assert_eq!(
        app.get(&format!("/v1/admin/identity/{finn}"), Some(&client))
            .await
            .status,
        403
    );
    let reviewer = admin(&app).await;
    let own = ready_file(&app, &reviewer, "identity", &png(650)).await;
    let mine = app
        .post(
            "/v1/me/identity",
            Some(&reviewer),
            &json!({"document_file_id": own}),
        )
        .await;
    assert_eq!(mine.status, 201, "{}", mine.body);
    let me = user_id(&app, &reviewer).await;
    let self_approval = app
        .post(
            &format!("/v1/admin/identity/{me}/approve"),
            Some(&reviewer),
            &json!({}),
        )
        .await;
    assert_eq!(
        (self_approval.status, self_approval.code()),
        (403, "own_identity")
    );
    let other = admin(&app).await;
    let seen = app
        .get(&format!("/v1/admin/identity/{finn}"), Some(&other))
        .await;
    assert_eq!(seen.status, 200);
    let link = &seen.body["documents"][0]["download"];
    let expires: DateTime<Utc> = link["expires_at"].as_str().unwrap().parse().unwrap();
    assert!(
        expires - Utc::now() <= chrono::Duration::minutes(5),
        "review links are short-lived"
    );
    // Both are in the queue, oldest first.
    let queue = app
        .get("/v1/admin/identity?status=pending&limit=1", Some(&other))
        .await;
    assert_eq!(queue.body["items"][0]["user_id"], finn.as_str());
    let cursor = queue.body["next_cursor"].as_str().expect("a second page");
    let next = app
        .get(
            &format!("/v1/admin/identity?status=pending&limit=1&cursor={cursor}"),
            Some(&other),
        )
        .await;
    assert_eq!(next.body["items"][0]["user_id"], me.as_str());
}
