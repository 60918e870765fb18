//! Feedback end to end (PRODUCT §11): double blind, the 14-day window closed by its schedule,
//! the public list, and the Job Success Score changing as docs/reputation.md works it out.

use reqwest::Method;
use serde_json::{json, Value};
use worklane_tests::{fixed_contract, user_id, Reply, TestApp};

struct Party {
    access: String,
    refresh: String,
    id: String,
}

struct World {
    app: TestApp,
    freelancer: Party,
    clients: Vec<Party>,
    stranger: Party,
}

fn feedback(stars: u8, recommend: u8, comment: &str) -> Value {
    json!({"ratings": {"skills": stars, "quality": stars, "availability": stars, "deadlines": stars,
                       "communication": stars, "cooperation": stars},
           "comment": comment, "private": {"recommend": recommend, "note": "private to the platform"}})
}

impl World {
    async fn new() -> World {
        let app = TestApp::spawn().await;
        app.set_clock("2026-12-01T09:00:00Z").await;
        let party = |tokens: (String, String)| Party {
            access: tokens.0,
            refresh: tokens.1,
            id: String::new(),
        };
        let mut freelancer = party(
            app.confirmed_user("freelancer@example.com", &["freelancer"])
                .await,
        );
        let mut clients = Vec::new();
        for email in ["client-a@example.com", "client-b@example.com"] {
            let mut client = party(app.confirmed_user(email, &["client"]).await);
            let card = json!({"type": "card", "card": {"number": "4242424242424242",
                "exp_month": 12, "exp_year": 2031, "cvc": "123"}});
            let added = app
                .post("/v1/me/billing-methods", Some(&client.access), &card)
                .await;
            assert_eq!(added.status, 201, "{}", added.body);
            client.id = user_id(&app, &client.access).await;
            clients.push(client);
        }
        freelancer.id = user_id(&app, &freelancer.access).await;
        let mut stranger = party(
            app.confirmed_user("stranger@example.com", &["client"])
                .await,
        );
        stranger.id = user_id(&app, &stranger.access).await;
        World {
            app,
            freelancer,
            clients,
            stranger,
        }
    }

    async fn at(&mut self, now: &str) {
        self.app.set_clock(now).await;
        let parties = std::iter::once(&mut self.freelancer)
            .chain(self.clients.iter_mut())
            .chain(std::iter::once(&mut self.stranger));
        for party in parties {
            let (access, refresh) = self.app.refresh(&party.refresh).await;
            party.access = access;
            party.refresh = refresh;
        }
    }

    /// A fixed-price contract with client `c`: funded, submitted, approved (the freelancer
    /// earns `amount`), then ended by the client. Returns its id.
    async fn paid_and_ended(&self, c: usize, amount: &str) -> String {
        let client = &self.clients[c].access;
        let (contract, milestone) =
            fixed_contract(&self.app, client, &self.freelancer.access, amount).await;
        let step = |token: &str, action: &str, body: Value| {
            let path = format!("/v1/milestones/{milestone}/{action}");
            let token = token.to_string();
            async move { self.app.post(&path, Some(&token), &body).await }
        };
        assert_eq!(step(client, "fund", json!({})).await.status, 200);
        let submitted = step(
            &self.freelancer.access,
            "submit",
            json!({"message": "done"}),
        )
        .await;
        assert_eq!(submitted.status, 200, "{}", submitted.body);
        assert_eq!(step(client, "approve", json!({})).await.status, 200);
        let ended = self
            .app
            .post(
                &format!("/v1/contracts/{contract}/end"),
                Some(client),
                &json!({}),
            )
            .await;
        assert_eq!(ended.status, 200, "{}", ended.body);
        contract
    }

    async fn leave(&self, token: &str, contract: &str, body: &Value) -> Reply {
        self.app
            .post(
                &format!("/v1/contracts/{contract}/feedback"),
                Some(token),
                body,
            )
            .await
    }

    async fn seen_by(&self, token: &str, contract: &str) -> Value {
        let reply = self
            .app
            .get(&format!("/v1/contracts/{contract}/feedback"), Some(token))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body
    }

    /// The public list, read without a token.
    async fn public(&self, user: &str) -> Value {
        let reply = self
            .app
            .send(
                Method::GET,
                &format!("/v1/users/{user}/feedback"),
                None,
                None,
                &[],
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body
    }
}

#[tokio::test]
async fn double_blind_feedback_the_window_and_the_job_success_score() {
    let mut w = World::new().await;
    let first = w.paid_and_ended(0, "600.00").await;
    // One contract: no score shown yet.
    let public = w.public(&w.freelancer.id).await;
    assert_eq!(
        public["reputation"]["job_success_score"],
        Value::Null,
        "{public}"
    );
    assert_eq!(public["reputation"]["counted_contracts"], 1);

    // The freelancer goes first: the client learns it exists, not what it says.
    let client = w.clients[0].access.clone();
    let left = w
        .leave(
            &w.freelancer.access,
            &first,
            &feedback(5, 10, "Great client"),
        )
        .await;
    assert_eq!(left.status, 201, "{}", left.body);
    assert_eq!(left.body["theirs"], Value::Null);
    let hidden = w.seen_by(&client, &first).await;
    assert_eq!(
        (&hidden["theirs"], &hidden["theirs_submitted"]),
        (&Value::Null, &json!(true))
    );
    assert!(w.public(&w.clients[0].id).await["items"]
        .as_array()
        .unwrap()
        .is_empty());
    // Once only; strangers see nothing.
    let twice = w
        .leave(&w.freelancer.access, &first, &feedback(4, 8, "again"))
        .await;
    assert_eq!((twice.status, twice.code()), (409, "feedback_given"));
    let stranger = w
        .leave(&w.stranger.access, &first, &feedback(1, 0, "x"))
        .await;
    assert_eq!(stranger.status, 404);
    assert_eq!(
        w.app
            .get(
                &format!("/v1/contracts/{first}/feedback"),
                Some(&w.stranger.access)
            )
            .await
            .status,
        404
    );

    // The client answers: both are revealed at once.
    let both = w
        .leave(&client, &first, &feedback(5, 9, "Excellent work"))
        .await;
    assert_eq!(both.status, 201, "{}", both.body);
    assert_eq!(both.body["theirs"]["comment"], "Great client");
    let freelancer_view = w.seen_by(&w.freelancer.access, &first).await;
    assert_eq!(freelancer_view["theirs"]["comment"], "Excellent work");
    assert_eq!(freelancer_view["theirs"]["overall"], "5.00");
    assert!(
        freelancer_view["theirs"].get("private").is_none(),
        "never shown"
    );
    let public = w.public(&w.freelancer.id).await;
    assert_eq!(public["items"][0]["comment"], "Excellent work");
    assert!(public["items"][0].get("private").is_none());
    assert_eq!(
        w.public(&w.clients[0].id).await["items"][0]["comment"],
        "Great client"
    );

    // Each side is told once that feedback arrived and once that it can be read.
    for token in [&w.freelancer.access, &client] {
        let inbox = w.app.get("/v1/me/notifications", Some(token)).await;
        let kinds: Vec<&str> = inbox.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|n| n["kind"].as_str())
            .filter(|kind| kind.starts_with("feedback"))
            .collect();
        assert_eq!(kinds.len(), 2, "{}", inbox.body);
        assert!(kinds.contains(&"feedback_received") && kinds.contains(&"feedback_revealed"));
    }

    // A second client, $200, who never leaves feedback: the freelancer's, alone, stays
    // hidden until the window closes 14 days after the end.
    w.at("2026-12-02T09:00:00Z").await;
    let second = w.paid_and_ended(1, "200.00").await;
    let client_b = w.clients[1].access.clone();
    assert_eq!(
        w.leave(&w.freelancer.access, &second, &feedback(4, 7, "Fine"))
            .await
            .status,
        201
    );
    // JSS (docs/reputation.md, worked example 2): $600 successful, $200 neutral → 75.
    let public = w.public(&w.freelancer.id).await;
    assert_eq!(public["reputation"]["job_success_score"], 75, "{public}");

    let early = w
        .app
        .send(
            Method::POST,
            "/_dev/schedules/feedback-reveal?time=2026-12-16T08:59:59Z",
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(early.body["summary"]["applied"], 0, "{}", early.body);
    assert_eq!(w.seen_by(&client_b, &second).await["theirs"], Value::Null);
    let due = w
        .app
        .send(
            Method::POST,
            "/_dev/schedules/feedback-reveal?time=2026-12-16T09:00:00Z",
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(due.body["summary"]["applied"], 1, "{}", due.body);
    w.at("2026-12-16T09:00:00Z").await;
    let client_b = w.clients[1].access.clone();
    assert_eq!(
        w.seen_by(&client_b, &second).await["theirs"]["comment"],
        "Fine"
    );
    assert_eq!(
        w.public(&w.clients[1].id).await["items"][0]["comment"],
        "Fine"
    );
    // The window is closed for the client now.
    let late = w.leave(&client_b, &second, &feedback(1, 0, "late")).await;
    assert_eq!((late.status, late.code()), (409, "feedback_window_closed"));
    // A re-run reveals nothing twice.
    let rerun = w
        .app
        .send(
            Method::POST,
            "/_dev/schedules/feedback-reveal?time=2026-12-16T10:00:00Z",
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(rerun.body["summary"]["applied"], 0, "{}", rerun.body);
}

#[tokio::test]
async fn feedback_needs_an_ended_contract_and_valid_ratings() {
    let w = World::new().await;
    let (running, _) =
        fixed_contract(&w.app, &w.clients[0].access, &w.freelancer.access, "100.00").await;
    let early = w
        .leave(&w.clients[0].access, &running, &feedback(5, 9, "too early"))
        .await;
    assert_eq!((early.status, early.code()), (409, "contract_not_ended"));
    let ended = w
        .app
        .post(
            &format!("/v1/contracts/{running}/end"),
            Some(&w.clients[0].access),
            &json!({}),
        )
        .await;
    assert_eq!(ended.status, 200);
    for (body, field) in [
        (feedback(0, 9, "zero stars"), "ratings.skills"),
        (feedback(6, 9, "six stars"), "ratings.skills"),
        (feedback(5, 11, "too keen"), "private.recommend"),
        (
            json!({"ratings": {"skills": 5}, "private": {"recommend": 5}}),
            "",
        ),
    ] {
        let reply = w.leave(&w.clients[0].access, &running, &body).await;
        assert_eq!(reply.status, 422, "{body}: {}", reply.body);
        assert_eq!(reply.content_type(), "application/problem+json");
        if !field.is_empty() {
            assert_eq!(reply.body["errors"][0]["field"], field, "{}", reply.body);
        }
    }
    let unknown = w
        .leave(&w.clients[0].access, "ctr_nope", &feedback(5, 9, "x"))
        .await;
    assert_eq!(unknown.status, 404);
    let nobody = w
        .app
        .send(Method::GET, "/v1/users/usr_nope/feedback", None, None, &[])
        .await;
    assert_eq!(nobody.status, 404);
}
