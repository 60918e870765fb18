//! A malformed item in the table (a partial write, a hand edit) is a server fault the caller
//! sees as a problem with a request id, never a crash: the functions run with
//! `panic = "abort"`, where one unwrap on table data would take every request in flight down.

use aws_sdk_dynamodb::types::AttributeValue;
use worklane_tests::{fixed_contract, TestApp};

/// Overwrites one attribute of the contract item as a hand edit would.
async fn corrupt_contract(app: &TestApp, contract: &str, attribute: &str, value: AttributeValue) {
    let store = &app.stack.app.store;
    store
        .client()
        .update_item()
        .table_name(store.table())
        .key("pk", AttributeValue::S(format!("CONTRACT#{contract}")))
        .key("sk", AttributeValue::S("CONTRACT".into()))
        .update_expression("SET #a = :v")
        .expression_attribute_names("#a", attribute)
        .expression_attribute_values(":v", value)
        .send()
        .await
        .expect("the local table takes the edit");
}

#[tokio::test]
async fn a_malformed_contract_answers_a_problem_and_the_server_lives_on() {
    let app = TestApp::spawn().await;
    let (client, _) = app.confirmed_user("carla@example.com", &["client"]).await;
    let (freelancer, _) = app
        .confirmed_user("fred@example.com", &["freelancer"])
        .await;
    let (contract, _) = fixed_contract(&app, &client, &freelancer, "100.00").await;
    let path = format!("/v1/contracts/{contract}");
    assert_eq!(app.get(&path, Some(&client)).await.status, 200);

    corrupt_contract(&app, &contract, "state", AttributeValue::N("7".into())).await;
    for token in [&client, &freelancer] {
        let reply = app.get(&path, Some(token)).await;
        assert_eq!(reply.status, 500, "{}", reply.body);
        assert_eq!(reply.content_type(), "application/problem+json");
        assert_eq!(reply.code(), "internal");
        assert!(
            reply.body["instance"]
                .as_str()
                .is_some_and(|id| !id.is_empty()),
            "a request id to find the cause in the logs: {}",
            reply.body
        );
        // The cause (which item, which attribute) stays in the logs, not in the answer.
        assert!(!reply.raw.windows(9).any(|w| w == b"CONTRACT#"));
    }
    // Still serving: the fault was an answer, not an abort.
    let me = app.get("/v1/me", Some(&client)).await;
    assert_eq!(me.status, 200, "{}", me.body);
}
