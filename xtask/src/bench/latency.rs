//! Latency through the local API server (a separate process): a full fixed-price lifecycle,
//! repeated, and a proposal storm; each step set against its DynamoDB floor.

use super::api_client::{ApiClient, User};
use super::counting::Call;
use super::floor::{floor_of, Kind};
use super::inproc::{feedback, fixed_job, hourly_job, proposal, test_card, unique_email, PASSWORD};
use super::report::{Latency, StepLatency, Storm};
use super::stats::Summary;
use super::Budget;
use anyhow::Result;
use chrono::{Duration as ChronoDuration, DurationRound, Utc};
use futures::stream::{self, StreamExt};
use reqwest::Method;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Signs up, confirms (token from the dev mailbox) and logs in; the three answers' times.
pub async fn account(api: &ApiClient, role: &str) -> Result<(User, [f64; 3])> {
    let email = unique_email(&format!("lat-{role}"));
    let signup = api
        .post(
            "/v1/auth/signup",
            None,
            &json!({"email": email, "password": PASSWORD, "name": "Bench", "roles": [role]}),
        )
        .await?
        .expect(201, "signup")?;
    let token = api.confirmation_token(&email).await?;
    let confirm = api
        .post("/v1/auth/confirm", None, &json!({ "token": token }))
        .await?
        .expect(200, "confirm")?;
    let login = api.login(&email).await?;
    Ok((
        User {
            id: signup.text("id")?,
            email,
            access: login.text("access_token")?,
        },
        [signup.ms, confirm.ms, login.ms],
    ))
}

#[derive(Default)]
struct Steps {
    order: Vec<String>,
    times: BTreeMap<String, Vec<f64>>,
}

impl Steps {
    fn add(&mut self, step: &str, ms: f64) {
        if !self.times.contains_key(step) {
            self.order.push(step.to_string());
        }
        self.times.entry(step.to_string()).or_default().push(ms);
    }
}

/// What the lifecycles leave for the load test to read.
#[derive(Default)]
pub struct Leftovers {
    pub jobs: Vec<String>,
    pub contracts: Vec<String>,
    pub client: Option<User>,
    pub freelancer: Option<User>,
}

async fn lifecycle(
    api: &ApiClient,
    client: &mut User,
    client_login: &mut Instant,
    steps: &mut Steps,
    leftovers: &mut Leftovers,
) -> Result<()> {
    // Access tokens live 15 minutes.
    if client_login.elapsed() > Duration::from_secs(600) {
        client.access = api.login(&client.email).await?.text("access_token")?;
        *client_login = Instant::now();
    }
    let (freelancer, [signup, confirm, login]) = account(api, "freelancer").await?;
    steps.add("signup (freelancer)", signup);
    steps.add("confirm email", confirm);
    steps.add("login", login);
    let (c, f) = (
        Some(client.access.as_str()),
        Some(freelancer.access.as_str()),
    );
    let job = api
        .post("/v1/jobs", c, &fixed_job())
        .await?
        .expect(201, "job")?;
    steps.add("post job", job.ms);
    let job_id = job.text("id")?;
    let proposed = api
        .post(&format!("/v1/jobs/{job_id}/proposals"), f, &proposal())
        .await?
        .expect(201, "proposal")?;
    steps.add("submit proposal", proposed.ms);
    let offer = json!({"proposal_id": proposed.body["id"], "job_id": job_id,
        "freelancer_id": freelancer.id, "type": "fixed",
        "milestones": [{"description": "First", "amount": {"amount": "250.00", "currency": "USD"}}]});
    let offer = api
        .post("/v1/offers", c, &offer)
        .await?
        .expect(201, "offer")?;
    steps.add("send offer", offer.ms);
    let accepted = api
        .post(
            &format!("/v1/offers/{}/accept", offer.text("id")?),
            f,
            &json!({}),
        )
        .await?
        .expect(200, "accept")?;
    steps.add("accept offer", accepted.ms);
    let contract = accepted.text("contract_id")?;
    let milestone = format!(
        "/v1/milestones/{}",
        super::inproc::text(&accepted.body["milestones"][0], "id")?
    );
    for (name, token, action, body) in [
        ("fund milestone", c, "fund", json!({})),
        (
            "submit work",
            f,
            "submit",
            json!({"message": "Done, see the PR."}),
        ),
        ("approve (release)", c, "approve", json!({})),
    ] {
        let answer = api
            .post(&format!("{milestone}/{action}"), token, &body)
            .await?
            .expect(200, name)?;
        steps.add(name, answer.ms);
    }
    let ended = api
        .post(&format!("/v1/contracts/{contract}/end"), c, &json!({}))
        .await?
        .expect(200, "end")?;
    steps.add("end contract", ended.ms);
    let path = format!("/v1/contracts/{contract}/feedback");
    let first = api
        .post(&path, c, &feedback())
        .await?
        .expect(201, "feedback")?;
    steps.add("leave feedback (first)", first.ms);
    let second = api
        .post(&path, f, &feedback())
        .await?
        .expect(201, "feedback")?;
    steps.add("leave feedback (second: reveals both)", second.ms);

    // An hourly contract, and a slot logged half an hour later: the server's clock is moved
    // there (`PUT /_dev/clock`) and back, and the freelancer logs in at that time.
    let job = api
        .post("/v1/jobs", c, &hourly_job())
        .await?
        .expect(201, "hourly job")?;
    let offer = json!({"job_id": job.body["id"], "freelancer_id": freelancer.id,
        "type": "hourly", "hourly_rate": {"amount": "30.00", "currency": "USD"},
        "weekly_limit_hours": 40, "manual_time_allowed": true});
    let offer = api
        .post("/v1/offers", c, &offer)
        .await?
        .expect(201, "hourly offer")?;
    let accepted = api
        .post(
            &format!("/v1/offers/{}/accept", offer.text("id")?),
            f,
            &json!({}),
        )
        .await?
        .expect(200, "hourly accept")?;
    let slot =
        Utc::now().duration_trunc(ChronoDuration::minutes(10))? + ChronoDuration::minutes(10);
    let later = slot + ChronoDuration::minutes(30);
    api.send(
        Method::PUT,
        "/_dev/clock",
        None,
        Some(&json!({"now": later.to_rfc3339()})),
    )
    .await?
    .expect(200, "clock")?;
    let logged = async {
        let token = api.login(&freelancer.email).await?.text("access_token")?;
        let segment = json!({"segments": [{"start": slot.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "manual": true, "memo": "Call with the client about the schema"}]});
        let answer = api
            .post(
                &format!("/v1/contracts/{}/time", accepted.text("contract_id")?),
                Some(&token),
                &segment,
            )
            .await?;
        anyhow::ensure!(
            matches!(answer.status, 200 | 201),
            "log time: {}: {}",
            answer.status,
            answer.body
        );
        Ok::<f64, anyhow::Error>(answer.ms)
    }
    .await;
    api.send(Method::DELETE, "/_dev/clock", None, None).await?;
    steps.add("log time", logged?);

    leftovers.jobs.push(job_id);
    leftovers.contracts.push(contract);
    leftovers.freelancer = Some(freelancer);
    Ok(())
}

pub struct Plan {
    pub lifecycles: usize,
    pub storm_freelancers: usize,
    pub storm_concurrency: usize,
}

/// Runs the lifecycles, then the storm, within `budget`.
pub async fn run(
    api: &ApiClient,
    plan: &Plan,
    trips: &BTreeMap<String, Vec<Call>>,
    floor: &BTreeMap<Kind, Summary>,
    budget: &Budget,
) -> Result<(Latency, Leftovers, bool)> {
    let mut notes = Vec::new();
    let mut steps = Steps::default();
    let mut leftovers = Leftovers::default();
    let mut complete = true;
    let (mut client, _) = account(api, "client").await?;
    let mut client_login = Instant::now();
    api.post("/v1/me/billing-methods", Some(&client.access), &test_card())
        .await?
        .expect(201, "card")?;
    // Everything runs once before it is timed: the first request of each kind pays for
    // connections and lazily built state that no later one does.
    let mut warmup = Steps::default();
    lifecycle(
        api,
        &mut client,
        &mut client_login,
        &mut warmup,
        &mut leftovers,
    )
    .await?;
    let mut done = 0;
    // The storm needs its share of the budget.
    let storm_reserve = budget.total().mul_f64(0.35);
    for _ in 0..plan.lifecycles {
        if budget.remaining() < storm_reserve {
            complete = false;
            notes.push(format!(
                "Lifecycles stopped at the time budget after {done} of {}.",
                plan.lifecycles
            ));
            break;
        }
        lifecycle(
            api,
            &mut client,
            &mut client_login,
            &mut steps,
            &mut leftovers,
        )
        .await?;
        done += 1;
    }
    let rows = steps
        .order
        .iter()
        .filter_map(|step| {
            let latency = Summary::of(&steps.times[step])?;
            let calls = trips.get(step);
            Some(StepLatency {
                step: step.clone(),
                latency_ms: latency,
                calls: calls
                    .map(|c| super::counting::Tally::of(c).describe())
                    .unwrap_or_else(|| "–".into()),
                floor_ms: calls.and_then(|c| floor_of(c, floor)),
            })
        })
        .collect();

    let storm = if budget.expired() {
        complete = false;
        notes.push("Proposal storm skipped: no time left in the budget.".into());
        None
    } else {
        let (storm, storm_complete) = storm(api, &client, plan, trips, floor, budget).await?;
        complete &= storm_complete;
        if !storm_complete {
            notes.push("The storm's freelancers were cut short by the time budget.".into());
        }
        Some(storm)
    };
    notes.push(
        "Each lifecycle: a new freelancer signs up, confirms and logs in; the client (one for \
         all, with a card) posts a job; the freelancer proposes; the client offers, the \
         freelancer accepts; fund, submit, approve; the client ends the contract; both leave \
         feedback; then an hourly contract and one logged slot. One untimed lifecycle first."
            .into(),
    );
    notes.push(
        "DynamoDB Local gets slower as it holds more data (earlier sections wrote thousands of \
         items into it), so the floor is measured right before the lifecycles, in the same \
         state; a transaction costs it a few milliseconds per item, which is why the steps \
         with big transactions have the highest floors. In the storm, the wall time stays \
         close to the proposals' floors added one after another: DynamoDB Local, not the API, \
         sets the pace when requests contend."
            .into(),
    );
    notes.push(
        "Signup and login hash or verify the password with argon2id on purpose (tens of \
         milliseconds of CPU): their time over the floor is mostly that."
            .into(),
    );
    leftovers.client = Some(client);
    Ok((
        Latency {
            mode: "Requests go through the local API server (xtask/src/server.rs) in a process \
                   of its own, over HTTP on loopback, with events delivered beside it (the \
                   pump every 250 ms, as Lambda's event sources run beside API Gateway) rather \
                   than before each answer as `worklane-local` does for tests."
                .into(),
            lifecycles: done,
            steps: rows,
            storm,
            floor: super::floor::as_rows(floor),
            notes,
        },
        leftovers,
        complete,
    ))
}

async fn storm(
    api: &ApiClient,
    client: &User,
    plan: &Plan,
    trips: &BTreeMap<String, Vec<Call>>,
    floor: &BTreeMap<Kind, Summary>,
    budget: &Budget,
) -> Result<(Storm, bool)> {
    let job = api
        .post("/v1/jobs", Some(&client.access), &fixed_job())
        .await?
        .expect(201, "storm job")?;
    let job_id = job.text("id")?;
    // The freelancers sign up a few at a time (argon2 is deliberately expensive).
    let mut freelancers = Vec::new();
    let mut complete = true;
    let mut accounts = stream::iter(0..plan.storm_freelancers)
        .map(|_| account(api, "freelancer"))
        .buffer_unordered(4);
    while let Some(account) = accounts.next().await {
        freelancers.push(account?.0);
        if budget.remaining() < budget.total().mul_f64(0.1) {
            complete = false;
            break;
        }
    }
    drop(accounts);
    let path = format!("/v1/jobs/{job_id}/proposals");
    let started = Instant::now();
    let results: Vec<Result<(u16, f64)>> = stream::iter(freelancers.iter())
        .map(|f| {
            let path = path.clone();
            async move {
                let answer = api.post(&path, Some(&f.access), &proposal()).await?;
                Ok((answer.status, answer.ms))
            }
        })
        .buffer_unordered(plan.storm_concurrency)
        .collect()
        .await;
    let wall = started.elapsed().as_secs_f64();
    let ok: Vec<f64> = results
        .iter()
        .filter_map(|r| match r {
            Ok((201, ms)) => Some(*ms),
            _ => None,
        })
        .collect();
    Ok((
        Storm {
            proposals: results.len(),
            concurrency: plan.storm_concurrency,
            wall_seconds: wall,
            per_second: ok.len() as f64 / wall.max(f64::EPSILON),
            latency_ms: Summary::of(&ok),
            errors: results.len() - ok.len(),
            floor_ms: trips
                .get("submit proposal")
                .and_then(|c| floor_of(c, floor)),
        },
        complete,
    ))
}
