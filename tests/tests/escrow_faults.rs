//! A seeded, randomized run of 10,000 escrow operations across many milestones, against the
//! real DynamoDB Local, with injected transaction conflicts and "committed but the response
//! was lost" failures, client retries (same Idempotency-Key), duplicate deliveries and
//! schedule re-runs. Whatever happens, the ledger audit must balance, every milestone's money
//! must match its state, and no movement may have happened twice.

use chrono::{DateTime, Duration, Utc};
use futures::future::join_all;
use http::Method;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use worklane::domain::contract::MilestoneState;
use worklane::domain::ids::{MilestoneId, UserId};
use worklane::domain::ledger::{Phase, TransferCode};
use worklane::http::router::dispatch;
use worklane::http::ApiRequest;
use worklane::lambda::ScheduleFunction;
use worklane::store::escrow::escrow_transfer_id;
use worklane::store::FaultInjector;
use worklane::App;
use worklane_tests::{add_milestone, fixed_contract, user_id, TestApp};

const SEED: u64 = 0x5eed_2026;
const OPERATIONS: usize = 10_000;
const WORKERS: usize = 8;
const MILESTONES_PER_WORKER: usize = 40;

struct Party {
    token: String,
}

async fn call(app: &App, party: &Party, path: &str, body: &Value, key: &str) -> u16 {
    let req = ApiRequest::new(Method::POST, path, Utc::now())
        .with_header("authorization", &format!("Bearer {}", party.token))
        .with_header("idempotency-key", key)
        .with_json(body);
    dispatch(app, worklane_devstack::functions::routes(), req)
        .await
        .status
        .as_u16()
}

/// What a client does on a 5xx: the same request, same key, a few times.
async fn with_retries(app: &App, party: &Party, path: &str, body: &Value, key: &str) -> u16 {
    let mut status = 0;
    for _ in 0..6 {
        status = call(app, party, path, body, key).await;
        if status < 500 {
            break;
        }
    }
    status
}

/// A schedule that failed is run again, as EventBridge retries it.
async fn run_schedule(app: &App, function: ScheduleFunction, time: DateTime<Utc>) {
    for _ in 0..6 {
        if function.run(app, time).await.is_ok() {
            return;
        }
    }
}

#[tokio::test]
async fn ten_thousand_faulty_operations_leave_a_clean_ledger() {
    let test = TestApp::spawn().await;
    let (client_token, _) = test.confirmed_user("client@example.com", &["client"]).await;
    let (freelancer_token, _) = test
        .confirmed_user("freelancer@example.com", &["freelancer"])
        .await;
    let card = json!({"type": "card", "card": {"number": "4242424242424242",
        "exp_month": 12, "exp_year": 2031, "cvc": "123"}});
    assert_eq!(
        test.post("/v1/me/billing-methods", Some(&client_token), &card)
            .await
            .status,
        201
    );
    let client_id = UserId::parse(&user_id(&test, &client_token).await).unwrap();
    let store = &test.stack.app.store;
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut groups: Vec<Vec<MilestoneId>> = Vec::new();
    // One contract per worker, each with many milestones.
    for _ in 0..WORKERS {
        let (contract, _) = fixed_contract(&test, &client_token, &freelancer_token, "5.00").await;
        let mut group = Vec::new();
        for _ in 0..MILESTONES_PER_WORKER {
            let cents: i64 = rng.gen_range(500..200_000);
            let amount = rust_decimal::Decimal::new(cents, 2).to_string();
            let id = add_milestone(&test, &client_token, &contract, &amount).await;
            group.push(MilestoneId::parse(&id).unwrap());
        }
        groups.push(group);
    }

    let faults = Arc::new(FaultInjector::new(SEED, 0.08, 0.05));
    let mut faulty = test.stack.app.clone();
    faulty.store = store.with_faults(faults.clone());
    let client = Party {
        token: client_token,
    };
    let freelancer = Party {
        token: freelancer_token,
    };
    let started = Utc::now();

    let workers = groups.iter().enumerate().map(|(worker, group)| {
        let (app, client, freelancer) = (&faulty, &client, &freelancer);
        async move {
            let mut rng = StdRng::seed_from_u64(SEED + worker as u64 + 1);
            let mut last: Option<(String, Value, String, bool)> = None;
            for op in 0..OPERATIONS / WORKERS {
                let milestone = &group[rng.gen_range(0..group.len())];
                let key = format!("w{worker}-op{op}");
                let roll = rng.gen_range(0..100);
                let (action, body, by_client) = match roll {
                    0..=19 => ("fund", json!({}), true),
                    20..=39 => ("submit", json!({"message": "here it is"}), false),
                    40..=49 => ("request-changes", json!({"message": "again"}), true),
                    50..=64 => {
                        let body = match rng.gen_range(0..3) {
                            0 => json!({}),
                            1 => json!({"amount": {"amount": "5.00", "currency": "USD"}}),
                            _ => json!({"amount": {"amount": "2500.00", "currency": "USD"}}),
                        };
                        ("approve", body, true)
                    }
                    65..=72 => ("refund", json!({}), false),
                    73..=82 => {
                        let days = rng.gen_range(0..40);
                        run_schedule(
                            app,
                            worklane_escrow::ESCROW_AUTO_RELEASE,
                            started + Duration::days(days),
                        )
                        .await;
                        continue;
                    }
                    83..=89 => {
                        let days = rng.gen_range(0..60);
                        run_schedule(
                            app,
                            worklane_escrow::EARNINGS_AVAILABILITY,
                            started + Duration::days(days),
                        )
                        .await;
                        continue;
                    }
                    _ => {
                        // A duplicate delivery of the previous request, same key and body.
                        if let Some((path, body, key, by_client)) = &last {
                            let party = if *by_client { client } else { freelancer };
                            with_retries(app, party, path, body, key).await;
                        }
                        continue;
                    }
                };
                let path = format!("/v1/milestones/{milestone}/{action}");
                let party = if by_client { client } else { freelancer };
                let status = with_retries(app, party, &path, &body, &key).await;
                assert!(status < 500 || status == 503, "{path}: {status}");
                last = Some((path, body, key, by_client));
            }
        }
    });
    join_all(workers).await;
    // Let every due item mature, so the end state is settled, then check everything.
    run_schedule(
        &faulty,
        worklane_escrow::ESCROW_AUTO_RELEASE,
        started + Duration::days(100),
    )
    .await;
    run_schedule(
        &faulty,
        worklane_escrow::EARNINGS_AVAILABILITY,
        started + Duration::days(200),
    )
    .await;
    assert!(faults.conflicts.load(Relaxed) > 50, "faults were injected");
    assert!(
        faults.lost_responses.load(Relaxed) > 50,
        "lost responses were injected"
    );

    let report = store.audit_ledger().await.unwrap();
    assert!(report.balanced, "{report:?}");
    let mut states: BTreeMap<String, usize> = BTreeMap::new();
    for id in groups.iter().flatten() {
        let milestone = store.milestone(id).await.unwrap().unwrap();
        *states.entry(format!("{:?}", milestone.state)).or_default() += 1;
        let hold = store
            .transfer(&escrow_transfer_id(&milestone))
            .await
            .unwrap();
        match milestone.state {
            MilestoneState::Unfunded => assert!(hold.is_none(), "{id}: unfunded but held"),
            MilestoneState::Funded
            | MilestoneState::Submitted
            | MilestoneState::ChangesRequested => {
                let hold = hold.expect("a funded milestone has its hold");
                assert!(
                    hold.settled_by.is_none(),
                    "{id}: open milestone with a settled hold"
                );
            }
            MilestoneState::Released | MilestoneState::Refunded => {
                let hold = hold.expect("a settled milestone had a hold");
                let settlement = store
                    .transfer(hold.settled_by.as_ref().expect("settled"))
                    .await
                    .unwrap()
                    .unwrap()
                    .transfer;
                let expected = if milestone.state == MilestoneState::Released {
                    Phase::PostPending
                } else {
                    Phase::VoidPending
                };
                assert_eq!(settlement.phase, expected, "{id}");
            }
            MilestoneState::Disputed => unreachable!("no disputes in this run"),
        }
    }
    // Every escrow hold exists once per milestone that was ever funded, never twice.
    let client_account = [worklane::domain::ledger::AccountId::client(&client_id)];
    let mut transfers = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let page = store
            .account_transfers(&client_account, before.as_deref(), 200)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        before = Some(worklane::store::Store::transfer_position(last));
        transfers.extend(page);
    }
    let mut funding_charges: BTreeMap<String, usize> = BTreeMap::new();
    for transfer in transfers.iter().filter(|t| t.code == TransferCode::Escrow) {
        *funding_charges
            .entry(transfer.reference.clone())
            .or_default() += 1;
    }
    assert!(
        funding_charges.values().all(|n| *n == 1),
        "{funding_charges:?}"
    );
    // The run must have moved real money both ways, not failed everything.
    assert!(
        states.get("Released").copied().unwrap_or(0) >= 100
            && states.get("Refunded").copied().unwrap_or(0) >= 10,
        "{states:?}"
    );
    println!(
        "faulty run: {} transfers, states {states:?}, {} conflicts, {} lost responses injected",
        report.transfers,
        faults.conflicts.load(Relaxed),
        faults.lost_responses.load(Relaxed)
    );
}
