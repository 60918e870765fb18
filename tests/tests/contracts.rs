//! Offers and contracts over HTTP on the local stack: a fixed offer accepted from a proposal
//! (contract, unfunded milestones, the job's first hire closing the boost auction), declines,
//! withdrawals and expiry, hourly terms, pause/resume/end by the right side, amendments and
//! unfunded milestone edits, strangers, mass assignment, and racing accepts.

use chrono::{Duration, Utc};
use futures::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};
use worklane::domain::contract::Parties;
use worklane::domain::ids::{JobId, MilestoneId, OfferId, TransferId, UserId};
use worklane::domain::money::Money;
use worklane::domain::offer::{Offer, OfferDraft};
use worklane::store::milestones::milestone_put_op;
use worklane::store::Tx;
use worklane_tests::{user_id, Reply, TestApp};

/// A client with an open fixed-price job and a freelancer who applied to it.
struct World {
    app: TestApp,
    client: String,
    freelancer: String,
    stranger: String,
    freelancer_id: String,
    job: String,
    proposal: String,
}

impl World {
    async fn new() -> World {
        let app = TestApp::spawn().await;
        let (client, _) = app.confirmed_user("client@example.com", &["client"]).await;
        let (freelancer, _) = app
            .confirmed_user("freelancer@example.com", &["freelancer"])
            .await;
        let (stranger, _) = app
            .confirmed_user("stranger@example.com", &["freelancer", "client"])
            .await;
        let job = app
            .post(
                "/v1/jobs",
                Some(&client),
                &json!({"title": "Rust API on Lambda",
                    "description": "A serverless REST API in Rust on AWS Lambda with DynamoDB.",
                    "category": "web-mobile-software-dev", "skills": ["rust", "dynamodb"],
                    "experience_level": "expert", "type": "fixed",
                    "budget": {"amount": "600.00", "currency": "USD"}, "duration": "1-3 months"}),
            )
            .await;
        assert_eq!(job.status, 201, "{}", job.body);
        let job = job.body["id"].as_str().unwrap().to_string();
        let proposal = apply(&app, &freelancer, &job, 0).await;
        assert_eq!(proposal.status, 201, "{}", proposal.body);
        World {
            freelancer_id: user_id(&app, &freelancer).await,
            proposal: proposal.body["id"].as_str().unwrap().to_string(),
            app,
            client,
            freelancer,
            stranger,
            job,
        }
    }

    fn fixed_offer(&self) -> Value {
        json!({"proposal_id": self.proposal, "job_id": self.job, "freelancer_id": self.freelancer_id,
            "type": "fixed", "message": "Let's start with the design.", "milestones": [
                {"description": "Design", "amount": {"amount": "300", "currency": "USD"}, "due_date": "2099-01-31"},
                {"description": "Build", "amount": {"amount": "700.00", "currency": "USD"}}]})
    }

    fn hourly_offer(&self) -> Value {
        json!({"job_id": self.job, "freelancer_id": self.freelancer_id, "type": "hourly",
            "hourly_rate": {"amount": "45.00", "currency": "USD"}, "weekly_limit_hours": 40,
            "manual_time_allowed": false})
    }

    async fn send_offer(&self, body: &Value) -> String {
        let reply = self.app.post("/v1/offers", Some(&self.client), body).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        assert_eq!(reply.body["state"], "pending");
        reply.body["id"].as_str().unwrap().to_string()
    }

    async fn offer_action(&self, token: &str, offer: &str, action: &str) -> Reply {
        self.app
            .post(
                &format!("/v1/offers/{offer}/{action}"),
                Some(token),
                &json!({}),
            )
            .await
    }

    /// A contract from an accepted offer; returns its id.
    async fn contract(&self, body: &Value) -> String {
        let offer = self.send_offer(body).await;
        let accepted = self.offer_action(&self.freelancer, &offer, "accept").await;
        assert_eq!(accepted.status, 200, "{}", accepted.body);
        accepted.body["contract_id"].as_str().unwrap().to_string()
    }

    async fn contract_action(&self, token: &str, contract: &str, action: &str) -> Reply {
        self.app
            .post(
                &format!("/v1/contracts/{contract}/{action}"),
                Some(token),
                &json!({}),
            )
            .await
    }

    async fn send(&self, method: Method, path: &str, token: &str, body: Option<&Value>) -> Reply {
        let body = body.map(Value::to_string);
        self.app
            .send(method, path, Some(token), body.as_deref(), &[])
            .await
    }
}

async fn apply(app: &TestApp, token: &str, job: &str, boost: u32) -> Reply {
    app.post(
        &format!("/v1/jobs/{job}/proposals"),
        Some(token),
        &json!({"cover_letter": "I have shipped several Rust services on Lambda and DynamoDB.",
            "bid": {"amount": "550.00", "currency": "USD"}, "duration": "1-3 months",
            "boost_connects": boost}),
    )
    .await
}

fn kinds(contract: &Value) -> Vec<&str> {
    contract["amendments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_fixed_offer_accepted_starts_the_contract_and_closes_the_boost_auction() {
    let w = World::new().await;
    let offer = w.send_offer(&w.fixed_offer()).await;
    let again = w
        .app
        .post("/v1/offers", Some(&w.client), &w.fixed_offer())
        .await;
    assert_eq!((again.status, again.code()), (409, "offer_already_pending"));
    let received = w.app.get("/v1/me/offers", Some(&w.freelancer)).await;
    assert_eq!(received.body["items"][0]["id"], json!(offer));
    assert_eq!(
        received.body["items"][0]["milestones"][1]["amount"]["amount"],
        "700.00"
    );
    let sent = w
        .app
        .get("/v1/me/offers?role=client", Some(&w.client))
        .await;
    assert_eq!(sent.body["items"].as_array().unwrap().len(), 1);

    // Nobody else sees or touches it; the client cannot accept their own offer.
    let path = format!("/v1/offers/{offer}");
    assert_eq!(w.app.get(&path, Some(&w.stranger)).await.status, 404);
    assert_eq!(
        w.offer_action(&w.stranger, &offer, "accept").await.status,
        404
    );
    let own = w.offer_action(&w.client, &offer, "accept").await;
    assert_eq!((own.status, own.code()), (403, "forbidden"));

    let accepted = w.offer_action(&w.freelancer, &offer, "accept").await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    let contract = accepted.body["contract_id"].as_str().unwrap().to_string();
    assert!(contract.starts_with("ctr_"));
    assert_eq!(accepted.body["id"], json!(contract));
    let view = w
        .app
        .get(&format!("/v1/contracts/{contract}"), Some(&w.client))
        .await;
    assert_eq!(view.status, 200, "{}", view.body);
    let c = &view.body;
    assert_eq!(
        (&c["type"], &c["state"], &c["freelancer_id"]),
        (&json!("fixed"), &json!("active"), &json!(w.freelancer_id))
    );
    assert_eq!(c["fee_schedule"], accepted.body["fee_schedule"]);
    let milestones = c["milestones"].as_array().unwrap();
    assert_eq!(milestones.len(), 2);
    for (m, (description, amount)) in milestones
        .iter()
        .zip([("Design", "300.00"), ("Build", "700.00")])
    {
        assert_eq!(
            (&m["description"], &m["amount"]["amount"], &m["state"]),
            (&json!(description), &json!(amount), &json!("unfunded"))
        );
        assert!(m["funded_at"].is_null() && m["released_at"].is_null());
        assert!(m["id"].as_str().unwrap().starts_with("mil_"));
    }
    assert_eq!(milestones[0]["due_date"], "2099-01-31");
    let stranger_view = w
        .app
        .get(&format!("/v1/contracts/{contract}"), Some(&w.stranger))
        .await;
    assert_eq!(stranger_view.status, 404);

    // The hire: the job stays open with `hired_at`, the proposal is hired, the client counts it.
    let job = w
        .app
        .get(&format!("/v1/jobs/{}", w.job), Some(&w.client))
        .await;
    assert_eq!(job.body["state"], "open");
    assert!(job.body["hired_at"].is_string(), "{}", job.body);
    assert_eq!(job.body["client"]["hires"], 1);
    let proposal = w
        .app
        .get(
            &format!("/v1/proposals/{}", w.proposal),
            Some(&w.freelancer),
        )
        .await;
    assert_eq!(proposal.body["state"], "hired");
    let active = w
        .app
        .get("/v1/me/proposals?list=active", Some(&w.freelancer))
        .await;
    assert_eq!(active.body["items"].as_array().unwrap().len(), 1);
    // §4.3: the boost auction ends at the first hire.
    let boosted = apply(&w.app, &w.stranger, &w.job, 2).await;
    assert_eq!(
        (boosted.status, boosted.code()),
        (409, "boost_auction_closed")
    );

    let twice = w.offer_action(&w.freelancer, &offer, "accept").await;
    assert_eq!((twice.status, twice.code()), (409, "offer_not_pending"));
    let shown = w.app.get(&path, Some(&w.client)).await;
    assert_eq!(
        (&shown.body["state"], &shown.body["contract_id"]),
        (&json!("accepted"), &json!(contract))
    );
    for (token, role) in [(&w.freelancer, "freelancer"), (&w.client, "client")] {
        let mine = w
            .app
            .get(&format!("/v1/me/contracts?role={role}"), Some(token))
            .await;
        assert_eq!(mine.body["items"][0]["id"], json!(contract), "{role}");
    }
    let bad_role = w
        .app
        .get("/v1/me/contracts?role=admin", Some(&w.client))
        .await;
    assert_eq!(bad_role.status, 422);
}

#[tokio::test]
async fn offers_are_declined_withdrawn_refused_and_expire() {
    let w = World::new().await;
    let first = w.send_offer(&w.fixed_offer()).await;
    let withdraw = w.offer_action(&w.freelancer, &first, "withdraw").await;
    assert_eq!(withdraw.status, 403);
    let declined = w.offer_action(&w.freelancer, &first, "decline").await;
    assert_eq!(
        (declined.status, &declined.body["state"]),
        (200, &json!("declined"))
    );
    let again = w.offer_action(&w.freelancer, &first, "decline").await;
    assert_eq!((again.status, again.code()), (409, "offer_not_pending"));

    // Answered, the pair is free for a new offer, which the client may take back.
    let second = w.send_offer(&w.hourly_offer()).await;
    let withdrawn = w.offer_action(&w.client, &second, "withdraw").await;
    assert_eq!(
        (withdrawn.status, &withdrawn.body["state"]),
        (200, &json!("withdrawn"))
    );
    let late = w.offer_action(&w.freelancer, &second, "accept").await;
    assert_eq!((late.status, late.code()), (409, "offer_not_pending"));

    // An offer sent eight days ago has expired: it reads so, cannot be accepted, and no
    // longer blocks a new one.
    let sent_at = Utc::now() - Duration::days(8);
    let draft: OfferDraft = serde_json::from_value(w.fixed_offer()).unwrap();
    let old = Offer::new(
        OfferId::generate(sent_at),
        Parties {
            job_id: JobId::parse(&w.job).unwrap(),
            proposal_id: draft.proposal_id.clone(),
            client_id: UserId::parse(&user_id(&w.app, &w.client).await).unwrap(),
            freelancer_id: UserId::parse(&w.freelancer_id).unwrap(),
        },
        draft.check(sent_at).unwrap(),
        sent_at,
    );
    w.app
        .stack
        .app
        .store
        .create_offer(&old, sent_at)
        .await
        .unwrap();
    let path = format!("/v1/offers/{}", old.id);
    assert_eq!(
        w.app.get(&path, Some(&w.freelancer)).await.body["state"],
        "expired"
    );
    let expired = w
        .offer_action(&w.freelancer, old.id.as_str(), "accept")
        .await;
    assert_eq!((expired.status, expired.code()), (409, "offer_expired"));
    let withdraw_expired = w.offer_action(&w.client, old.id.as_str(), "withdraw").await;
    assert_eq!(withdraw_expired.code(), "offer_expired");
    w.send_offer(&w.fixed_offer()).await;

    // Mass assignment and bad terms are refused whole, naming every field.
    for (field, value) in [
        ("state", json!("accepted")),
        ("client_id", json!(w.freelancer_id)),
    ] {
        let mut body = w.fixed_offer();
        body[field] = value;
        let reply = w.app.post("/v1/offers", Some(&w.client), &body).await;
        assert_eq!(reply.status, 422, "{field}: {}", reply.body);
    }
    let mut bad = w.hourly_offer();
    bad["weekly_limit_hours"] = json!(81);
    bad["hourly_rate"]["amount"] = json!("2.999");
    let reply = w.app.post("/v1/offers", Some(&w.client), &bad).await;
    let fields: Vec<&str> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        (reply.status, fields),
        (422, vec!["weekly_limit_hours", "hourly_rate"])
    );
    let mut small = w.fixed_offer();
    small["milestones"][1]["amount"]["amount"] = json!("4.99");
    let reply = w.app.post("/v1/offers", Some(&w.client), &small).await;
    assert_eq!(reply.body["errors"][0]["field"], "milestones[1].amount");

    // Only the job's client offers, and only to a freelancer.
    let by_freelancer = w
        .app
        .post("/v1/offers", Some(&w.freelancer), &w.fixed_offer())
        .await;
    assert_eq!(by_freelancer.status, 403);
    let not_theirs = w
        .app
        .post("/v1/offers", Some(&w.stranger), &w.hourly_offer())
        .await;
    assert_eq!(not_theirs.status, 403, "{}", not_theirs.body);
    let mut to_client = w.hourly_offer();
    to_client["freelancer_id"] = json!(user_id(&w.app, &w.client).await);
    let reply = w.app.post("/v1/offers", Some(&w.client), &to_client).await;
    assert_eq!(reply.status, 422);
    let mut wrong_proposal = w.hourly_offer();
    wrong_proposal["freelancer_id"] = json!(user_id(&w.app, &w.stranger).await);
    wrong_proposal["proposal_id"] = json!(w.proposal);
    let reply = w
        .app
        .post("/v1/offers", Some(&w.client), &wrong_proposal)
        .await;
    assert_eq!(
        (reply.status, reply.code()),
        (404, "proposal_not_found"),
        "{}",
        reply.body
    );
    assert_eq!(reply.body["errors"][0]["field"], "proposal_id");
}

#[tokio::test]
async fn an_hourly_contract_pauses_resumes_changes_terms_and_ends() {
    let w = World::new().await;
    let contract = w.contract(&w.hourly_offer()).await;
    let path = format!("/v1/contracts/{contract}");
    let view = w.app.get(&path, Some(&w.freelancer)).await;
    assert_eq!(
        (
            &view.body["type"],
            &view.body["milestones"],
            &view.body["hourly"]["weekly_limit_hours"]
        ),
        (&json!("hourly"), &json!([]), &json!(40))
    );
    assert_eq!(view.body["terms"]["hourly_rate"]["amount"], "45.00");

    let by_freelancer = w.contract_action(&w.freelancer, &contract, "pause").await;
    assert_eq!(
        (by_freelancer.status, by_freelancer.code()),
        (403, "forbidden")
    );
    assert_eq!(
        w.contract_action(&w.stranger, &contract, "pause")
            .await
            .status,
        404
    );
    let paused = w.contract_action(&w.client, &contract, "pause").await;
    assert_eq!(
        (paused.status, &paused.body["state"]),
        (200, &json!("paused"))
    );
    let twice = w.contract_action(&w.client, &contract, "pause").await;
    assert_eq!((twice.status, twice.code()), (409, "contract_state"));
    assert_eq!(
        w.contract_action(&w.freelancer, &contract, "resume")
            .await
            .status,
        403
    );
    let resumed = w.contract_action(&w.client, &contract, "resume").await;
    assert_eq!(resumed.body["state"], "active");

    // §8.7: a decrease waits for next Monday, manual time switches at once; both recorded.
    let change = json!({"weekly_limit_hours": 20, "manual_time_allowed": true});
    let changed = w.send(Method::PATCH, &path, &w.client, Some(&change)).await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    let hourly = &changed.body["hourly"];
    assert_eq!(
        (
            &hourly["weekly_limit_hours"],
            &hourly["manual_time_allowed"]
        ),
        (&json!(40), &json!(true))
    );
    let monday: chrono::DateTime<Utc> = hourly["scheduled_weekly_limit"]["effective_from"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(monday.format("%a %H:%M").to_string(), "Mon 00:00");
    assert!(monday > Utc::now() && monday <= Utc::now() + Duration::days(7));
    assert_eq!(
        kinds(&changed.body),
        ["weekly_limit_changed", "manual_time_changed"]
    );
    assert_eq!(
        changed.body["terms"]["weekly_limit_hours"], 40,
        "terms never change"
    );
    let up = w
        .send(
            Method::PATCH,
            &path,
            &w.client,
            Some(&json!({"weekly_limit_hours": 60})),
        )
        .await;
    assert_eq!(up.body["hourly"]["weekly_limit_hours"], 60);
    assert!(up.body["hourly"]["scheduled_weekly_limit"].is_null());
    let refused = [
        (&w.freelancer, json!({"weekly_limit_hours": 10}), 403),
        (&w.client, json!({"weekly_limit_hours": 81}), 422),
        (
            &w.client,
            json!({"hourly_rate": {"amount": "90", "currency": "USD"}}),
            422,
        ),
        (&w.client, json!({"state": "ended"}), 422),
        (&w.client, json!({}), 422),
    ];
    for (token, body, status) in refused {
        let reply = w.send(Method::PATCH, &path, token, Some(&body)).await;
        assert_eq!(reply.status, status, "{body}: {}", reply.body);
    }
    let milestone = w
        .app
        .post(
            &format!("{path}/milestones"),
            Some(&w.client),
            &json!({"description": "Extra", "amount": {"amount": "50", "currency": "USD"}}),
        )
        .await;
    assert_eq!(
        (milestone.status, milestone.code()),
        (409, "contract_not_fixed")
    );

    let ended = w.contract_action(&w.freelancer, &contract, "end").await;
    assert_eq!(
        (ended.status, &ended.body["state"], &ended.body["ended_by"]),
        (200, &json!("ended"), &json!("freelancer"))
    );
    let after = w.contract_action(&w.client, &contract, "resume").await;
    assert_eq!((after.status, after.code()), (409, "contract_ended"));
    let patch = w
        .send(
            Method::PATCH,
            &path,
            &w.client,
            Some(&json!({"manual_time_allowed": false})),
        )
        .await;
    assert_eq!(patch.code(), "contract_ended");
}

#[tokio::test]
async fn amendments_add_milestones_and_only_unfunded_ones_change() {
    let w = World::new().await;
    let contract = w.contract(&w.fixed_offer()).await;
    let path = format!("/v1/contracts/{contract}");
    let extra =
        json!({"description": "Load testing", "amount": {"amount": "150", "currency": "USD"}});
    let by_freelancer = w
        .app
        .post(&format!("{path}/milestones"), Some(&w.freelancer), &extra)
        .await;
    assert_eq!(by_freelancer.status, 403);
    let mut sneaky = extra.clone();
    sneaky["state"] = json!("funded");
    let refused = w
        .app
        .post(&format!("{path}/milestones"), Some(&w.client), &sneaky)
        .await;
    assert_eq!(refused.status, 422);
    let added = w
        .app
        .post(&format!("{path}/milestones"), Some(&w.client), &extra)
        .await;
    assert_eq!(added.status, 201, "{}", added.body);
    assert_eq!(
        (&added.body["state"], &added.body["amount"]["amount"]),
        (&json!("unfunded"), &json!("150.00"))
    );
    let added_id = added.body["id"].as_str().unwrap().to_string();
    let view = w.app.get(&path, Some(&w.freelancer)).await;
    assert_eq!(view.body["milestones"].as_array().unwrap().len(), 3);
    assert_eq!(view.body["milestones"][2]["id"], json!(added_id));
    assert_eq!(kinds(&view.body), ["milestone_added"]);
    assert_eq!(
        view.body["amendments"][0]["detail"]["milestone_id"],
        json!(added_id)
    );
    assert_eq!(
        view.body["terms"]["milestones"].as_array().unwrap().len(),
        2
    );

    // Unfunded: the client edits and deletes, recorded; others cannot.
    let milestone = format!("/v1/milestones/{added_id}");
    let edit =
        json!({"amount": {"amount": "175.50", "currency": "USD"}, "description": "Load tests"});
    assert_eq!(
        w.send(Method::PATCH, &milestone, &w.freelancer, Some(&edit))
            .await
            .status,
        403
    );
    assert_eq!(
        w.send(Method::PATCH, &milestone, &w.stranger, Some(&edit))
            .await
            .status,
        404
    );
    let released = json!({"state": "released"});
    assert_eq!(
        w.send(Method::PATCH, &milestone, &w.client, Some(&released))
            .await
            .status,
        422
    );
    let edited = w
        .send(Method::PATCH, &milestone, &w.client, Some(&edit))
        .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(
        (
            &edited.body["amount"]["amount"],
            &edited.body["description"]
        ),
        (&json!("175.50"), &json!("Load tests"))
    );
    assert_eq!(
        w.send(Method::DELETE, &milestone, &w.stranger, None)
            .await
            .status,
        404
    );
    let deleted = w.send(Method::DELETE, &milestone, &w.client, None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert_eq!(
        w.send(Method::DELETE, &milestone, &w.client, None)
            .await
            .status,
        404
    );
    let view = w.app.get(&path, Some(&w.client)).await;
    assert_eq!(view.body["milestones"].as_array().unwrap().len(), 2);
    assert_eq!(
        kinds(&view.body),
        ["milestone_added", "milestone_edited", "milestone_deleted"]
    );

    // Funded (as escrow funding leaves it): neither edited nor deleted.
    let store = &w.app.stack.app.store;
    let first = MilestoneId::parse(view.body["milestones"][0]["id"].as_str().unwrap()).unwrap();
    let unfunded = store.milestone(&first).await.unwrap().unwrap();
    let funded = unfunded
        .fund(
            TransferId::generate(Utc::now()),
            Money::usd("15").unwrap(),
            Utc::now(),
        )
        .unwrap();
    store
        .transact(milestone_put_op(Tx::new(), &funded, Some(unfunded.version)))
        .await
        .unwrap();
    let path = format!("/v1/milestones/{first}");
    let edit = w
        .send(
            Method::PATCH,
            &path,
            &w.client,
            Some(&json!({"description": "More"})),
        )
        .await;
    assert_eq!((edit.status, edit.code()), (409, "milestone_funded"));
    let delete = w.send(Method::DELETE, &path, &w.client, None).await;
    assert_eq!((delete.status, delete.code()), (409, "milestone_funded"));
}

#[tokio::test]
async fn ten_parallel_accepts_start_exactly_one_contract() {
    let w = World::new().await;
    let offer = w.send_offer(&w.fixed_offer()).await;
    let replies = join_all((0..10).map(|_| w.offer_action(&w.freelancer, &offer, "accept"))).await;
    let won: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
    assert_eq!(
        won.len(),
        1,
        "{:?}",
        replies.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    assert!(replies
        .iter()
        .filter(|r| r.status != 200)
        .all(|r| (r.status, r.code()) == (409, "offer_not_pending")));
    let contracts = w.app.get("/v1/me/contracts", Some(&w.freelancer)).await;
    assert_eq!(contracts.body["items"].as_array().unwrap().len(), 1);
    let contract = &contracts.body["items"][0]["id"];
    let view = w
        .app
        .get(
            &format!("/v1/contracts/{}", contract.as_str().unwrap()),
            Some(&w.client),
        )
        .await;
    assert_eq!(view.body["milestones"].as_array().unwrap().len(), 2);
    let job = w
        .app
        .get(&format!("/v1/jobs/{}", w.job), Some(&w.client))
        .await;
    assert_eq!(job.body["client"]["hires"], 1);
}
