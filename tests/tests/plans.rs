//! Membership plans on the local stack (docs/plans.md): Plus subscribed mid-month (the rest
//! of the month charged, Plus's extra Connects granted), renewed by the schedule at each month
//! edge — fired twice, charged once — with 100 Connects a month, cancelled at the period's end
//! and taken back for free; a refused renewal retried daily and then downgraded to Basic. The
//! ledger audit is clean after each step.

use reqwest::Method;
use serde_json::{json, Value};
use worklane::payments::sandbox::SandboxEntry;
use worklane_tests::{Reply, TestApp};

fn at(raw: &str) -> chrono::DateTime<chrono::Utc> {
    raw.parse().unwrap()
}

/// A freelancer signed up at `now` (the stack's clock frozen there), with its tokens.
struct Member {
    app: TestApp,
    access: String,
}

impl Member {
    async fn new(now: &str) -> Member {
        let app = TestApp::spawn().await;
        app.set_clock(now).await;
        let (access, _) = app
            .confirmed_user("fran@example.com", &["freelancer"])
            .await;
        Member { app, access }
    }

    /// Moves the clock (tokens live 15 minutes of it and sessions a few weeks, so the member
    /// logs in again).
    async fn at(&mut self, now: &str) {
        self.app.set_clock(now).await;
        let login = self.app.login("fran@example.com").await;
        assert_eq!(login.status, 200, "{}", login.body);
        self.access = login.body["access_token"].as_str().unwrap().to_string();
    }

    async fn fire(&self, schedule: &str, time: &str) -> Value {
        self.app.fire(schedule, at(time)).await
    }

    async fn plan(&self) -> Value {
        let reply = self.app.get("/v1/me/plan", Some(&self.access)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body
    }

    async fn subscribe(&self, body: Value, headers: &[(&str, &str)]) -> Reply {
        self.app
            .send(
                Method::POST,
                "/v1/me/plan",
                Some(&self.access),
                Some(&body.to_string()),
                headers,
            )
            .await
    }

    async fn cancel(&self) -> Reply {
        self.app
            .post("/v1/me/plan/cancel", Some(&self.access), &json!({}))
            .await
    }

    async fn connects(&self) -> i64 {
        let reply = self.app.get("/v1/me/connects", Some(&self.access)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["balance"].as_i64().unwrap()
    }

    async fn history(&self) -> Vec<Value> {
        let reply = self
            .app
            .get("/v1/me/plan/history?limit=100", Some(&self.access))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["items"].as_array().unwrap().clone()
    }

    /// The processor's charges, in order.
    fn charges(&self) -> Vec<(String, String)> {
        self.app
            .stack
            .app
            .payments()
            .sandbox_journal()
            .into_iter()
            .filter_map(|entry| match entry {
                SandboxEntry::Charged { id, amount } => Some((id, amount.amount.to_string())),
                _ => None,
            })
            .collect()
    }
}

fn kinds(history: &[Value]) -> Vec<&str> {
    history
        .iter()
        .map(|event| event["kind"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn plus_renews_once_per_month_edge_and_grants_100_connects_each_month() {
    let mut m = Member::new("2026-12-10T09:00:00Z").await;
    assert_eq!(
        m.connects().await,
        10,
        "Basic's December allowance at signup"
    );
    let basic = m.plan().await;
    assert_eq!(
        (
            &basic["plan"],
            &basic["monthly_connects"],
            &basic["monthly_price"]["amount"]
        ),
        (&json!("basic"), &json!(10), &json!("0.00")),
        "{basic}"
    );
    assert!(basic.get("renews_at").is_none(), "{basic}");

    // No billing method yet: refused before anything is charged.
    let none = m.subscribe(json!({"plan": "plus"}), &[]).await;
    assert_eq!((none.status, none.code()), (409, "billing_method_required"));
    // Bad input is the caller's 4xx, problem+json.
    for bad in [
        json!({"plan": "basic"}),
        json!({"plan": "plus", "extra": 1}),
        json!({}),
    ] {
        let refused = m.subscribe(bad.clone(), &[]).await;
        assert!(
            (400..500).contains(&refused.status),
            "{bad}: {}",
            refused.status
        );
        assert_eq!(refused.content_type(), "application/problem+json");
    }
    let cancel_basic = m.cancel().await;
    assert_eq!(
        (cancel_basic.status, cancel_basic.code()),
        (409, "plan_not_plus")
    );

    // Subscribing on December 10: 22 of 31 days, 19.99 × 22 / 31 = 14.1864… → 14.19.
    m.app.add_card(&m.access).await;
    let key = [("idempotency-key", "go-plus")];
    let plus = m.subscribe(json!({"plan": "plus"}), &key).await;
    assert_eq!(plus.status, 200, "{}", plus.body);
    assert_eq!(plus.body["plan"], "plus");
    assert_eq!(plus.body["period"]["end"], "2027-01-01T00:00:00Z");
    assert_eq!(plus.body["renews_at"], "2027-01-01T00:00:00Z");
    assert_eq!(plus.body["renewal_price"]["amount"], "19.99");
    let replay = m.subscribe(json!({"plan": "plus"}), &key).await;
    assert_eq!(replay.status, 200);
    assert_eq!(replay.raw, plus.raw, "the same key replays the answer");
    let again = m.subscribe(json!({"plan": "plus"}), &[]).await;
    assert_eq!((again.status, again.code()), (409, "plan_already_plus"));
    assert_eq!(m.charges().len(), 1, "charged once");
    assert_eq!(m.charges()[0].1, "14.19");
    // Plus's 100 for December: Basic's 10 already given, 90 more.
    assert_eq!(m.connects().await, 100);
    m.app.assert_audit_clean().await;

    // January 1: the monthly grant leaves a Plus member's month to the renewal.
    let grant = m
        .fire("connects-monthly-grant", "2027-01-01T00:00:00Z")
        .await;
    assert_eq!(grant["applied"], 0, "{grant}");
    m.at("2027-01-01T00:00:00Z").await;
    let first = m.fire("plan-renewals", "2027-01-01T00:00:00Z").await;
    assert_eq!(first["applied"], 1, "{first}");
    let twice = m.fire("plan-renewals", "2027-01-01T00:00:00Z").await;
    assert_eq!(
        twice["applied"], 0,
        "fired twice for the same edge: {twice}"
    );
    let grant = m
        .fire("connects-monthly-grant", "2027-01-01T00:00:00Z")
        .await;
    assert_eq!(grant["applied"], 0, "granted with the renewal: {grant}");
    assert_eq!(m.connects().await, 200, "100 more for January");
    let january = m.plan().await;
    assert_eq!(january["period"]["start"], "2027-01-01T00:00:00Z");
    assert_eq!(january["renews_at"], "2027-02-01T00:00:00Z");
    assert_eq!(m.charges().len(), 2);
    assert_eq!(m.charges()[1].1, "19.99");
    m.app.assert_audit_clean().await;

    // February: the grant first this time, the renewal twice; still one charge, 100 Connects.
    m.at("2027-02-01T00:00:00Z").await;
    let grant = m
        .fire("connects-monthly-grant", "2027-02-01T00:00:00Z")
        .await;
    assert_eq!(grant["applied"], 0, "{grant}");
    let first = m.fire("plan-renewals", "2027-02-01T00:00:00Z").await;
    let twice = m.fire("plan-renewals", "2027-02-01T00:00:00Z").await;
    assert_eq!(
        (first["applied"].clone(), twice["applied"].clone()),
        (json!(1), json!(0))
    );
    assert_eq!(m.connects().await, 300, "100 more for February (the cap)");
    let charges = m.charges();
    assert_eq!(charges.len(), 3, "{charges:?}");
    assert_ne!(charges[1].0, charges[2].0, "one charge per month");
    m.app.assert_audit_clean().await;
    assert_eq!(
        kinds(&m.history().await),
        ["renewed", "renewed", "subscribed"]
    );
    let page = m
        .app
        .get("/v1/me/plan/history?limit=1", Some(&m.access))
        .await;
    assert_eq!(page.body["items"][0]["amount"]["amount"], "19.99");
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let next = m
        .app
        .get(
            &format!("/v1/me/plan/history?limit=1&cursor={cursor}"),
            Some(&m.access),
        )
        .await;
    assert_eq!(
        next.body["items"][0]["period"]["start"],
        "2027-01-01T00:00:00Z"
    );

    // Cancelled for the period's end; subscribing again before it undoes that for free.
    m.at("2027-02-20T12:00:00Z").await;
    let cancelled = m.cancel().await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    assert_eq!(cancelled.body["cancel_at_period_end"], true);
    assert!(cancelled.body.get("renews_at").is_none());
    let resumed = m.subscribe(json!({"plan": "plus"}), &[]).await;
    assert_eq!(resumed.status, 200, "{}", resumed.body);
    assert_eq!(resumed.body["cancel_at_period_end"], false);
    assert_eq!(m.charges().len(), 3, "taking a cancel back costs nothing");
    assert_eq!(m.cancel().await.status, 200);

    // March 1: a cancelled Plus ends; Basic's 10 for March, nothing charged.
    m.at("2027-03-01T00:00:00Z").await;
    let ended = m.fire("plan-renewals", "2027-03-01T00:00:00Z").await;
    assert_eq!(ended["applied"], 1, "{ended}");
    let grant = m
        .fire("connects-monthly-grant", "2027-03-01T00:00:00Z")
        .await;
    assert_eq!(grant["applied"], 0, "{grant}");
    assert_eq!(m.plan().await["plan"], "basic");
    assert_eq!(m.connects().await, 310);
    assert_eq!(m.charges().len(), 3);
    assert_eq!(
        kinds(&m.history().await)[..4],
        ["ended", "cancel_requested", "resumed", "cancel_requested"]
    );
    m.app.assert_audit_clean().await;
}

#[tokio::test]
async fn a_refused_renewal_is_retried_then_downgrades_to_basic() {
    let mut m = Member::new("2026-12-10T09:00:00Z").await;
    m.app.add_card(&m.access).await;
    let plus = m.subscribe(json!({"plan": "plus"}), &[]).await;
    assert_eq!(plus.status, 200, "{}", plus.body);
    // The default card becomes one that declines every charge.
    let declining = json!({"type": "card", "card": {"number": "4000000000000341",
        "exp_month": 12, "exp_year": 2031, "cvc": "123"}});
    let added = m
        .app
        .post("/v1/me/billing-methods", Some(&m.access), &declining)
        .await;
    assert_eq!(added.status, 201, "{}", added.body);
    let id = added.body["id"].as_str().unwrap();
    let default = m
        .app
        .post(
            &format!("/v1/me/billing-methods/{id}/default"),
            Some(&m.access),
            &json!({}),
        )
        .await;
    assert_eq!(default.status, 200, "{}", default.body);

    m.at("2027-01-01T00:00:00Z").await;
    assert_eq!(
        m.fire("plan-renewals", "2027-01-01T00:00:00Z").await["applied"],
        1
    );
    let grant = m
        .fire("connects-monthly-grant", "2027-01-01T00:00:00Z")
        .await;
    assert_eq!(
        grant["applied"], 0,
        "January waits for the renewal: {grant}"
    );
    let past_due = m.plan().await;
    assert_eq!(past_due["plan"], "plus");
    assert_eq!(past_due["status"], "past_due");
    assert_eq!(past_due["renewal_attempts"], 1);
    assert_eq!(past_due["renews_at"], "2027-01-02T00:00:00Z");
    assert!(past_due["last_renewal_error"]
        .as_str()
        .unwrap()
        .starts_with("card_declined"));
    let blocked = m.subscribe(json!({"plan": "plus"}), &[]).await;
    assert_eq!((blocked.status, blocked.code()), (409, "plan_past_due"));
    // Not due again until a day later.
    assert_eq!(
        m.fire("plan-renewals", "2027-01-01T06:00:00Z").await["applied"],
        0
    );
    assert_eq!(m.connects().await, 100);
    m.app.assert_audit_clean().await;

    m.at("2027-01-02T00:00:00Z").await;
    assert_eq!(
        m.fire("plan-renewals", "2027-01-02T00:00:00Z").await["applied"],
        1
    );
    assert_eq!(m.plan().await["renewal_attempts"], 2);
    m.at("2027-01-03T00:00:00Z").await;
    assert_eq!(
        m.fire("plan-renewals", "2027-01-03T00:00:00Z").await["applied"],
        1
    );
    let basic = m.plan().await;
    assert_eq!(
        (&basic["plan"], &basic["status"]),
        (&json!("basic"), &json!("active"))
    );
    assert_eq!(
        m.connects().await,
        110,
        "Basic's 10 for January with the downgrade"
    );
    assert_eq!(
        m.fire("plan-renewals", "2027-01-04T00:00:00Z").await["examined"],
        0
    );
    let grant = m
        .fire("connects-monthly-grant", "2027-01-01T00:00:00Z")
        .await;
    assert_eq!(grant["applied"], 0, "{grant}");
    assert_eq!(m.connects().await, 110);
    assert_eq!(
        m.charges().len(),
        1,
        "only December's subscription was charged"
    );
    assert_eq!(
        kinds(&m.history().await),
        [
            "downgraded",
            "renewal_refused",
            "renewal_refused",
            "subscribed"
        ]
    );
    m.app.assert_audit_clean().await;

    // Back on Basic, February is Basic's 10.
    m.at("2027-02-01T00:00:00Z").await;
    assert_eq!(
        m.fire("connects-monthly-grant", "2027-02-01T00:00:00Z")
            .await["applied"],
        1
    );
    assert_eq!(m.connects().await, 120);
}

#[tokio::test]
async fn only_freelancers_hold_plans() {
    let app = TestApp::spawn().await;
    let (client, _) = app.confirmed_user("cleo@example.com", &["client"]).await;
    for path in ["/v1/me/plan", "/v1/me/plan/history"] {
        assert_eq!(app.get(path, Some(&client)).await.status, 403, "{path}");
        assert_eq!(app.get(path, None).await.status, 401, "{path}");
    }
    // Refused under an Idempotency-Key: the key is released, so the same key may carry the
    // request again once it can succeed (a client who becomes a freelancer) rather than
    // replay the refusal.
    for path in ["/v1/me/plan", "/v1/me/plan/cancel", "/v1/me/plan"] {
        let body = json!({"plan": "plus"}).to_string();
        let body = (path == "/v1/me/plan").then_some(body.as_str());
        let refused = app
            .send(
                Method::POST,
                path,
                Some(&client),
                body,
                &[("idempotency-key", "plan-by-a-client")],
            )
            .await;
        assert_eq!(refused.status, 403, "{path}: {}", refused.body);
        assert!(
            refused.headers.get("idempotent-replayed").is_none(),
            "{path}: a released key runs again"
        );
    }
}

#[tokio::test]
async fn plus_shows_a_badge_and_the_catalogue_lists_the_plans() {
    let m = Member::new("2026-12-10T09:00:00Z").await;
    let profile = json!({
        "display_name": "Fran P.",
        "location": {"country": "US", "city": "Springfield"},
        "title": "Backend engineer for hire",
        "overview": "I design, build and run serverless backends: APIs, queues, data models, \
                     and the boring reliability work that keeps them up at night.",
        "skills": ["rust"],
        "hourly_rate": {"amount": "60.00", "currency": "USD"},
        "languages": [{"language": "English", "proficiency": "fluent"}],
        "availability": "more_than_30"
    });
    let saved = m
        .app
        .send(
            Method::PUT,
            "/v1/freelancers/me/profile",
            Some(&m.access),
            Some(&profile.to_string()),
            &[],
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let id = worklane_tests::user_id(&m.app, &m.access).await;
    let page = format!("/v1/freelancers/{id}");
    assert_eq!(m.app.get(&page, None).await.body["plus"], false);
    m.app.add_card(&m.access).await;
    assert_eq!(m.subscribe(json!({"plan": "plus"}), &[]).await.status, 200);
    assert_eq!(m.app.get(&page, None).await.body["plus"], true);

    let catalogue = m.app.get("/v1/catalogue", None).await;
    assert_eq!(catalogue.status, 200);
    let plans = &catalogue.body["plans"][0];
    assert_eq!(plans["id"], "2026-12-plans");
    assert_eq!(plans["plus"]["monthly_price"]["amount"], "19.99");
    assert_eq!(plans["plus"]["monthly_connects"], 100);
    assert_eq!(plans["plus"]["rollover_cap"], 200);
    assert_eq!(plans["basic"]["monthly_connects"], 10);
}

#[tokio::test]
async fn plus_sees_the_range_of_competing_bids() {
    let m = Member::new("2026-12-10T09:00:00Z").await;
    let (client, _) = m.app.confirmed_user("cleo@example.com", &["client"]).await;
    let posted = m
        .app
        .post(
            "/v1/jobs",
            Some(&client),
            &worklane_tests::fixed_job_body("Rust API on Lambda"),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    let job = posted.body["id"].as_str().unwrap();
    let bid = |amount: &str| {
        json!({
            "cover_letter": "I have shipped several Rust services on Lambda and DynamoDB.",
            "bid": {"amount": amount, "currency": "USD"},
            "duration": "1-3 months",
            "answers": [],
            "boost_connects": 0,
        })
    };
    for (email, amount) in [("ann@example.com", "500.00"), ("bo@example.com", "650.50")] {
        let (other, _) = m.app.confirmed_user(email, &["freelancer"]).await;
        let applied = m
            .app
            .post(
                &format!("/v1/jobs/{job}/proposals"),
                Some(&other),
                &bid(amount),
            )
            .await;
        assert_eq!(applied.status, 201, "{}", applied.body);
    }
    let mine = m
        .app
        .post(
            &format!("/v1/jobs/{job}/proposals"),
            Some(&m.access),
            &bid("100.00"),
        )
        .await;
    assert_eq!(mine.status, 201, "{}", mine.body);
    let page = format!("/v1/jobs/{job}");
    let basic = m.app.get(&page, Some(&m.access)).await;
    assert_eq!(basic.status, 200, "{}", basic.body);
    assert!(
        basic.body.get("competing_bids").is_none(),
        "Basic: {}",
        basic.body
    );

    m.app.add_card(&m.access).await;
    assert_eq!(m.subscribe(json!({"plan": "plus"}), &[]).await.status, 200);
    let plus = m.app.get(&page, Some(&m.access)).await;
    // The others' bids, not the member's own: 500.00 and 650.50, average 575.25.
    assert_eq!(
        plus.body["competing_bids"],
        json!({"count": 2,
               "low": {"amount": "500.00", "currency": "USD"},
               "average": {"amount": "575.25", "currency": "USD"},
               "high": {"amount": "650.50", "currency": "USD"}})
    );
    let client_view = m.app.get(&page, Some(&client)).await;
    assert!(client_view.body.get("competing_bids").is_none());
}

#[tokio::test]
async fn subscribing_on_the_first_before_the_grant_gives_the_plus_month_once() {
    let mut m = Member::new("2026-12-10T09:00:00Z").await;
    m.app.add_card(&m.access).await;
    m.at("2027-01-01T00:05:00Z").await;
    let plus = m.subscribe(json!({"plan": "plus"}), &[]).await;
    assert_eq!(plus.status, 200, "{}", plus.body);
    assert_eq!(m.charges()[0].1, "19.99", "the whole of January");
    // January had not been granted: Plus's 100 on December's 10, and the schedule finds the
    // month done.
    assert_eq!(m.connects().await, 110);
    let grant = m
        .fire("connects-monthly-grant", "2027-01-01T00:00:00Z")
        .await;
    assert_eq!(grant["applied"], 0, "{grant}");
    assert_eq!(
        m.fire("plan-renewals", "2027-01-01T01:00:00Z").await["examined"],
        0
    );
    assert_eq!(m.connects().await, 110);
    m.app.assert_audit_clean().await;
}

#[tokio::test]
async fn two_renewal_runs_at_once_charge_the_edge_once() {
    let mut m = Member::new("2026-12-10T09:00:00Z").await;
    m.app.add_card(&m.access).await;
    assert_eq!(m.subscribe(json!({"plan": "plus"}), &[]).await.status, 200);
    m.at("2027-01-01T00:00:00Z").await;
    let (a, b) = futures::join!(
        m.fire("plan-renewals", "2027-01-01T00:00:00Z"),
        m.fire("plan-renewals", "2027-01-01T00:00:00Z")
    );
    assert_eq!(
        a["applied"].as_u64().unwrap() + b["applied"].as_u64().unwrap(),
        1,
        "{a} {b}"
    );
    // Both runs may have asked the processor; the key makes it one charge, recorded once.
    let mut ids: Vec<String> = m.charges().into_iter().map(|(id, _)| id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 2, "December's and January's: {ids:?}");
    assert_eq!(m.connects().await, 200);
    assert_eq!(kinds(&m.history().await), ["renewed", "subscribed"]);
    m.app.assert_audit_clean().await;
}
