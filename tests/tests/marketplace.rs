//! The marketplace over HTTP on the local stack: jobs, invitations, proposals paid with
//! Connects, the boost auction, client decisions, cancellation refunds and the monthly grant.

use futures::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};
use worklane_tests::{png, ready_file, user_id, TestApp};

fn job_body(title: &str, budget: &str, visibility: &str, questions: &[&str]) -> Value {
    json!({
        "title": title,
        "description": "We need a serverless REST API in Rust on AWS Lambda with DynamoDB storage.",
        "category": "web-mobile-software-dev",
        "skills": ["rust", "aws-lambda", "dynamodb"],
        "experience_level": "expert",
        "type": "fixed",
        "budget": {"amount": budget, "currency": "USD"},
        "duration": "1-3 months",
        "visibility": visibility,
        "screening_questions": questions,
    })
}

fn proposal_body(answers: &[&str], boost: u32) -> Value {
    json!({
        "cover_letter": "I have shipped several Rust services on Lambda and DynamoDB.",
        "bid": {"amount": "550.00", "currency": "USD"},
        "duration": "1-3 months",
        "answers": answers,
        "boost_connects": boost,
    })
}

async fn post_job(app: &TestApp, token: &str, body: &Value) -> String {
    let reply = app.post("/v1/jobs", Some(token), body).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["id"].as_str().unwrap().to_string()
}

async fn apply(app: &TestApp, token: &str, job: &str) -> worklane_tests::Reply {
    app.post(
        &format!("/v1/jobs/{job}/proposals"),
        Some(token),
        &proposal_body(&[], 0),
    )
    .await
}

async fn balance(app: &TestApp, token: &str) -> i64 {
    let reply = app.get("/v1/me/connects", Some(token)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["balance"].as_i64().unwrap()
}

/// Every entry of a freelancer's history adds up to the balance.
async fn assert_ledger_consistent(app: &TestApp, token: &str) {
    let reply = app.get("/v1/me/connects?limit=200", Some(token)).await;
    let sum: i64 = reply.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["amount"].as_i64().unwrap())
        .sum();
    assert_eq!(
        sum,
        reply.body["balance"].as_i64().unwrap(),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn jobs_invitations_proposals_boosts_and_cancellation_refunds() {
    let app = TestApp::spawn().await;
    let (client, _) = app.confirmed_user("client@example.com", &["client"]).await;
    let question = "Which DynamoDB access patterns have you designed?";
    let brief = ready_file(&app, &client, "attachment", &png(2048)).await;
    let mut public_body = job_body("Rust API on Lambda", "600.00", "public", &[question]);
    public_body["attachments"] = json!([brief]);
    let public = post_job(&app, &client, &public_body).await;
    let private = post_job(
        &app,
        &client,
        &job_body("Confidential Rust work", "600.00", "invite_only", &[]),
    )
    .await;
    let job = app.get(&format!("/v1/jobs/{public}"), Some(&client)).await;
    assert_eq!(job.body["connects_cost"], 6);
    assert_eq!(job.body["client"]["jobs_posted"], 2);

    // Six freelancers, each starting with the signup allowance of 10.
    let mut freelancers = Vec::new();
    for i in 0..7 {
        let (token, _) = app
            .confirmed_user(&format!("f{i}@example.com"), &["freelancer"])
            .await;
        assert_eq!(balance(&app, &token).await, 10);
        freelancers.push(token);
    }
    let invitee = freelancers.pop().unwrap();

    // Find work: a boolean query with filters finds the public job and never the private one.
    let query = "/v1/jobs?q=%28rust+OR+golang%29+AND+%22serverless+REST%22+NOT+wordpress\
                 &skills=rust&type=fixed&budget_min=500&experience=expert";
    let found = app.get(query, Some(&invitee)).await;
    assert_eq!(found.status, 200, "{}", found.body);
    let ids: Vec<&str> = found.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [public.as_str()]);
    let everything = app.get("/v1/jobs?q=rust", Some(&invitee)).await;
    assert!(!everything.body.to_string().contains(&private));
    let too_cheap = app
        .get("/v1/jobs?q=rust&budget_max=500", Some(&invitee))
        .await;
    assert_eq!(too_cheap.body["items"], json!([]));

    // The invite-only job does not exist for anyone not invited.
    let hidden = app
        .get(&format!("/v1/jobs/{private}"), Some(&invitee))
        .await;
    assert_eq!(hidden.status, 404);
    let direct = app
        .post(
            &format!("/v1/jobs/{private}/proposals"),
            Some(&invitee),
            &proposal_body(&[], 0),
        )
        .await;
    assert_eq!(direct.status, 404);

    // Invited, the freelancer sees it and answers for free.
    let invitation = app
        .post(
            &format!("/v1/jobs/{private}/invitations"),
            Some(&client),
            &json!({"freelancer_id": user_id(&app, &invitee).await, "message": "Your profile fits."}),
        )
        .await;
    assert_eq!(invitation.status, 201, "{}", invitation.body);
    let again = app
        .post(
            &format!("/v1/jobs/{private}/invitations"),
            Some(&client),
            &json!({"freelancer_id": user_id(&app, &invitee).await}),
        )
        .await;
    assert_eq!((again.status, again.code()), (409, "already_invited"));
    assert_eq!(
        app.get(&format!("/v1/jobs/{private}"), Some(&invitee))
            .await
            .status,
        200
    );
    let inbox = app.get("/v1/me/invitations", Some(&invitee)).await;
    let invitation_id = inbox.body["items"][0]["id"].as_str().unwrap().to_string();
    let accepted = app
        .post(
            &format!("/v1/invitations/{invitation_id}/accept"),
            Some(&invitee),
            &proposal_body(&[], 0),
        )
        .await;
    assert_eq!(accepted.status, 201, "{}", accepted.body);
    assert_eq!(accepted.body["origin"], "invited");
    assert_eq!(balance(&app, &invitee).await, 10, "invitations are free");
    let twice = app
        .post(
            &format!("/v1/invitations/{invitation_id}/accept"),
            Some(&invitee),
            &proposal_body(&[], 0),
        )
        .await;
    assert_eq!((twice.status, twice.code()), (409, "invitation_answered"));
    let invited_list = app
        .get("/v1/me/proposals?list=invited", Some(&invitee))
        .await;
    assert_eq!(invited_list.body["items"].as_array().unwrap().len(), 1);

    // Applications: every screening question answered; Connects deducted exactly.
    let path = format!("/v1/jobs/{public}/proposals");
    let unanswered = app
        .post(&path, Some(&freelancers[0]), &proposal_body(&[], 0))
        .await;
    assert_eq!(unanswered.status, 422);
    assert_eq!(unanswered.body["errors"][0]["field"], "answers");
    let answer = ["Single-table designs with sparse GSIs."];
    // A public job's brief is readable by any applicant.
    let brief_read = app
        .get(&format!("/v1/files/{brief}"), Some(&freelancers[0]))
        .await;
    assert_eq!(brief_read.status, 200, "{}", brief_read.body);
    let sample = ready_file(&app, &freelancers[0], "attachment", &png(1024)).await;
    let mut with_sample = proposal_body(&answer, 0);
    with_sample["attachments"] = json!([sample]);
    let not_mine = app.post(&path, Some(&freelancers[1]), &with_sample).await;
    // Someone else's file answers exactly as an unknown id does.
    assert_eq!(
        (not_mine.status, not_mine.code()),
        (404, "file_not_found"),
        "someone else's file: {}",
        not_mine.body
    );
    assert_eq!(
        not_mine.body["errors"][0]["message"],
        format!("{sample}: no such file")
    );
    let mut proposal_ids = Vec::new();
    for (i, boost) in [0u32, 1, 2, 3, 4].into_iter().enumerate() {
        let body = if i == 0 {
            with_sample.clone()
        } else {
            proposal_body(&answer, boost)
        };
        let reply = app.post(&path, Some(&freelancers[i]), &body).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        proposal_ids.push(reply.body["id"].as_str().unwrap().to_string());
        assert_eq!(balance(&app, &freelancers[i]).await, 10 - 6 - boost as i64);
    }
    // The slots are full (4, 3, 2, 1): a bid of 2 beats the 1, whose Connects come back at once.
    let sixth = app
        .post(&path, Some(&freelancers[5]), &proposal_body(&answer, 2))
        .await;
    assert_eq!(sixth.status, 201, "{}", sixth.body);
    proposal_ids.push(sixth.body["id"].as_str().unwrap().to_string());
    assert_eq!(balance(&app, &freelancers[5]).await, 2);
    assert_eq!(
        balance(&app, &freelancers[1]).await,
        10 - 6,
        "outbid boost refunded"
    );
    let outbid = app
        .get(
            &format!("/v1/proposals/{}", proposal_ids[1]),
            Some(&freelancers[1]),
        )
        .await;
    assert_eq!(outbid.body["boost"]["state"], "outbid");
    let duplicate = app
        .post(&path, Some(&freelancers[0]), &proposal_body(&answer, 0))
        .await;
    assert_eq!(
        (duplicate.status, duplicate.code()),
        (409, "already_applied")
    );

    // The client's list: the four boosted slots first (best bid first, ties by time), then
    // everyone else in arrival order.
    let list = app.get(&path, Some(&client)).await;
    assert_eq!(list.status, 200, "{}", list.body);
    let order: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = [4, 3, 2, 5, 0, 1]
        .iter()
        .map(|&i| proposal_ids[i].as_str())
        .collect();
    assert_eq!(order, expected);
    assert!(
        list.body["items"][0].get("connects_spent").is_none(),
        "costs are private"
    );
    let job_view = app
        .get(&format!("/v1/jobs/{public}"), Some(&freelancers[0]))
        .await;
    assert_eq!(
        job_view.body["boosts"],
        json!([]),
        "bidders are the client's business"
    );

    // The client may open the applicant's attachment; other applicants may not.
    let sample_path = format!("/v1/files/{sample}");
    assert_eq!(app.get(&sample_path, Some(&client)).await.status, 200);
    assert_eq!(
        app.get(&sample_path, Some(&freelancers[1])).await.status,
        404
    );

    // Client decisions; only the client decides.
    let shortlist = format!("/v1/proposals/{}/shortlist", proposal_ids[0]);
    assert_eq!(
        app.post(&shortlist, Some(&freelancers[0]), &json!({}))
            .await
            .status,
        403
    );
    assert_eq!(
        app.post(&shortlist, Some(&client), &json!({})).await.body["state"],
        "shortlisted"
    );
    let decline = format!("/v1/proposals/{}/decline", proposal_ids[1]);
    assert_eq!(
        app.post(&decline, Some(&client), &json!({})).await.body["state"],
        "declined"
    );
    let reopen = format!("/v1/proposals/{}/shortlist", proposal_ids[1]);
    assert_eq!(
        app.post(&reopen, Some(&client), &json!({})).await.code(),
        "proposal_final"
    );
    let active = app
        .get("/v1/me/proposals?list=active", Some(&freelancers[0]))
        .await;
    assert_eq!(active.body["items"][0]["id"], proposal_ids[0].as_str());

    // Freelancer edits the bid; a withdrawn proposal is final.
    let edited = app
        .send(
            Method::PATCH,
            &format!("/v1/proposals/{}", proposal_ids[2]),
            Some(&freelancers[2]),
            Some(r#"{"bid":{"amount":"500.00","currency":"USD"}}"#),
            &[],
        )
        .await;
    assert_eq!(edited.body["bid"]["amount"], "500.00", "{}", edited.body);
    let withdrawn = app
        .post(
            &format!("/v1/proposals/{}/withdraw", proposal_ids[3]),
            Some(&freelancers[3]),
            &json!({}),
        )
        .await;
    assert_eq!(withdrawn.body["state"], "withdrawn");

    // Cancelled before a hire: every Connect spent on the job comes back, once.
    let close = app
        .post(
            &format!("/v1/jobs/{public}/close"),
            Some(&client),
            &json!({"reason": "cancelled"}),
        )
        .await;
    assert_eq!(close.status, 200, "{}", close.body);
    assert_eq!(close.body["close_reason"], "cancelled");
    let gone = app.get("/v1/jobs?q=rust", Some(&invitee)).await;
    assert!(
        !gone.body.to_string().contains(&public),
        "closed jobs leave the index"
    );
    for token in &freelancers[..6] {
        assert_eq!(balance(&app, token).await, 10);
        assert_ledger_consistent(&app, token).await;
    }
    let late = app
        .post(&path, Some(&freelancers[6 - 1]), &proposal_body(&answer, 0))
        .await;
    assert_eq!((late.status, late.code()), (409, "job_closed"));
    let closed_again = app
        .post(
            &format!("/v1/jobs/{public}/close"),
            Some(&client),
            &json!({"reason": "cancelled"}),
        )
        .await;
    assert_eq!(
        (closed_again.status, closed_again.code()),
        (409, "job_closed")
    );
}

#[tokio::test]
async fn job_posting_is_validated_and_restricted_to_confirmed_clients() {
    let app = TestApp::spawn().await;
    let (client, _) = app.confirmed_user("c@example.com", &["client"]).await;
    let (freelancer, _) = app.confirmed_user("f@example.com", &["freelancer"]).await;
    let body = job_body("Rust API on Lambda", "600.00", "public", &[]);
    assert_eq!(
        app.post("/v1/jobs", Some(&freelancer), &body).await.status,
        403
    );
    assert_eq!(app.post("/v1/jobs", None, &body).await.status, 401);
    let mut bad = body.clone();
    bad["title"] = json!("x");
    bad["skills"] = json!(["cobol"]);
    bad["budget"] = json!({"amount": "1.234", "currency": "USD"});
    let reply = app.post("/v1/jobs", Some(&client), &bad).await;
    assert_eq!(reply.status, 422);
    assert_eq!(reply.content_type(), "application/problem+json");
    let fields: Vec<&str> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["title", "skills", "budget"]);
    let mut mass_assigned = body.clone();
    mass_assigned["client_id"] = json!("usr_01jabcdefghjkmnpqrstvwxyz0");
    assert_eq!(
        app.post("/v1/jobs", Some(&client), &mass_assigned)
            .await
            .status,
        422
    );

    // Edits: another client cannot; questions lock once someone applied.
    let id = post_job(&app, &client, &body).await;
    let (other, _) = app.confirmed_user("other@example.com", &["client"]).await;
    let patch = |token: String, body: &'static str| {
        let path = format!("/v1/jobs/{id}");
        let app = &app;
        async move {
            app.send(Method::PATCH, &path, Some(&token), Some(body), &[])
                .await
        }
    };
    assert_eq!(
        patch(other.clone(), r#"{"title":"Stolen title here"}"#)
            .await
            .status,
        403
    );
    let renamed = patch(client.clone(), r#"{"title":"Rust API on AWS Lambda"}"#).await;
    assert_eq!(
        renamed.body["title"], "Rust API on AWS Lambda",
        "{}",
        renamed.body
    );
    assert_eq!(renamed.body["version"], 2);
    let applied = app
        .post(
            &format!("/v1/jobs/{id}/proposals"),
            Some(&freelancer),
            &proposal_body(&[], 0),
        )
        .await;
    assert_eq!(applied.status, 201, "{}", applied.body);
    let locked = patch(client.clone(), r#"{"screening_questions":["Why you?"]}"#).await;
    assert_eq!(
        (locked.status, locked.code()),
        (409, "screening_questions_locked")
    );
    // Proposals of a job are its client's business only.
    assert_eq!(
        app.get(&format!("/v1/jobs/{id}/proposals"), Some(&other))
            .await
            .status,
        403
    );
    assert_eq!(
        app.get(&format!("/v1/jobs/{id}/proposals"), Some(&freelancer))
            .await
            .status,
        403
    );
    let proposal = applied.body["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/v1/proposals/{proposal}"), Some(&other))
            .await
            .status,
        404
    );
    let (stranger, _) = app.confirmed_user("s@example.com", &["freelancer"]).await;
    let hijack = app
        .send(
            Method::PATCH,
            &format!("/v1/proposals/{proposal}"),
            Some(&stranger),
            Some(r#"{"cover_letter":"Someone else's words entirely here."}"#),
            &[],
        )
        .await;
    assert_eq!(hijack.status, 404);
    let mine = app.get("/v1/me/jobs", Some(&client)).await;
    assert_eq!(mine.body["items"][0]["id"], id.as_str());
    // Filled is not cancelled: nobody is refunded.
    let filled = app
        .post(
            &format!("/v1/jobs/{id}/close"),
            Some(&client),
            &json!({"reason": "filled"}),
        )
        .await;
    assert_eq!(filled.body["close_reason"], "filled");
    assert_eq!(balance(&app, &freelancer).await, 10 - 6);
}

#[tokio::test]
async fn parallel_proposals_never_overspend_connects() {
    let app = TestApp::spawn().await;
    let (client, _) = app.confirmed_user("c@example.com", &["client"]).await;
    let (freelancer, _) = app.confirmed_user("f@example.com", &["freelancer"]).await;
    // Cheap jobs cost 2 Connects; two applications leave exactly enough for three more.
    let mut jobs = Vec::new();
    for i in 0..23 {
        jobs.push(
            post_job(
                &app,
                &client,
                &job_body(&format!("Small Rust fix {i}"), "50.00", "public", &[]),
            )
            .await,
        );
    }
    for job in &jobs[..2] {
        let reply = app
            .post(
                &format!("/v1/jobs/{job}/proposals"),
                Some(&freelancer),
                &proposal_body(&[], 0),
            )
            .await;
        assert_eq!(reply.status, 201);
    }
    assert_eq!(balance(&app, &freelancer).await, 6);
    let replies = join_all(jobs[2..22].iter().map(|job| apply(&app, &freelancer, job))).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let refused = replies
        .iter()
        .filter(|r| r.status == 409 && r.code() == "insufficient_connects")
        .count();
    assert_eq!((created, refused), (3, 17));
    assert_eq!(balance(&app, &freelancer).await, 0);
    assert_ledger_consistent(&app, &freelancer).await;

    // The same proposal sent twice at once: one lands.
    let (other, _) = app.confirmed_user("g@example.com", &["freelancer"]).await;
    let last = &jobs[22];
    let twins = join_all((0..2).map(|_| apply(&app, &other, last))).await;
    let mut statuses: Vec<u16> = twins.iter().map(|r| r.status).collect();
    statuses.sort();
    assert_eq!(statuses, [201, 409]);
    assert_eq!(balance(&app, &other).await, 8, "charged once");
}

#[tokio::test]
async fn the_monthly_grant_runs_once_per_month() {
    let app = TestApp::spawn().await;
    let (freelancer, _) = app.confirmed_user("f@example.com", &["freelancer"]).await;
    let (client, _) = app.confirmed_user("c@example.com", &["client"]).await;
    let fire = |time: String| {
        let app = &app;
        async move {
            let path = format!("/_dev/schedules/connects-monthly-grant?time={time}");
            app.send(Method::POST, &path, None, None, &[]).await
        }
    };
    let this_month = chrono::Utc::now().format("%Y-%m-01T00:00:00Z").to_string();
    let signup_month = fire(this_month).await;
    assert_eq!(signup_month.status, 200, "{}", signup_month.body);
    assert_eq!(
        signup_month.body["summary"]["applied"], 0,
        "signup granted this month already"
    );
    let next = (chrono::Utc::now() + chrono::Duration::days(32))
        .format("%Y-%m-01T00:00:00Z")
        .to_string();
    let first = fire(next.clone()).await;
    assert_eq!(first.body["summary"]["applied"], 1, "{}", first.body);
    let rerun = fire(next).await;
    assert_eq!(rerun.body["summary"]["applied"], 0);
    assert_eq!(rerun.body["summary"]["skipped"], 1);
    assert_eq!(balance(&app, &freelancer).await, 20);
    assert_ledger_consistent(&app, &freelancer).await;
    // Adding the freelancer role grants the allowance too.
    let role = app
        .post(
            "/v1/me/roles",
            Some(&client),
            &json!({"role": "freelancer"}),
        )
        .await;
    assert_eq!(role.status, 200, "{}", role.body);
    let relogin = app.login("c@example.com").await;
    let token = relogin.body["access_token"].as_str().unwrap();
    assert_eq!(balance(&app, token).await, 10);
    let bad = fire("yesterday".into()).await;
    assert_eq!(bad.status, 422);
    let unknown = app
        .send(
            Method::POST,
            "/_dev/schedules/no-such-thing",
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn connects_are_bought_through_the_ledger_once_per_idempotency_key() {
    let app = TestApp::spawn().await;
    let (freelancer, _) = app
        .confirmed_user("buyer@example.com", &["freelancer"])
        .await;
    let buy = |body: Value, key: &'static str| {
        let app = &app;
        let token = freelancer.clone();
        async move {
            app.send(
                Method::POST,
                "/v1/me/connects/purchase",
                Some(&token),
                Some(&body.to_string()),
                &[("idempotency-key", key)],
            )
            .await
        }
    };
    let without_card = buy(json!({"quantity": 20}), "buy-0").await;
    assert_eq!(
        (without_card.status, without_card.code()),
        (409, "billing_method_required")
    );
    let card = |number: &str| json!({"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2031, "cvc": "123"}});
    let added = app
        .post(
            "/v1/me/billing-methods",
            Some(&freelancer),
            &card("4242424242424242"),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.body);
    let bought = buy(json!({"quantity": 20}), "buy-1").await;
    assert_eq!(bought.status, 201, "{}", bought.body);
    assert_eq!(
        bought.body["price"],
        json!({"amount": "3.00", "currency": "USD"})
    );
    assert_eq!(bought.body["balance"], 30);
    let replay = buy(json!({"quantity": 20}), "buy-1").await;
    assert_eq!(replay.raw, bought.raw);
    assert_eq!(
        balance(&app, &freelancer).await,
        30,
        "a retry buys nothing twice"
    );
    assert_eq!(buy(json!({"quantity": 0}), "buy-2").await.status, 422);

    // A card that declines at charge: 402, and neither money nor Connects move.
    let declining = app
        .post(
            "/v1/me/billing-methods",
            Some(&freelancer),
            &card("4000000000000341"),
        )
        .await;
    assert_eq!(declining.status, 201, "{}", declining.body);
    let declined = buy(
        json!({"quantity": 10, "billing_method_id": declining.body["id"]}),
        "buy-3",
    )
    .await;
    assert_eq!(
        (declined.status, declined.code()),
        (402, "card_declined"),
        "{}",
        declined.body
    );
    assert_eq!(balance(&app, &freelancer).await, 30);
    assert_ledger_consistent(&app, &freelancer).await;
    let audit = app.stack.app.store.audit_ledger().await.unwrap();
    assert!(audit.balanced, "{audit:?}");
    assert_eq!(audit.transfers, 1);
    assert_eq!(audit.posted_sum, rust_decimal::Decimal::ZERO);
}

#[tokio::test]
async fn drafts_publish_and_paused_jobs_leave_search() {
    let app = TestApp::spawn().await;
    let (client, _) = app.confirmed_user("c@example.com", &["client"]).await;
    let (freelancer, _) = app.confirmed_user("f@example.com", &["freelancer"]).await;
    let mut body = job_body("Draft Rust service", "600.00", "public", &[]);
    body["draft"] = json!(true);
    let id = post_job(&app, &client, &body).await;
    let find = || app.get("/v1/jobs?q=rust", Some(&freelancer));
    let ids = |reply: worklane_tests::Reply| reply.body["items"].to_string();
    // A draft is the client's alone: not readable, not findable, not counted.
    assert_eq!(
        app.get(&format!("/v1/jobs/{id}"), Some(&freelancer))
            .await
            .status,
        404
    );
    assert!(!ids(find().await).contains(&id));
    let own = app.get(&format!("/v1/jobs/{id}"), Some(&client)).await;
    assert_eq!(
        (
            own.body["state"].clone(),
            own.body["client"]["jobs_posted"].clone()
        ),
        (json!("draft"), json!(0))
    );
    assert_eq!(apply(&app, &freelancer, &id).await.status, 404);
    let published = app
        .post(&format!("/v1/jobs/{id}/publish"), Some(&client), &json!({}))
        .await;
    assert_eq!(published.body["state"], "open", "{}", published.body);
    assert_eq!(published.body["client"]["jobs_posted"], 1);
    assert!(ids(find().await).contains(&id));
    assert_eq!(
        app.post(&format!("/v1/jobs/{id}/publish"), Some(&client), &json!({}))
            .await
            .code(),
        "job_state"
    );
    // Paused: out of search, no applications; resumed: back.
    let paused = app
        .post(&format!("/v1/jobs/{id}/pause"), Some(&client), &json!({}))
        .await;
    assert_eq!(paused.body["state"], "paused");
    assert!(!ids(find().await).contains(&id));
    let refused = apply(&app, &freelancer, &id).await;
    assert_eq!((refused.status, refused.code()), (409, "job_paused"));
    // A pause stops applications, not hiring.
    let offer = app
        .post(
            "/v1/offers",
            Some(&client),
            &json!({"job_id": id, "freelancer_id": user_id(&app, &freelancer).await, "type": "fixed",
                "milestones": [{"description": "Start", "amount": {"amount": "100.00", "currency": "USD"}}]}),
        )
        .await;
    assert_eq!(offer.status, 201, "{}", offer.body);
    let accepted = app
        .post(
            &format!("/v1/offers/{}/accept", offer.body["id"].as_str().unwrap()),
            Some(&freelancer),
            &json!({}),
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(
        app.post(
            &format!("/v1/jobs/{id}/pause"),
            Some(&freelancer),
            &json!({})
        )
        .await
        .status,
        403
    );
    let resumed = app
        .post(&format!("/v1/jobs/{id}/resume"), Some(&client), &json!({}))
        .await;
    assert_eq!(resumed.body["state"], "open");
    assert!(ids(find().await).contains(&id));
    // Hired on it meanwhile: the boost auction is over, plain applications still welcome.
    let (other, _) = app.confirmed_user("g@example.com", &["freelancer"]).await;
    assert_eq!(apply(&app, &other, &id).await.status, 201);
}

#[tokio::test]
async fn a_saved_search_emails_its_freelancer_once_per_new_matching_job() {
    let app = TestApp::spawn().await;
    let (client, _) = app.confirmed_user("c@example.com", &["client"]).await;
    let (freelancer, _) = app
        .confirmed_user("alert@example.com", &["freelancer"])
        .await;
    let saved = app
        .post(
            "/v1/me/saved-searches",
            Some(&freelancer),
            &json!({"name": "Rust", "q": "rust AND lambda"}),
        )
        .await;
    assert_eq!(saved.status, 201, "{}", saved.body);
    post_job(
        &app,
        &client,
        &job_body("Rust API on Lambda", "600.00", "public", &[]),
    )
    .await;
    let mut unrelated = job_body("Logo for a bakery", "100.00", "public", &[]);
    unrelated["description"] =
        json!("A friendly logo for our neighbourhood bakery, in two colours.");
    unrelated["skills"] = json!(["logo-design"]);
    unrelated["category"] = json!("design-creative");
    post_job(&app, &client, &unrelated).await;
    let mailbox = app.get("/_dev/mailbox?to=alert@example.com", None).await;
    let alerts: Vec<&Value> = mailbox.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            m["subject"]
                .as_str()
                .unwrap()
                .starts_with("New job for your saved search")
        })
        .collect();
    assert_eq!(alerts.len(), 1, "{}", mailbox.body);
    assert!(alerts[0]["subject"]
        .as_str()
        .unwrap()
        .ends_with("Rust API on Lambda"));
    assert!(alerts[0]["text"].as_str().unwrap().contains("6 Connects"));
}
