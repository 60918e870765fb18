//! The ledger's store layer on the real DynamoDB Local: one transaction per movement,
//! conditions that keep balances from going negative under races, transfers that cannot be
//! applied twice, holds that settle once, and an audit that balances.

use chrono::Utc;
use futures::future::join_all;
use worklane::domain::ids::{TransferId, UserId};
use worklane::domain::ledger::{AccountId, Phase, Transfer, TransferCode};
use worklane::domain::money::{Currency, Money};
use worklane::store::ledger::Movement;
use worklane::store::{Tx, TxError};
use worklane_tests::TestApp;

fn usd(raw: &str) -> Money {
    Money::usd(raw).unwrap()
}

fn posted(basis: &str, debit: AccountId, credit: AccountId, amount: &str) -> Transfer {
    Transfer::new(
        TransferId::derived(Utc::now(), basis),
        debit,
        credit,
        usd(amount),
        Phase::Posted,
        TransferCode::Charge,
        basis,
        Utc::now(),
    )
}

async fn run(app: &TestApp, movement: &Movement) -> Result<(), TxError> {
    let tx = movement.write(Tx::new()).expect("valid movement");
    app.stack.app.store.transact(tx).await
}

fn label(result: &Result<(), TxError>) -> Option<&'static str> {
    match result {
        Err(TxError::ConditionFailed { label, .. }) => Some(label.as_str()),
        _ => None,
    }
}

#[tokio::test]
async fn parallel_debits_never_overdraw_and_replays_never_apply_twice() {
    let app = TestApp::spawn().await;
    let store = &app.stack.app.store;
    let client = UserId::generate(Utc::now());
    let freelancer = UserId::generate(Utc::now());
    let world = AccountId::world(Currency::USD);
    let client_account = AccountId::client(&client);
    let charge = Movement::new().transfer(posted(
        "charge-1",
        world.clone(),
        client_account.clone(),
        "100.00",
    ));
    run(&app, &charge).await.unwrap();
    // The same movement again (a retry): refused on the transfer, nothing moves.
    let replay = run(&app, &charge).await;
    assert_eq!(label(&replay), Some("transfer"));
    assert_eq!(
        store
            .ledger_account(&client_account)
            .await
            .unwrap()
            .available(),
        usd("100").amount
    );

    // 50 parallel holds of 7.00 against 100.00: exactly 14 fit.
    let holds: Vec<Transfer> = (0..50)
        .map(|i| {
            let mut t = posted(
                &format!("hold-{i}"),
                client_account.clone(),
                AccountId::pending_earnings(&freelancer),
                "7.00",
            );
            t.phase = Phase::Pending;
            t.code = TransferCode::Escrow;
            t
        })
        .collect();
    let results = join_all(holds.iter().map(|t| {
        let movement = Movement::new().transfer(t.clone());
        let app = &app;
        async move { run(app, &movement).await }
    }))
    .await;
    let placed = results.iter().filter(|r| r.is_ok()).count();
    let refused = results
        .iter()
        .filter(|r| label(r) == Some("account"))
        .count();
    assert_eq!((placed, refused), (14, 36));
    let totals = store.ledger_account(&client_account).await.unwrap();
    assert_eq!(totals.available(), usd("2.00").amount);
    assert_eq!(totals.debits_pending, usd("98.00").amount);

    // One hold, settled from many sides at once (approve, refund…): exactly one wins.
    let hold = holds
        .iter()
        .zip(&results)
        .find(|(_, r)| r.is_ok())
        .map(|(t, _)| t.clone())
        .unwrap();
    let settlements = join_all((0..20).map(|i| {
        let amount = (i % 2 == 0).then(|| usd("5.00"));
        let settle = Transfer::settle(
            TransferId::derived(Utc::now(), &format!("settle-{i}")),
            &hold,
            amount,
            TransferCode::Release,
            Utc::now(),
        );
        let movement = Movement::new().settle(settle, &hold);
        let app = &app;
        async move { run(app, &movement).await }
    }))
    .await;
    assert_eq!(settlements.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(settlements
        .iter()
        .filter(|r| r.is_err())
        .all(|r| label(r) == Some("pending")));

    let report = store.audit_ledger().await.unwrap();
    assert!(report.balanced, "{report:?}");
    assert_eq!(report.transfers, 1 + 14 + 1);
    assert!(report.accounts >= 3);
}

#[tokio::test]
async fn a_movement_touching_one_account_many_times_is_one_net_update() {
    let app = TestApp::spawn().await;
    let client = UserId::generate(Utc::now());
    let freelancer = UserId::generate(Utc::now());
    let world = AccountId::world(Currency::USD);
    let client_account = AccountId::client(&client);
    let fee_id = TransferId::derived(Utc::now(), "fund-fee");
    // Funding: charge 105 in, 5 to the platform, 100 held for the freelancer — one transaction.
    let mut hold = posted(
        "fund-hold",
        client_account.clone(),
        AccountId::pending_earnings(&freelancer),
        "100.00",
    );
    hold.phase = Phase::Pending;
    let movement = Movement::new()
        .transfer(posted(
            "fund-charge",
            world.clone(),
            client_account.clone(),
            "105.00",
        ))
        .transfer(Transfer::new(
            fee_id.clone(),
            client_account.clone(),
            AccountId::fees_for(&fee_id),
            usd("5.00"),
            Phase::Posted,
            TransferCode::ClientFee,
            "m",
            Utc::now(),
        ))
        .transfer(hold);
    run(&app, &movement).await.unwrap();
    let store = &app.stack.app.store;
    let totals = store.ledger_account(&client_account).await.unwrap();
    assert_eq!(totals.available(), usd("0").amount);
    assert_eq!(totals.debits_pending, usd("100").amount);
    // Spending more than what is left fails on the account, and nothing of it lands.
    let overdraw = Movement::new().transfer(posted(
        "overdraw",
        client_account.clone(),
        world.clone(),
        "0.01",
    ));
    assert_eq!(label(&run(&app, &overdraw).await), Some("account"));
    let report = store.audit_ledger().await.unwrap();
    assert!(report.balanced, "{report:?}");
    assert_eq!(report.transfers, 3);
}
