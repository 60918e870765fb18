//! Withdrawals over HTTP on the local stack (PRODUCT §9.4): a verified identity is required;
//! the amount leaves available at once and is paid out by the queue worker (fee to the
//! platform, the rest to the payee), or comes back whole when the payout fails; retries and
//! duplicate messages move the money once; the ledger audit stays clean.

use futures::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};
use worklane::domain::events::{DomainEvent, EventPayload};
use worklane::domain::ids::{UserId, WithdrawalId};
use worklane::domain::ledger::AccountId;
use worklane::domain::money::Money;
use worklane::payments::sandbox::CLOSED_WALLET;
use worklane_tests::{admin, fixed_contract, png, ready_file, user_id, Reply, TestApp};

/// The stack's frozen time for every step, so tokens stay valid and times are exact.
const NOW: &str = "2027-02-01T10:00:00Z";

/// A freelancer with 80.00 available: a 100.00 milestone released (20% service fee) and
/// matured through the 5-day security period.
struct Payee {
    app: TestApp,
    client: String,
    freelancer: String,
    id: String,
    admin: String,
}

impl Payee {
    async fn new() -> Payee {
        let app = TestApp::spawn().await;
        app.set_clock(NOW).await;
        let (client, _) = app.confirmed_user("carla@example.com", &["client"]).await;
        let (freelancer, _) = app
            .confirmed_user("felix@example.com", &["freelancer"])
            .await;
        app.add_card(&client).await;
        let (_, milestone) = fixed_contract(&app, &client, &freelancer, "100.00").await;
        let step = |token: &str, action: &str, body: Value| {
            let path = format!("/v1/milestones/{milestone}/{action}");
            let token = token.to_string();
            let app = &app;
            async move { app.post(&path, Some(&token), &body).await }
        };
        for (token, action, body) in [
            (&client, "fund", json!({})),
            (&freelancer, "submit", json!({"message": "Done."})),
            (&client, "approve", json!({})),
        ] {
            let reply = step(token, action, body).await;
            assert_eq!(reply.status, 200, "{action}: {}", reply.body);
        }
        let matured = app
            .fire(
                "earnings-availability",
                "2027-02-06T10:00:00Z".parse().unwrap(),
            )
            .await;
        assert_eq!(matured["applied"], 1, "{matured}");
        let id = user_id(&app, &freelancer).await;
        let admin = admin(&app).await;
        let payee = Payee {
            app,
            client,
            freelancer,
            id,
            admin,
        };
        assert_eq!(payee.wallet().await["available"], "80.00");
        payee
    }

    /// Submits an ID and has the admin approve it.
    async fn verify_identity(&self) {
        let document = ready_file(&self.app, &self.freelancer, "identity", &png(800)).await;
        let submitted = self
            .app
            .post(
                "/v1/me/identity",
                Some(&self.freelancer),
                &json!({ "document_file_id": document }),
            )
            .await;
        assert_eq!(submitted.status, 201, "{}", submitted.body);
        let approved = self
            .app
            .post(
                &format!("/v1/admin/identity/{}/approve", self.id),
                Some(&self.admin),
                &json!({}),
            )
            .await;
        assert_eq!(approved.status, 200, "{}", approved.body);
    }

    async fn add_paypal(&self, email: &str) -> String {
        let added = self
            .app
            .post(
                "/v1/me/payout-methods",
                Some(&self.freelancer),
                &json!({"type": "paypal", "email": email}),
            )
            .await;
        assert_eq!(added.status, 201, "{}", added.body);
        added.body["id"].as_str().unwrap().to_string()
    }

    async fn withdraw(&self, body: &Value, key: Option<&str>) -> Reply {
        let headers: Vec<(&str, &str)> = key.map(|k| ("idempotency-key", k)).into_iter().collect();
        self.app
            .send(
                Method::POST,
                "/v1/me/withdrawals",
                Some(&self.freelancer),
                Some(&body.to_string()),
                &headers,
            )
            .await
    }

    async fn withdrawal(&self, id: &str) -> Value {
        let reply = self
            .app
            .get(&format!("/v1/withdrawals/{id}"), Some(&self.freelancer))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body
    }

    async fn wallet(&self) -> Value {
        self.app.wallet(&self.freelancer).await
    }

    /// What the sandbox paid out, in this process.
    fn payouts(&self) -> Vec<Money> {
        self.app.sandbox_sent(true)
    }

    /// The ledger transfers of one withdrawal, as (code, amount), from the history.
    async fn transfers_of(&self, withdrawal: &str) -> Vec<(String, String)> {
        let history = self
            .app
            .get("/v1/me/transactions?limit=200", Some(&self.freelancer))
            .await;
        let mut found: Vec<(String, String)> = history.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["reference"] == withdrawal)
            .map(|t| {
                (
                    t["code"].as_str().unwrap().to_string(),
                    t["amount"]["amount"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        found.sort();
        found
    }

    async fn assert_audit_clean(&self) {
        self.app.assert_audit_clean().await;
        let in_flight = self
            .app
            .stack
            .app
            .store
            .ledger_account(&AccountId::payouts_in_flight(
                &UserId::parse(&self.id).unwrap(),
            ))
            .await
            .unwrap();
        assert!(
            in_flight.posted_balance().is_zero(),
            "nothing stays in flight: {in_flight:?}"
        );
    }
}

fn usd(amount: &str) -> Value {
    json!({"amount": amount, "currency": "USD"})
}

#[tokio::test]
async fn a_verified_freelancer_withdraws_once_and_is_paid() {
    let p = Payee::new().await;
    let fifty = json!({ "amount": usd("50.00") });

    // No verified identity, no withdrawal; clients do not withdraw at all.
    let unverified = p.withdraw(&fifty, None).await;
    assert_eq!(
        (unverified.status, unverified.code()),
        (403, "identity_not_verified"),
        "{}",
        unverified.body
    );
    let by_client = p
        .app
        .post("/v1/me/withdrawals", Some(&p.client), &fifty)
        .await;
    assert_eq!(by_client.status, 403);
    p.verify_identity().await;
    let no_method = p.withdraw(&fifty, None).await;
    assert_eq!(
        (no_method.status, no_method.code()),
        (409, "payout_method_required")
    );
    let paypal = p.add_paypal("felix@example.com").await;

    // Bad amounts are 422s that move nothing.
    for (body, code) in [
        (json!({"amount": usd("4.99")}), "below_minimum"),
        (json!({"amount": usd("80.01")}), "insufficient_funds"),
        (json!({"amount": usd("12.345")}), "validation_failed"),
        (json!({"amount": usd("-5.00")}), "validation_failed"),
        (
            json!({"amount": usd("10.00"), "payout_method_id": "pom_01jd0000000000000000000000"}),
            "validation_failed",
        ),
        (json!({"amount": "10.00"}), "invalid_body"),
    ] {
        let reply = p.withdraw(&body, None).await;
        assert_eq!(
            (reply.status, reply.code()),
            (422, code),
            "{body}: {}",
            reply.body
        );
    }
    assert_eq!(p.wallet().await["available"], "80.00");

    // Requested with a key, retried (also concurrently): one withdrawal, money moved once.
    let body = json!({ "amount": usd("50.00"), "payout_method_id": paypal });
    let first = p.withdraw(&body, Some("withdraw-1")).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["state"], "requested");
    assert_eq!(
        (
            &first.body["amount"],
            &first.body["fee"],
            &first.body["net"]
        ),
        (&usd("50.00"), &usd("2.00"), &usd("48.00"))
    );
    assert_eq!(first.body["payout_method"]["type"], "paypal");
    assert_eq!(first.body["payout_method"]["label"], "f••@example.com");
    assert!(first.body.get("processor_token").is_none());
    let retries = join_all((0..3).map(|_| p.withdraw(&body, Some("withdraw-1")))).await;
    for retry in &retries {
        assert_eq!(retry.status, 201, "{}", retry.body);
        assert_eq!(retry.body, first.body);
    }
    let other_body = p
        .withdraw(&json!({"amount": usd("10.00")}), Some("withdraw-1"))
        .await;
    assert_eq!(other_body.status, 422, "same key, another body");

    // The worker paid it while the request was answered.
    let id = first.body["id"].as_str().unwrap().to_string();
    let paid = p.withdrawal(&id).await;
    assert_eq!(paid["state"], "paid", "{paid}");
    assert_eq!(
        (
            &paid["requested_at"],
            &paid["processing_at"],
            &paid["paid_at"]
        ),
        (&json!(NOW), &json!(NOW), &json!(NOW))
    );
    assert_eq!(
        (&paid["returned_at"], &paid["failure"]),
        (&Value::Null, &Value::Null)
    );
    let wallet = p.wallet().await;
    assert_eq!(
        (&wallet["available"], &wallet["withdrawing"]),
        (&json!("30.00"), &json!("0.00"))
    );
    assert_eq!(p.payouts(), vec![Money::usd("48.00").unwrap()]);
    assert_eq!(
        p.transfers_of(&id).await,
        [
            ("withdrawal".to_string(), "48.00".to_string()),
            ("withdrawal".to_string(), "50.00".to_string()),
            ("withdrawal_fee".to_string(), "2.00".to_string()),
        ]
    );
    p.assert_audit_clean().await;

    // Only the owner sees it.
    let (stranger, _) = p
        .app
        .confirmed_user("sven@example.com", &["freelancer"])
        .await;
    for token in [&stranger, &p.client, &p.admin] {
        let reply = p
            .app
            .get(&format!("/v1/withdrawals/{id}"), Some(token))
            .await;
        assert_eq!(reply.status, 404, "{}", reply.body);
        let list = p.app.get("/v1/me/withdrawals", Some(token)).await;
        assert!(
            list.status == 403 || list.body["items"] == json!([]),
            "{}",
            list.body
        );
    }
    assert_eq!(
        p.app
            .get(&format!("/v1/withdrawals/{id}"), None)
            .await
            .status,
        401
    );
    assert_eq!(
        p.app
            .get("/v1/withdrawals/wd_notanid", Some(&p.freelancer))
            .await
            .status,
        404
    );

    // The rest, a minute later, in a second withdrawal; newest first in the list.
    p.app.set_clock("2027-02-01T10:01:00Z").await;
    let rest = p
        .withdraw(&json!({"amount": usd("30.00")}), Some("withdraw-2"))
        .await;
    assert_eq!(rest.status, 201, "{}", rest.body);
    let list = p
        .app
        .get("/v1/me/withdrawals?limit=1", Some(&p.freelancer))
        .await;
    assert_eq!(list.body["items"][0]["id"], rest.body["id"]);
    assert_eq!(list.body["items"][0]["state"], "paid");
    let cursor = list.body["next_cursor"].as_str().expect("a second page");
    let older = p
        .app
        .get(
            &format!("/v1/me/withdrawals?limit=1&cursor={cursor}"),
            Some(&p.freelancer),
        )
        .await;
    assert_eq!(older.body["items"][0]["id"], id.as_str());
    assert_eq!(p.wallet().await["available"], "0.00");
    let empty = p.withdraw(&json!({"amount": usd("5.00")}), None).await;
    assert_eq!((empty.status, empty.code()), (422, "insufficient_funds"));
    p.assert_audit_clean().await;
}

#[tokio::test]
async fn a_failed_payout_returns_the_whole_amount() {
    let p = Payee::new().await;
    p.verify_identity().await;
    let working = p.add_paypal("felix@example.com").await;
    let closed = p.add_paypal(CLOSED_WALLET).await;

    let request = p
        .withdraw(
            &json!({"amount": usd("50.00"), "payout_method_id": closed}),
            None,
        )
        .await;
    assert_eq!(request.status, 201, "{}", request.body);
    let id = request.body["id"].as_str().unwrap().to_string();
    let returned = p.withdrawal(&id).await;
    assert_eq!(returned["state"], "returned", "{returned}");
    assert_eq!(returned["failure"]["code"], "account_closed");
    assert_eq!(
        (&returned["paid_at"], &returned["returned_at"]),
        (&Value::Null, &json!(NOW))
    );
    // Everything came back, fee included; nothing was paid or earned.
    let wallet = p.wallet().await;
    assert_eq!(
        (&wallet["available"], &wallet["withdrawing"]),
        (&json!("80.00"), &json!("0.00"))
    );
    assert!(p.payouts().is_empty());
    let inbox = p.app.get("/v1/me/notifications", Some(&p.freelancer)).await;
    let news: Vec<&Value> = inbox.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "withdrawal_returned")
        .collect();
    assert_eq!(news.len(), 1, "{}", inbox.body);
    assert_eq!(news[0]["links"]["withdrawal_id"], id.as_str());
    assert_eq!(
        p.transfers_of(&id).await,
        [
            ("withdrawal".to_string(), "50.00".to_string()),
            ("withdrawal_return".to_string(), "50.00".to_string()),
        ]
    );
    p.assert_audit_clean().await;

    // The money is usable again at once: all of it, to the working method.
    let all = p
        .withdraw(
            &json!({"amount": usd("80.00"), "payout_method_id": working}),
            None,
        )
        .await;
    assert_eq!(all.status, 201, "{}", all.body);
    let paid = p.withdrawal(all.body["id"].as_str().unwrap()).await;
    assert_eq!(
        (&paid["state"], &paid["net"]),
        (&json!("paid"), &usd("78.00"))
    );
    assert_eq!(p.wallet().await["available"], "0.00");
    assert_eq!(p.payouts(), vec![Money::usd("78.00").unwrap()]);
    p.assert_audit_clean().await;
}

#[tokio::test]
async fn duplicate_and_racing_deliveries_pay_once() {
    let p = Payee::new().await;
    p.verify_identity().await;
    p.add_paypal("felix@example.com").await;
    let app = &p.app.stack.app;
    let now = p.app.stack.clock.now();

    // Requested straight through the router, so nothing is delivered yet: the worker's
    // message sits in the outbox until the pump runs.
    let request = worklane::http::ApiRequest::new(http::Method::POST, "/v1/me/withdrawals", now)
        .with_header("authorization", &format!("Bearer {}", p.freelancer))
        .with_json(&json!({"amount": usd("50.00")}));
    let created =
        worklane::http::router::dispatch(app, worklane_devstack::functions::routes(), request)
            .await;
    assert_eq!(created.status.as_u16(), 201);
    let created: Value = serde_json::from_slice(&created.body).unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    // Read from the store: any request to the local server would run the pump first.
    let user = UserId::parse(&p.id).unwrap();
    let withdrawal_id = WithdrawalId::parse(&id).unwrap();
    let stored = app.store.withdrawal(&user, &withdrawal_id).await.unwrap();
    assert_eq!(
        stored.map(|w| w.state),
        Some(worklane::domain::withdrawal::WithdrawalState::Requested)
    );
    let in_flight = app
        .store
        .ledger_account(&AccountId::payouts_in_flight(&user))
        .await
        .unwrap();
    assert_eq!(in_flight.posted_balance(), "50.00".parse().unwrap());

    // The same message delivered twice at once, then once more by the pump.
    let event = DomainEvent::new(
        EventPayload::WithdrawalRequested {
            withdrawal_id: withdrawal_id.clone(),
            user_id: user.clone(),
            amount: Money::usd("50.00").unwrap(),
            fee: Money::usd("2.00").unwrap(),
            net: Money::usd("48.00").unwrap(),
        },
        now,
    );
    let delivery = |n: usize| {
        let body = json!({"detail-type": "WithdrawalRequested", "source": "worklane",
            "detail": event})
        .to_string();
        let sqs: aws_lambda_events::event::sqs::SqsEvent = serde_json::from_value(
            json!({"Records": [{"messageId": format!("m-{n}"), "body": body}]}),
        )
        .unwrap();
        worklane_disputes::WITHDRAWALS_PROCESSING.handle(app, sqs, now)
    };
    let outcomes = futures::join!(delivery(1), delivery(2));
    for outcome in [outcomes.0, outcomes.1] {
        assert!(outcome.batch_item_failures.is_empty());
    }
    p.app.stack.pump.settle().await.unwrap();
    let late = delivery(3).await;
    assert!(late.batch_item_failures.is_empty());

    let paid = p.withdrawal(&id).await;
    assert_eq!(paid["state"], "paid");
    assert_eq!(p.payouts(), vec![Money::usd("48.00").unwrap()]);
    assert_eq!(
        p.transfers_of(&id).await,
        [
            ("withdrawal".to_string(), "48.00".to_string()),
            ("withdrawal".to_string(), "50.00".to_string()),
            ("withdrawal_fee".to_string(), "2.00".to_string()),
        ]
    );
    let wallet = p.wallet().await;
    assert_eq!(
        (&wallet["available"], &wallet["withdrawing"]),
        (&json!("30.00"), &json!("0.00"))
    );
    p.assert_audit_clean().await;
}
