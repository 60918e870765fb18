//! The seeded fault simulation of fixed-price escrow (tests/tests/escrow_faults.rs runs it,
//! `bench-faults` sweeps seeds with it): escrow steps against real DynamoDB Local with
//! injected transaction conflicts and "committed but the response was lost" failures,
//! client retries (same Idempotency-Key), duplicate deliveries and schedule re-runs.
//!
//! A run replays exactly from its seed. The mix is split into worlds, each with its own
//! table, client and freelancer, run on a thread of its own; inside a world one operation
//! runs at a time, and which contract acts next, on which milestone, doing what, at what
//! (virtual) time, is drawn from the world's seed, as are the world's ids
//! (`domain::ids::draw_ids_from`) and its faults. Worlds share nothing, so running them in
//! parallel changes nothing in any world's trace: the order of operations and their
//! outcomes, folded into a digest that two runs of one seed must agree on.

use crate::bench::inproc::{fixed_contract, test_card, text, InProc, Party};
use crate::services::LocalServices;
use crate::stack::Stack;
use anyhow::{anyhow, ensure, Context, Result};
use chrono::{DateTime, Duration, TimeZone, Utc};
use http::Method;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use worklane::domain::account::Role;
use worklane::domain::contract::MilestoneState;
use worklane::domain::ids::{draw_ids_from, MilestoneId};
use worklane::domain::ledger::{AccountId, Phase, TransferCode};
use worklane::lambda::ScheduleFunction;
use worklane::store::escrow::escrow_transfer_id;
use worklane::store::{FaultInjector, Store};

/// The shape of a run.
#[derive(Clone, Debug)]
pub struct Mix {
    pub seed: u64,
    /// Independent worlds, run in parallel.
    pub worlds: usize,
    /// Contracts per world: the actors whose steps the seed interleaves.
    pub contracts: usize,
    pub milestones_per_contract: usize,
    /// Operations per world.
    pub operations: usize,
    pub conflict_rate: f64,
    pub lost_response_rate: f64,
}

impl Mix {
    /// The benchmark's run (`bench-faults`): 10,000 operations over 8 worlds × 2 contracts
    /// × 20 milestones.
    pub fn standard(seed: u64) -> Self {
        Self {
            seed,
            worlds: 8,
            contracts: 2,
            milestones_per_contract: 20,
            operations: 1_250,
            conflict_rate: 0.08,
            lost_response_rate: 0.05,
        }
    }

    /// The test suite's run: the same rates and shape on a quarter of the operations (2,500
    /// over 4 worlds), about two minutes of a 2-core CI machine instead of seven; the
    /// benchmark keeps running the full 10,000.
    pub fn ci(seed: u64) -> Self {
        Self {
            worlds: 4,
            operations: 625,
            ..Self::standard(seed)
        }
    }
}

/// What one world did.
#[derive(Clone, Debug)]
pub struct WorldOutcome {
    /// One line per operation and outcome, in order.
    pub trace: Vec<String>,
    pub digest: u64,
    pub states: BTreeMap<String, usize>,
    pub transfers: usize,
    pub conflicts: u64,
    pub lost_responses: u64,
    /// Creating the world's stack, parties, contracts and milestones.
    pub setup: std::time::Duration,
    pub elapsed: std::time::Duration,
}

/// What a whole run did: its worlds in order.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub worlds: Vec<WorldOutcome>,
    pub elapsed: std::time::Duration,
}

impl Outcome {
    pub fn digest(&self) -> u64 {
        self.worlds
            .iter()
            .fold(0, |digest, w| fold(digest, &format!("{:016x}", w.digest)))
    }

    pub fn states(&self) -> BTreeMap<String, usize> {
        let mut all = BTreeMap::new();
        for world in &self.worlds {
            for (state, n) in &world.states {
                *all.entry(state.clone()).or_default() += n;
            }
        }
        all
    }

    pub fn conflicts(&self) -> u64 {
        self.worlds.iter().map(|w| w.conflicts).sum()
    }

    pub fn lost_responses(&self) -> u64 {
        self.worlds.iter().map(|w| w.lost_responses).sum()
    }

    pub fn transfers(&self) -> usize {
        self.worlds.iter().map(|w| w.transfers).sum()
    }

    /// The first operation where two runs part, for a failure message.
    pub fn first_difference(&self, other: &Outcome) -> Option<String> {
        for (i, (a, b)) in self.worlds.iter().zip(&other.worlds).enumerate() {
            if let Some((x, y)) = a.trace.iter().zip(&b.trace).find(|(x, y)| x != y) {
                return Some(format!("world {i}: {x:?} vs {y:?}"));
            }
            if a.trace.len() != b.trace.len() {
                return Some(format!(
                    "world {i}: {} vs {} lines",
                    a.trace.len(),
                    b.trace.len()
                ));
            }
        }
        None
    }
}

fn fold(digest: u64, line: &str) -> u64 {
    worklane::security::stable_hash(&format!("{digest:016x} {line}"))
}

/// When every world starts; each operation is 10 ms of virtual time after the previous.
fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .expect("a valid instant")
}

/// Runs `mix`: every world on its own thread and runtime, so nothing a world draws depends
/// on another's progress.
pub fn run(services: &LocalServices, mix: &Mix) -> Result<Outcome> {
    let started = std::time::Instant::now();
    let worlds = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..mix.worlds)
            .map(|world| {
                scope.spawn(move || {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .context("a runtime per world")?
                        .block_on(run_world(services, mix, world))
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().map_err(|_| anyhow!("a world panicked"))?)
            .collect::<Result<Vec<_>>>()
    })?;
    Ok(Outcome {
        worlds,
        elapsed: started.elapsed(),
    })
}

/// The seed of world `world`'s streams (`what` tells the streams of one world apart).
fn seed_of(mix: &Mix, world: usize, what: u64) -> u64 {
    worklane::security::stable_hash(&format!("{}:{world}:{what}", mix.seed))
}

struct World {
    api: InProc,
    client: Party,
    freelancer: Party,
    trace: Vec<String>,
    digest: u64,
}

impl World {
    fn record(&mut self, line: String) {
        self.digest = fold(self.digest, &line);
        self.trace.push(line);
    }

    /// One request, as a client sends it: the same key again on a 5xx, a few times.
    async fn request(
        &mut self,
        by_client: bool,
        path: &str,
        body: &Value,
        key: &str,
        now: DateTime<Utc>,
    ) -> (u16, Value) {
        let mut outcome = (0, Value::Null);
        for _ in 0..6 {
            let party = if by_client {
                &mut self.client
            } else {
                &mut self.freelancer
            };
            let token = party.at(&self.api, now).to_string();
            let reply = self
                .api
                .send(Method::POST, path, Some(&token), Some(body), Some(key), now)
                .await;
            outcome = (reply.status, reply.body);
            if outcome.0 < 500 {
                break;
            }
        }
        outcome
    }

    /// A schedule that failed is run again, as EventBridge retries it.
    async fn schedule(&mut self, name: &str, function: ScheduleFunction, time: DateTime<Utc>) {
        let mut line = format!("{name}@{} failed", time.to_rfc3339());
        for _ in 0..6 {
            if let Ok(s) = function.run(&self.api.app, time).await {
                line = format!(
                    "{name}@{} examined {} applied {} skipped {}",
                    time.to_rfc3339(),
                    s.examined,
                    s.applied,
                    s.skipped
                );
                break;
            }
        }
        self.record(line);
    }
}

/// What a step's answer says, as far as the trace goes: the status, the problem's code, and
/// the milestone's state and version, or what a release paid.
fn summary(status: u16, body: &Value) -> String {
    let field = |name: &str| match &body[name] {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    format!(
        "{status} {} {} v{} {}",
        field("code"),
        field("state"),
        field("version"),
        field("release")
    )
}

async fn run_world(services: &LocalServices, mix: &Mix, world: usize) -> Result<WorldOutcome> {
    draw_ids_from(Some(seed_of(mix, world, 0)));
    let outcome = simulate(services, mix, world).await;
    draw_ids_from(None);
    outcome
}

async fn simulate(services: &LocalServices, mix: &Mix, world: usize) -> Result<WorldOutcome> {
    let started = std::time::Instant::now();
    let prefix = format!(
        "faults{:x}w{world}{}",
        mix.seed & 0xffff,
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let stack = Arc::new(Stack::create(services, &prefix).await?);
    let api = InProc::new(stack.app.clone());
    let now = epoch();
    let client = api.signed_up("faults-client", Role::Client, now).await?;
    let freelancer = api
        .signed_up("faults-freelancer", Role::Freelancer, now)
        .await?;
    api.post("/v1/me/billing-methods", &client.token, &test_card(), now)
        .await
        .expect(201, "card")?;
    let mut rng = StdRng::seed_from_u64(seed_of(mix, world, 1));
    let mut contracts: Vec<Vec<MilestoneId>> = Vec::new();
    for _ in 0..mix.contracts {
        let (contract, first) = fixed_contract(&api, &client, &freelancer, now).await?;
        let mut milestones = vec![MilestoneId::parse(&first).ok_or_else(|| anyhow!("an id"))?];
        while milestones.len() < mix.milestones_per_contract {
            let cents: i64 = rng.gen_range(500..200_000);
            let amount = rust_decimal::Decimal::new(cents, 2).to_string();
            let added = api
                .post(
                    &format!("/v1/contracts/{contract}/milestones"),
                    &client.token,
                    &json!({"description": "Another milestone",
                        "amount": {"amount": amount, "currency": "USD"}}),
                    now,
                )
                .await
                .expect(201, "milestone")?;
            milestones
                .push(MilestoneId::parse(&text(&added, "id")?).ok_or_else(|| anyhow!("an id"))?);
        }
        contracts.push(milestones);
    }

    let setup = started.elapsed();
    let faults = Arc::new(FaultInjector::new(
        seed_of(mix, world, 2),
        mix.conflict_rate,
        mix.lost_response_rate,
    ));
    let store = stack.app.store.clone();
    let mut faulty = stack.app.clone();
    faulty.store = store.with_faults(faults.clone());
    let mut w = World {
        api: InProc::new(faulty),
        client,
        freelancer,
        trace: Vec::new(),
        digest: 0,
    };
    let mut last: Option<(String, Value, String, bool)> = None;
    for op in 0..mix.operations {
        let now = epoch() + Duration::milliseconds(10 * (op as i64 + 1));
        // The interleaving: which contract acts next is the seed's choice.
        let contract = rng.gen_range(0..contracts.len());
        let index = rng.gen_range(0..contracts[contract].len());
        let milestone = contracts[contract][index].clone();
        let key = format!("w{world}-op{op}");
        let (action, body, by_client) = match rng.gen_range(0..100) {
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
                let at = epoch() + Duration::days(rng.gen_range(0..40));
                w.schedule("auto-release", worklane_escrow::ESCROW_AUTO_RELEASE, at)
                    .await;
                continue;
            }
            83..=89 => {
                let at = epoch() + Duration::days(rng.gen_range(0..60));
                w.schedule("availability", worklane_escrow::EARNINGS_AVAILABILITY, at)
                    .await;
                continue;
            }
            _ => {
                // A duplicate delivery of the previous request, same key and body.
                if let Some((path, body, key, by_client)) = &last {
                    let (status, answer) = w.request(*by_client, path, body, key, now).await;
                    w.record(format!("{op} again {key}: {}", summary(status, &answer)));
                }
                continue;
            }
        };
        let path = format!("/v1/milestones/{milestone}/{action}");
        let (status, answer) = w.request(by_client, &path, &body, &key, now).await;
        ensure!(status < 500 || status == 503, "{path}: {status} {answer}");
        w.record(format!(
            "{op} c{contract} m{index} {action} {body}: {}",
            summary(status, &answer)
        ));
        last = Some((path, body, key, by_client));
    }
    // Let every due item mature, so the end state is settled.
    let end = epoch() + Duration::days(100);
    w.schedule("auto-release", worklane_escrow::ESCROW_AUTO_RELEASE, end)
        .await;
    w.schedule(
        "availability",
        worklane_escrow::EARNINGS_AVAILABILITY,
        end + Duration::days(100),
    )
    .await;

    let report = store.audit_ledger().await?;
    ensure!(report.balanced, "world {world}: {report:?}");
    let states = check_money(&store, &contracts).await?;
    check_holds_once(&store, &w.client.id).await?;
    w.record(format!(
        "end: {} transfers, {states:?}, {} conflicts, {} lost responses",
        report.transfers,
        faults.conflicts.load(Relaxed),
        faults.lost_responses.load(Relaxed)
    ));
    Ok(WorldOutcome {
        trace: w.trace,
        digest: w.digest,
        states,
        transfers: report.transfers,
        conflicts: faults.conflicts.load(Relaxed),
        lost_responses: faults.lost_responses.load(Relaxed),
        setup,
        elapsed: started.elapsed(),
    })
}

/// Every milestone's money matches its state; returns how many are in each state.
async fn check_money(
    store: &Store,
    contracts: &[Vec<MilestoneId>],
) -> Result<BTreeMap<String, usize>> {
    let mut states: BTreeMap<String, usize> = BTreeMap::new();
    for id in contracts.iter().flatten() {
        let milestone = store
            .milestone(id)
            .await?
            .ok_or_else(|| anyhow!("{id} is gone"))?;
        *states.entry(format!("{:?}", milestone.state)).or_default() += 1;
        let hold = store.transfer(&escrow_transfer_id(&milestone)).await?;
        match milestone.state {
            MilestoneState::Unfunded => ensure!(hold.is_none(), "{id}: unfunded but held"),
            MilestoneState::Funded
            | MilestoneState::Submitted
            | MilestoneState::ChangesRequested => {
                let hold = hold.ok_or_else(|| anyhow!("{id}: funded without its hold"))?;
                ensure!(
                    hold.settled_by.is_none(),
                    "{id}: open milestone with a settled hold"
                );
            }
            MilestoneState::Released | MilestoneState::Refunded => {
                let hold = hold.ok_or_else(|| anyhow!("{id}: settled without a hold"))?;
                let by = hold
                    .settled_by
                    .as_ref()
                    .ok_or_else(|| anyhow!("{id}: settled milestone, open hold"))?;
                let settlement = store
                    .transfer(by)
                    .await?
                    .ok_or_else(|| anyhow!("{id}: no settlement {by}"))?
                    .transfer;
                let expected = if milestone.state == MilestoneState::Released {
                    Phase::PostPending
                } else {
                    Phase::VoidPending
                };
                ensure!(settlement.phase == expected, "{id}: {:?}", settlement.phase);
            }
            MilestoneState::Disputed => anyhow::bail!("{id}: no disputes in this mix"),
        }
    }
    Ok(states)
}

/// Every escrow hold exists once per milestone that was ever funded, never twice.
async fn check_holds_once(store: &Store, client: &worklane::domain::ids::UserId) -> Result<()> {
    let account = [AccountId::client(client)];
    let mut holds: BTreeMap<String, usize> = BTreeMap::new();
    let mut before: Option<String> = None;
    loop {
        let page = store
            .account_transfers(&account, before.as_deref(), 200)
            .await?;
        let Some(last) = page.last() else { break };
        before = Some(Store::transfer_position(last));
        for transfer in page.iter().filter(|t| t.code == TransferCode::Escrow) {
            *holds.entry(transfer.reference.clone()).or_default() += 1;
        }
    }
    ensure!(holds.values().all(|n| *n == 1), "{holds:?}");
    Ok(())
}
