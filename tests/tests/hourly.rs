//! Hourly contracts end to end on the local stack (PRODUCT §8): a week of tracked and manual
//! time over the limit, the Monday close through the SQS fan-out, review, dispute, release and
//! availability — each at its UTC edge, with the stack's clock frozen where each step happens
//! and the schedules fired with their event time. The ledger audit runs after every step.

use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use serde_json::{json, Value};
use worklane_tests::{hourly_contract, png, ready_file, Reply, TestApp};

struct Party {
    access: String,
    refresh: String,
}

struct Hourly {
    app: TestApp,
    client: Party,
    freelancer: Party,
    stranger: Party,
    contract: String,
}

fn t(raw: &str) -> DateTime<Utc> {
    raw.parse().unwrap()
}

fn tracked(start: &str, screenshot: Option<&str>, activity: u32) -> Value {
    json!({"start": start, "activity": activity, "keystrokes": 310, "mouse": 120,
           "memo": "Building the invoicing worker", "screenshot_file_id": screenshot})
}

fn manual(start: &str) -> Value {
    json!({"start": start, "manual": true, "memo": "Call with the client about the schema"})
}

/// `count` consecutive 10-minute slots from `from`.
fn slots(from: &str, count: i64) -> Vec<String> {
    (0..count)
        .map(|i| {
            (t(from) + Duration::minutes(10 * i)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        })
        .collect()
}

impl Hourly {
    /// Monday 2026-12-07 08:00 UTC: a client with a card hires a freelancer at $30/h, 3 h a
    /// week, manual time allowed.
    async fn new() -> Hourly {
        let app = TestApp::spawn().await;
        app.set_clock("2026-12-07T08:00:00Z").await;
        let party = |(access, refresh)| Party { access, refresh };
        let client = party(app.confirmed_user("client@example.com", &["client"]).await);
        let freelancer = party(
            app.confirmed_user("freelancer@example.com", &["freelancer"])
                .await,
        );
        let stranger = party(
            app.confirmed_user("stranger@example.com", &["client", "freelancer"])
                .await,
        );
        app.add_card(&client.access).await;
        let contract = hourly_contract(&app, &client.access, &freelancer.access, 3).await;
        Hourly {
            app,
            client,
            freelancer,
            stranger,
            contract,
        }
    }

    /// Moves the frozen clock and gives everyone access tokens valid at the new time.
    async fn at(&mut self, now: &str) {
        self.app.set_clock(now).await;
        for party in [&mut self.client, &mut self.freelancer, &mut self.stranger] {
            let (access, refresh) = self.app.refresh(&party.refresh).await;
            party.access = access;
            party.refresh = refresh;
        }
    }

    async fn log(&self, token: &str, segments: Vec<Value>) -> Reply {
        self.app
            .post(
                &format!("/v1/contracts/{}/time", self.contract),
                Some(token),
                &json!({ "segments": segments }),
            )
            .await
    }

    async fn timesheets(&self, token: &str) -> Vec<Value> {
        let reply = self
            .app
            .get(
                &format!("/v1/contracts/{}/timesheets", self.contract),
                Some(token),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["items"].as_array().unwrap().clone()
    }

    async fn week(&self) -> Value {
        let weeks = self.timesheets(&self.freelancer.access).await;
        weeks
            .into_iter()
            .find(|w| w["week_start"] == "2026-12-07")
            .expect("the week of 2026-12-07")
    }

    async fn wallet(&self, token: &str) -> Value {
        self.app.wallet(token).await
    }

    async fn fire(&self, schedule: &str, time: &str) -> Value {
        self.app.fire(schedule, t(time)).await
    }

    async fn dispute(&self, token: &str, timesheet: &str) -> Reply {
        self.app
            .post(
                "/v1/disputes",
                Some(token),
                &json!({"timesheet_id": timesheet, "reason": "These hours do not match the work delivered."}),
            )
            .await
    }

    async fn assert_audit_clean(&self) {
        self.app.assert_audit_clean().await
    }

    fn charges(&self) -> usize {
        self.app
            .stack
            .app
            .payments()
            .sandbox_journal()
            .iter()
            .filter(|entry| format!("{entry:?}").contains("Charge"))
            .count()
    }
}

async fn delete(app: &TestApp, token: &str, segment: &str) -> Reply {
    app.send(
        Method::DELETE,
        &format!("/v1/time-segments/{segment}"),
        Some(token),
        None,
        &[],
    )
    .await
}

#[tokio::test]
async fn a_week_of_hourly_work_from_the_tracker_to_the_wallet() {
    let mut h = Hourly::new().await;

    // Monday 10:00–12:00 tracked: the first hour with screenshots (protected), the second
    // without (billable, unprotected).
    h.at("2026-12-07T12:05:00Z").await;
    let mut shots = Vec::new();
    for i in 0..6 {
        shots.push(ready_file(&h.app, &h.freelancer.access, "screenshot", &png(200 + i)).await);
    }
    let monday: Vec<Value> = slots("2026-12-07T10:00:00Z", 12)
        .iter()
        .enumerate()
        .map(|(i, start)| tracked(start, shots.get(i).map(String::as_str), 60))
        .collect();
    let logged = h.log(&h.freelancer.access, monday.clone()).await;
    assert_eq!(logged.status, 200, "{}", logged.body);
    assert_eq!(logged.body["accepted"].as_array().unwrap().len(), 12);
    assert_eq!(logged.body["weeks"][0]["logged_minutes"], 120);
    // The tracker re-sends the same batch (a lost response): nothing is logged twice.
    let again = h.log(&h.freelancer.access, monday.clone()).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["accepted"], json!([]));
    assert_eq!(again.body["already_logged"].as_array().unwrap().len(), 12);
    assert_eq!(h.week().await["logged_minutes"], 120);
    // The same slot with other content is a conflict, named precisely.
    let mut changed = monday[3].clone();
    changed["memo"] = json!("something else");
    let conflict = h.log(&h.freelancer.access, vec![changed]).await;
    assert_eq!(conflict.status, 422, "{}", conflict.body);
    assert_eq!(conflict.body["errors"][0]["field"], "segments[0].start");
    h.assert_audit_clean().await;

    // Tuesday: an hour of manual time. Wednesday: an hour of tracked time at low activity.
    h.at("2026-12-09T16:00:00Z").await;
    let manual_hour: Vec<Value> = slots("2026-12-08T09:00:00Z", 6)
        .iter()
        .map(|s| manual(s))
        .collect();
    assert_eq!(h.log(&h.freelancer.access, manual_hour).await.status, 200);
    let wednesday: Vec<Value> = slots("2026-12-09T14:00:00Z", 6)
        .iter()
        .map(|s| tracked(s, None, 4))
        .collect();
    assert_eq!(h.log(&h.freelancer.access, wednesday).await.status, 200);
    // The client lowers the limit to 1 h mid-week: it applies from next Monday (§8.7).
    let lowered = h
        .app
        .send(
            Method::PATCH,
            &format!("/v1/contracts/{}", h.contract),
            Some(&h.client.access),
            Some(&json!({"weekly_limit_hours": 1}).to_string()),
            &[],
        )
        .await;
    assert_eq!(lowered.status, 200, "{}", lowered.body);
    assert_eq!(lowered.body["hourly"]["weekly_limit_hours"], 3);
    assert_eq!(
        lowered.body["hourly"]["scheduled_weekly_limit"]["effective_from"],
        "2026-12-14T00:00:00Z"
    );

    // The diary of Monday, for both parties; a stranger sees nothing.
    let diary_path = format!("/v1/contracts/{}/work-diary?date=2026-12-07", h.contract);
    let diary = h.app.get(&diary_path, Some(&h.client.access)).await;
    assert_eq!(diary.status, 200, "{}", diary.body);
    let segments = diary.body["segments"].as_array().unwrap();
    assert_eq!(segments.len(), 12);
    assert_eq!(diary.body["tracked_minutes"], 120);
    assert!(segments[0]["screenshot"]["url"]
        .as_str()
        .unwrap()
        .starts_with("http"));
    assert_eq!(segments[0]["protection_eligible"], true);
    assert_eq!(segments[11]["protection_eligible"], false, "no screenshot");
    assert_eq!(
        segments[0]["deletable"], false,
        "the client deletes nothing"
    );
    let screenshot = h
        .app
        .http
        .get(segments[0]["screenshot"]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(screenshot.status(), 200);
    assert_eq!(
        h.app
            .get(&diary_path, Some(&h.stranger.access))
            .await
            .status,
        404
    );

    // The freelancer deletes the last Wednesday segment (and nobody else can).
    let wed_diary = h
        .app
        .get(
            &format!("/v1/contracts/{}/work-diary?date=2026-12-09", h.contract),
            Some(&h.freelancer.access),
        )
        .await;
    let last = wed_diary.body["segments"][5]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        wed_diary.body["segments"][5]["billable"], false,
        "over the 3 h"
    );
    assert_eq!(delete(&h.app, &h.client.access, &last).await.status, 403);
    assert_eq!(delete(&h.app, &h.stranger.access, &last).await.status, 404);
    assert_eq!(
        delete(&h.app, &h.freelancer.access, &last).await.status,
        204
    );
    assert_eq!(
        delete(&h.app, &h.freelancer.access, &last).await.status,
        404
    );
    assert_eq!(h.week().await["logged_minutes"], 230);

    // Sunday 23:50 is logged at Monday 11:59:59 — the last second the diary is open.
    h.at("2026-12-14T11:59:59Z").await;
    let sunday = h
        .log(
            &h.freelancer.access,
            vec![tracked("2026-12-13T23:50:00Z", None, 50)],
        )
        .await;
    assert_eq!(sunday.status, 200, "{}", sunday.body);
    // Firing the close at 11:59 does nothing.
    let early = h.fire("weekly-billing-close", "2026-12-14T11:59:00Z").await;
    assert_eq!(early["applied"], 0, "{early}");
    assert_eq!(h.week().await["state"], "open");

    // Monday 12:00: the diary is closed…
    h.at("2026-12-14T12:00:00Z").await;
    let late = h
        .log(
            &h.freelancer.access,
            vec![tracked("2026-12-13T23:40:00Z", None, 50)],
        )
        .await;
    assert_eq!(late.status, 422, "{}", late.body);
    assert!(late.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("closed"));
    let first = h
        .app
        .get(&diary_path, Some(&h.freelancer.access))
        .await
        .body["segments"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let closed = delete(&h.app, &h.freelancer.access, &first).await;
    assert_eq!((closed.status, closed.code()), (409, "week_closed"));

    // The new week is open meanwhile: two hours on Monday the 14th, under the lowered limit.
    let next_week: Vec<Value> = slots("2026-12-14T09:00:00Z", 12)
        .iter()
        .map(|s| tracked(s, None, 50))
        .collect();
    let logged = h.log(&h.freelancer.access, next_week).await;
    assert_eq!(logged.status, 200, "{}", logged.body);

    // …and the close bills exactly the capped hours: Monday's 2 h and Tuesday's manual hour.
    let charges_before = h.charges();
    let close = h.fire("weekly-billing-close", "2026-12-14T12:00:00Z").await;
    assert_eq!(close["applied"], 1, "{close}");
    let week = h.week().await;
    assert_eq!(week["state"], "in_review", "{week}");
    let invoice = &week["invoice"];
    assert_eq!(invoice["logged_minutes"], 240);
    assert_eq!(invoice["billable_minutes"], 180);
    assert_eq!(invoice["over_limit_minutes"], 60);
    assert_eq!(invoice["manual_minutes"], 60);
    assert_eq!(invoice["protected_minutes"], 60);
    assert_eq!(invoice["unprotected_minutes"], 120);
    assert_eq!(invoice["amount"]["amount"], "90.00");
    assert_eq!(invoice["client_fee"]["amount"], "4.50");
    assert_eq!(h.charges(), charges_before + 1);
    assert_eq!(h.wallet(&h.freelancer.access).await["in_review"], "90.00");
    assert_eq!(h.wallet(&h.client.access).await["in_escrow"], "90.00");
    h.assert_audit_clean().await;

    // Firing it again (and a duplicate message) bills nothing twice.
    let rerun = h.fire("weekly-billing-close", "2026-12-14T12:00:00Z").await;
    assert_eq!(rerun["applied"], 0, "{rerun}");
    let duplicate = worklane_hourly::workers::hourly::invoice_week(
        &h.app.stack.app,
        &worklane::store::hourly::CloseRequest {
            contract_id: worklane::domain::ids::ContractId::parse(&h.contract).unwrap(),
            week_start: "2026-12-07".parse().unwrap(),
            close_time: t("2026-12-14T12:00:00Z"),
        },
        t("2026-12-14T12:00:01Z"),
    )
    .await
    .unwrap();
    assert_eq!(
        duplicate,
        worklane_hourly::workers::hourly::Outcome::AlreadyDone
    );
    assert_eq!(h.charges(), charges_before + 1);
    h.assert_audit_clean().await;

    // The review: only the client disputes, and only until Friday 23:59:59.
    let id = week["id"].as_str().unwrap().to_string();
    h.at("2026-12-19T00:00:00Z").await;
    let too_late = h.dispute(&h.client.access, &id).await;
    assert_eq!(
        (too_late.status, too_late.code()),
        (409, "review_over"),
        "{}",
        too_late.body
    );
    let early_release = h
        .fire("hourly-review-release", "2026-12-18T23:59:59Z")
        .await;
    assert_eq!(early_release["applied"], 0);
    let release = h
        .fire("hourly-review-release", "2026-12-19T00:00:00Z")
        .await;
    assert_eq!(release["applied"], 1, "{release}");
    let week = h.week().await;
    assert_eq!(week["state"], "released");
    // 20% of the pair's first $500 (§10.1).
    assert_eq!(week["payment"]["service_fee"]["amount"], "18.00");
    assert_eq!(week["payment"]["net"]["amount"], "72.00");
    let wallet = h.wallet(&h.freelancer.access).await;
    assert_eq!(
        (wallet["in_review"].as_str(), wallet["pending"].as_str()),
        (Some("0.00"), Some("72.00"))
    );
    assert_eq!(
        h.fire("hourly-review-release", "2026-12-19T00:00:00Z")
            .await["applied"],
        0
    );
    h.assert_audit_clean().await;

    // Available on the Wednesday ten days after the week ended.
    assert_eq!(
        h.fire("earnings-availability", "2026-12-22T23:59:59Z")
            .await["applied"],
        0
    );
    assert_eq!(
        h.fire("earnings-availability", "2026-12-23T00:00:00Z")
            .await["applied"],
        1
    );
    h.at("2026-12-23T00:00:00Z").await;
    assert_eq!(h.wallet(&h.freelancer.access).await["available"], "72.00");
    assert_eq!(h.week().await["state"], "available");
    h.assert_audit_clean().await;

    // The decrease made on the 9th applies from Monday the 14th: that week bills 1 h of 2.
    assert_eq!(
        h.fire("weekly-billing-close", "2026-12-21T12:00:00Z").await["applied"],
        1
    );
    let weeks = h.timesheets(&h.client.access).await;
    assert_eq!(weeks[0]["week_start"], "2026-12-14", "newest first");
    assert_eq!(weeks[0]["invoice"]["weekly_limit_hours"], 1);
    assert_eq!(weeks[0]["invoice"]["billable_minutes"], 60);
    assert_eq!(weeks[0]["invoice"]["amount"]["amount"], "30.00");
    // Only the client changes the limit.
    let by_freelancer = h
        .app
        .send(
            Method::PATCH,
            &format!("/v1/contracts/{}", h.contract),
            Some(&h.freelancer.access),
            Some(&json!({"weekly_limit_hours": 80}).to_string()),
            &[],
        )
        .await;
    assert_eq!(by_freelancer.status, 403, "{}", by_freelancer.body);
    h.assert_audit_clean().await;
}

#[tokio::test]
async fn a_disputed_week_freezes_its_money_and_pauses_the_contract() {
    let mut h = Hourly::new().await;
    h.at("2026-12-08T12:00:00Z").await;
    let hour: Vec<Value> = slots("2026-12-08T09:00:00Z", 6)
        .iter()
        .map(|s| manual(s))
        .collect();
    assert_eq!(h.log(&h.freelancer.access, hour).await.status, 200);
    h.at("2026-12-14T12:00:00Z").await;
    assert_eq!(
        h.fire("weekly-billing-close", "2026-12-14T12:00:00Z").await["applied"],
        1
    );
    let id = h.week().await["id"].as_str().unwrap().to_string();

    // Friday 23:59:59 is the last second of the review.
    h.at("2026-12-18T23:59:59Z").await;
    let by_freelancer = h.dispute(&h.freelancer.access, &id).await;
    assert_eq!(by_freelancer.status, 403, "{}", by_freelancer.body);
    let by_stranger = h.dispute(&h.stranger.access, &id).await;
    assert_eq!(by_stranger.status, 404, "{}", by_stranger.body);
    let bad = h.dispute(&h.client.access, "wk_nope").await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    let opened = h.dispute(&h.client.access, &id).await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    assert_eq!(opened.body["respond_by"], "2026-12-21T23:59:59Z");
    let twice = h.dispute(&h.client.access, &id).await;
    assert_eq!(twice.status, 409, "{}", twice.body);
    let dispute_path = format!("/v1/disputes/{}", opened.body["id"].as_str().unwrap());
    assert_eq!(
        h.app
            .get(&dispute_path, Some(&h.freelancer.access))
            .await
            .status,
        200
    );
    assert_eq!(
        h.app
            .get(&dispute_path, Some(&h.stranger.access))
            .await
            .status,
        404
    );

    let week = h.week().await;
    assert_eq!(week["state"], "disputed");
    let contract = h
        .app
        .get(
            &format!("/v1/contracts/{}", h.contract),
            Some(&h.client.access),
        )
        .await;
    assert_eq!(contract.body["state"], "paused");
    assert_eq!(contract.body["hourly"]["weekly_limit_hours"], 0);
    // Paused: no more time.
    let more = h
        .log(&h.freelancer.access, vec![manual("2026-12-18T10:00:00Z")])
        .await;
    assert_eq!(
        (more.status, more.code()),
        (409, "contract_state"),
        "{}",
        more.body
    );

    // The release passes it by; the money stays frozen in review.
    assert_eq!(
        h.fire("hourly-review-release", "2026-12-19T00:00:00Z")
            .await["applied"],
        0
    );
    assert_eq!(h.wallet(&h.freelancer.access).await["in_review"], "30.00");
    assert_eq!(h.wallet(&h.client.access).await["in_escrow"], "30.00");
    h.assert_audit_clean().await;
}

#[tokio::test]
async fn a_declined_weekly_charge_is_recorded_and_retried_never_lost() {
    let mut h = Hourly::new().await;
    // The client's only card now declines every charge.
    let declining = json!({"type": "card", "card": {"number": "4000000000000341",
        "exp_month": 12, "exp_year": 2031, "cvc": "123"}});
    let client2 = h
        .app
        .confirmed_user("client2@example.com", &["client"])
        .await;
    let added = h
        .app
        .post("/v1/me/billing-methods", Some(&client2.0), &declining)
        .await;
    assert_eq!(added.status, 201, "{}", added.body);
    h.contract = hourly_contract(&h.app, &client2.0, &h.freelancer.access, 10).await;
    h.client = Party {
        access: client2.0,
        refresh: client2.1,
    };
    h.at("2026-12-08T12:00:00Z").await;
    let hour: Vec<Value> = slots("2026-12-08T09:00:00Z", 6)
        .iter()
        .map(|s| manual(s))
        .collect();
    assert_eq!(h.log(&h.freelancer.access, hour).await.status, 200);

    h.at("2026-12-14T12:00:00Z").await;
    assert_eq!(
        h.fire("weekly-billing-close", "2026-12-14T12:00:00Z").await["applied"],
        1
    );
    let week = h.week().await;
    assert_eq!(week["state"], "payment_due", "{week}");
    assert_eq!(week["charge"]["attempts"], 1);
    assert!(week["charge"]["last_error"]
        .as_str()
        .unwrap()
        .starts_with("card_declined"));
    assert_eq!(week["charge"]["next_attempt_at"], "2026-12-15T12:00:00Z");
    assert_eq!(h.wallet(&h.client.access).await["in_escrow"], "0.00");
    // Nothing is due before the next attempt; a re-run of the close does nothing.
    assert_eq!(
        h.fire("hourly-charge-retry", "2026-12-15T06:00:00Z").await["applied"],
        0
    );
    assert_eq!(
        h.fire("weekly-billing-close", "2026-12-14T18:00:00Z").await["applied"],
        0
    );

    // The client adds a working card; the next attempt charges it once.
    h.at("2026-12-15T09:00:00Z").await;
    let good = json!({"type": "card", "card": {"number": "4242424242424242",
        "exp_month": 12, "exp_year": 2031, "cvc": "123"}});
    let added = h
        .app
        .post("/v1/me/billing-methods", Some(&h.client.access), &good)
        .await;
    assert_eq!(added.status, 201, "{}", added.body);
    let id = added.body["id"].as_str().unwrap();
    let default = h
        .app
        .post(
            &format!("/v1/me/billing-methods/{id}/default"),
            Some(&h.client.access),
            &json!({}),
        )
        .await;
    assert_eq!(default.status, 200, "{}", default.body);
    assert_eq!(
        h.fire("hourly-charge-retry", "2026-12-15T12:00:00Z").await["applied"],
        1
    );
    assert_eq!(
        h.fire("hourly-charge-retry", "2026-12-15T18:00:00Z").await["applied"],
        0
    );
    let week = h.week().await;
    assert_eq!(week["state"], "in_review", "{week}");
    assert_eq!(h.wallet(&h.client.access).await["in_escrow"], "30.00");
    h.assert_audit_clean().await;
}

#[tokio::test]
async fn time_is_logged_only_by_the_freelancer_and_only_where_the_rules_allow() {
    let mut h = Hourly::new().await;
    h.at("2026-12-07T12:00:00Z").await;
    let path = format!("/v1/contracts/{}/time", h.contract);
    let one = |s: Value| json!({"segments": [s]});
    // The client, a stranger, an unknown contract.
    let by_client = h
        .app
        .post(
            &path,
            Some(&h.client.access),
            &one(manual("2026-12-07T10:00:00Z")),
        )
        .await;
    assert_eq!(by_client.status, 403, "{}", by_client.body);
    let by_stranger = h
        .app
        .post(
            &path,
            Some(&h.stranger.access),
            &one(manual("2026-12-07T10:00:00Z")),
        )
        .await;
    assert_eq!(by_stranger.status, 404, "{}", by_stranger.body);
    let unknown = h
        .app
        .post(
            "/v1/contracts/ctr_nope/time",
            Some(&h.freelancer.access),
            &one(manual("2026-12-07T10:00:00Z")),
        )
        .await;
    assert_eq!(unknown.status, 404);

    let cases: Vec<(Value, &str)> = vec![
        (manual("2026-12-07T10:05:00Z"), "segments[0].start"),
        (manual("2026-12-07T11:55:00Z"), "segments[0].start"),
        (manual("2026-12-07T12:00:00Z"), "segments[0].start"),
        (manual("2026-12-07T07:50:00Z"), "segments[0].start"),
        (
            json!({"start": "2026-12-07T10:00:00Z", "manual": true, "memo": ""}),
            "segments[0].memo",
        ),
        (
            json!({"start": "2026-12-07T10:00:00Z", "memo": "no tracker data"}),
            "segments[0].activity",
        ),
        (
            tracked("2026-12-07T10:00:00Z", None, 101),
            "segments[0].activity",
        ),
    ];
    for (segment, field) in cases {
        let reply = h
            .app
            .post(&path, Some(&h.freelancer.access), &one(segment.clone()))
            .await;
        assert_eq!(reply.status, 422, "{segment}: {}", reply.body);
        assert_eq!(reply.content_type(), "application/problem+json");
        assert_eq!(
            reply.body["errors"][0]["field"], field,
            "{segment}: {}",
            reply.body
        );
    }
    // A malformed file id fails while the body is read, naming the id.
    let malformed = h
        .app
        .post(
            &path,
            Some(&h.freelancer.access),
            &one(tracked("2026-12-07T10:00:00Z", Some("fil_nope"), 50)),
        )
        .await;
    assert_eq!(malformed.status, 422, "{}", malformed.body);
    assert_eq!(malformed.body["code"], "invalid_body", "{}", malformed.body);
    assert!(malformed.body["detail"]
        .as_str()
        .unwrap()
        .contains("fil_nope"));
    // Someone else's screenshot is not usable...
    let theirs = ready_file(&h.app, &h.stranger.access, "screenshot", &png(300)).await;
    let borrowed = h
        .app
        .post(
            &path,
            Some(&h.freelancer.access),
            &one(tracked("2026-12-07T10:00:00Z", Some(&theirs), 50)),
        )
        .await;
    // ... and answers exactly as an id nobody has, so ids cannot be probed.
    assert_eq!(
        (borrowed.status, borrowed.code()),
        (404, "file_not_found"),
        "{}",
        borrowed.body
    );
    // Not JSON, unknown fields, too many segments.
    let garbage = h
        .app
        .send(
            Method::POST,
            &path,
            Some(&h.freelancer.access),
            Some("{"),
            &[],
        )
        .await;
    assert_eq!(garbage.status, 400, "{}", garbage.body);
    let unknown_field = h
        .app
        .post(
            &path,
            Some(&h.freelancer.access),
            &json!({"segments": [], "extra": 1}),
        )
        .await;
    assert_eq!(unknown_field.status, 422, "{}", unknown_field.body);
    let many: Vec<Value> = slots("2026-12-07T00:00:00Z", 73)
        .iter()
        .map(|s| manual(s))
        .collect();
    let too_many = h
        .app
        .post(
            &path,
            Some(&h.freelancer.access),
            &json!({"segments": many}),
        )
        .await;
    assert_eq!(too_many.status, 422, "{}", too_many.body);
    // Manual time once the client switches it off.
    let off = h
        .app
        .send(
            Method::PATCH,
            &format!("/v1/contracts/{}", h.contract),
            Some(&h.client.access),
            Some(&json!({"manual_time_allowed": false}).to_string()),
            &[],
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.body);
    let refused = h
        .app
        .post(
            &path,
            Some(&h.freelancer.access),
            &one(manual("2026-12-07T10:00:00Z")),
        )
        .await;
    assert_eq!(
        refused.body["errors"][0]["field"], "segments[0].manual",
        "{}",
        refused.body
    );
    // Nothing was logged by any of it.
    assert!(h.timesheets(&h.freelancer.access).await.is_empty());
    // The diary needs a date; the timesheets are the parties' only.
    let no_date = h
        .app
        .get(
            &format!("/v1/contracts/{}/work-diary", h.contract),
            Some(&h.client.access),
        )
        .await;
    assert_eq!(no_date.status, 422);
    let stranger_sheets = h
        .app
        .get(
            &format!("/v1/contracts/{}/timesheets", h.contract),
            Some(&h.stranger.access),
        )
        .await;
    assert_eq!(stranger_sheets.status, 404);
    let bad_segment = h
        .app
        .send(
            Method::DELETE,
            "/v1/time-segments/seg_x",
            Some(&h.freelancer.access),
            None,
            &[],
        )
        .await;
    assert_eq!(bad_segment.status, 404);
}
