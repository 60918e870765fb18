//! Billing and payout methods over HTTP on the local stack, against the payment sandbox:
//! test cards, declines, masking, the default method, `payment_verified` on the client's
//! jobs, payout fees, and who may see what.

use reqwest::Method;
use serde_json::{json, Value};
use worklane_tests::{Reply, TestApp};

fn card(number: &str) -> Value {
    json!({"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}})
}

fn bank(account: &str) -> Value {
    json!({"type": "bank_account", "bank": {"routing_number": "110000000", "account_number": account, "holder_name": "Ann Client"}})
}

fn job() -> Value {
    worklane_tests::fixed_job_body("Rust API on Lambda")
}

/// Neither the full number nor a long run of its digits appears anywhere in the answer.
fn assert_masked(reply: &Reply, secret: &str) {
    let raw = String::from_utf8_lossy(&reply.raw);
    assert!(!raw.contains(secret), "{secret} leaked: {raw}");
    assert!(
        !raw.contains(&secret[..secret.len() - 4]),
        "digits leaked: {raw}"
    );
}

async fn payment_verified(app: &TestApp, token: &str, job: &str) -> Value {
    let reply = app.get(&format!("/v1/jobs/{job}"), Some(token)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["client"]["payment_verified"].clone()
}

#[tokio::test]
async fn cards_and_bank_accounts_are_vaulted_masked_and_verify_the_client() {
    let app = TestApp::spawn().await;
    let (client, _) = app.confirmed_user("ann@example.com", &["client"]).await;
    let posted = app.post("/v1/jobs", Some(&client), &job()).await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    let job_id = posted.body["id"].as_str().unwrap().to_string();
    assert_eq!(payment_verified(&app, &client, &job_id).await, false);

    let empty = app.get("/v1/me/billing-methods", Some(&client)).await;
    assert_eq!(
        (empty.status, empty.body["items"].clone()),
        (200, json!([]))
    );

    // A typo is the caller's to fix: 422 naming the field, and the processor is never asked.
    let typo = app
        .post(
            "/v1/me/billing-methods",
            Some(&client),
            &card("4242424242424241"),
        )
        .await;
    assert_eq!((typo.status, typo.code()), (422, "validation_failed"));
    assert_eq!(typo.body["errors"][0]["field"], "card.number");

    // A declined card is refused with 402 and leaves nothing behind.
    let declined = app
        .post(
            "/v1/me/billing-methods",
            Some(&client),
            &card("4000000000000002"),
        )
        .await;
    assert_eq!((declined.status, declined.code()), (402, "card_declined"));
    assert_eq!(declined.content_type(), "application/problem+json");
    assert_masked(&declined, "4000000000000002");
    let still_empty = app.get("/v1/me/billing-methods", Some(&client)).await;
    assert_eq!(still_empty.body["items"], json!([]));
    assert_eq!(payment_verified(&app, &client, &job_id).await, false);

    let visa = app
        .post(
            "/v1/me/billing-methods",
            Some(&client),
            &card("4242 4242 4242 4242"),
        )
        .await;
    assert_eq!(visa.status, 201, "{}", visa.body);
    assert_eq!(visa.body["type"], "card");
    assert_eq!(visa.body["brand"], "visa");
    assert_eq!(visa.body["last4"], "4242");
    assert_eq!(
        (
            visa.body["exp_month"].clone(),
            visa.body["exp_year"].clone()
        ),
        (json!(12), json!(2030))
    );
    assert_eq!(visa.body["default"], true);
    assert_masked(&visa, "4242424242424242");
    assert!(visa.body.get("processor_token").is_none(), "{}", visa.body);

    let account = app
        .post(
            "/v1/me/billing-methods",
            Some(&client),
            &bank("000123456789"),
        )
        .await;
    assert_eq!(account.status, 201, "{}", account.body);
    assert_eq!(
        (
            account.body["type"].as_str(),
            account.body["last4"].as_str()
        ),
        (Some("bank_account"), Some("6789"))
    );
    assert_eq!(
        account.body["default"], false,
        "only the first is the default"
    );
    assert_masked(&account, "000123456789");

    let list = app.get("/v1/me/billing-methods", Some(&client)).await;
    assert_eq!(list.status, 200);
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", list.body);
    let defaults: Vec<_> = items.iter().filter(|m| m["default"] == true).collect();
    assert_eq!(defaults.len(), 1);
    assert_eq!(defaults[0]["id"], visa.body["id"]);
    assert_masked(&list, "4242424242424242");
    assert_masked(&list, "000123456789");

    // Freelancers deciding whether to apply now see a verified payment method.
    assert_eq!(payment_verified(&app, &client, &job_id).await, true);

    // The same Idempotency-Key adds the card once.
    let headers = [("idempotency-key", "add-mastercard")];
    let body = card("5555555555554444").to_string();
    let first = app
        .send(
            Method::POST,
            "/v1/me/billing-methods",
            Some(&client),
            Some(&body),
            &headers,
        )
        .await;
    let again = app
        .send(
            Method::POST,
            "/v1/me/billing-methods",
            Some(&client),
            Some(&body),
            &headers,
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!((again.status, &again.body["id"]), (201, &first.body["id"]));
    let list = app.get("/v1/me/billing-methods", Some(&client)).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 3);

    // Bank accounts the bank does not know are declined like cards.
    let unknown = app
        .post(
            "/v1/me/billing-methods",
            Some(&client),
            &bank("000111111113"),
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (402, "bank_account_declined")
    );
    let bad_routing = app
        .post(
            "/v1/me/billing-methods",
            Some(&client),
            &json!({"type": "bank_account", "bank": {"routing_number": "110000001", "account_number": "000123456789", "holder_name": "Ann"}}),
        )
        .await;
    assert_eq!(bad_routing.status, 422);
    assert_eq!(
        bad_routing.body["errors"][0]["field"],
        "bank.routing_number"
    );
    let nonsense = app
        .post(
            "/v1/me/billing-methods",
            Some(&client),
            &json!({"type": "cash"}),
        )
        .await;
    assert_eq!(nonsense.status, 422, "{}", nonsense.body);
}

#[tokio::test]
async fn only_payers_add_billing_methods_and_nobody_sees_anothers() {
    let app = TestApp::spawn().await;
    let (ann, _) = app.confirmed_user("ann@example.com", &["client"]).await;
    let (bob, _) = app.confirmed_user("bob@example.com", &["client"]).await;
    let (frida, _) = app
        .confirmed_user("frida@example.com", &["freelancer"])
        .await;
    let added = app
        .post(
            "/v1/me/billing-methods",
            Some(&ann),
            &card("4242424242424242"),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.body);

    let bobs = app.get("/v1/me/billing-methods", Some(&bob)).await;
    assert_eq!((bobs.status, bobs.body["items"].clone()), (200, json!([])));

    // Freelancers keep billing methods too (they buy Connects); other roles do not.
    let by_freelancer = app
        .post(
            "/v1/me/billing-methods",
            Some(&frida),
            &card("4242424242424242"),
        )
        .await;
    assert_eq!(by_freelancer.status, 201, "{}", by_freelancer.body);
    let fridas = app.get("/v1/me/billing-methods", Some(&frida)).await;
    assert_eq!(fridas.body["items"].as_array().unwrap().len(), 1);
    let (agency, _) = app.confirmed_user("agency@example.com", &["agency"]).await;
    let by_agency = app
        .post(
            "/v1/me/billing-methods",
            Some(&agency),
            &card("4242424242424242"),
        )
        .await;
    assert_eq!((by_agency.status, by_agency.code()), (403, "forbidden"));
    assert_eq!(
        app.get("/v1/me/billing-methods", Some(&agency))
            .await
            .status,
        403
    );
    let by_client = app
        .post(
            "/v1/me/payout-methods",
            Some(&ann),
            &json!({"type": "paypal", "email": "ann@example.com"}),
        )
        .await;
    assert_eq!(by_client.status, 403);
    assert_eq!(app.get("/v1/me/billing-methods", None).await.status, 401);
    assert_eq!(app.get("/v1/me/payout-methods", None).await.status, 401);
}

#[tokio::test]
async fn payout_methods_carry_their_fee_and_minimum() {
    let app = TestApp::spawn().await;
    let (frida, _) = app
        .confirmed_user("frida@example.com", &["freelancer"])
        .await;
    let (gus, _) = app.confirmed_user("gus@example.com", &["freelancer"]).await;

    let us = app
        .post(
            "/v1/me/payout-methods",
            Some(&frida),
            &json!({"type": "us_bank", "bank": {"routing_number": "110000000", "account_number": "000123456789", "holder_name": "Frida Freelancer"}}),
        )
        .await;
    assert_eq!(us.status, 201, "{}", us.body);
    assert_eq!(
        (
            &us.body["type"],
            &us.body["label"],
            &us.body["fee"],
            &us.body["default"]
        ),
        (
            &json!("us_bank"),
            &json!("6789"),
            &json!("0.00"),
            &json!(true)
        )
    );
    assert_masked(&us, "000123456789");

    let paypal = app
        .post(
            "/v1/me/payout-methods",
            Some(&frida),
            &json!({"type": "paypal", "email": "frida@example.com"}),
        )
        .await;
    assert_eq!(paypal.status, 201, "{}", paypal.body);
    assert_eq!(paypal.body["label"], "f••@example.com");
    assert_eq!(paypal.body["default"], false);
    assert!(!String::from_utf8_lossy(&paypal.raw).contains("frida@"));

    let local = app
        .post(
            "/v1/me/payout-methods",
            Some(&frida),
            &json!({"type": "local_bank", "bank": {"country": "DE", "bank_name": "Deutsche Bank",
                    "account_number": "DE89370400440532013000", "holder_name": "Frida Freelancer"}}),
        )
        .await;
    assert_eq!(local.status, 201, "{}", local.body);
    assert_eq!(
        (&local.body["fee"], &local.body["minimum"]),
        (&json!("0.99"), &json!("5.00"))
    );
    assert_masked(&local, "DE89370400440532013000");

    let wire_without_bic = app
        .post(
            "/v1/me/payout-methods",
            Some(&frida),
            &json!({"type": "wire", "bank": {"country": "DE", "bank_name": "Deutsche Bank",
                    "account_number": "DE89370400440532013000", "holder_name": "Frida Freelancer"}}),
        )
        .await;
    assert_eq!(wire_without_bic.status, 422);
    assert_eq!(
        wire_without_bic.body["errors"][0]["field"],
        "bank.swift_bic"
    );

    let no_such_account = app
        .post(
            "/v1/me/payout-methods",
            Some(&frida),
            &json!({"type": "us_bank", "bank": {"routing_number": "110000000", "account_number": "000111111113", "holder_name": "Frida Freelancer"}}),
        )
        .await;
    assert_eq!(
        (no_such_account.status, no_such_account.code()),
        (402, "bank_account_declined")
    );

    let list = app.get("/v1/me/payout-methods", Some(&frida)).await;
    assert_eq!(list.status, 200);
    let fees: Vec<(String, String)> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["type"].as_str().unwrap().into(),
                m["fee"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        fees,
        [
            ("us_bank".to_string(), "0.00".to_string()),
            ("paypal".into(), "2.00".into()),
            ("local_bank".into(), "0.99".into())
        ]
    );
    assert_masked(&list, "000123456789");

    let others = app.get("/v1/me/payout-methods", Some(&gus)).await;
    assert_eq!(others.body["items"], json!([]));
}

/// What a probe of hostile requests found: extra top-level fields beside a method's `type`
/// were ignored, and a `null` where a string belongs answered 400.
#[tokio::test]
async fn method_bodies_refuse_unknown_fields_and_name_the_field_of_a_null() {
    let app = TestApp::spawn().await;
    let (client, _) = app.confirmed_user("ann@example.com", &["client"]).await;
    let (freelancer, _) = app
        .confirmed_user("frida@example.com", &["freelancer"])
        .await;
    let paypal = json!({"type": "paypal", "email": "frida@example.com"});
    let card = card("4242424242424242");
    for (path, token, valid) in [
        ("/v1/me/billing-methods", &client, &card),
        ("/v1/me/payout-methods", &freelancer, &paypal),
    ] {
        for (field, value) in [
            ("default", json!(true)),
            ("verified", json!(true)),
            ("fee", json!("0.00")),
            ("owner_id", json!("usr_01hzz")),
        ] {
            let mut body = valid.clone();
            body[field] = value;
            let reply = app.post(path, Some(token), &body).await;
            assert_eq!(
                (reply.status, reply.code()),
                (422, "invalid_body"),
                "{path} {field}: {}",
                reply.body
            );
            assert!(
                reply.body["detail"].as_str().unwrap().contains(field),
                "{}",
                reply.body
            );
        }
    }
    let nulled = json!({"type": "card", "card": {"number": null, "exp_month": 12, "exp_year": 2030, "cvc": "123"}});
    let reply = app
        .post("/v1/me/billing-methods", Some(&client), &nulled)
        .await;
    assert_eq!(
        (reply.status, reply.code()),
        (422, "invalid_body"),
        "{}",
        reply.body
    );
    let reply = app
        .post(
            "/v1/me/payout-methods",
            Some(&freelancer),
            &json!({"type": "paypal", "email": null}),
        )
        .await;
    assert_eq!(
        (reply.status, reply.code()),
        (422, "invalid_body"),
        "{}",
        reply.body
    );
    // Nothing of the refused bodies was stored.
    for (path, token) in [
        ("/v1/me/billing-methods", &client),
        ("/v1/me/payout-methods", &freelancer),
    ] {
        assert_eq!(app.get(path, Some(token)).await.body["items"], json!([]));
    }
    // The valid bodies still go through.
    assert_eq!(
        app.post("/v1/me/billing-methods", Some(&client), &card)
            .await
            .status,
        201
    );
    assert_eq!(
        app.post("/v1/me/payout-methods", Some(&freelancer), &paypal)
            .await
            .status,
        201
    );
}
