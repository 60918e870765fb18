//! DynamoDB round trips of the steps the benchmark once flagged, counted by the benchmark's
//! own interceptor (worklane-devstack `bench::counting`) on the local stack: fund, confirm
//! email and end contract are one read and one transaction; a default-method pointer written
//! before it carried its method's copy still funds, at one GetItem more.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, DurationRound, Utc};
use http::Method;
use serde_json::{json, Value};
use worklane::domain::account::Role;
use worklane_devstack::bench::counting::{CallLog, Tally};
use worklane_devstack::bench::inproc::{
    fixed_contract, text, unique_email, InProc, Party, PASSWORD,
};
use worklane_tests::TestApp;

fn now() -> DateTime<Utc> {
    Utc::now()
        .duration_trunc(Duration::seconds(1))
        .unwrap_or_else(|_| Utc::now())
}

/// The calls since the last look, as the benchmark describes them.
fn calls(log: &CallLog) -> Tally {
    Tally::of(&log.take())
}

fn one_read_one_transaction(tally: &Tally, read: &str, step: &str) {
    assert!(
        tally.reads == 1 && tally.transactions == 1 && tally.writes == 0 && tally.other == 0,
        "{step}: {}",
        tally.describe()
    );
    assert_eq!(
        tally.labels.get(read),
        Some(&1),
        "{step}: {}",
        tally.describe()
    );
}

async fn card(api: &InProc, client: &Party, number: &str, now: DateTime<Utc>) -> String {
    let card = json!({"type": "card", "card": {"number": number,
        "exp_month": 12, "exp_year": 2031, "cvc": "123"}});
    let added = api
        .post("/v1/me/billing-methods", &client.token, &card, now)
        .await
        .expect(201, "card")
        .unwrap();
    text(&added, "id").unwrap()
}

async fn milestone(api: &InProc, client: &Party, contract: &str, now: DateTime<Utc>) -> String {
    let added = api
        .post(
            &format!("/v1/contracts/{contract}/milestones"),
            &client.token,
            &json!({"description": "More", "amount": {"amount": "40.00", "currency": "USD"}}),
            now,
        )
        .await
        .expect(201, "milestone")
        .unwrap();
    text(&added, "id").unwrap()
}

#[tokio::test]
async fn fund_reads_milestone_balance_and_default_method_in_one_batch() {
    let test = TestApp::spawn().await;
    let log = CallLog::default();
    let api = InProc::new(log.instrument(&test.stack.app));
    let now = now();
    let client = api.signed_up("trips", Role::Client, now).await.unwrap();
    let freelancer = api.signed_up("trips", Role::Freelancer, now).await.unwrap();
    let first_card = card(&api, &client, "4242424242424242", now).await;
    let (contract, first) = fixed_contract(&api, &client, &freelancer, now)
        .await
        .unwrap();

    calls(&log);
    let fund = |id: String| {
        let api = &api;
        let token = client.token.clone();
        async move {
            api.post(
                &format!("/v1/milestones/{id}/fund"),
                &token,
                &json!({}),
                now,
            )
            .await
        }
    };
    let funded = fund(first.clone()).await;
    assert_eq!(funded.status, 200, "{}", funded.body);
    one_read_one_transaction(&calls(&log), "BatchGetItem[3]", "fund (charged)");

    // Naming a method reads that method in the same batch instead of the pointer.
    let named = milestone(&api, &client, &contract, now).await;
    calls(&log);
    let body = json!({ "billing_method_id": first_card });
    let funded = api
        .post(
            &format!("/v1/milestones/{named}/fund"),
            &client.token,
            &body,
            now,
        )
        .await;
    assert_eq!(funded.status, 200, "{}", funded.body);
    one_read_one_transaction(&calls(&log), "BatchGetItem[3]", "fund (named method)");

    // The pointer's copy follows the default: a declining card made default is what the next
    // funding charges, and making the good card default again funds.
    let declining = card(&api, &client, "4000000000000341", now).await;
    let set = |id: String| {
        let api = &api;
        let token = client.token.clone();
        async move {
            api.post(
                &format!("/v1/me/billing-methods/{id}/default"),
                &token,
                &json!({}),
                now,
            )
            .await
            .expect(200, "default")
            .unwrap()
        }
    };
    let listed = set(declining.clone()).await;
    let defaults: Vec<&Value> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["default"] == json!(true))
        .collect();
    assert_eq!(defaults.len(), 1);
    assert_eq!(defaults[0]["id"], json!(declining));
    let second = milestone(&api, &client, &contract, now).await;
    let refused = fund(second.clone()).await;
    assert_eq!(refused.status, 402, "{}", refused.body);
    set(first_card.clone()).await;
    assert_eq!(fund(second).await.status, 200);

    // A pointer without the copy (written before it existed) falls back to reading the
    // method it names: one GetItem more, the same charge.
    let store = &test.stack.app.store;
    let (pk, sk) = worklane::store::keys::default_billing_method(&client.id);
    store
        .client()
        .update_item()
        .table_name(store.table())
        .key("pk", AttributeValue::S(pk))
        .key("sk", AttributeValue::S(sk))
        .update_expression("REMOVE #method")
        .expression_attribute_names("#method", "method")
        .send()
        .await
        .unwrap();
    let legacy = milestone(&api, &client, &contract, now).await;
    calls(&log);
    assert_eq!(fund(legacy).await.status, 200);
    let tally = calls(&log);
    assert_eq!(
        (tally.reads, tally.transactions, tally.labels.get("GetItem")),
        (2, 1, Some(&1)),
        "{}",
        tally.describe()
    );
    test.assert_audit_clean().await;
}

#[tokio::test]
async fn confirm_email_and_end_contract_are_one_read_and_one_transaction() {
    let test = TestApp::spawn().await;
    let log = CallLog::default();
    let api = InProc::new(log.instrument(&test.stack.app));
    let now = now();
    let email = unique_email("trips");
    let body = json!({"email": email, "password": PASSWORD, "name": "Trips", "roles": ["client"]});
    let user = api
        .send(
            Method::POST,
            "/v1/auth/signup",
            None,
            Some(&body),
            None,
            now,
        )
        .await
        .expect(201, "signup")
        .unwrap();
    test.stack.pump.settle().await.unwrap();
    let mail = worklane::mail::dev_mailbox(&test.stack.app.store, &email, 10)
        .await
        .unwrap();
    let token = mail[0]
        .text
        .lines()
        .find_map(|l| l.strip_prefix("Confirmation token: "))
        .unwrap()
        .trim()
        .to_string();
    calls(&log);
    let confirmed = api
        .send(
            Method::POST,
            "/v1/auth/confirm",
            None,
            Some(&json!({ "token": token })),
            None,
            now,
        )
        .await
        .expect(200, "confirm")
        .unwrap();
    one_read_one_transaction(&calls(&log), "GetItem", "confirm email");
    // The answer is the account as a read would show it.
    let mut expected = user.clone();
    expected["email_confirmed"] = json!(true);
    assert_eq!(confirmed, expected);

    let client = api.signed_up("trips", Role::Client, now).await.unwrap();
    let freelancer = api.signed_up("trips", Role::Freelancer, now).await.unwrap();
    card(&api, &client, "4242424242424242", now).await;
    let (contract, _) = fixed_contract(&api, &client, &freelancer, now)
        .await
        .unwrap();
    calls(&log);
    let ended = api
        .post(
            &format!("/v1/contracts/{contract}/end"),
            &client.token,
            &json!({}),
            now,
        )
        .await
        .expect(200, "end")
        .unwrap();
    one_read_one_transaction(&calls(&log), "GetItem", "end contract");
    assert_eq!(ended["state"], json!("ended"));
    assert!(ended.get("milestones").is_none(), "{ended}");
}
