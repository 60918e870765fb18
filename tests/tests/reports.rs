//! Reports end to end on the local stack (PRODUCT §14): a freelancer with two clients and
//! three contracts — fixed price with Alice, hourly with Alice, fixed price with Bob — money
//! released, available, in review and in escrow, each step at its time with the schedules
//! fired at event times. Then every report, as JSON and as CSV: the CSV parsed back adds up
//! to the JSON totals, the totals equal the wallet and the ledger, each filter narrows
//! exactly, nobody reads what is not theirs, and bad requests are 422 problems.

use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use worklane::domain::report::csv;
use worklane_tests::{fixed_contract, hourly_contract, user_id, Reply, TestApp};

/// Commas, quotes and a line break: the CSV export must give it back exactly.
const TRICKY: &str = "Logo, \"final\" cut\nand icons; 50% = done";

struct Party {
    access: String,
    refresh: String,
    id: String,
}

struct World {
    app: TestApp,
    freelancer: Party,
    alice: Party,
    bob: Party,
    stranger: Party,
    /// Alice's fixed-price contract: one milestone of $600, released and available.
    with_alice: String,
    alice_milestone: String,
    /// Alice's hourly contract ($30/h): one week released, one in review, one open.
    hourly: String,
    /// Bob's fixed-price contract: $200 released (pending), $100 (`TRICKY`) in escrow.
    with_bob: String,
    bob_milestone: String,
    tricky: String,
}

fn t(raw: &str) -> chrono::DateTime<chrono::Utc> {
    raw.parse().unwrap()
}

fn manual(from: &str, slots: i64) -> Value {
    let segments: Vec<Value> = (0..slots)
        .map(|i| {
            let start = t(from) + chrono::Duration::minutes(10 * i);
            json!({"start": start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                   "manual": true, "memo": "Schema review, \"v2\""})
        })
        .collect();
    json!({ "segments": segments })
}

fn dec(value: &Value) -> Decimal {
    match value {
        Value::String(s) => s.parse().unwrap_or_else(|_| panic!("{s} is not a decimal")),
        Value::Number(n) => n.to_string().parse().unwrap(),
        other => panic!("{other} is not an amount"),
    }
}

fn d(raw: &str) -> Decimal {
    raw.parse().unwrap()
}

impl World {
    async fn new() -> World {
        let app = TestApp::spawn().await;
        app.set_clock("2026-11-30T08:00:00Z").await;
        let mut parties = Vec::new();
        for (email, roles) in [
            ("freelancer@example.com", &["freelancer"][..]),
            ("alice@example.com", &["client"][..]),
            ("bob@example.com", &["client"][..]),
            ("stranger@example.com", &["client", "freelancer"][..]),
        ] {
            let (access, refresh) = app.confirmed_user(email, roles).await;
            let id = user_id(&app, &access).await;
            parties.push(Party {
                access,
                refresh,
                id,
            });
        }
        let [freelancer, alice, bob, stranger] = <[Party; 4]>::try_from(parties).ok().unwrap();
        app.add_card(&alice.access).await;
        app.add_card(&bob.access).await;
        let (with_alice, alice_milestone) =
            fixed_contract(&app, &alice.access, &freelancer.access, "600.00").await;
        let hourly = hourly_contract(&app, &alice.access, &freelancer.access, 10).await;
        let (with_bob, bob_milestone) =
            fixed_contract(&app, &bob.access, &freelancer.access, "200.00").await;
        let tricky = app
            .post(
                &format!("/v1/contracts/{with_bob}/milestones"),
                Some(&bob.access),
                &json!({"description": TRICKY, "amount": {"amount": "100.00", "currency": "USD"}}),
            )
            .await;
        assert_eq!(tricky.status, 201, "{}", tricky.body);
        let tricky = tricky.body["id"].as_str().unwrap().to_string();
        World {
            app,
            freelancer,
            alice,
            bob,
            stranger,
            with_alice,
            alice_milestone,
            hourly,
            with_bob,
            bob_milestone,
            tricky,
        }
    }

    /// Moves the frozen clock and refreshes everyone's access token for the new time.
    async fn at(&mut self, now: &str) {
        self.app.set_clock(now).await;
        for party in [
            &mut self.freelancer,
            &mut self.alice,
            &mut self.bob,
            &mut self.stranger,
        ] {
            (party.access, party.refresh) = self.app.refresh(&party.refresh).await;
        }
    }

    async fn ok(&self, token: &str, path: &str, body: Value) -> Value {
        let reply = self.app.post(path, Some(token), &body).await;
        assert!(
            reply.status < 300,
            "{path}: {} {}",
            reply.status,
            reply.body
        );
        reply.body
    }

    /// Funded by the client, submitted and approved: released to the freelancer.
    async fn release(&self, client: &str, milestone: &str) {
        let path = |action: &str| format!("/v1/milestones/{milestone}/{action}");
        self.ok(client, &path("fund"), json!({})).await;
        let submit = json!({"message": "Done"});
        self.ok(&self.freelancer.access, &path("submit"), submit)
            .await;
        self.ok(client, &path("approve"), json!({})).await;
    }

    async fn log(&self, from: &str, slots: i64) {
        let path = format!("/v1/contracts/{}/time", self.hourly);
        self.ok(&self.freelancer.access, &path, manual(from, slots))
            .await;
    }

    async fn fire(&mut self, schedule: &str, time: &str) {
        self.at(time).await;
        let summary = self.app.fire(schedule, t(time)).await;
        assert_eq!(summary["applied"], 1, "{schedule} at {time}: {summary}");
    }

    async fn report(&self, who: &Party, report: &str, query: &str) -> Reply {
        self.app
            .get(
                &format!("/v1/me/reports/{report}?{query}"),
                Some(&who.access),
            )
            .await
    }

    async fn json(&self, who: &Party, report: &str, query: &str) -> Value {
        let reply = self.report(who, report, query).await;
        assert_eq!(reply.status, 200, "{report}?{query}: {}", reply.body);
        assert_eq!(reply.content_type(), "application/json");
        reply.body
    }

    /// The report as JSON and as CSV; the CSV parsed back must add up to the JSON totals.
    async fn both(&self, who: &Party, report: &str, query: &str) -> (Value, Vec<Vec<String>>) {
        let json = self.json(who, report, query).await;
        let reply = self
            .report(who, report, &format!("{query}&format=csv"))
            .await;
        assert_eq!(reply.status, 200, "{report}?{query}: {}", reply.body);
        assert_eq!(reply.content_type(), "text/csv; charset=utf-8");
        let disposition = reply.headers["content-disposition"].to_str().unwrap();
        assert!(
            disposition.starts_with(&format!("attachment; filename=\"worklane-{report}-")),
            "{disposition}"
        );
        let records = csv::parse(std::str::from_utf8(&reply.raw).unwrap()).unwrap();
        assert_csv_adds_up_to(&records, &json);
        (json, records)
    }
}

/// Every numeric column of the CSV sums to its totals cell, and every total of the JSON is
/// there with the same value (nested totals, like billings' `period`, flattened).
fn assert_csv_adds_up_to(records: &[Vec<String>], json: &Value) {
    let (header, rest) = records.split_first().expect("a header row");
    let (totals, rows) = rest.split_last().expect("a totals row");
    assert_eq!(totals[0], csv::TOTAL_LABEL);
    assert_eq!(rows.len(), json["items"].as_array().unwrap().len());
    let mut expected: BTreeMap<String, Decimal> = BTreeMap::new();
    for (name, value) in json["totals"].as_object().unwrap() {
        match value {
            Value::Object(inner) => {
                for (name, value) in inner {
                    expected.insert(name.clone(), dec(value));
                }
            }
            value => {
                expected.insert(name.clone(), dec(value));
            }
        }
    }
    let mut found = BTreeMap::new();
    for (i, column) in header.iter().enumerate().skip(1) {
        if totals[i].is_empty() {
            continue;
        }
        let total: Decimal = totals[i].parse().unwrap();
        let sum: Decimal = rows.iter().map(|r| r[i].parse::<Decimal>().unwrap()).sum();
        assert_eq!(sum, total, "column {column}");
        found.insert(column.clone(), total);
    }
    assert_eq!(found, expected, "CSV totals against JSON totals");
}

/// A report's item for a contract.
fn item<'a>(report: &'a Value, contract: &str) -> &'a Value {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["contract_id"] == contract)
        .unwrap_or_else(|| panic!("{contract} in {report}"))
}

fn amounts(value: &Value, columns: &[&str]) -> Vec<Decimal> {
    columns.iter().map(|c| dec(&value[*c])).collect()
}

const BUCKETS: [&str; 4] = ["pending", "in_review", "available", "withdrawing"];
const WHOLE: &str = "from=2026-11-01&to=2026-12-31";

/// Alice's fixed milestone released on the 7th (available on the 12th), her hourly weeks of
/// Nov 30 (1 h, released on the 12th) and Dec 7 (2 h, in review) and Dec 14 (30 min, open),
/// Bob's $200 released on the 10th and his $100 funded. It is Monday Dec 14, 13:00 UTC.
async fn world() -> World {
    let mut w = World::new().await;
    w.at("2026-12-01T12:00:00Z").await;
    w.log("2026-12-01T09:00:00Z", 6).await;
    w.at("2026-12-07T08:00:00Z").await;
    w.release(&w.alice.access, &w.alice_milestone).await;
    w.fire("weekly-billing-close", "2026-12-07T12:00:00Z").await;
    w.at("2026-12-08T12:00:00Z").await;
    w.log("2026-12-08T09:00:00Z", 12).await;
    w.at("2026-12-10T10:00:00Z").await;
    w.release(&w.bob.access, &w.bob_milestone).await;
    let fund = format!("/v1/milestones/{}/fund", w.tricky);
    w.ok(&w.bob.access, &fund, json!({})).await;
    w.fire("hourly-review-release", "2026-12-12T00:00:00Z")
        .await;
    w.fire("earnings-availability", "2026-12-12T09:00:00Z")
        .await;
    w.fire("weekly-billing-close", "2026-12-14T12:00:00Z").await;
    w.at("2026-12-14T13:00:00Z").await;
    w.log("2026-12-14T10:00:00Z", 3).await;
    w.app.assert_audit_clean().await;
    w
}

#[tokio::test]
async fn reports_add_up_to_the_wallet_and_the_ledger_and_filters_narrow_exactly() {
    let w = world().await;
    let freelancer = &w.freelancer;

    // The wallet: $600 − $110 fee available; Bob's $200 − $40 and the first week's
    // $30 − $3 (10%: the pair's billings passed $500) pending; the second week in review.
    let wallet = w.app.wallet(&freelancer.access).await;
    assert_eq!(
        amounts(&wallet, &BUCKETS),
        vec![d("187.00"), d("60.00"), d("490.00"), d("0.00")]
    );

    // Earnings overview over the whole history: the totals are the wallet, and so are the
    // balances, which the ledger's accounts hold.
    let (overview, _) = w.both(freelancer, "earnings", WHOLE).await;
    assert_eq!(overview["role"], "freelancer");
    assert_eq!(
        amounts(&overview["balances"], &BUCKETS),
        amounts(&wallet, &BUCKETS)
    );
    assert_eq!(
        amounts(&overview["totals"], &BUCKETS),
        amounts(&wallet, &BUCKETS)
    );
    let flows = ["earned", "service_fees", "net", "withdrawn"];
    assert_eq!(
        amounts(&overview["totals"], &flows),
        vec![d("830.00"), d("153.00"), d("677.00"), d("0.00")]
    );
    let per_contract = |contract: &str| amounts(&item(&overview, contract)["amounts"], &flows);
    assert_eq!(
        per_contract(&w.with_alice),
        vec![d("600.00"), d("110.00"), d("490.00"), d("0.00")]
    );
    assert_eq!(
        per_contract(&w.hourly),
        vec![d("30.00"), d("3.00"), d("27.00"), d("0.00")]
    );
    assert_eq!(
        per_contract(&w.with_bob),
        vec![d("200.00"), d("40.00"), d("160.00"), d("0.00")]
    );
    assert_eq!(item(&overview, &w.hourly)["client_id"], json!(w.alice.id));
    let store = &w.app.stack.app.store;
    let user = worklane::domain::ids::UserId::parse(&freelancer.id).unwrap();
    let ledger = store
        .ledger_account(&worklane::domain::ledger::AccountId::available(&user))
        .await
        .unwrap();
    assert_eq!(dec(&overview["balances"]["available"]), ledger.available());

    // Date ranges narrow exactly: the 7th is Alice's release and the first week's charge…
    let seventh = w
        .json(freelancer, "earnings", "from=2026-12-07&to=2026-12-07")
        .await;
    assert_eq!(seventh["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        amounts(
            &seventh["totals"],
            &[
                "earned",
                "service_fees",
                "pending",
                "in_review",
                "available"
            ]
        ),
        vec![d("600.00"), d("110.00"), d("490.00"), d("30.00"), d("0.00")]
    );
    // …the 10th is Bob's release alone, the 11th nothing.
    let tenth = w
        .json(freelancer, "earnings", "from=2026-12-10&to=2026-12-10")
        .await;
    assert_eq!(tenth["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        amounts(
            &item(&tenth, &w.with_bob)["amounts"],
            &["earned", "pending"]
        ),
        vec![d("200.00"), d("160.00")]
    );
    let eleventh = w
        .json(freelancer, "earnings", "from=2026-12-11&to=2026-12-11")
        .await;
    assert_eq!(eleventh["items"], json!([]));
    assert_eq!(dec(&eleventh["totals"]["earned"]), Decimal::ZERO);

    // By client and by contract.
    let bob_only = w
        .json(
            freelancer,
            "earnings",
            &format!("{WHOLE}&client={}", w.bob.id),
        )
        .await;
    assert_eq!(bob_only["items"].as_array().unwrap().len(), 1);
    assert_eq!(dec(&bob_only["totals"]["earned"]), d("200.00"));
    let alice_only = w
        .json(
            freelancer,
            "earnings",
            &format!("{WHOLE}&client={}", w.alice.id),
        )
        .await;
    assert_eq!(alice_only["items"].as_array().unwrap().len(), 2);
    assert_eq!(dec(&alice_only["totals"]["earned"]), d("630.00"));
    let hourly = w
        .json(
            freelancer,
            "earnings",
            &format!("{WHOLE}&contract={}", w.hourly),
        )
        .await;
    assert_eq!(hourly["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        amounts(&hourly["totals"], &["earned", "pending", "in_review"]),
        vec![d("30.00"), d("27.00"), d("60.00")]
    );
    assert_eq!(
        hourly["contract_id"],
        json!(w.hourly),
        "the filter is echoed"
    );

    // Transaction history: 13 transfers touch the freelancer's accounts; the CSV gives the
    // milestone's description back exactly.
    let (history, records) = w.both(freelancer, "transactions", WHOLE).await;
    assert_eq!(history["items"].as_array().unwrap().len(), 13);
    assert_eq!(
        amounts(&history["totals"], &BUCKETS),
        amounts(&wallet, &BUCKETS)
    );
    let column = |name: &str| records[0].iter().position(|h| h == name).unwrap();
    let funded: Vec<&Vec<String>> = records
        .iter()
        .filter(|r| r[column("reference")] == w.tricky)
        .collect();
    assert_eq!(
        funded.len(),
        1,
        "the freelancer sees the hold, not the client's charge"
    );
    assert_eq!(funded[0][column("description")], TRICKY);
    assert_eq!(funded[0][column("type")], "escrow");
    assert_eq!(funded[0][column("amount")], "100.00");
    assert_eq!(funded[0][column("client_id")], w.bob.id);
    let on_contract = w
        .json(
            freelancer,
            "transactions",
            &format!("{WHOLE}&contract={}", w.with_alice),
        )
        .await;
    // Funded, approved and priced at one frozen instant: compared as a set.
    let mut types: Vec<&str> = on_contract["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["type"].as_str().unwrap())
        .collect();
    types.sort();
    assert_eq!(
        types,
        vec!["availability", "escrow", "release", "service_fee"]
    );

    // Lifetime billings by client: the pair counters, equal to what was earned from each.
    let (billings, _) = w.both(freelancer, "billings-by-client", WHOLE).await;
    let rows = billings["items"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["client_id"], json!(w.alice.id), "largest first");
    assert_eq!(
        (
            rows[0]["contracts"].clone(),
            dec(&rows[0]["lifetime_billed"])
        ),
        (json!(2), d("630.00"))
    );
    assert_eq!(dec(&rows[0]["period"]["earned"]), d("630.00"));
    assert_eq!(
        (
            rows[1]["contracts"].clone(),
            dec(&rows[1]["lifetime_billed"])
        ),
        (json!(1), d("200.00"))
    );
    assert_eq!(
        dec(&billings["totals"]["lifetime_billed"]),
        dec(&overview["totals"]["earned"])
    );

    // Work in progress: Bob's $100 in escrow, the week in review (the wallet's in_review),
    // and 30 minutes of the open week at $30/h.
    let (wip, _) = w.both(freelancer, "work-in-progress", "").await;
    assert_eq!(wip["items"].as_array().unwrap().len(), 2);
    assert_eq!(dec(&item(&wip, &w.with_bob)["in_escrow"]), d("100.00"));
    let hourly_work = item(&wip, &w.hourly);
    assert_eq!(
        amounts(
            hourly_work,
            &[
                "weeks_in_review",
                "in_review",
                "unbilled_minutes",
                "unbilled"
            ]
        ),
        vec![d("1"), d("60.00"), d("30"), d("15.00")]
    );
    assert_eq!(dec(&wip["totals"]["in_review"]), dec(&wallet["in_review"]));

    // Timesheets: the three weeks of the hourly contract, each as it stands.
    let (sheets, _) = w
        .both(freelancer, "timesheets", "from=2026-11-30&to=2026-12-14")
        .await;
    let states: Vec<(&str, &str)> = sheets["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["week_start"].as_str().unwrap(),
                s["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![
            ("2026-11-30", "released"),
            ("2026-12-07", "in_review"),
            ("2026-12-14", "open")
        ]
    );
    assert_eq!(
        amounts(
            &sheets["totals"],
            &[
                "logged_minutes",
                "billable_minutes",
                "amount",
                "client_fee",
                "service_fee",
                "net"
            ]
        ),
        vec![
            d("210"),
            d("180"),
            d("90.00"),
            d("4.50"),
            d("3.00"),
            d("27.00")
        ]
    );
    let one_week = w
        .json(freelancer, "timesheets", "from=2026-12-07&to=2026-12-07")
        .await;
    assert_eq!(one_week["items"].as_array().unwrap().len(), 1);
    assert_eq!(dec(&one_week["totals"]["amount"]), d("60.00"));
    let fixed = w
        .json(
            freelancer,
            "timesheets",
            &format!("contract={}", w.with_alice),
        )
        .await;
    assert_eq!(fixed["items"], json!([]));
    let of_bob = w
        .json(
            freelancer,
            "timesheets",
            &format!("from=2026-11-30&to=2026-12-14&client={}", w.bob.id),
        )
        .await;
    assert_eq!(of_bob["items"], json!([]));
    w.app.assert_audit_clean().await;
}

#[tokio::test]
async fn a_client_sees_its_spending_and_the_tricky_memo_round_trips() {
    let w = world().await;
    let alice = &w.alice;
    let wallet = w.app.wallet(&alice.access).await;
    assert_eq!(
        amounts(&wallet, &["in_escrow", "available"]),
        vec![d("60.00"), d("0.00")]
    );

    // Alice paid $630 for $600 + $30 of work, plus 5% client fees; the second week is held.
    let (spent, _) = w.both(alice, "earnings", WHOLE).await;
    assert_eq!(
        spent["role"], "client",
        "a client-only account defaults to its side"
    );
    let columns = [
        "charged",
        "paid",
        "client_fees",
        "escrow_refunded",
        "in_escrow",
        "available",
    ];
    assert_eq!(
        amounts(&spent["totals"], &columns),
        vec![
            d("724.50"),
            d("630.00"),
            d("34.50"),
            d("0.00"),
            d("60.00"),
            d("0.00")
        ]
    );
    assert_eq!(
        amounts(&spent["balances"], &["in_escrow", "available"]),
        amounts(&wallet, &["in_escrow", "available"])
    );
    assert!(
        spent["totals"].get("earned").is_none(),
        "no freelancer columns"
    );
    assert_eq!(
        item(&spent, &w.hourly)["freelancer_id"],
        json!(w.freelancer.id)
    );

    // Work in progress is the wallet's escrow: Alice's held week; Bob's $100 milestone.
    let wip = w.json(alice, "work-in-progress", "").await;
    assert_eq!(
        dec(&wip["totals"]["in_escrow"]) + dec(&wip["totals"]["in_review"]),
        dec(&wallet["in_escrow"])
    );
    let bob_wip = w.json(&w.bob, "work-in-progress", "").await;
    assert_eq!(dec(&bob_wip["totals"]["in_escrow"]), d("100.00"));
    assert_eq!(
        dec(&bob_wip["totals"]["in_escrow"]),
        dec(&w.app.wallet(&w.bob.access).await["in_escrow"])
    );

    // Bob's transactions: the $100 milestone's charge, fee and escrow carry its description.
    let (history, records) = w.both(&w.bob, "transactions", WHOLE).await;
    assert_eq!(
        amounts(
            &history["totals"],
            &["charged", "paid", "client_fees", "in_escrow"]
        ),
        vec![d("315.00"), d("200.00"), d("15.00"), d("100.00")]
    );
    let column = |name: &str| records[0].iter().position(|h| h == name).unwrap();
    let mut tricky: Vec<(&str, &str)> = records
        .iter()
        .filter(|r| r[column("reference")] == w.tricky)
        .map(|r| {
            (
                r[column("type")].as_str(),
                r[column("description")].as_str(),
            )
        })
        .collect();
    tricky.sort();
    assert_eq!(
        tricky,
        vec![
            ("charge", TRICKY),
            ("client_fee", TRICKY),
            ("escrow", TRICKY)
        ]
    );
    assert!(
        !records[0].contains(&"client_id".to_string()),
        "a client's rows name the freelancer"
    );

    // Billings by freelancer for a client; the timesheets show the client fee.
    let billings = w.json(alice, "billings-by-client", WHOLE).await;
    assert_eq!(billings["items"].as_array().unwrap().len(), 1);
    assert_eq!(dec(&billings["items"][0]["lifetime_billed"]), d("630.00"));
    assert_eq!(
        dec(&billings["items"][0]["period"]["client_fees"]),
        d("34.50")
    );
    let (sheets, _) = w
        .both(alice, "timesheets", "from=2026-11-30&to=2026-12-14")
        .await;
    assert_eq!(dec(&sheets["totals"]["client_fee"]), d("4.50"));
    let by_freelancer = w
        .json(
            alice,
            "timesheets",
            &format!("freelancer={}", w.stranger.id),
        )
        .await;
    assert_eq!(by_freelancer["items"], json!([]));
}

#[tokio::test]
async fn nobody_reads_what_is_not_theirs_and_bad_requests_are_problems() {
    let w = world().await;
    let (freelancer, alice, stranger) = (&w.freelancer, &w.alice, &w.stranger);

    // Someone else's contract is not found, on either side and in every report.
    for report in ["earnings", "transactions", "timesheets", "work-in-progress"] {
        for role in ["freelancer", "client"] {
            let reply = w
                .report(
                    stranger,
                    report,
                    &format!("role={role}&contract={}", w.with_alice),
                )
                .await;
            assert_eq!(
                (reply.status, reply.code()),
                (404, "not_found"),
                "{report} {}",
                reply.body
            );
        }
    }
    // Filtering by someone else's client shows nothing of theirs.
    let theirs = w
        .json(
            stranger,
            "transactions",
            &format!("{WHOLE}&client={}", alice.id),
        )
        .await;
    assert_eq!(theirs["items"], json!([]));
    assert_eq!(dec(&theirs["totals"]["earned"]), Decimal::ZERO);
    // A side the account does not have is forbidden; a contract of the other side is named.
    let as_client = w.report(freelancer, "earnings", "role=client").await;
    assert_eq!((as_client.status, as_client.code()), (403, "forbidden"));
    let as_freelancer = w.report(alice, "earnings", "role=freelancer").await;
    assert_eq!(as_freelancer.status, 403);
    let unauthenticated = w.app.get("/v1/me/reports/earnings", None).await;
    assert_eq!(unauthenticated.status, 401);

    for (report, query, field) in [
        ("earnings", "from=2026-13-01", "from"),
        ("earnings", "from=2026-12-10&to=2026-12-01", "to"),
        ("transactions", "from=2025-01-01&to=2026-12-31", "to"),
        ("timesheets", "from=yesterday", "from"),
        ("earnings", "format=xml", "format"),
        ("work-in-progress", "from=2026-12-01", "from"),
        (
            "billings-by-client",
            &format!("contract={}", w.with_alice),
            "contract",
        ),
        ("transactions", "page=2", "page"),
        (
            "earnings",
            &format!("freelancer={}", freelancer.id),
            "freelancer",
        ),
        ("earnings", "client=alice", "client"),
    ] {
        let reply = w.report(freelancer, report, query).await;
        assert_eq!(
            (reply.status, reply.code(), reply.content_type()),
            (422, "validation_failed", "application/problem+json"),
            "{report}?{query}: {}",
            reply.body
        );
        assert_eq!(reply.body["errors"][0]["field"], field, "{report}?{query}");
    }
    let send = w
        .app
        .send(
            Method::POST,
            "/v1/me/reports/earnings",
            Some(&freelancer.access),
            None,
            &[],
        )
        .await;
    assert_eq!(send.status, 405);
}
