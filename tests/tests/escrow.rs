//! Fixed-price escrow over HTTP on the local stack: fund → submit → request changes →
//! resubmit → approve; a second milestone released by the 14-day schedule; earnings available
//! after the security period; exact fee bands; the ledger audit after every step; races.

use chrono::{DateTime, Duration, Utc};
use futures::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};
use worklane::domain::account::Role;
use worklane::domain::ids::{MilestoneId, SessionId, UserId};
use worklane::domain::money::Money;
use worklane::http::auth::AccessClaims;
use worklane_tests::{add_milestone, fixed_contract, Reply, TestApp};

struct Deal {
    app: TestApp,
    client: String,
    freelancer: String,
    contract: String,
    /// The milestone the accepted offer created.
    first: String,
}

impl Deal {
    /// Offer → accept: a fixed-price contract whose offer had one milestone of `first`.
    async fn new(first: &str) -> Deal {
        let app = TestApp::spawn().await;
        let (client, _) = app.confirmed_user("client@example.com", &["client"]).await;
        let (freelancer, _) = app
            .confirmed_user("freelancer@example.com", &["freelancer"])
            .await;
        app.add_card(&client).await;
        let (contract, first) = fixed_contract(&app, &client, &freelancer, first).await;
        Deal {
            app,
            client,
            freelancer,
            contract,
            first,
        }
    }

    /// Another milestone, added to the contract as an amendment.
    async fn milestone(&self, amount: &str) -> String {
        add_milestone(&self.app, &self.client, &self.contract, amount).await
    }

    async fn act(&self, token: &str, milestone: &str, action: &str, body: Value) -> Reply {
        self.app
            .post(
                &format!("/v1/milestones/{milestone}/{action}"),
                Some(token),
                &body,
            )
            .await
    }

    async fn wallet(&self, token: &str) -> Value {
        self.app.wallet(token).await
    }

    async fn fire(&self, schedule: &str, time: DateTime<Utc>) -> Value {
        self.app.fire(schedule, time).await
    }

    async fn assert_audit_clean(&self) {
        self.app.assert_audit_clean().await
    }
}

fn at(reply: &Reply, field: &str) -> DateTime<Utc> {
    reply.body[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {}", reply.body))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn fund_submit_change_approve_then_auto_release_and_availability() {
    let deal = Deal::new("600.00").await;
    let (client, freelancer) = (&deal.client, &deal.freelancer);
    let first = deal.first.clone();
    let second = deal.milestone("400.00").await;
    // Nothing is funded on a paused contract.
    let contract = format!("/v1/contracts/{}", deal.contract);
    assert_eq!(
        deal.app
            .post(&format!("{contract}/pause"), Some(client), &json!({}))
            .await
            .status,
        200
    );
    let paused = deal.act(client, &first, "fund", json!({})).await;
    assert_eq!(
        (paused.status, paused.code()),
        (409, "contract_state"),
        "{}",
        paused.body
    );
    // The card was charged before the ledger refused the movement: that charge is refunded.
    use worklane::payments::sandbox::SandboxEntry;
    let journal = deal.app.stack.app.payments().sandbox_journal();
    let refunded: Vec<&SandboxEntry> = journal
        .iter()
        .filter(|e| matches!(e, SandboxEntry::Refunded { .. }))
        .collect();
    assert_eq!(refunded.len(), 1, "{journal:?}");
    assert!(journal
        .iter()
        .any(|e| matches!(e, SandboxEntry::Charged { id, .. }
        if matches!(refunded[0], SandboxEntry::Refunded { charge_id, .. } if charge_id == id))));
    assert_eq!(
        deal.app
            .post(&format!("{contract}/resume"), Some(client), &json!({}))
            .await
            .status,
        200
    );

    let funded = deal.act(client, &first, "fund", json!({})).await;
    assert_eq!(funded.status, 200, "{}", funded.body);
    assert_eq!(funded.body["state"], "funded");
    assert_eq!(
        funded.body["client_fee"]["amount"], "30.00",
        "5% marketplace fee"
    );
    assert_eq!(deal.wallet(client).await["in_escrow"], "600.00");
    deal.assert_audit_clean().await;

    let submitted = deal
        .act(freelancer, &first, "submit", json!({"message": "v1"}))
        .await;
    assert_eq!(submitted.body["state"], "submitted", "{}", submitted.body);
    let changes = deal
        .act(
            client,
            &first,
            "request-changes",
            json!({"message": "fix the header"}),
        )
        .await;
    assert_eq!(changes.body["state"], "changes_requested");
    assert!(changes.body["auto_release_at"].is_null());
    let resubmitted = deal
        .act(freelancer, &first, "submit", json!({"message": "v2"}))
        .await;
    assert_eq!(resubmitted.body["submissions"].as_array().unwrap().len(), 2);
    let approved = deal.act(client, &first, "approve", json!({})).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    // A $600 first payment to a new client: 20% of 500 + 10% of 100 = $110 → $490.
    assert_eq!(approved.body["release"]["service_fee"]["amount"], "110.00");
    assert_eq!(approved.body["release"]["net"]["amount"], "490.00");
    let released_at = at(&approved, "released_at");
    let wallet = deal.wallet(freelancer).await;
    assert_eq!(
        (wallet["pending"].clone(), wallet["available"].clone()),
        (json!("490.00"), json!("0.00"))
    );
    assert_eq!(deal.wallet(client).await["in_escrow"], "0.00");
    deal.assert_audit_clean().await;

    // The second milestone: submitted and left alone; the schedule releases it at +14 days.
    assert_eq!(
        deal.act(client, &second, "fund", json!({})).await.status,
        200
    );
    let submitted = deal
        .act(freelancer, &second, "submit", json!({"message": "done"}))
        .await;
    let due = at(&submitted, "auto_release_at");
    assert_eq!(due, at(&submitted, "submitted_at") + Duration::days(14));
    let early = deal
        .fire("escrow-auto-release", due - Duration::hours(1))
        .await;
    assert_eq!(early["applied"], 0, "not at 13 days 23 hours: {early}");
    let on_time = deal.fire("escrow-auto-release", due).await;
    assert_eq!(on_time["applied"], 1, "{on_time}");
    let again = deal
        .fire("escrow-auto-release", due + Duration::days(1))
        .await;
    assert_eq!(again["applied"], 0, "re-running releases nothing twice");
    let contract_second = deal
        .app
        .stack
        .app
        .store
        .milestone(&MilestoneId::parse(&second).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        contract_second.released_amount,
        Some(Money::usd("400").unwrap())
    );
    // $400 more, all inside the 10% band: $40 fee, $360 net.
    assert_eq!(deal.wallet(freelancer).await["pending"], "850.00");
    deal.assert_audit_clean().await;

    // Security period: the first release becomes available 5 days after it, not before.
    let before = deal
        .fire(
            "earnings-availability",
            released_at + Duration::days(5) - Duration::minutes(1),
        )
        .await;
    assert_eq!(before["applied"], 0, "{before}");
    let first_available = deal
        .fire("earnings-availability", released_at + Duration::days(5))
        .await;
    assert_eq!(first_available["applied"], 1, "{first_available}");
    let wallet = deal.wallet(freelancer).await;
    assert_eq!(
        (wallet["pending"].clone(), wallet["available"].clone()),
        (json!("360.00"), json!("490.00"))
    );
    let both = deal
        .fire("earnings-availability", due + Duration::days(5))
        .await;
    assert_eq!(both["applied"], 1, "{both}");
    let rerun = deal
        .fire("earnings-availability", due + Duration::days(6))
        .await;
    assert_eq!(rerun["applied"], 0);
    assert_eq!(deal.wallet(freelancer).await["available"], "850.00");
    deal.assert_audit_clean().await;

    let everything = deal
        .app
        .get("/v1/me/transactions?limit=200", Some(freelancer))
        .await;
    let all: Vec<String> = everything.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    assert!(all.len() >= 6, "{}", everything.body);
    // Paging two at a time walks the same history, each transfer once.
    let mut paged = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = deal
            .app
            .get(
                &format!("/v1/me/transactions?limit=2&cursor={cursor}"),
                Some(freelancer),
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        paged.extend(
            page.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_string()),
        );
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => break,
        }
    }
    assert_eq!(paged, all);
    let forged = deal
        .app
        .get("/v1/me/transactions?cursor=abc.def", Some(freelancer))
        .await;
    assert_eq!(forged.status, 422);
}

#[tokio::test]
async fn paying_less_returns_the_rest_paying_more_charges_a_bonus_and_refunds_void_the_hold() {
    let deal = Deal::new("500.00").await;
    let (client, freelancer) = (&deal.client, &deal.freelancer);
    let less = deal.first.clone();
    let more = deal.milestone("100.00").await;
    let refunded = deal.milestone("50.00").await;
    for m in [&less, &more, &refunded] {
        assert_eq!(deal.act(client, m, "fund", json!({})).await.status, 200);
    }
    let paid = deal
        .act(
            client,
            &less,
            "approve",
            json!({"amount": {"amount": "300.00", "currency": "USD"}}),
        )
        .await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    assert_eq!(paid.body["release"]["gross"]["amount"], "300.00");
    // $200 back to the client, with its share of the 5% fee ($10).
    let wallet = deal.wallet(client).await;
    assert_eq!(wallet["available"], "210.00", "{wallet}");
    let bonus = deal
        .act(
            client,
            &more,
            "approve",
            json!({"amount": {"amount": "150.00", "currency": "USD"}}),
        )
        .await;
    assert_eq!(
        bonus.body["release"]["gross"]["amount"], "150.00",
        "{}",
        bonus.body
    );
    let back = deal.act(freelancer, &refunded, "refund", json!({})).await;
    assert_eq!(back.body["state"], "refunded", "{}", back.body);
    let wallet = deal.wallet(client).await;
    assert_eq!(
        (wallet["available"].clone(), wallet["in_escrow"].clone()),
        (json!("262.50"), json!("0.00"))
    );
    // Lifetime billed 450: 20% of it → $90 fee, $360 net.
    assert_eq!(deal.wallet(freelancer).await["pending"], "360.00");
    deal.assert_audit_clean().await;

    // Mass assignment and wrong parties.
    let sneaky = deal
        .act(client, &less, "approve", json!({"state": "released"}))
        .await;
    assert_eq!(sneaky.status, 422);
    let fresh = deal.milestone("20.00").await;
    assert_eq!(
        deal.act(freelancer, &fresh, "fund", json!({})).await.status,
        403
    );
    assert_eq!(
        deal.act(client, &fresh, "refund", json!({})).await.status,
        403
    );
    let (stranger, _) = deal
        .app
        .confirmed_user("stranger@example.com", &["client"])
        .await;
    assert_eq!(
        deal.act(&stranger, &fresh, "fund", json!({})).await.status,
        404
    );
    assert_eq!(
        deal.act(client, &fresh, "approve", json!({})).await.code(),
        "milestone_state"
    );
    // Money returned to the client is spent first: $21.00 from the $262.50 balance, no charge.
    let from_balance = deal.act(client, &fresh, "fund", json!({})).await;
    assert_eq!(from_balance.status, 200, "{}", from_balance.body);
    let wallet = deal.wallet(client).await;
    assert_eq!(
        (wallet["available"].clone(), wallet["in_escrow"].clone()),
        (json!("241.50"), json!("20.00"))
    );
    deal.assert_audit_clean().await;
    // A bonus after the contract ended: $100 crossing the $500 band → $10 + $5 fee, $85 net.
    let contract = format!("/v1/contracts/{}", deal.contract);
    assert_eq!(
        deal.app
            .post(&format!("{contract}/end"), Some(client), &json!({}))
            .await
            .status,
        200
    );
    let bonus_path = format!("{contract}/bonus");
    let hundred = json!({"amount": {"amount": "100.00", "currency": "USD"}, "message": "thanks"});
    let by_freelancer = deal.app.post(&bonus_path, Some(freelancer), &hundred).await;
    assert_eq!(by_freelancer.status, 403);
    let tiny = json!({"amount": {"amount": "0.50", "currency": "USD"}});
    assert_eq!(
        deal.app.post(&bonus_path, Some(client), &tiny).await.status,
        422
    );
    let paid_bonus = deal
        .app
        .send(
            Method::POST,
            &bonus_path,
            Some(client),
            Some(&hundred.to_string()),
            &[("idempotency-key", "bonus-1")],
        )
        .await;
    assert_eq!(paid_bonus.status, 201, "{}", paid_bonus.body);
    assert_eq!(paid_bonus.body["payment"]["service_fee"]["amount"], "15.00");
    assert_eq!(paid_bonus.body["payment"]["net"]["amount"], "85.00");
    assert_eq!(deal.wallet(freelancer).await["pending"], "445.00");
    deal.assert_audit_clean().await;
}

#[tokio::test]
async fn racing_decisions_have_exactly_one_effect() {
    let deal = Deal::new("100.00").await;
    let (client, freelancer) = (&deal.client, &deal.freelancer);
    let milestone = deal.first.clone();
    // 50 fund calls with one Idempotency-Key: one charge, one hold.
    let fund_path = format!("/v1/milestones/{milestone}/fund");
    let funds = join_all((0..50).map(|_| {
        deal.app.send(
            Method::POST,
            &fund_path,
            Some(client),
            Some("{}"),
            &[("idempotency-key", "fund-once")],
        )
    }))
    .await;
    assert!(funds.iter().any(|r| r.status == 200));
    assert!(
        funds.iter().all(|r| r.status == 200 || r.status == 409),
        "{:?}",
        funds.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let report = deal.app.stack.app.store.audit_ledger().await.unwrap();
    assert!(report.balanced, "{report:?}");
    assert_eq!(report.transfers, 3, "one charge, one client fee, one hold");

    let submitted = deal
        .act(freelancer, &milestone, "submit", json!({"message": "done"}))
        .await;
    let due = at(&submitted, "auto_release_at");
    let decisions = join_all((0..50).map(|i| {
        let deal = &deal;
        let milestone = milestone.clone();
        async move {
            match i % 3 {
                0 => {
                    deal.act(&deal.client, &milestone, "approve", json!({}))
                        .await
                        .status
                }
                1 => {
                    deal.act(&deal.freelancer, &milestone, "refund", json!({}))
                        .await
                        .status
                }
                _ => {
                    let summary = deal.fire("escrow-auto-release", due).await;
                    if summary["applied"] == 1 {
                        200
                    } else {
                        409
                    }
                }
            }
        }
    }))
    .await;
    assert_eq!(
        decisions.iter().filter(|s| **s == 200).count(),
        1,
        "{decisions:?}"
    );
    assert!(
        decisions.iter().all(|s| *s == 200 || *s == 409),
        "{decisions:?}"
    );
    deal.assert_audit_clean().await;

    // The admin audit over HTTP; nobody else may read it.
    let now = Utc::now();
    let admin = deal
        .app
        .stack
        .app
        .keys()
        .expect("the local stack signs tokens")
        .issue(&AccessClaims::new(
            UserId::generate(now),
            SessionId::generate(now),
            vec![Role::Admin],
            true,
            now,
        ));
    let audit = deal.app.get("/v1/admin/ledger/audit", Some(&admin)).await;
    assert_eq!(audit.body["balanced"], true, "{}", audit.body);
    assert_eq!(
        deal.app
            .get("/v1/admin/ledger/audit", Some(client))
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn a_release_whose_response_was_lost_is_replayed_not_repeated() {
    let deal = Deal::new("100.00").await;
    let (client, freelancer) = (&deal.client, &deal.freelancer);
    let milestone = deal.first.clone();
    assert_eq!(
        deal.act(client, &milestone, "fund", json!({})).await.status,
        200
    );
    assert_eq!(
        deal.act(freelancer, &milestone, "submit", json!({"message": "done"}))
            .await
            .status,
        200
    );
    // The release commits, then its response is lost on the way back.
    let faults = std::sync::Arc::new(
        worklane::store::FaultInjector::new(7, 0.0, 1.0)
            .only_for(worklane::store::Label::Milestone),
    );
    let mut lossy = deal.app.stack.app.clone();
    lossy.store = lossy.store.with_faults(faults);
    let path = format!("/v1/milestones/{milestone}/approve");
    let request = || {
        worklane::http::ApiRequest::new(http::Method::POST, &path, Utc::now())
            .with_header("authorization", &format!("Bearer {client}"))
            .with_header("idempotency-key", "approve-once")
            .with_json(&json!({}))
    };
    let lost =
        worklane::http::router::dispatch(&lossy, worklane_devstack::functions::routes(), request())
            .await;
    assert_eq!(lost.status.as_u16(), 503);
    // The client retries with the same key and gets the answer of the release that happened.
    let retry = worklane::http::router::dispatch(
        &deal.app.stack.app,
        worklane_devstack::functions::routes(),
        request(),
    )
    .await;
    assert_eq!(retry.status.as_u16(), 200);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    let body: Value = serde_json::from_slice(&retry.body).unwrap();
    assert_eq!(body["release"]["net"]["amount"], "80.00");
    assert_eq!(
        deal.wallet(freelancer).await["pending"],
        "80.00",
        "paid once"
    );
    deal.assert_audit_clean().await;
}
