//! Round trips per workflow step: a whole fixed-price lifecycle and a logged hour, driven
//! in-process through the router, with every AWS client of the app counting its requests.

use super::counting::{Call, CallLog, Tally};
use super::inproc::{
    feedback, fixed_job, hourly_job, proposal, test_card, text, unique_email, InProc, Party, Reply,
    PASSWORD,
};
use super::report::{RoundTrips, StepTrips};
use super::stats::Summary;
use super::Budget;
use crate::stack::Stack;
use anyhow::{anyhow, Result};
use chrono::{DateTime, Duration, DurationRound, Utc};
use http::Method;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use worklane::domain::account::Role;
use worklane::domain::ids::UserId;

/// The calls of each run of each step, in the order the steps first ran.
#[derive(Default)]
struct Recorder {
    order: Vec<(&'static str, &'static str)>,
    plain: BTreeMap<&'static str, Vec<Vec<Call>>>,
    keyed: BTreeMap<&'static str, Vec<Vec<Call>>>,
}

/// One run of the workflow: with or without an Idempotency-Key on every POST.
struct Run<'a> {
    api: &'a InProc,
    log: &'a CallLog,
    stack: &'a Stack,
    recorder: &'a mut Recorder,
    keyed: bool,
}

impl Run<'_> {
    /// Sends one request as step `name` and records the calls it made.
    async fn step(
        &mut self,
        name: &'static str,
        actor: &'static str,
        path: &str,
        token: Option<&str>,
        body: &Value,
        now: DateTime<Utc>,
    ) -> Reply {
        let key = self.keyed.then(|| ulid::Ulid::new().to_string());
        self.log.take();
        let reply = self
            .api
            .send(Method::POST, path, token, Some(body), key.as_deref(), now)
            .await;
        let calls = self.log.take();
        if !self.recorder.order.iter().any(|(n, _)| *n == name) {
            self.recorder.order.push((name, actor));
        }
        let runs = if self.keyed {
            &mut self.recorder.keyed
        } else {
            &mut self.recorder.plain
        };
        runs.entry(name).or_default().push(calls);
        reply
    }

    /// Signs up, confirms with the emailed token and logs in, each a step.
    async fn account(&mut self, role: Role, now: DateTime<Utc>) -> Result<Party> {
        let email = unique_email("trips");
        let (signup, actor) = match role {
            Role::Freelancer => ("signup (freelancer)", "user"),
            _ => ("signup (client)", "user"),
        };
        let body = json!({"email": email, "password": PASSWORD, "name": "Bench", "roles": [role]});
        let user = self
            .step(signup, "anyone", "/v1/auth/signup", None, &body, now)
            .await
            .expect(201, signup)?;
        // The confirmation email goes out through the outbox → bus → notifications worker.
        self.stack.pump.settle().await?;
        let mail = worklane::mail::dev_mailbox(&self.stack.app.store, &email, 10).await?;
        let token = mail
            .first()
            .and_then(|m| {
                m.text
                    .lines()
                    .find_map(|l| l.strip_prefix("Confirmation token: "))
            })
            .ok_or_else(|| anyhow!("no confirmation email for {email}"))?
            .trim()
            .to_string();
        self.step(
            "confirm email",
            actor,
            "/v1/auth/confirm",
            None,
            &json!({ "token": token }),
            now,
        )
        .await
        .expect(200, "confirm")?;
        self.step(
            "login",
            actor,
            "/v1/auth/login",
            None,
            &json!({"email": email, "password": PASSWORD}),
            now,
        )
        .await
        .expect(200, "login")?;
        let id = UserId::parse(&text(&user, "id")?).ok_or_else(|| anyhow!("a user id"))?;
        Ok(Party {
            token: self.api.token(&id, vec![role], now),
            id,
            role,
        })
    }

    async fn workflow(&mut self) -> Result<()> {
        let now = Utc::now()
            .duration_trunc(Duration::seconds(1))
            .unwrap_or_else(|_| Utc::now());
        let client = self.account(Role::Client, now).await?;
        let freelancer = self.account(Role::Freelancer, now).await?;
        let (c, f) = (Some(client.token.as_str()), Some(freelancer.token.as_str()));
        self.step(
            "add billing method",
            "client",
            "/v1/me/billing-methods",
            c,
            &test_card(),
            now,
        )
        .await
        .expect(201, "card")?;
        let job = self
            .step("post job", "client", "/v1/jobs", c, &fixed_job(), now)
            .await
            .expect(201, "job")?;
        let job_id = text(&job, "id")?;
        let proposed = self
            .step(
                "submit proposal",
                "freelancer",
                &format!("/v1/jobs/{job_id}/proposals"),
                f,
                &proposal(),
                now,
            )
            .await
            .expect(201, "proposal")?;
        let offer = json!({"proposal_id": proposed["id"], "job_id": job_id,
            "freelancer_id": freelancer.id, "type": "fixed",
            "milestones": [{"description": "First", "amount": {"amount": "250.00", "currency": "USD"}}]});
        let offer = self
            .step("send offer", "client", "/v1/offers", c, &offer, now)
            .await
            .expect(201, "offer")?;
        let accepted = self
            .step(
                "accept offer",
                "freelancer",
                &format!("/v1/offers/{}/accept", text(&offer, "id")?),
                f,
                &json!({}),
                now,
            )
            .await
            .expect(200, "accept")?;
        let contract = text(&accepted, "contract_id")?;
        let milestone = format!("/v1/milestones/{}", text(&accepted["milestones"][0], "id")?);
        let steps: [(&str, &str, bool, &str, Value); 3] = [
            ("fund milestone", "client", true, "fund", json!({})),
            (
                "submit work",
                "freelancer",
                false,
                "submit",
                json!({"message": "Done, see the PR."}),
            ),
            ("approve (release)", "client", true, "approve", json!({})),
        ];
        for (name, actor, by_client, action, body) in steps {
            let who = if by_client { c } else { f };
            self.step(
                name,
                actor,
                &format!("{milestone}/{action}"),
                who,
                &body,
                now,
            )
            .await
            .expect(200, name)?;
        }
        self.step(
            "end contract",
            "client",
            &format!("/v1/contracts/{contract}/end"),
            c,
            &json!({}),
            now,
        )
        .await
        .expect(200, "end")?;
        let feedback_path = format!("/v1/contracts/{contract}/feedback");
        self.step(
            "leave feedback (first)",
            "client",
            &feedback_path,
            c,
            &feedback(),
            now,
        )
        .await
        .expect(201, "feedback")?;
        self.step(
            "leave feedback (second: reveals both)",
            "freelancer",
            &feedback_path,
            f,
            &feedback(),
            now,
        )
        .await
        .expect(201, "feedback")?;

        // An hourly contract, then one logged 10-minute slot half an hour later.
        let job = self
            .api
            .post("/v1/jobs", &client.token, &hourly_job(), now)
            .await
            .expect(201, "hourly job")?;
        let offer = json!({"job_id": job["id"], "freelancer_id": freelancer.id, "type": "hourly",
            "hourly_rate": {"amount": "30.00", "currency": "USD"},
            "weekly_limit_hours": 40, "manual_time_allowed": true});
        let offer = self
            .api
            .post("/v1/offers", &client.token, &offer, now)
            .await
            .expect(201, "hourly offer")?;
        let accepted = self
            .api
            .post(
                &format!("/v1/offers/{}/accept", text(&offer, "id")?),
                &freelancer.token,
                &json!({}),
                now,
            )
            .await
            .expect(200, "hourly accept")?;
        let slot = now.duration_trunc(Duration::minutes(10))? + Duration::minutes(10);
        let later = slot + Duration::minutes(30);
        let mut freelancer = freelancer;
        let token = freelancer.at(self.api, later).to_string();
        let segment = json!({"segments": [{"start": slot.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "manual": true, "memo": "Call with the client about the schema"}]});
        self.step(
            "log time",
            "freelancer",
            &format!("/v1/contracts/{}/time", text(&accepted, "contract_id")?),
            Some(&token),
            &segment,
            later,
        )
        .await
        .expect(201, "log time")
        .or_else(|err| {
            // Some versions answer 200 for an accepted batch.
            if err.to_string().contains(": 200 instead of 201") {
                Ok(Value::Null)
            } else {
                Err(err)
            }
        })?;
        Ok(())
    }
}

/// Why a step takes more than one read and one transaction, for each step known to.
fn explanation(step: &str) -> Option<&'static str> {
    super::explanations::round_trips(step)
}

pub struct Plan {
    pub plain_runs: usize,
    pub keyed_runs: usize,
}

/// Runs the workflow `plain_runs` times without and `keyed_runs` times with Idempotency-Keys.
/// Returns the table and, per step, the calls of its first plain run (the latency section's
/// floor is made of them).
pub async fn run(
    stack: &Stack,
    plan: &Plan,
    budget: &Budget,
) -> Result<(RoundTrips, BTreeMap<String, Vec<Call>>, bool)> {
    let log = CallLog::default();
    let api = InProc::new(log.instrument(&stack.app));
    let mut recorder = Recorder::default();
    let mut complete = true;
    let mut notes = Vec::new();
    let mut workflows = 0;
    for i in 0..plan.plain_runs + plan.keyed_runs {
        if budget.expired() {
            complete = false;
            notes.push(format!("Stopped at the time budget after {i} workflows."));
            break;
        }
        Run {
            api: &api,
            log: &log,
            stack,
            recorder: &mut recorder,
            keyed: i >= plan.plain_runs,
        }
        .workflow()
        .await?;
        workflows += 1;
    }
    let mut steps = Vec::new();
    let mut floors = BTreeMap::new();
    for (name, actor) in &recorder.order {
        let Some(runs) = recorder.plain.get(name).filter(|r| !r.is_empty()) else {
            continue;
        };
        let tallies: Vec<Tally> = runs.iter().map(|calls| Tally::of(calls)).collect();
        let average = |f: fn(&Tally) -> usize| {
            tallies.iter().map(f).sum::<usize>() as f64 / tallies.len() as f64
        };
        let first = &tallies[0];
        let over_budget = tallies.iter().any(|t| !t.within_budget());
        let times: Vec<f64> = tallies
            .iter()
            .map(|t| t.time.as_secs_f64() * 1000.0)
            .collect();
        steps.push(StepTrips {
            step: name.to_string(),
            actor: actor.to_string(),
            runs: tallies.len(),
            reads: average(|t| t.reads),
            transactions: average(|t| t.transactions),
            writes: average(|t| t.writes + t.other),
            other_services: average(|t| t.other_services),
            calls: first.describe(),
            varied: tallies.iter().any(|t| t.describe() != first.describe()),
            keyed_calls: recorder
                .keyed
                .get(name)
                .and_then(|r| r.first())
                .map(|calls| Tally::of(calls).describe()),
            over_budget,
            explanation: over_budget
                .then(|| explanation(name).map(str::to_string))
                .flatten(),
            aws_ms_p50: Summary::of(&times).map(|s| s.p50).unwrap_or_default(),
        });
        floors.insert(name.to_string(), runs[0].clone());
    }
    notes.push(format!(
        "{plain} workflows without and {keyed} with an Idempotency-Key on every POST, each with \
         new accounts (confirm email and login run for both the client and the freelancer). \
         Signup, confirm and login are public; every other step carries an access token, \
         checked without I/O (HS256).",
        plain = workflows.min(plan.plain_runs),
        keyed = workflows.saturating_sub(plan.plain_runs),
    ));
    notes.push(
        "With an Idempotency-Key the layer first claims the key (a one-item conditional \
         transaction, `TransactWriteItems[1]`); a handler that commits through `commit_answer` \
         stores its answer in its own transaction (one item more), any other needs one more \
         `TransactWriteItems[1]` to record it. A retry replays the stored answer: no step runs \
         twice. The budget above is judged without the key."
            .into(),
    );
    Ok((RoundTrips { steps, notes }, floors, complete))
}
