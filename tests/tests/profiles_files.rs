//! Files, profiles and freelancer search end to end over HTTP on the local stack
//! (DynamoDB Local + moto S3): real presigned uploads and downloads, real index queries.

use reqwest::Method;
use serde_json::{json, Value};
use worklane_tests::{declare, png, ready_file, upload, user_id, Reply, TestApp};

async fn put(app: &TestApp, path: &str, token: &str, body: &Value) -> Reply {
    app.send(Method::PUT, path, Some(token), Some(&body.to_string()), &[])
        .await
}

fn profile(name: &str, skills: &[&str], rate: &str, country: &str) -> Value {
    json!({
        "display_name": name,
        "location": {"country": country, "city": "Springfield"},
        "title": "Backend engineer for hire",
        "overview": "I design, build and run serverless backends: APIs, queues, data models, \
                     and the boring reliability work that keeps them up at night.",
        "skills": skills,
        "hourly_rate": {"amount": rate, "currency": "USD"},
        "languages": [{"language": "English", "proficiency": "fluent"}],
        "availability": "more_than_30"
    })
}

fn error_fields(reply: &Reply) -> Vec<String> {
    reply.body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn upload_complete_and_download_round_trip() {
    let app = TestApp::spawn().await;
    let (token, _) = app.confirmed_user("ann@example.com", &["freelancer"]).await;
    let bytes = png(3000);
    let declared = declare(&app, &token, "attachment", "image/png", bytes.len()).await;
    let id = declared.body["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("fil_"));
    assert_eq!(declared.body["state"], "pending");
    assert_eq!(
        declared.body["upload"]["headers"]["content-type"],
        "image/png"
    );
    let url = declared.body["upload"]["url"].as_str().unwrap();
    assert!(
        url.contains(&format!("files/{}/{id}", user_id(&app, &token).await)),
        "{url}"
    );

    // Pending: readable metadata for the owner, but nothing to download yet.
    let pending = app.get(&format!("/v1/files/{id}"), Some(&token)).await;
    assert_eq!(
        (pending.status, &pending.body["state"]),
        (200, &json!("pending"))
    );
    assert!(pending.body.get("download").is_none());

    assert_eq!(upload(&app, &declared, &bytes, None).await, 200);
    let done = app
        .post(
            &format!("/v1/files/{id}/complete"),
            Some(&token),
            &json!({}),
        )
        .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert_eq!(done.body["state"], "ready");
    assert_eq!(done.body["size_bytes"], bytes.len());
    // Completing again changes nothing.
    let again = app
        .post(
            &format!("/v1/files/{id}/complete"),
            Some(&token),
            &json!({}),
        )
        .await;
    assert_eq!((again.status, &again.body["state"]), (200, &json!("ready")));

    let file = app.get(&format!("/v1/files/{id}"), Some(&token)).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.body["file_name"], "work sample.png");
    let download = &file.body["download"];
    assert_eq!(download["method"], "GET");
    assert!(download["expires_at"].as_str().is_some());
    let fetched = app
        .http
        .get(download["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.status().as_u16(), 200);
    assert_eq!(fetched.bytes().await.unwrap().to_vec(), bytes);
}

#[tokio::test]
async fn declarations_outside_the_rules_are_refused() {
    let app = TestApp::spawn().await;
    let (token, _) = app.confirmed_user("bob@example.com", &["freelancer"]).await;
    let cases = [
        (
            json!({"purpose": "screenshot", "content_type": "application/pdf", "size_bytes": 100,
                "file_name": "a.pdf"}),
            vec!["content_type"],
        ),
        (
            json!({"purpose": "screenshot", "content_type": "image/png", "size_bytes": 3 * 1024 * 1024,
                "file_name": "a.png"}),
            vec!["size_bytes"],
        ),
        (
            json!({"purpose": "portfolio", "content_type": "text/html", "size_bytes": 0,
                "file_name": "../index.html"}),
            vec!["content_type", "size_bytes", "file_name"],
        ),
        (
            json!({"purpose": "attachment", "content_type": "application/zip",
                "size_bytes": 101 * 1024 * 1024, "file_name": "big.zip"}),
            vec!["size_bytes"],
        ),
    ];
    for (body, fields) in cases {
        let reply = app.post("/v1/files/uploads", Some(&token), &body).await;
        assert_eq!(
            (reply.status, reply.code()),
            (422, "validation_failed"),
            "{body}"
        );
        assert_eq!(error_fields(&reply), fields, "{body}");
    }
    let unknown_purpose = app
        .post(
            "/v1/files/uploads",
            Some(&token),
            &json!({"purpose": "malware", "content_type": "image/png", "size_bytes": 1,
                    "file_name": "a.png"}),
        )
        .await;
    assert_eq!(
        (unknown_purpose.status, unknown_purpose.code()),
        (422, "invalid_body")
    );
    let anonymous = app
        .post(
            "/v1/files/uploads",
            None,
            &json!({"purpose": "portfolio", "content_type": "image/png", "size_bytes": 1,
                    "file_name": "a.png"}),
        )
        .await;
    assert_eq!(anonymous.status, 401);
}

#[tokio::test]
async fn completing_needs_an_upload_that_matches_the_declaration() {
    let app = TestApp::spawn().await;
    let (token, _) = app.confirmed_user("cat@example.com", &["freelancer"]).await;
    let declared = declare(&app, &token, "portfolio", "image/png", 100).await;
    let id = declared.body["id"].as_str().unwrap();
    let complete = |id: String| {
        let app = &app;
        let token = token.clone();
        async move {
            app.post(
                &format!("/v1/files/{id}/complete"),
                Some(&token),
                &json!({}),
            )
            .await
        }
    };
    let early = complete(id.to_string()).await;
    assert_eq!((early.status, early.code()), (409, "file_not_uploaded"));

    // Local S3 does not enforce signed headers, which is why completion checks again.
    assert_eq!(upload(&app, &declared, &png(60), None).await, 200);
    let short = complete(id.to_string()).await;
    assert_eq!(
        (short.status, short.code()),
        (422, "upload_mismatch"),
        "{:?}",
        short.body
    );
    assert!(short.body["detail"].as_str().unwrap().contains("60 bytes"));
    // The mismatching object was removed: completing now finds nothing.
    let removed = complete(id.to_string()).await;
    assert_eq!(removed.code(), "file_not_uploaded");

    assert_eq!(
        upload(&app, &declared, &png(100), Some("text/plain")).await,
        200
    );
    let wrong_type = complete(id.to_string()).await;
    assert_eq!(
        (wrong_type.status, wrong_type.code()),
        (422, "upload_mismatch")
    );

    assert_eq!(upload(&app, &declared, &png(100), None).await, 200);
    let done = complete(id.to_string()).await;
    assert_eq!((done.status, &done.body["state"]), (200, &json!("ready")));
}

#[tokio::test]
async fn others_cannot_read_or_complete_my_files() {
    let app = TestApp::spawn().await;
    let (mine, _) = app.confirmed_user("dan@example.com", &["freelancer"]).await;
    let (theirs, _) = app.confirmed_user("eve@example.com", &["client"]).await;
    let pending = declare(&app, &mine, "attachment", "image/png", 10).await;
    let pending_id = pending.body["id"].as_str().unwrap();
    let ready_id = ready_file(&app, &mine, "attachment", &png(50)).await;
    for id in [pending_id, ready_id.as_str()] {
        let read = app.get(&format!("/v1/files/{id}"), Some(&theirs)).await;
        assert_eq!((read.status, read.code()), (404, "not_found"));
        let anonymous = app.get(&format!("/v1/files/{id}"), None).await;
        assert_eq!(anonymous.status, 404);
        let complete = app
            .post(
                &format!("/v1/files/{id}/complete"),
                Some(&theirs),
                &json!({}),
            )
            .await;
        assert_eq!(complete.status, 404);
    }
    let bad_token = app
        .get(&format!("/v1/files/{ready_id}"), Some("nonsense"))
        .await;
    assert_eq!(bad_token.status, 401);
    let garbage = app.get("/v1/files/not-an-id", Some(&mine)).await;
    assert_eq!(garbage.status, 404);
}

#[tokio::test]
async fn freelancer_profile_round_trip_with_a_public_view() {
    let app = TestApp::spawn().await;
    let (token, _) = app.confirmed_user("fay@example.com", &["freelancer"]).await;
    let id = user_id(&app, &token).await;
    assert_eq!(
        app.get("/v1/freelancers/me/profile", Some(&token))
            .await
            .status,
        404
    );
    let photo = ready_file(&app, &token, "portfolio", &png(200)).await;
    let sample = ready_file(&app, &token, "portfolio", &png(300)).await;
    // Private until shown on the profile.
    assert_eq!(
        app.get(&format!("/v1/files/{sample}"), None).await.status,
        404
    );

    let mut body = profile("Fay K.", &["rust", "aws"], "75.00", "us");
    body["photo_file_id"] = json!(photo);
    body["portfolio"] = json!([{"title": "Payments ledger", "description": "Double entry",
                                "file_ids": [sample]}]);
    body["employment"] = json!([{"company": "Initech", "title": "Engineer", "from": "2019-02",
                                 "to": "2023-08"}]);
    let saved = put(&app, "/v1/freelancers/me/profile", &token, &body).await;
    assert_eq!(saved.status, 200, "{:?}", saved.body);
    assert_eq!(saved.body["version"], 1);
    assert_eq!(saved.body["user_id"], id.as_str());
    assert_eq!(saved.body["location"]["country"], "US");
    assert_eq!(
        saved.body["hourly_rate"],
        json!({"amount": "75.00", "currency": "USD"})
    );

    let mine = app.get("/v1/freelancers/me/profile", Some(&token)).await;
    assert_eq!(mine.body, saved.body);

    let public = app.get(&format!("/v1/freelancers/{id}"), None).await;
    assert_eq!(public.status, 200);
    assert_eq!(public.body["id"], id.as_str());
    assert_eq!(public.body["title"], "Backend engineer for hire");
    assert_eq!(public.body["skills"], json!(["rust", "aws"]));
    assert_eq!(public.body["portfolio"][0]["file_ids"], json!([sample]));
    assert_eq!(public.body["employment"][0]["company"], "Initech");
    assert!(public.body.get("version").is_none() && public.body.get("updated_at").is_none());
    let raw = String::from_utf8_lossy(&public.raw);
    assert!(
        !raw.contains("fay@example.com") && !raw.contains("email"),
        "{raw}"
    );

    // Shown on the profile, the portfolio files are public.
    for file in [&photo, &sample] {
        let anonymous = app.get(&format!("/v1/files/{file}"), None).await;
        assert_eq!(anonymous.status, 200, "{file}");
        assert_eq!(anonymous.body["public"], true);
        assert!(anonymous.body["download"]["url"].as_str().is_some());
    }

    // Optimistic concurrency: an edit based on version 1 lands once.
    body["version"] = json!(1);
    body["portfolio"] = json!([]);
    let second = put(&app, "/v1/freelancers/me/profile", &token, &body).await;
    assert_eq!((second.status, &second.body["version"]), (200, &json!(2)));
    let stale = put(&app, "/v1/freelancers/me/profile", &token, &body).await;
    assert_eq!((stale.status, stale.code()), (409, "stale_version"));
    // Taken off the profile, the sample is private again; the photo stays public.
    assert_eq!(
        app.get(&format!("/v1/files/{sample}"), None).await.status,
        404
    );
    assert_eq!(
        app.get(&format!("/v1/files/{photo}"), None).await.status,
        200
    );
    assert_eq!(
        app.get(&format!("/v1/files/{sample}"), Some(&token))
            .await
            .status,
        200
    );

    assert_eq!(app.get("/v1/freelancers/usr_nope", None).await.status, 404);
}

#[tokio::test]
async fn profile_validation_lists_every_field() {
    let app = TestApp::spawn().await;
    let (token, _) = app.confirmed_user("gus@example.com", &["freelancer"]).await;
    let mut body = profile("G", &["rust", "basket-weaving"], "0.50", "XX");
    body["overview"] = json!("short");
    body["languages"] = json!([]);
    let reply = put(&app, "/v1/freelancers/me/profile", &token, &body).await;
    assert_eq!((reply.status, reply.code()), (422, "validation_failed"));
    assert_eq!(
        error_fields(&reply),
        [
            "display_name",
            "location.country",
            "overview",
            "skills",
            "hourly_rate",
            "languages"
        ]
    );

    // Files must be the caller's own uploaded portfolio files.
    let attachment = ready_file(&app, &token, "attachment", &png(20)).await;
    let pending = declare(&app, &token, "portfolio", "image/png", 10).await;
    let pending = pending.body["id"].as_str().unwrap();
    let (other, _) = app.confirmed_user("hal@example.com", &["freelancer"]).await;
    let foreign = ready_file(&app, &other, "portfolio", &png(20)).await;
    let mut body = profile("Gus", &["rust"], "40.00", "DE");
    body["portfolio"] = json!([{"title": "Work", "file_ids": [attachment, pending, foreign]}]);
    let reply = put(&app, "/v1/freelancers/me/profile", &token, &body).await;
    // One of them is not the caller's to name, so the answer is 404 (as for an unknown id),
    // still listing every file that cannot be used.
    assert_eq!(
        (reply.status, reply.code()),
        (404, "file_not_found"),
        "{:?}",
        reply.body
    );
    let messages: Vec<&str> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(messages[0].starts_with(&attachment) && messages[0].contains("attachment files"));
    assert!(messages[1].starts_with(pending) && messages[1].contains("not been uploaded"));
    assert!(messages[2].starts_with(&foreign) && messages[2].ends_with("no such file"));
    // Nothing was written, and the other freelancer's file stays private.
    assert_eq!(
        app.get("/v1/freelancers/me/profile", Some(&token))
            .await
            .status,
        404
    );
    assert_eq!(
        app.get(&format!("/v1/files/{foreign}"), None).await.status,
        404
    );
}

#[tokio::test]
async fn profiles_are_written_only_by_their_owner_in_the_right_role() {
    let app = TestApp::spawn().await;
    let (client, _) = app.confirmed_user("ivy@example.com", &["client"]).await;
    let (freelancer, _) = app.confirmed_user("jon@example.com", &["freelancer"]).await;
    let body = profile("Jon", &["rust"], "50.00", "US");
    let refused = put(&app, "/v1/freelancers/me/profile", &client, &body).await;
    assert_eq!((refused.status, refused.code()), (403, "forbidden"));
    let client_body = json!({"display_name": "Jon", "location": {"country": "US"}});
    let refused = put(&app, "/v1/clients/me/profile", &freelancer, &client_body).await;
    assert_eq!((refused.status, refused.code()), (403, "forbidden"));

    // Only `/me/` writes: a path naming another user writes nothing.
    let jon = user_id(&app, &freelancer).await;
    assert_eq!(
        put(&app, "/v1/freelancers/me/profile", &freelancer, &body)
            .await
            .status,
        200
    );
    let (mallory, _) = app.confirmed_user("mal@example.com", &["freelancer"]).await;
    let mut hijack = profile("Mallory", &["go"], "5.00", "US");
    for path in [
        format!("/v1/freelancers/{jon}/profile"),
        format!("/v1/freelancers/{jon}"),
    ] {
        let reply = put(&app, &path, &mallory, &hijack).await;
        assert!(
            matches!(reply.status, 404 | 405),
            "{path}: {}",
            reply.status
        );
    }
    hijack["version"] = json!(1);
    let own = put(&app, "/v1/freelancers/me/profile", &mallory, &hijack).await;
    assert_eq!((own.status, own.code()), (409, "stale_version"));
    let jons = app.get(&format!("/v1/freelancers/{jon}"), None).await;
    assert_eq!(jons.body["display_name"], "Jon");
    assert_eq!(jons.body["skills"], json!(["rust"]));

    let unconfirmed = app.signup("kim@example.com", &["freelancer"]).await;
    assert_eq!(unconfirmed.status, 201);
    let login = app.login("kim@example.com").await;
    let token = login.body["access_token"].as_str().unwrap();
    let reply = put(&app, "/v1/freelancers/me/profile", token, &body).await;
    assert_eq!((reply.status, reply.code()), (403, "email_unconfirmed"));
}

#[tokio::test]
async fn client_profile_shows_hiring_history_from_the_counters() {
    let app = TestApp::spawn().await;
    let (client, _) = app.confirmed_user("lea@example.com", &["client"]).await;
    let (freelancer, _) = app.confirmed_user("max@example.com", &["freelancer"]).await;
    let id = user_id(&app, &client).await;

    let before = app
        .get(&format!("/v1/clients/{id}"), Some(&freelancer))
        .await;
    assert_eq!(before.status, 200, "{:?}", before.body);
    assert_eq!(before.body["hiring"]["jobs_posted"], 0);
    assert_eq!(
        before.body["hiring"]["total_spent"],
        json!({"amount": "0.00", "currency": "USD"})
    );
    assert!(before.body["hiring"].get("hire_rate").is_none());
    assert!(before.body.get("display_name").is_none());

    let body = json!({"display_name": "Lea", "company_name": "Acme Robotics",
        "location": {"country": "ca", "city": "Toronto"}, "description": "We build robots.",
        "website": "https://acme.example"});
    let saved = put(&app, "/v1/clients/me/profile", &client, &body).await;
    assert_eq!(
        (saved.status, &saved.body["version"]),
        (200, &json!(1)),
        "{:?}",
        saved.body
    );
    let bad = put(
        &app,
        "/v1/clients/me/profile",
        &client,
        &json!({"display_name": "L", "location": {"country": "Canada"}, "website": "ftp://x"}),
    )
    .await;
    assert_eq!(
        error_fields(&bad),
        ["display_name", "location.country", "website"]
    );

    // The counters other workflows maintain (jobs posted, hires, spending).
    let (pk, sk) =
        worklane::store::keys::client_stats(&worklane::domain::ids::UserId::parse(&id).unwrap());
    app.stack
        .app
        .store
        .put(&json!({"pk": pk, "sk": sk, "jobs_posted": 4, "hires": 1,
                     "total_spent": "1250.00", "payment_verified": true}))
        .await
        .unwrap();
    let view = app
        .get(&format!("/v1/clients/{id}"), Some(&freelancer))
        .await;
    assert_eq!(view.status, 200);
    assert_eq!(view.body["company_name"], "Acme Robotics");
    assert_eq!(
        view.body["location"],
        json!({"country": "CA", "city": "Toronto"})
    );
    assert_eq!(
        view.body["hiring"],
        json!({"jobs_posted": 4, "hires": 1, "hire_rate": 0.25, "payment_verified": true,
               "total_spent": {"amount": "1250.00", "currency": "USD"}})
    );
    assert!(view.body.get("version").is_none());

    let freelancer_id = user_id(&app, &freelancer).await;
    let not_a_client = app
        .get(&format!("/v1/clients/{freelancer_id}"), Some(&client))
        .await;
    assert_eq!(not_a_client.status, 404);
    assert_eq!(
        app.get(&format!("/v1/clients/{id}"), None).await.status,
        401
    );
}

#[tokio::test]
async fn clients_find_freelancers_by_skill_rate_and_location() {
    let app = TestApp::spawn().await;
    let (client, _) = app.confirmed_user("ned@example.com", &["client"]).await;
    let people = [
        ("a@example.com", "Ana", vec!["rust", "aws"], "30.00", "US"),
        (
            "b@example.com",
            "Ben",
            vec!["aws", "rust", "go"],
            "45.50",
            "US",
        ),
        ("c@example.com", "Cho", vec!["rust"], "50.00", "US"),
        ("d@example.com", "Dev", vec!["rust", "aws"], "60.00", "DE"),
        ("e@example.com", "Eli", vec!["rust", "aws"], "120.00", "US"),
        ("f@example.com", "Fin", vec!["rust", "aws"], "55.00", "US"),
    ];
    let mut tokens = Vec::new();
    for (email, name, skills, rate, country) in &people {
        let (token, _) = app.confirmed_user(email, &["freelancer"]).await;
        let reply = put(
            &app,
            "/v1/freelancers/me/profile",
            &token,
            &profile(name, skills, rate, country),
        )
        .await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        tokens.push(token);
    }
    // A freelancer without a profile never appears.
    app.confirmed_user("g@example.com", &["freelancer"]).await;

    let query = "/v1/freelancers?skills=rust,aws&rate_min=30&rate_max=100&location=US&limit=2";
    let mut names = Vec::new();
    let mut rates = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("{query}&cursor={c}"),
            None => query.to_string(),
        };
        let page = app.get(&path, Some(&client)).await;
        assert_eq!(page.status, 200, "{:?}", page.body);
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        for item in items {
            names.push(item["display_name"].as_str().unwrap().to_string());
            rates.push(item["hourly_rate"]["amount"].as_str().unwrap().to_string());
            assert!(item.get("version").is_none() && item.get("overview").is_none());
        }
        pages += 1;
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(names, ["Ana", "Ben", "Fin"]);
    assert_eq!(rates, ["30.00", "45.50", "55.00"]);
    assert_eq!(pages, 2);

    // The index follows profile edits: Fin drops aws, Ana raises her rate out of range.
    let fin = profile("Fin", &["rust"], "55.00", "US");
    assert_eq!(
        put(&app, "/v1/freelancers/me/profile", &tokens[5], &fin)
            .await
            .status,
        200
    );
    let ana = profile("Ana", &["rust", "aws"], "150.00", "US");
    assert_eq!(
        put(&app, "/v1/freelancers/me/profile", &tokens[0], &ana)
            .await
            .status,
        200
    );
    let page = app
        .get(query.replace("&limit=2", "").as_str(), Some(&client))
        .await;
    let names: Vec<&str> = page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["display_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ben"]);
    assert!(page.body.get("next_cursor").is_none());
    let everyone = app.get("/v1/freelancers?skills=rust", Some(&client)).await;
    assert_eq!(everyone.body["items"].as_array().unwrap().len(), 6);
    let germany = app
        .get("/v1/freelancers?skills=aws&location=DE", Some(&client))
        .await;
    assert_eq!(germany.body["items"][0]["display_name"], "Dev");
    assert_eq!(germany.body["items"].as_array().unwrap().len(), 1);

    // Cursors: tampered ones and ones from another search are refused.
    let first = app
        .get("/v1/freelancers?skills=rust&limit=1", Some(&client))
        .await;
    let cursor = first.body["next_cursor"].as_str().unwrap().to_string();
    let (payload, tag) = cursor.split_once('.').unwrap();
    let mut tampered = payload.to_string();
    tampered.replace_range(0..1, if payload.starts_with('A') { "B" } else { "A" });
    for bad in [format!("{tampered}.{tag}"), "garbage".to_string()] {
        let reply = app
            .get(
                &format!("/v1/freelancers?skills=rust&limit=1&cursor={bad}"),
                Some(&client),
            )
            .await;
        assert_eq!(
            (reply.status, reply.code()),
            (422, "validation_failed"),
            "{bad}"
        );
    }
    let other_search = app
        .get(
            &format!("/v1/freelancers?skills=aws&limit=1&cursor={cursor}"),
            Some(&client),
        )
        .await;
    assert_eq!(other_search.status, 422);
    let second = app
        .get(
            &format!("/v1/freelancers?skills=rust&limit=1&cursor={cursor}"),
            Some(&client),
        )
        .await;
    assert_eq!(second.status, 200);
    assert_ne!(second.body["items"][0]["id"], first.body["items"][0]["id"]);

    // No listing of everyone, and bad filters are named.
    let unfiltered = app.get("/v1/freelancers", Some(&client)).await;
    assert_eq!(
        (unfiltered.status, unfiltered.code()),
        (422, "validation_failed")
    );
    assert_eq!(unfiltered.body["errors"][0]["field"], "skills");
    let bad = app
        .get(
            "/v1/freelancers?skills=rust,cobol&rate_min=50&rate_max=10&location=Mars",
            Some(&client),
        )
        .await;
    // Each parameter's own shape first, all of them at once; then the range between two.
    assert_eq!(error_fields(&bad), ["skills", "location"]);
    let inverted = app
        .get(
            "/v1/freelancers?skills=rust&rate_min=50&rate_max=10",
            Some(&client),
        )
        .await;
    assert_eq!(error_fields(&inverted), ["rate_max"]);
    assert_eq!(
        app.get("/v1/freelancers?skills=rust", None).await.status,
        401
    );
}
