//! The core request shapes of ../shared/API.md, posted with exactly their fields (values made
//! real, ids from the answers before): what an app written from API.md alone sends must
//! succeed. A field the product needs beyond these shapes must have a default.

use serde_json::{json, Value};
use worklane_tests::{png, ready_file, user_id, TestApp};

fn id(reply: &Value, field: &str) -> String {
    reply[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {reply}"))
        .to_string()
}

#[tokio::test]
async fn every_core_shape_of_api_md_succeeds_verbatim() {
    let app = TestApp::spawn().await;
    app.set_clock("2026-12-07T09:00:00Z").await;
    // POST /v1/auth/signup {email, password, name, roles}
    let (client, _) = app
        .confirmed_user("shapes-client@example.com", &["client"])
        .await;
    let (freelancer, _) = app
        .confirmed_user("shapes-freelancer@example.com", &["freelancer"])
        .await;
    let freelancer_id = user_id(&app, &freelancer).await;
    app.add_card(&client).await;

    // POST /v1/jobs, fixed: no `duration`, as API.md's shape has none.
    let job = app
        .post(
            "/v1/jobs",
            Some(&client),
            &json!({"title": "Rust API on Lambda",
                "description": "A serverless REST API in Rust on AWS Lambda with DynamoDB.",
                "category": "web-mobile-software-dev", "skills": ["rust", "dynamodb"],
                "experience_level": "expert", "type": "fixed",
                "budget": {"amount": "500.00", "currency": "USD"},
                "visibility": "public", "screening_questions": ["Which Lambda runtime do you use?"]}),
        )
        .await;
    assert_eq!(job.status, 201, "{}", job.body);
    assert!(job.body["connects_cost"].is_u64(), "{}", job.body);
    let job_id = id(&job.body, "id");
    // POST /v1/jobs, hourly.
    let hourly_job = app
        .post(
            "/v1/jobs",
            Some(&client),
            &json!({"title": "Ongoing Rust backend work",
                "description": "Hourly work on a serverless Rust backend with DynamoDB and SQS.",
                "category": "web-mobile-software-dev", "skills": ["rust"],
                "experience_level": "intermediate", "type": "hourly",
                "hourly_rate": {"min": "20.00", "max": "40.00", "currency": "USD"},
                "visibility": "public", "screening_questions": []}),
        )
        .await;
    assert_eq!(hourly_job.status, 201, "{}", hourly_job.body);

    // POST /v1/jobs/{id}/proposals
    let proposal = app
        .post(
            &format!("/v1/jobs/{job_id}/proposals"),
            Some(&freelancer),
            &json!({"cover_letter": "I have built this kind of API many times, on Lambda and DynamoDB.",
                "bid": {"amount": "450.00", "currency": "USD"}, "duration": "1-3 months",
                "answers": ["provided.al2023 with a Rust bootstrap"], "boost_connects": 0}),
        )
        .await;
    assert_eq!(proposal.status, 201, "{}", proposal.body);
    assert!(proposal.body["state"].is_string());

    // POST /v1/offers (fixed) → accept → GET /v1/contracts/{id}
    let offer = app
        .post(
            "/v1/offers",
            Some(&client),
            &json!({"proposal_id": proposal.body["id"], "job_id": job_id,
                "freelancer_id": freelancer_id, "type": "fixed",
                "milestones": [{"description": "The API", "amount": {"amount": "450.00", "currency": "USD"},
                                "due_date": "2026-12-31"}]}),
        )
        .await;
    assert_eq!(offer.status, 201, "{}", offer.body);
    assert_eq!(offer.body["state"], "pending");
    let accepted = app
        .post(
            &format!("/v1/offers/{}/accept", id(&offer.body, "id")),
            Some(&freelancer),
            &json!({}),
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    let contract_id = id(&accepted.body, "contract_id");
    let contract = app
        .get(&format!("/v1/contracts/{contract_id}"), Some(&client))
        .await;
    assert_eq!(contract.status, 200, "{}", contract.body);
    for field in ["id", "type", "state", "client_id", "freelancer_id"] {
        assert!(
            !contract.body[field].is_null(),
            "{field}: {}",
            contract.body
        );
    }
    let milestone = id(&contract.body["milestones"][0], "id");
    for field in [
        "funded_at",
        "submitted_at",
        "auto_release_at",
        "released_at",
    ] {
        assert!(
            contract.body["milestones"][0].get(field).is_some(),
            "{field}"
        );
    }

    // fund (default billing method) → submit {message, file_ids} → approve {"amount"}
    let step = |path: String, token: &str, body: Value| {
        let token = token.to_string();
        let app = &app;
        async move { app.post(&path, Some(&token), &body).await }
    };
    let funded = step(
        format!("/v1/milestones/{milestone}/fund"),
        &client,
        json!({}),
    )
    .await;
    assert_eq!(funded.status, 200, "{}", funded.body);
    let submitted = step(
        format!("/v1/milestones/{milestone}/submit"),
        &freelancer,
        json!({"message": "Done: the API is deployed.", "file_ids": []}),
    )
    .await;
    assert_eq!(submitted.status, 200, "{}", submitted.body);
    let approved = step(
        format!("/v1/milestones/{milestone}/approve"),
        &client,
        json!({"amount": {"amount": "450.00", "currency": "USD"}}),
    )
    .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(approved.body["state"], "released", "{}", approved.body);

    // POST /v1/contracts/{id}/feedback after the contract ends.
    let ended = step(
        format!("/v1/contracts/{contract_id}/end"),
        &client,
        json!({}),
    )
    .await;
    assert_eq!(ended.status, 200, "{}", ended.body);
    let feedback = step(
        format!("/v1/contracts/{contract_id}/feedback"),
        &client,
        json!({"ratings": {"skills": 5, "quality": 5, "availability": 4, "deadlines": 5,
                           "communication": 5, "cooperation": 5},
               "comment": "Clear, fast and careful work.", "private": {"recommend": 9}}),
    )
    .await;
    assert_eq!(feedback.status, 201, "{}", feedback.body);

    // POST /v1/offers (hourly) → accept → POST /v1/contracts/{id}/time
    let hourly_offer = app
        .post(
            "/v1/offers",
            Some(&client),
            &json!({"job_id": hourly_job.body["id"], "freelancer_id": freelancer_id, "type": "hourly",
                "hourly_rate": {"amount": "30.00", "currency": "USD"},
                "weekly_limit_hours": 40, "manual_time_allowed": true}),
        )
        .await;
    assert_eq!(hourly_offer.status, 201, "{}", hourly_offer.body);
    let hourly = app
        .post(
            &format!("/v1/offers/{}/accept", id(&hourly_offer.body, "id")),
            Some(&freelancer),
            &json!({}),
        )
        .await;
    assert_eq!(hourly.status, 200, "{}", hourly.body);
    let screenshot = ready_file(&app, &freelancer, "screenshot", &png(300)).await;
    // The slot must have ended; access tokens live 15 minutes of the stack's clock.
    app.set_clock("2026-12-07T10:30:00Z").await;
    let login = app.login("shapes-freelancer@example.com").await;
    let freelancer = id(&login.body, "access_token");
    let logged = step(
        format!("/v1/contracts/{}/time", id(&hourly.body, "contract_id")),
        &freelancer,
        json!({"segments": [{"start": "2026-12-07T10:00:00Z", "activity": 42, "keystrokes": 310,
                             "mouse": 120, "memo": "Wired the DynamoDB stream",
                             "screenshot_file_id": screenshot, "manual": false}]}),
    )
    .await;
    assert_eq!(logged.status, 200, "{}", logged.body);

    // GET /v1/me/wallet
    let wallet = app.wallet(&freelancer).await;
    for field in [
        "currency",
        "pending",
        "in_review",
        "in_escrow",
        "available",
        "connects",
    ] {
        assert!(!wallet[field].is_null(), "{field}: {wallet}");
    }
}
