//! Suspension and reinstatement end to end (docs/trust-and-safety.md): a suspended account's
//! tokens die at once, it cannot sign in or refresh, its jobs and profile leave search, its
//! open proposals are withdrawn, and its money stays where the ledger has it; reinstatement
//! restores access and search. Every admin action lands in the audit trail.

use http::Method;
use serde_json::{json, Value};
use worklane_tests::{admin, fixed_contract, fixed_job_body, user_id, TestApp};

async fn put(app: &TestApp, path: &str, token: &str, body: &Value) -> worklane_tests::Reply {
    app.send(Method::PUT, path, Some(token), Some(&body.to_string()), &[])
        .await
}

fn profile() -> Value {
    json!({
        "display_name": "Finn S.",
        "location": {"country": "US", "city": "Springfield"},
        "title": "Serverless Rust engineer",
        "overview": "I design, build and run serverless backends: APIs, queues, data models, \
                     and the reliability work that keeps them up at night.",
        "skills": ["rust", "dynamodb"],
        "hourly_rate": {"amount": "80.00", "currency": "USD"},
        "languages": [{"language": "English", "proficiency": "fluent"}],
        "availability": "more_than_30"
    })
}

fn proposal() -> Value {
    json!({
        "cover_letter": "I have shipped several Rust services on Lambda and DynamoDB.",
        "bid": {"amount": "550.00", "currency": "USD"},
        "duration": "1-3 months",
        "answers": [],
        "boost_connects": 0,
    })
}

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a page: {list}"))
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn suspension_ends_access_hides_content_withdraws_proposals_and_keeps_money() {
    let app = TestApp::spawn().await;
    let admin = admin(&app).await;
    let (client, _) = app.confirmed_user("cleo@example.com", &["client"]).await;
    let (other_client, _) = app.confirmed_user("olaf@example.com", &["client"]).await;
    let (freelancer, refresh) = app
        .confirmed_user("finn@example.com", &["freelancer"])
        .await;
    let freelancer_id = user_id(&app, &freelancer).await;
    let client_id = user_id(&app, &client).await;

    // The freelancer is findable, has applied to a job, and works on a funded contract.
    assert_eq!(
        put(&app, "/v1/freelancers/me/profile", &freelancer, &profile())
            .await
            .status,
        200
    );
    let search = "/v1/freelancers?skills=rust";
    let found = app.get(search, Some(&other_client)).await;
    assert!(
        found.body["items"].to_string().contains(&freelancer_id),
        "{}",
        found.body
    );
    let job = app
        .post(
            "/v1/jobs",
            Some(&other_client),
            &fixed_job_body("Rust ledger"),
        )
        .await;
    assert_eq!(job.status, 201, "{}", job.body);
    let job_id = job.body["id"].as_str().unwrap().to_string();
    let applied = app
        .post(
            &format!("/v1/jobs/{job_id}/proposals"),
            Some(&freelancer),
            &proposal(),
        )
        .await;
    assert_eq!(applied.status, 201, "{}", applied.body);
    let proposal_id = applied.body["id"].as_str().unwrap().to_string();
    app.add_card(&client).await;
    let (_, milestone) = fixed_contract(&app, &client, &freelancer, "400.00").await;
    let funded = app
        .post(
            &format!("/v1/milestones/{milestone}/fund"),
            Some(&client),
            &json!({}),
        )
        .await;
    assert_eq!(funded.status, 200, "{}", funded.body);
    let submitted = app
        .post(
            &format!("/v1/milestones/{milestone}/submit"),
            Some(&freelancer),
            &json!({"message": "Done, see the repository."}),
        )
        .await;
    assert_eq!(submitted.status, 200, "{}", submitted.body);

    // Only admins suspend, with a reason; not themselves.
    let path = format!("/v1/admin/users/{freelancer_id}/suspend");
    let reason = json!({"reason": "Asked clients to pay outside Worklane"});
    assert_eq!(app.post(&path, Some(&client), &reason).await.status, 403);
    let no_reason = app.post(&path, Some(&admin), &json!({"reason": " "})).await;
    assert_eq!(
        (no_reason.status, no_reason.code()),
        (422, "validation_failed")
    );
    let admin_id = user_id(&app, &admin).await;
    let own = app
        .post(
            &format!("/v1/admin/users/{admin_id}/suspend"),
            Some(&admin),
            &reason,
        )
        .await;
    assert_eq!(
        (own.status, own.code()),
        (403, "own_account"),
        "{}",
        own.body
    );
    let unknown = app
        .post(
            "/v1/admin/users/usr_01jd5v3k8r9x2m4n6p7q8s9t0w/suspend",
            Some(&admin),
            &reason,
        )
        .await;
    assert_eq!(unknown.status, 404);

    let suspended = app.post(&path, Some(&admin), &reason).await;
    assert_eq!(suspended.status, 200, "{}", suspended.body);
    assert_eq!(suspended.body["suspended"], true);
    assert_eq!(suspended.body["suspension_reason"], reason["reason"]);
    let again = app.post(&path, Some(&admin), &reason).await;
    assert_eq!((again.status, again.code()), (409, "already_suspended"));

    // Access ends at once: the access token, the refresh token and the password.
    let me = app.get("/v1/me", Some(&freelancer)).await;
    assert_eq!(me.status, 401, "{}", me.body);
    let refreshed = app
        .post("/v1/auth/refresh", None, &json!({"refresh_token": refresh}))
        .await;
    assert_eq!(
        (refreshed.status, refreshed.code()),
        (403, "account_suspended"),
        "{}",
        refreshed.body
    );
    let login = app.login("finn@example.com").await;
    assert_eq!((login.status, login.code()), (403, "account_suspended"));
    // A wrong password learns nothing about the suspension.
    let guess = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": "finn@example.com", "password": "not the password at all"}),
        )
        .await;
    assert_eq!(guess.status, 401, "{}", guess.body);

    // Gone from search and from the public page; the open proposal withdrawn.
    let found = app.get(search, Some(&other_client)).await;
    assert_eq!(found.status, 200);
    assert!(
        !found.body["items"].to_string().contains(&freelancer_id),
        "{}",
        found.body
    );
    assert_eq!(
        app.get(&format!("/v1/freelancers/{freelancer_id}"), None)
            .await
            .status,
        404
    );
    let seen = app
        .get(&format!("/v1/proposals/{proposal_id}"), Some(&other_client))
        .await;
    assert_eq!(seen.body["state"], "withdrawn", "{}", seen.body);

    // Money is frozen, never lost: the client still approves the submitted work and the
    // freelancer's earnings are credited; the ledger balances.
    let approved = app
        .post(
            &format!("/v1/milestones/{milestone}/approve"),
            Some(&client),
            &json!({}),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    app.assert_audit_clean().await;

    // Reinstated: signs in again (the old refresh token stays dead) and is findable again.
    let reinstate = format!("/v1/admin/users/{freelancer_id}/reinstate");
    let back = app
        .post(
            &reinstate,
            Some(&admin),
            &json!({"reason": "Appeal accepted"}),
        )
        .await;
    assert_eq!(back.status, 200, "{}", back.body);
    assert_eq!(back.body["suspended"], false);
    let twice = app
        .post(
            &reinstate,
            Some(&admin),
            &json!({"reason": "Appeal accepted"}),
        )
        .await;
    assert_eq!((twice.status, twice.code()), (409, "not_suspended"));
    assert_eq!(app.get("/v1/me", Some(&freelancer)).await.status, 401);
    let old = app
        .post("/v1/auth/refresh", None, &json!({"refresh_token": refresh}))
        .await;
    assert_eq!(old.status, 401, "{}", old.body);
    let login = app.login("finn@example.com").await;
    assert_eq!(login.status, 200, "{}", login.body);
    let token = login.body["access_token"].as_str().unwrap();
    // $400 less the 20% service fee of the pair's first $500, in its security period.
    let wallet = app.wallet(token).await;
    assert_eq!(wallet["pending"], "320.00", "{wallet}");
    let found = app.get(search, Some(&other_client)).await;
    assert!(found.body["items"].to_string().contains(&freelancer_id));
    assert_eq!(
        app.get(&format!("/v1/freelancers/{freelancer_id}"), None)
            .await
            .status,
        200
    );
    // The withdrawn proposal stays withdrawn: the job moved on meanwhile.
    let seen = app
        .get(&format!("/v1/proposals/{proposal_id}"), Some(&other_client))
        .await;
    assert_eq!(seen.body["state"], "withdrawn");

    // The trail: both actions, newest first, with who and why; per subject too.
    let trail = app.get("/v1/admin/audit", Some(&admin)).await;
    assert_eq!(trail.status, 200, "{}", trail.body);
    let actions: Vec<&str> = trail.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["reinstate_account", "suspend_account"]);
    assert_eq!(trail.body["items"][1]["actor"], admin_id.as_str());
    assert_eq!(trail.body["items"][1]["subject"], freelancer_id.as_str());
    assert_eq!(trail.body["items"][1]["reason"], reason["reason"]);
    let of_client = app
        .get(
            &format!("/v1/admin/audit?subject={client_id}"),
            Some(&admin),
        )
        .await;
    assert_eq!(ids(&of_client.body), Vec::<String>::new());
    assert_eq!(
        app.get("/v1/admin/audit", Some(&client)).await.status,
        403,
        "only admins read the trail"
    );
    app.assert_audit_clean().await;
}

#[tokio::test]
async fn a_suspended_clients_jobs_leave_search_and_come_back() {
    let app = TestApp::spawn().await;
    let admin = admin(&app).await;
    let (client, _) = app.confirmed_user("cody@example.com", &["client"]).await;
    let (freelancer, _) = app
        .confirmed_user("fern@example.com", &["freelancer"])
        .await;
    let client_id = user_id(&app, &client).await;
    let job = app
        .post(
            "/v1/jobs",
            Some(&client),
            &fixed_job_body("Serverless Rust ledger"),
        )
        .await;
    assert_eq!(job.status, 201, "{}", job.body);
    let job_id = job.body["id"].as_str().unwrap().to_string();
    let search = "/v1/jobs?q=ledger";
    assert_eq!(
        ids(&app.get(search, Some(&freelancer)).await.body),
        [job_id.clone()]
    );

    let suspended = app
        .post(
            &format!("/v1/admin/users/{client_id}/suspend"),
            Some(&admin),
            &json!({"reason": "Phishing job posts"}),
        )
        .await;
    assert_eq!(suspended.status, 200, "{}", suspended.body);
    assert_eq!(
        ids(&app.get(search, Some(&freelancer)).await.body),
        Vec::<String>::new()
    );
    // Nor does a direct link take a freelancer's Connects for it.
    let connects = app.get("/v1/me/connects", Some(&freelancer)).await.body["balance"].clone();
    let applied = app
        .post(
            &format!("/v1/jobs/{job_id}/proposals"),
            Some(&freelancer),
            &proposal(),
        )
        .await;
    assert_eq!(applied.status, 409, "{}", applied.body);
    assert_eq!(
        app.get("/v1/me/connects", Some(&freelancer)).await.body["balance"],
        connects
    );
    let standing = app
        .get(&format!("/v1/admin/users/{client_id}"), Some(&admin))
        .await;
    assert_eq!(standing.body["suspended"], true, "{}", standing.body);

    let back = app
        .post(
            &format!("/v1/admin/users/{client_id}/reinstate"),
            Some(&admin),
            &json!({"reason": "Verified the business"}),
        )
        .await;
    assert_eq!(back.status, 200, "{}", back.body);
    assert_eq!(
        ids(&app.get(search, Some(&freelancer)).await.body),
        [job_id]
    );
    let history = app
        .get(
            &format!("/v1/admin/audit?subject={client_id}"),
            Some(&admin),
        )
        .await;
    assert_eq!(
        history.body["items"].as_array().unwrap().len(),
        2,
        "{}",
        history.body
    );
}
