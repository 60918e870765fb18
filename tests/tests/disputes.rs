//! Disputes end to end on the local stack (PRODUCT §13): every path from the issue — a
//! fixed-price refund request answered (accepted, and contested then split by an admin) and
//! unanswered, a freelancer's dispute unanswered, an hourly dispute mediated with the
//! protected hours paid and the rest refunded — with the frozen money untouched by the
//! auto-release and weekly release schedules fired meanwhile, exact amounts to the cent and
//! the ledger audit clean after every step.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use worklane_tests::{
    add_milestone, admin, fixed_contract, hourly_contract, png, ready_file, user_id, Reply, TestApp,
};

fn t(raw: &str) -> DateTime<Utc> {
    raw.parse().unwrap()
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

struct Party {
    access: String,
    refresh: String,
}

struct Case {
    app: TestApp,
    client: Party,
    freelancer: Party,
    stranger: Party,
    contract: String,
}

impl Case {
    /// A client with a card and a freelancer, at `now` on the stack's clock.
    async fn new(now: &str) -> Case {
        let app = TestApp::spawn().await;
        app.set_clock(now).await;
        let party = |(access, refresh)| Party { access, refresh };
        let client = party(app.confirmed_user("client@example.com", &["client"]).await);
        let freelancer = party(
            app.confirmed_user("freelancer@example.com", &["freelancer"])
                .await,
        );
        let stranger = party(
            app.confirmed_user("stranger@example.com", &["client", "freelancer"])
                .await,
        );
        app.add_card(&client.access).await;
        Case {
            app,
            client,
            freelancer,
            stranger,
            contract: String::new(),
        }
    }

    /// Moves the frozen clock; everyone gets access tokens valid at the new time.
    async fn at(&mut self, now: DateTime<Utc>) {
        self.app.set_clock(&rfc3339(now)).await;
        for party in [&mut self.client, &mut self.freelancer, &mut self.stranger] {
            let (access, refresh) = self.app.refresh(&party.refresh).await;
            party.access = access;
            party.refresh = refresh;
        }
    }

    async fn act(&self, token: &str, milestone: &str, action: &str, body: Value) -> Reply {
        self.app
            .post(
                &format!("/v1/milestones/{milestone}/{action}"),
                Some(token),
                &body,
            )
            .await
    }

    async fn open(&self, token: &str, body: Value) -> Reply {
        self.app.post("/v1/disputes", Some(token), &body).await
    }

    async fn on_dispute(&self, token: &str, id: &str, action: &str, body: Value) -> Reply {
        self.app
            .post(&format!("/v1/disputes/{id}/{action}"), Some(token), &body)
            .await
    }

    async fn milestone(&self, id: &str) -> Value {
        let contract = self
            .app
            .get(
                &format!("/v1/contracts/{}", self.contract),
                Some(&self.client.access),
            )
            .await;
        assert_eq!(contract.status, 200, "{}", contract.body);
        contract.body["milestones"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id)
            .cloned()
            .expect("the milestone")
    }

    /// A fixed-price contract whose first milestone of `amount` is funded (and, with
    /// `submitted`, submitted). Returns the milestone id.
    async fn funded_milestone(&mut self, amount: &str, submitted: bool) -> String {
        let (contract, milestone) = fixed_contract(
            &self.app,
            &self.client.access,
            &self.freelancer.access,
            amount,
        )
        .await;
        self.contract = contract;
        let funded = self
            .act(&self.client.access, &milestone, "fund", json!({}))
            .await;
        assert_eq!(funded.status, 200, "{}", funded.body);
        if submitted {
            let done = self
                .act(
                    &self.freelancer.access,
                    &milestone,
                    "submit",
                    json!({"message": "The API is deployed; see the README."}),
                )
                .await;
            assert_eq!(done.body["state"], "submitted", "{}", done.body);
        }
        milestone
    }
}

impl Case {
    /// Opens a dispute that must be accepted as opened (201); its id.
    async fn opened(&self, token: &str, body: Value) -> String {
        let opened = self.open(token, body).await;
        assert_eq!(opened.status, 201, "{}", opened.body);
        opened.body["id"].as_str().unwrap().to_string()
    }

    /// The freelancer accepts the client's claim: the dispute settles at once.
    async fn accepted_by_the_freelancer(&self, id: &str) {
        let accepted = self
            .on_dispute(
                &self.freelancer.access,
                id,
                "respond",
                json!({"accept": true, "message": "Fair, refunding."}),
            )
            .await;
        assert_eq!(accepted.body["state"], "resolved", "{}", accepted.body);
    }

    /// The client's refunds to cards (`GET /v1/me/card-refunds`), newest first.
    async fn card_refunds(&self) -> Vec<Value> {
        let reply = self
            .app
            .get("/v1/me/card-refunds", Some(&self.client.access))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["items"].as_array().unwrap().clone()
    }

    /// The amounts the sandbox refunded to cards, in this process.
    fn refunded_by_the_sandbox(&self) -> Vec<String> {
        self.app
            .sandbox_sent(false)
            .into_iter()
            .map(|money| money.amount.to_string())
            .collect()
    }
}

const REASON: &str = "The delivered work does not match the agreed scope.";

#[tokio::test]
async fn a_refund_to_the_card_goes_back_to_the_card_that_paid_or_stays_balance() {
    let mut c = Case::new("2026-12-01T10:00:00Z").await;
    // A card that takes charges but whose account is closed by the time of a refund.
    let card = json!({"type": "card", "card": {"number": "4000000000005126",
        "exp_month": 12, "exp_year": 2031, "cvc": "123"}});
    let closing = c
        .app
        .post("/v1/me/billing-methods", Some(&c.client.access), &card)
        .await;
    assert_eq!(closing.status, 201, "{}", closing.body);
    let closing = closing.body["id"].as_str().unwrap().to_string();

    // $300.00 funded by the default card (4242), submitted.
    let milestone = c.funded_milestone("300.00", true).await;
    // Only the client says where a refund goes.
    let by_freelancer = c
        .open(
            &c.freelancer.access,
            json!({"milestone_id": milestone, "reason": REASON, "refund_to": "card"}),
        )
        .await;
    assert_eq!(by_freelancer.status, 422, "{}", by_freelancer.body);
    assert_eq!(by_freelancer.body["errors"][0]["field"], "refund_to");
    let opened = c
        .open(
            &c.client.access,
            json!({"milestone_id": milestone, "reason": REASON, "refund_to": "card"}),
        )
        .await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    assert_eq!(opened.body["refund_to"], "card");
    let id = opened.body["id"].as_str().unwrap().to_string();
    let accepted = c
        .on_dispute(
            &c.freelancer.access,
            &id,
            "respond",
            json!({"accept": true, "message": "Refunding in full."}),
        )
        .await;
    assert_eq!(accepted.body["state"], "resolved", "{}", accepted.body);
    // The escrow and its $15.00 client fee went back to the visa, not the balance.
    let refunds = c.card_refunds().await;
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0]["state"], "refunded", "{refunds:?}");
    assert_eq!(refunds[0]["amount"]["amount"], "315.00");
    assert_eq!(refunds[0]["card"], "visa •••• 4242");
    assert_eq!(refunds[0]["reference"], milestone.as_str());
    assert!(refunds[0]["refunded_at"].is_string(), "{refunds:?}");
    assert_eq!(c.refunded_by_the_sandbox(), vec!["315.00".to_string()]);
    assert_eq!(c.app.wallet(&c.client.access).await["available"], "0.00");
    c.app.assert_audit_clean().await;
    // Another client sees none of it; a freelancer has no card refunds to list.
    let stranger = c
        .app
        .get("/v1/me/card-refunds", Some(&c.stranger.access))
        .await;
    assert_eq!(stranger.body["items"], json!([]), "{}", stranger.body);
    let freelancer = c
        .app
        .get("/v1/me/card-refunds", Some(&c.freelancer.access))
        .await;
    assert_eq!(freelancer.status, 403, "{}", freelancer.body);

    // A card that refuses the refund: the money lands in the balance instead, never lost.
    let second = add_milestone(&c.app, &c.client.access, &c.contract, "200.00").await;
    let funded = c
        .act(
            &c.client.access,
            &second,
            "fund",
            json!({"billing_method_id": closing}),
        )
        .await;
    assert_eq!(funded.status, 200, "{}", funded.body);
    let id = c
        .opened(
            &c.client.access,
            json!({"milestone_id": second, "reason": REASON, "refund_to": "card"}),
        )
        .await;
    c.accepted_by_the_freelancer(&id).await;
    let refunds = c.card_refunds().await;
    let failed = refunds
        .iter()
        .find(|r| r["dispute_id"] == id.as_str())
        .expect("the second refund");
    assert_eq!(failed["state"], "failed", "{failed}");
    assert_eq!(failed["amount"]["amount"], "210.00");
    assert!(
        failed["failure"]
            .as_str()
            .unwrap()
            .starts_with("account_closed"),
        "{failed}"
    );
    assert_eq!(c.app.wallet(&c.client.access).await["available"], "210.00");
    let inbox = c
        .app
        .get("/v1/me/notifications", Some(&c.client.access))
        .await;
    assert!(
        inbox.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "card_refund_failed"),
        "{}",
        inbox.body
    );
    c.app.assert_audit_clean().await;

    // Funded from that balance, a milestone has no card to go back to.
    let third = add_milestone(&c.app, &c.client.access, &c.contract, "100.00").await;
    let funded = c.act(&c.client.access, &third, "fund", json!({})).await;
    assert_eq!(funded.status, 200, "{}", funded.body);
    assert_eq!(c.app.wallet(&c.client.access).await["available"], "105.00");
    let no_card = c
        .open(
            &c.client.access,
            json!({"milestone_id": third, "reason": REASON, "refund_to": "card"}),
        )
        .await;
    assert_eq!(
        (no_card.status, no_card.code()),
        (409, "not_paid_by_card"),
        "{}",
        no_card.body
    );
    assert_eq!(c.refunded_by_the_sandbox().len(), 1);
}

#[tokio::test]
async fn a_refund_request_accepted_refunds_the_escrow_and_the_client_fee() {
    let mut c = Case::new("2026-12-01T10:00:00Z").await;
    let milestone = c.funded_milestone("400.00", false).await;
    assert_eq!(c.app.wallet(&c.client.access).await["in_escrow"], "400.00");

    // Only a party opens one; strangers learn nothing.
    let by_stranger = c
        .open(
            &c.stranger.access,
            json!({"milestone_id": milestone, "reason": REASON}),
        )
        .await;
    assert_eq!(by_stranger.status, 404, "{}", by_stranger.body);
    // The freelancer cannot dispute a milestone that was never submitted.
    let too_early = c
        .open(
            &c.freelancer.access,
            json!({"milestone_id": milestone, "reason": REASON}),
        )
        .await;
    assert_eq!(
        (too_early.status, too_early.code()),
        (409, "milestone_state")
    );
    for (body, field) in [
        (json!({"reason": REASON}), "milestone_id"),
        (
            json!({"milestone_id": milestone, "reason": "short"}),
            "reason",
        ),
    ] {
        let bad = c.open(&c.client.access, body).await;
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert_eq!(bad.body["errors"][0]["field"], field, "{}", bad.body);
    }
    // A malformed id fails while the body is read.
    let malformed = c
        .open(
            &c.client.access,
            json!({"milestone_id": "mil_nope", "reason": REASON}),
        )
        .await;
    assert_eq!((malformed.status, malformed.code()), (422, "invalid_body"));

    let opened = c
        .open(
            &c.client.access,
            json!({"milestone_id": milestone, "reason": REASON}),
        )
        .await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    assert_eq!(opened.body["kind"], "refund_request");
    assert_eq!(opened.body["state"], "open");
    assert_eq!(opened.body["respond_by"], "2026-12-08T10:00:00Z");
    let id = opened.body["id"].as_str().unwrap().to_string();
    let again = c
        .open(
            &c.client.access,
            json!({"milestone_id": milestone, "reason": REASON}),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.body);

    // Frozen: neither side moves the escrow while the dispute runs.
    let frozen = c.milestone(&milestone).await;
    assert_eq!(frozen["state"], "disputed");
    assert_eq!(frozen["dispute_id"], id.as_str(), "{frozen}");
    let approve = c
        .act(&c.client.access, &milestone, "approve", json!({}))
        .await;
    assert_eq!((approve.status, approve.code()), (409, "milestone_state"));
    let refund = c
        .act(&c.freelancer.access, &milestone, "refund", json!({}))
        .await;
    assert_eq!((refund.status, refund.code()), (409, "milestone_state"));

    // The opener does not answer their own dispute; strangers cannot see it.
    let own = c
        .on_dispute(
            &c.client.access,
            &id,
            "respond",
            json!({"accept": true, "message": "ok"}),
        )
        .await;
    assert_eq!(own.status, 403, "{}", own.body);
    let stranger = c
        .on_dispute(
            &c.stranger.access,
            &id,
            "respond",
            json!({"accept": true, "message": "ok"}),
        )
        .await;
    assert_eq!(stranger.status, 404, "{}", stranger.body);
    assert_eq!(
        c.app
            .get(&format!("/v1/disputes/{id}"), Some(&c.stranger.access))
            .await
            .status,
        404
    );

    let accepted = c
        .on_dispute(
            &c.freelancer.access,
            &id,
            "respond",
            json!({"accept": true, "message": "Fair enough, refunding."}),
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(accepted.body["state"], "resolved");
    assert_eq!(accepted.body["resolution"]["decided_by"], "acceptance");
    assert_eq!(
        accepted.body["resolution"]["to_client"],
        json!({"amount": "400.00", "currency": "USD"})
    );
    assert_eq!(c.milestone(&milestone).await["state"], "refunded");
    // The escrow and the $20.00 client fee are back in the client's balance.
    let wallet = c.app.wallet(&c.client.access).await;
    assert_eq!(wallet["in_escrow"], "0.00", "{wallet}");
    assert_eq!(wallet["available"], "420.00", "{wallet}");
    assert_eq!(c.app.wallet(&c.freelancer.access).await["pending"], "0.00");
    // Settled once: a second answer is refused and moves nothing.
    let twice = c
        .on_dispute(
            &c.freelancer.access,
            &id,
            "respond",
            json!({"accept": true, "message": "again"}),
        )
        .await;
    assert_eq!((twice.status, twice.code()), (409, "dispute_state"));
    c.app.assert_audit_clean().await;
}

#[tokio::test]
async fn a_contested_refund_request_is_split_by_an_admin_who_sees_the_evidence() {
    let mut c = Case::new("2026-12-01T10:00:00Z").await;
    let milestone = c.funded_milestone("600.00", true).await;
    let deliverable = ready_file(&c.app, &c.freelancer.access, "deliverable", &png(300)).await;
    let resubmitted = c
        .act(
            &c.client.access,
            &milestone,
            "request-changes",
            json!({"message": "Please add tests."}),
        )
        .await;
    assert_eq!(resubmitted.status, 200, "{}", resubmitted.body);
    let submitted = c
        .act(
            &c.freelancer.access,
            &milestone,
            "submit",
            json!({"message": "Tests added.", "file_ids": [deliverable]}),
        )
        .await;
    assert_eq!(submitted.status, 200, "{}", submitted.body);
    let said = c
        .app
        .post(
            &format!("/v1/rooms/room_{}/messages", c.contract),
            Some(&c.client.access),
            &json!({"text": "The tests do not cover the refund path."}),
        )
        .await;
    assert_eq!(said.status, 201, "{}", said.body);

    let opened = c
        .open(
            &c.client.access,
            json!({"milestone_id": milestone, "reason": REASON}),
        )
        .await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    let id = opened.body["id"].as_str().unwrap().to_string();
    // Contesting $600.00 costs the freelancer 5 % ($30.00), held until the ruling.
    assert_eq!(opened.body["arbitration_fee"]["amount"]["amount"], "30.00");
    c.freelancer_has_available("30.00").await;
    c.at(t("2026-12-03T09:00:00Z")).await;
    let contested = c
        .on_dispute(
            &c.freelancer.access,
            &id,
            "respond",
            json!({"accept": false, "message": "All agreed features are delivered."}),
        )
        .await;
    assert_eq!(contested.status, 200, "{}", contested.body);
    assert_eq!(contested.body["state"], "in_mediation");

    // Contested: the deadline no longer decides it, and the auto-release of the submission
    // (14 days after it) cannot touch the frozen escrow.
    assert_eq!(
        c.app
            .fire("dispute-deadlines", t("2026-12-09T00:00:00Z"))
            .await["applied"],
        0
    );
    assert_eq!(
        c.app
            .fire("escrow-auto-release", t("2026-12-20T00:00:00Z"))
            .await["applied"],
        0
    );
    assert_eq!(c.milestone(&milestone).await["state"], "disputed");

    // Mediation is for admins only; they see the queue and the evidence.
    let admin = admin(&c.app).await;
    let queue = c.app.get("/v1/admin/disputes", Some(&admin)).await;
    assert_eq!(queue.status, 200, "{}", queue.body);
    assert_eq!(queue.body["items"][0]["id"], id.as_str());
    assert_eq!(
        c.app
            .get("/v1/admin/disputes", Some(&c.client.access))
            .await
            .status,
        403
    );
    let evidence_path = format!("/v1/disputes/{id}/evidence");
    assert_eq!(
        c.app
            .get(&evidence_path, Some(&c.client.access))
            .await
            .status,
        403
    );
    let evidence = c.app.get(&evidence_path, Some(&admin)).await;
    assert_eq!(evidence.status, 200, "{}", evidence.body);
    assert_eq!(evidence.body["submissions"].as_array().unwrap().len(), 2);
    assert_eq!(
        evidence.body["submissions"][1]["files"][0]["file_id"],
        deliverable.as_str()
    );
    assert!(
        evidence.body["submissions"][1]["files"][0]["download"]["url"]
            .as_str()
            .unwrap()
            .contains(&deliverable)
    );
    assert!(evidence.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["text"] == "The tests do not cover the refund path."));
    assert_eq!(evidence.body["contract"]["id"], c.contract.as_str());

    let resolve = |body: Value| c.on_dispute(&admin, &id, "resolve", body);
    let by_client = c
        .on_dispute(
            &c.client.access,
            &id,
            "resolve",
            json!({"outcome": "refund", "note": "x"}),
        )
        .await;
    assert_eq!(by_client.status, 403, "{}", by_client.body);
    for (body, field) in [
        (
            json!({"outcome": "split", "note": "half"}),
            "freelancer_amount",
        ),
        (
            json!({"outcome": "split", "freelancer_amount": {"amount": "600.01", "currency": "USD"}, "note": "n"}),
            "freelancer_amount",
        ),
        (
            json!({"outcome": "refund", "freelancer_amount": {"amount": "1.00", "currency": "USD"}, "note": "n"}),
            "freelancer_amount",
        ),
        (
            json!({"outcome": "split", "freelancer_amount": {"amount": "250.00", "currency": "USD"}, "note": ""}),
            "note",
        ),
        (json!({"outcome": "keep"}), "body"),
    ] {
        let bad = resolve(body.clone()).await;
        assert_eq!(bad.status, 422, "{body} → {}", bad.body);
        if field != "body" {
            assert_eq!(bad.body["errors"][0]["field"], field, "{}", bad.body);
        }
    }
    let split = resolve(json!({"outcome": "split",
        "freelancer_amount": {"amount": "250.00", "currency": "USD"},
        "note": "Most features shipped; the refund path was missing."}))
    .await;
    assert_eq!(split.status, 200, "{}", split.body);
    assert_eq!(split.body["resolution"]["decided_by"], "mediation");
    assert_eq!(
        split.body["resolution"]["to_freelancer"]["amount"],
        "250.00"
    );
    assert_eq!(split.body["resolution"]["to_client"]["amount"], "350.00");
    // The freelancer won 250/600 of the stake: $12.50 of the $30.00 fee comes back.
    assert_eq!(split.body["arbitration_fee"]["returned"]["amount"], "12.50");
    // The ruling is in the admins' audit trail, with its outcome and note.
    let trail = c
        .app
        .get(&format!("/v1/admin/audit?subject={id}"), Some(&admin))
        .await;
    assert_eq!(
        trail.body["items"][0]["action"], "resolve_dispute",
        "{}",
        trail.body
    );
    assert_eq!(
        trail.body["items"][0]["reason"],
        "split: Most features shipped; the refund path was missing."
    );
    assert_eq!(
        c.app.wallet(&c.freelancer.access).await["available"],
        "12.50"
    );
    let again = resolve(json!({"outcome": "refund", "note": "changed my mind"})).await;
    assert_eq!((again.status, again.code()), (409, "dispute_state"));

    let m = c.milestone(&milestone).await;
    assert_eq!(m["state"], "released", "{m}");
    // $250.00 released: 20 % service fee → $200.00 pending for the freelancer. The client
    // gets $350.00 back with 350/600 of the $30.00 client fee ($17.50).
    assert_eq!(
        c.app.wallet(&c.freelancer.access).await["pending"],
        "200.00"
    );
    let wallet = c.app.wallet(&c.client.access).await;
    assert_eq!(
        (wallet["in_escrow"].as_str(), wallet["available"].as_str()),
        (Some("0.00"), Some("367.50")),
        "{wallet}"
    );
    c.app.assert_audit_clean().await;
}

#[tokio::test]
async fn silence_decides_for_the_opener_when_the_deadline_comes() {
    let mut c = Case::new("2026-12-01T10:00:00Z").await;
    // The client asks for a refund of a submitted milestone and the freelancer never answers.
    let refund_asked = c.funded_milestone("300.00", true).await;
    let opened = c
        .open(
            &c.client.access,
            json!({"milestone_id": refund_asked, "reason": REASON}),
        )
        .await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    let refund_id = opened.body["id"].as_str().unwrap().to_string();
    let refund_by = t(opened.body["respond_by"].as_str().unwrap());
    assert_eq!(refund_by, t("2026-12-08T10:00:00Z"));

    // The freelancer disputes another submitted milestone the client does not approve.
    let second = add_milestone(&c.app, &c.client.access, &c.contract, "200.00").await;
    assert_eq!(
        c.act(&c.client.access, &second, "fund", json!({}))
            .await
            .status,
        200
    );
    c.at(t("2026-12-02T10:00:00Z")).await;
    let done = c
        .act(
            &c.freelancer.access,
            &second,
            "submit",
            json!({"message": "Done."}),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let disputed = c
        .open(
            &c.freelancer.access,
            json!({"milestone_id": second, "reason": "The client stopped answering."}),
        )
        .await;
    assert_eq!(disputed.status, 201, "{}", disputed.body);
    assert_eq!(disputed.body["kind"], "non_approval");
    let release_by = t(disputed.body["respond_by"].as_str().unwrap());
    assert_eq!(release_by, t("2026-12-09T10:00:00Z"));

    // A second before each deadline nothing happens; an answer after it is too late.
    assert_eq!(
        c.app
            .fire("dispute-deadlines", refund_by - Duration::seconds(1))
            .await["applied"],
        0
    );
    let summary = c.app.fire("dispute-deadlines", refund_by).await;
    assert_eq!(summary["applied"], 1, "{summary}");
    assert_eq!(c.milestone(&refund_asked).await["state"], "refunded");
    let dispute = c
        .app
        .get(
            &format!("/v1/disputes/{refund_id}"),
            Some(&c.freelancer.access),
        )
        .await;
    assert_eq!(dispute.body["resolution"]["decided_by"], "deadline");
    assert_eq!(dispute.body["resolution"]["outcome"], "refund");

    c.at(release_by).await;
    let late = c
        .on_dispute(
            &c.client.access,
            disputed.body["id"].as_str().unwrap(),
            "respond",
            json!({"accept": false, "message": "I was away."}),
        )
        .await;
    assert_eq!(
        (late.status, late.code()),
        (409, "deadline_passed"),
        "{}",
        late.body
    );
    assert_eq!(
        c.app.fire("dispute-deadlines", release_by).await["applied"],
        1
    );
    // A re-run of the schedule settles nothing twice.
    assert_eq!(
        c.app
            .fire("dispute-deadlines", release_by + Duration::hours(1))
            .await["applied"],
        0
    );
    let m = c.milestone(&second).await;
    assert_eq!(m["state"], "released", "{m}");
    // The $200.00 release pays $160.00 after the 20 % band; the refund gave back $315.00.
    assert_eq!(
        c.app.wallet(&c.freelancer.access).await["pending"],
        "160.00"
    );
    let wallet = c.app.wallet(&c.client.access).await;
    assert_eq!(wallet["available"], "315.00", "{wallet}");
    assert_eq!(wallet["in_escrow"], "0.00", "{wallet}");
    c.app.assert_audit_clean().await;
}

#[tokio::test]
async fn an_hourly_dispute_pays_the_protected_hours_and_refunds_the_rest() {
    let mut c = Case::new("2026-12-07T08:00:00Z").await;
    c.contract = hourly_contract(&c.app, &c.client.access, &c.freelancer.access, 3).await;
    // Tuesday: one hour tracked with screenshots and memos (protected), one hour manual.
    c.at(t("2026-12-08T12:00:00Z")).await;
    let mut segments = Vec::new();
    for i in 0..6 {
        let shot = ready_file(&c.app, &c.freelancer.access, "screenshot", &png(200 + i)).await;
        segments.push(
            json!({"start": rfc3339(t("2026-12-08T09:00:00Z") + Duration::minutes(10 * i as i64)),
            "activity": 60, "keystrokes": 300, "mouse": 100, "memo": "Invoicing worker",
            "screenshot_file_id": shot}),
        );
    }
    for i in 0..6 {
        segments.push(
            json!({"start": rfc3339(t("2026-12-08T10:00:00Z") + Duration::minutes(10 * i)),
            "manual": true, "memo": "Planning call"}),
        );
    }
    let logged = c
        .app
        .post(
            &format!("/v1/contracts/{}/time", c.contract),
            Some(&c.freelancer.access),
            &json!({"segments": segments}),
        )
        .await;
    assert_eq!(logged.status, 200, "{}", logged.body);
    c.at(t("2026-12-14T12:00:00Z")).await;
    assert_eq!(
        c.app
            .fire("weekly-billing-close", t("2026-12-14T12:00:00Z"))
            .await["applied"],
        1
    );
    let weeks = c
        .app
        .get(
            &format!("/v1/contracts/{}/timesheets", c.contract),
            Some(&c.client.access),
        )
        .await;
    let week = weeks.body["items"][0].clone();
    assert_eq!(week["invoice"]["amount"]["amount"], "60.00", "{week}");
    assert_eq!(week["invoice"]["protected_minutes"], 60, "{week}");
    let week_id = week["id"].as_str().unwrap().to_string();

    c.at(t("2026-12-16T09:00:00Z")).await;
    let opened = c
        .open(
            &c.client.access,
            json!({"timesheet_id": week_id, "reason": REASON, "refund_to": "card"}),
        )
        .await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    assert_eq!(opened.body["kind"], "hourly_hours");
    assert_eq!(opened.body["refund_to"], "card");
    assert_eq!(opened.body["protected_amount"]["amount"], "30.00");
    assert_eq!(opened.body["respond_by"], "2026-12-19T09:00:00Z");
    let id = opened.body["id"].as_str().unwrap().to_string();
    // The stake is the unprotected $30.00: the $15.00 floor (never above the stake).
    assert_eq!(opened.body["arbitration_fee"]["amount"]["amount"], "15.00");
    c.freelancer_has_available("15.00").await;
    let contested = c
        .on_dispute(
            &c.freelancer.access,
            &id,
            "respond",
            json!({"accept": false, "message": "The diary shows the work."}),
        )
        .await;
    assert_eq!(
        contested.body["state"], "in_mediation",
        "{}",
        contested.body
    );

    // The weekly release and the deadline pass the frozen week by.
    assert_eq!(
        c.app
            .fire("hourly-review-release", t("2026-12-19T00:00:00Z"))
            .await["applied"],
        0
    );
    assert_eq!(
        c.app
            .fire("dispute-deadlines", t("2026-12-19T09:00:00Z"))
            .await["applied"],
        0
    );
    assert_eq!(
        c.app.wallet(&c.freelancer.access).await["in_review"],
        "60.00"
    );

    // The admin decides on Saturday morning, after the week's Wednesday would have been set.
    c.at(t("2026-12-19T09:00:00Z")).await;
    let admin = admin(&c.app).await;
    let evidence = c
        .app
        .get(&format!("/v1/disputes/{id}/evidence"), Some(&admin))
        .await;
    assert_eq!(evidence.status, 200, "{}", evidence.body);
    let diary = evidence.body["segments"].as_array().unwrap();
    assert_eq!(diary.len(), 12);
    assert_eq!(
        diary
            .iter()
            .filter(|s| s["screenshot"]["download"]["url"].is_string())
            .count(),
        6
    );
    assert_eq!(evidence.body["timesheet"]["id"], week_id.as_str());
    // Protection is a floor: the admin cannot give the freelancer less than the protected hours.
    let below = c
        .on_dispute(
            &admin,
            &id,
            "resolve",
            json!({"outcome": "split",
            "freelancer_amount": {"amount": "29.99", "currency": "USD"}, "note": "n"}),
        )
        .await;
    assert_eq!(below.status, 422, "{}", below.body);
    let resolved = c
        .on_dispute(
            &admin,
            &id,
            "resolve",
            json!({"outcome": "refund", "note": "Manual time was not agreed for this week."}),
        )
        .await;
    assert_eq!(resolved.status, 200, "{}", resolved.body);
    assert_eq!(
        resolved.body["resolution"]["to_freelancer"]["amount"],
        "30.00"
    );
    assert_eq!(resolved.body["resolution"]["to_client"]["amount"], "30.00");

    let weeks = c
        .app
        .get(
            &format!("/v1/contracts/{}/timesheets", c.contract),
            Some(&c.freelancer.access),
        )
        .await;
    let week = &weeks.body["items"][0];
    assert_eq!(week["state"], "released", "{week}");
    assert_eq!(week["payment"]["gross"]["amount"], "30.00");
    assert_eq!(week["payment"]["net"]["amount"], "24.00");
    assert_eq!(week["refunded"]["amount"], "30.00");
    // The share matures a full security period after the settlement (later than Wednesday).
    assert_eq!(week["available_at"], "2026-12-24T09:00:00Z", "{week}");
    let freelancer = c.app.wallet(&c.freelancer.access).await;
    assert_eq!(
        (
            freelancer["in_review"].as_str(),
            freelancer["pending"].as_str()
        ),
        (Some("0.00"), Some("24.00")),
        "{freelancer}"
    );
    // $30.00 back with half the $3.00 client fee, on to the card that paid the invoice, as
    // the client chose: nothing stays in the balance.
    let refunds = c.card_refunds().await;
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(
        (
            refunds[0]["state"].as_str(),
            refunds[0]["amount"]["amount"].as_str(),
            refunds[0]["reference"].as_str(),
            refunds[0]["dispute_id"].as_str(),
        ),
        (
            Some("refunded"),
            Some("31.50"),
            Some(week_id.as_str()),
            Some(id.as_str())
        ),
        "{refunds:?}"
    );
    assert_eq!(c.refunded_by_the_sandbox(), vec!["31.50".to_string()]);
    let client = c.app.wallet(&c.client.access).await;
    assert_eq!(
        (client["in_escrow"].as_str(), client["available"].as_str()),
        (Some("0.00"), Some("0.00")),
        "{client}"
    );
    c.app.assert_audit_clean().await;

    assert_eq!(
        c.app
            .fire("earnings-availability", t("2026-12-24T08:59:59Z"))
            .await["applied"],
        0
    );
    assert_eq!(
        c.app
            .fire("earnings-availability", t("2026-12-24T09:00:00Z"))
            .await["applied"],
        1
    );
    assert_eq!(
        c.app.wallet(&c.freelancer.access).await["available"],
        "24.00"
    );
    c.app.assert_audit_clean().await;
}

impl Case {
    /// Contesting costs an arbitration fee, held from the freelancer's available earnings:
    /// `amount` of earlier earnings, posted from the outside straight into that account
    /// (test setup standing in for weeks of released work; the ledger stays balanced).
    async fn freelancer_has_available(&self, amount: &str) {
        use worklane::domain::ids::{TransferId, UserId};
        use worklane::domain::ledger::{AccountId, Phase, Transfer, TransferCode};
        use worklane::domain::money::{Currency, Money};
        let user = UserId::parse(&user_id(&self.app, &self.freelancer.access).await).unwrap();
        let now = chrono::Utc::now();
        let seed = Transfer::new(
            TransferId::generate(now),
            AccountId::world(Currency::USD),
            AccountId::available(&user),
            Money::usd(amount).unwrap(),
            Phase::Posted,
            TransferCode::Availability,
            "earlier work",
            now,
        );
        let tx = worklane::store::ledger::Movement::new()
            .transfer(seed)
            .write(worklane::store::Tx::new())
            .unwrap();
        self.app.stack.app.store.transact(tx).await.unwrap();
        let wallet = self.app.wallet(&self.freelancer.access).await;
        assert_eq!(wallet["available"], amount, "{wallet}");
    }

    /// The client contests, under an Idempotency-Key of its own per dispute.
    async fn contest(&self, id: &str) -> Reply {
        let body = json!({"accept": false, "message": "The work is not done."}).to_string();
        let key = format!("contest-{id}");
        self.app
            .send(
                http::Method::POST,
                &format!("/v1/disputes/{id}/respond"),
                Some(&self.client.access),
                Some(&body),
                &[("idempotency-key", &key)],
            )
            .await
    }

    async fn my_disputes(&self, token: &str) -> Vec<Value> {
        let page = self.app.get("/v1/me/disputes", Some(token)).await;
        assert_eq!(page.status, 200, "{}", page.body);
        page.body["items"].as_array().unwrap().clone()
    }

    async fn contract(&self) -> Value {
        let contract = self
            .app
            .get(
                &format!("/v1/contracts/{}", self.contract),
                Some(&self.client.access),
            )
            .await;
        assert_eq!(contract.status, 200, "{}", contract.body);
        contract.body
    }

    /// An hourly contract (limit 3 h) with one tracked, protected hour on Tuesday 8 December,
    /// closed and charged on Monday 14 December. Returns the week's id.
    async fn hourly_week_in_review(&mut self) -> String {
        self.contract =
            hourly_contract(&self.app, &self.client.access, &self.freelancer.access, 3).await;
        self.at(t("2026-12-08T12:00:00Z")).await;
        let mut segments = Vec::new();
        for i in 0..6 {
            let shot = ready_file(
                &self.app,
                &self.freelancer.access,
                "screenshot",
                &png(400 + i),
            )
            .await;
            segments.push(json!({
                "start": rfc3339(t("2026-12-08T09:00:00Z") + Duration::minutes(10 * i as i64)),
                "activity": 60, "keystrokes": 300, "mouse": 100, "memo": "Invoicing worker",
                "screenshot_file_id": shot}));
        }
        let logged = self
            .app
            .post(
                &format!("/v1/contracts/{}/time", self.contract),
                Some(&self.freelancer.access),
                &json!({"segments": segments}),
            )
            .await;
        assert_eq!(logged.status, 200, "{}", logged.body);
        self.at(t("2026-12-14T12:00:00Z")).await;
        let closed = self
            .app
            .fire("weekly-billing-close", t("2026-12-14T12:00:00Z"))
            .await;
        assert_eq!(closed["applied"], 1, "{closed}");
        let weeks = self
            .app
            .get(
                &format!("/v1/contracts/{}/timesheets", self.contract),
                Some(&self.client.access),
            )
            .await;
        assert_eq!(
            weeks.body["items"][0]["state"], "in_review",
            "{}",
            weeks.body
        );
        weeks.body["items"][0]["id"].as_str().unwrap().to_string()
    }
}

/// The weekly limit in force: the last limit change recorded (all apply at once here).
fn weekly_limit(contract: &Value) -> u64 {
    contract["amendments"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|a| a["kind"] == "weekly_limit_changed")
        .map(|a| a["detail"]["to"].as_u64().unwrap())
        .unwrap_or(3)
}

#[tokio::test]
async fn the_opener_withdraws_and_the_milestone_is_back_with_its_clock() {
    let mut c = Case::new("2026-12-01T10:00:00Z").await;
    let milestone = c.funded_milestone("400.00", true).await;
    let submitted = c.milestone(&milestone).await;
    assert_eq!(submitted["auto_release_at"], "2026-12-15T10:00:00Z");
    let opened = c
        .open(
            &c.client.access,
            json!({"milestone_id": milestone, "reason": REASON}),
        )
        .await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    let id = opened.body["id"].as_str().unwrap().to_string();

    // Both parties list it, newest first; a stranger's list is empty.
    for party in [&c.client.access, &c.freelancer.access] {
        let mine = c.my_disputes(party).await;
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0]["id"], id.as_str());
        assert_eq!(mine[0]["state"], "open");
    }
    assert!(c.my_disputes(&c.stranger.access).await.is_empty());

    // Only the opener withdraws; strangers learn nothing.
    let by_other = c
        .on_dispute(&c.freelancer.access, &id, "withdraw", json!({}))
        .await;
    assert_eq!(by_other.status, 403, "{}", by_other.body);
    assert_eq!(
        c.on_dispute(&c.stranger.access, &id, "withdraw", json!({}))
            .await
            .status,
        404
    );

    // The freelancer contests: mediation; the client withdraws after the 14 days would have
    // run out. The clock was never stopped, so the auto-release is due at once.
    c.at(t("2026-12-02T10:00:00Z")).await;
    c.freelancer_has_available("20.00").await;
    let contested = c
        .on_dispute(
            &c.freelancer.access,
            &id,
            "respond",
            json!({"accept": false, "message": "All delivered."}),
        )
        .await;
    assert_eq!(
        contested.body["state"], "in_mediation",
        "{}",
        contested.body
    );
    let admin = admin(&c.app).await;
    let queue = c.app.get("/v1/admin/disputes", Some(&admin)).await;
    assert_eq!(queue.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        c.app
            .fire("escrow-auto-release", t("2026-12-16T00:00:00Z"))
            .await["applied"],
        0
    );
    c.at(t("2026-12-20T10:00:00Z")).await;
    let withdrawn = c
        .on_dispute(&c.client.access, &id, "withdraw", json!({}))
        .await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.body);
    assert_eq!(withdrawn.body["state"], "withdrawn");
    assert_eq!(withdrawn.body["withdrawn_at"], "2026-12-20T10:00:00Z");
    // Out of the admins' queue; the parties' lists say withdrawn.
    let admin = worklane_tests::admin(&c.app).await;
    let queue = c.app.get("/v1/admin/disputes", Some(&admin)).await;
    assert!(
        queue.body["items"].as_array().unwrap().is_empty(),
        "{}",
        queue.body
    );
    assert_eq!(
        c.my_disputes(&c.freelancer.access).await[0]["state"],
        "withdrawn"
    );
    // The escrow is still held; the freelancer's arbitration fee is back whole.
    assert_eq!(c.app.wallet(&c.client.access).await["in_escrow"], "400.00");
    assert_eq!(
        c.app.wallet(&c.freelancer.access).await["available"],
        "20.00"
    );
    let back = c.milestone(&milestone).await;
    assert_eq!(back["state"], "submitted", "{back}");
    assert_eq!(back["auto_release_at"], "2026-12-15T10:00:00Z", "{back}");
    c.app.assert_audit_clean().await;

    // Withdrawn is final: no second withdrawal, answer, ruling or dispute of this funding.
    let again = c
        .on_dispute(&c.client.access, &id, "withdraw", json!({}))
        .await;
    assert_eq!((again.status, again.code()), (409, "dispute_state"));
    let ruled = c
        .on_dispute(
            &admin,
            &id,
            "resolve",
            json!({"outcome": "refund", "note": "too late"}),
        )
        .await;
    assert_eq!((ruled.status, ruled.code()), (409, "dispute_state"));
    let reopened = c
        .open(
            &c.client.access,
            json!({"milestone_id": milestone, "reason": REASON}),
        )
        .await;
    assert_eq!(
        (reopened.status, reopened.code()),
        (409, "already_disputed"),
        "{}",
        reopened.body
    );

    // The next auto-release run pays the freelancer ($400.00 less the 20 % band) once.
    let run = c
        .app
        .fire("escrow-auto-release", t("2026-12-20T10:15:00Z"))
        .await;
    assert_eq!(run["applied"], 1, "{run}");
    assert_eq!(
        c.app
            .fire("escrow-auto-release", t("2026-12-20T10:30:00Z"))
            .await["applied"],
        0
    );
    assert_eq!(c.milestone(&milestone).await["state"], "released");
    assert_eq!(
        c.app.wallet(&c.freelancer.access).await["pending"],
        "320.00"
    );
    c.app.assert_audit_clean().await;
}

#[tokio::test]
async fn an_hourly_dispute_pauses_the_contract_until_it_is_withdrawn() {
    let mut c = Case::new("2026-12-07T08:00:00Z").await;
    let week = c.hourly_week_in_review().await;
    c.at(t("2026-12-16T09:00:00Z")).await;
    let opened = c
        .open(
            &c.client.access,
            json!({"timesheet_id": week, "reason": REASON}),
        )
        .await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    let id = opened.body["id"].as_str().unwrap().to_string();
    let paused = c.contract().await;
    assert_eq!(paused["state"], "paused", "{paused}");
    assert_eq!(weekly_limit(&paused), 0, "{paused}");

    let withdrawn = c
        .on_dispute(&c.client.access, &id, "withdraw", json!({}))
        .await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.body);
    // The contract runs again with its limit; the week is back in review.
    let resumed = c.contract().await;
    assert_eq!(resumed["state"], "active", "{resumed}");
    assert_eq!(weekly_limit(&resumed), 3, "{resumed}");
    let weeks = c
        .app
        .get(
            &format!("/v1/contracts/{}/timesheets", c.contract),
            Some(&c.client.access),
        )
        .await;
    assert_eq!(
        weeks.body["items"][0]["state"], "in_review",
        "{}",
        weeks.body
    );
    c.app.assert_audit_clean().await;
    // Released on the calendar as any week: Saturday 00:00, once.
    assert_eq!(
        c.app
            .fire("hourly-review-release", t("2026-12-18T23:59:59Z"))
            .await["applied"],
        0
    );
    assert_eq!(
        c.app
            .fire("hourly-review-release", t("2026-12-19T00:00:00Z"))
            .await["applied"],
        1
    );
    assert_eq!(
        c.app
            .fire("hourly-review-release", t("2026-12-19T00:15:00Z"))
            .await["applied"],
        0
    );
    assert_eq!(c.app.wallet(&c.freelancer.access).await["pending"], "24.00");
    c.app.assert_audit_clean().await;
}

#[tokio::test]
async fn an_hourly_contract_resumes_on_settlement_unless_the_client_paused_it() {
    let mut c = Case::new("2026-12-07T08:00:00Z").await;
    let week = c.hourly_week_in_review().await;
    c.at(t("2026-12-16T09:00:00Z")).await;
    let opened = c
        .open(
            &c.client.access,
            json!({"timesheet_id": week, "reason": REASON}),
        )
        .await;
    let id = opened.body["id"].as_str().unwrap().to_string();
    assert_eq!(c.contract().await["state"], "paused");
    // Nobody answers: the deadline refunds all but the protected hour, and the contract the
    // dispute paused runs again with its limit.
    let lapsed = c
        .app
        .fire("dispute-deadlines", t("2026-12-19T09:00:00Z"))
        .await;
    assert_eq!(lapsed["applied"], 1, "{lapsed}");
    let resumed = c.contract().await;
    assert_eq!(resumed["state"], "active", "{resumed}");
    assert_eq!(weekly_limit(&resumed), 3, "{resumed}");
    let dispute = c
        .app
        .get(&format!("/v1/disputes/{id}"), Some(&c.client.access))
        .await;
    assert_eq!(dispute.body["state"], "resolved");
    c.app.assert_audit_clean().await;

    // A contract the client paused himself stays paused after its dispute.
    let mut c = Case::new("2026-12-07T08:00:00Z").await;
    let week = c.hourly_week_in_review().await;
    c.at(t("2026-12-15T09:00:00Z")).await;
    let pause = c
        .app
        .post(
            &format!("/v1/contracts/{}/pause", c.contract),
            Some(&c.client.access),
            &json!({}),
        )
        .await;
    assert_eq!(pause.status, 200, "{}", pause.body);
    let id = c
        .opened(
            &c.client.access,
            json!({"timesheet_id": week, "reason": REASON}),
        )
        .await;
    c.accepted_by_the_freelancer(&id).await;
    let after = c.contract().await;
    assert_eq!(after["state"], "paused", "{after}");
    assert_eq!(weekly_limit(&after), 3, "{after}");
    c.app.assert_audit_clean().await;
}

#[tokio::test]
async fn contesting_costs_a_fee_scaled_to_the_stake_that_follows_the_outcome() {
    let mut c = Case::new("2026-12-01T10:00:00Z").await;
    // The price is published with the other fees, so an app shows it before anyone contests.
    let catalogue = c.app.get("/v1/catalogue", None).await;
    let arbitration = &catalogue.body["fees"]["arbitration_fees"][0];
    assert_eq!(
        (
            arbitration["rate"].as_str(),
            arbitration["floor"].as_str(),
            arbitration["cap"].as_str()
        ),
        (Some("0.05"), Some("15.00"), Some("300.00")),
        "{}",
        catalogue.body
    );

    // B ($600) and C ($300) submitted; A ($400) refunded, so the client has $420.00 of balance.
    let b = c.funded_milestone("600.00", true).await;
    let mut more = Vec::new();
    for amount in ["300.00", "400.00"] {
        let m = add_milestone(&c.app, &c.client.access, &c.contract, amount).await;
        let funded = c.act(&c.client.access, &m, "fund", json!({})).await;
        assert_eq!(funded.status, 200, "{}", funded.body);
        more.push(m);
    }
    let (cm, a) = (more[0].clone(), more[1].clone());
    let done = c
        .act(
            &c.freelancer.access,
            &cm,
            "submit",
            json!({"message": "Done."}),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let refunded = c.act(&c.freelancer.access, &a, "refund", json!({})).await;
    assert_eq!(refunded.status, 200, "{}", refunded.body);
    assert_eq!(c.app.wallet(&c.client.access).await["available"], "420.00");

    // The freelancer disputes both missing approvals; each shows what contesting costs:
    // 5 % of the stake, at least the $15.00 floor.
    let mut ids = Vec::new();
    for (m, fee) in [(&b, "30.00"), (&cm, "15.00")] {
        let opened = c
            .open(
                &c.freelancer.access,
                json!({"milestone_id": m, "reason": "The client stopped answering."}),
            )
            .await;
        assert_eq!(opened.status, 201, "{}", opened.body);
        assert_eq!(
            opened.body["arbitration_fee"],
            json!({"amount": {"amount": fee, "currency": "USD"}, "schedule": "2026-12-arbitration"})
        );
        ids.push(opened.body["id"].as_str().unwrap().to_string());
    }
    let (on_b, on_c) = (ids[0].clone(), ids[1].clone());

    // The client escalates B: the $30.00 is held from the balance in the same transaction.
    // A retry with the same Idempotency-Key replays the answer and charges nothing more.
    let contested = c.contest(&on_b).await;
    assert_eq!(contested.status, 200, "{}", contested.body);
    assert_eq!(contested.body["arbitration_fee"]["paid_by"], "client");
    let replay = c.contest(&on_b).await;
    assert_eq!(replay.status, 200, "{}", replay.body);
    assert_eq!(replay.body, contested.body);
    let again = c
        .on_dispute(
            &c.client.access,
            &on_b,
            "respond",
            json!({"accept": false, "message": "Once more."}),
        )
        .await;
    assert_eq!((again.status, again.code()), (409, "dispute_state"));
    assert_eq!(c.app.wallet(&c.client.access).await["available"], "390.00");
    c.app.assert_audit_clean().await;

    // C too ($15.00); then the freelancer withdraws C: the claim is dropped, the fee returns
    // whole and the milestone is submitted again.
    assert_eq!(c.contest(&on_c).await.status, 200);
    assert_eq!(c.app.wallet(&c.client.access).await["available"], "375.00");
    let withdrawn = c
        .on_dispute(&c.freelancer.access, &on_c, "withdraw", json!({}))
        .await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.body);
    assert_eq!(
        withdrawn.body["arbitration_fee"]["returned"]["amount"],
        "15.00"
    );
    assert_eq!(c.milestone(&cm).await["state"], "submitted");
    assert_eq!(c.app.wallet(&c.client.access).await["available"], "390.00");
    c.app.assert_audit_clean().await;

    // The admin splits B: $250.00 to the freelancer, $350.00 back. The client won 350/600
    // of the stake, so 350/600 of the fee comes back ($17.50); the platform keeps $12.50.
    let admin = admin(&c.app).await;
    let split = c
        .on_dispute(
            &admin,
            &on_b,
            "resolve",
            json!({"outcome": "split",
                "freelancer_amount": {"amount": "250.00", "currency": "USD"},
                "note": "Partly delivered."}),
        )
        .await;
    assert_eq!(split.status, 200, "{}", split.body);
    assert_eq!(split.body["arbitration_fee"]["returned"]["amount"], "17.50");
    let twice = c
        .on_dispute(
            &admin,
            &on_b,
            "resolve",
            json!({"outcome": "refund", "note": "again"}),
        )
        .await;
    assert_eq!((twice.status, twice.code()), (409, "dispute_state"));
    // $390.00 − $12.50 kept + $350.00 refunded + $17.50 of the client fee.
    let wallet = c.app.wallet(&c.client.access).await;
    assert_eq!(wallet["available"], "775.00", "{wallet}");
    assert_eq!(
        c.app.wallet(&c.freelancer.access).await["pending"],
        "200.00"
    );
    c.app.assert_audit_clean().await;

    // Contesting needs the money: the freelancer has no available earnings yet.
    let d = add_milestone(&c.app, &c.client.access, &c.contract, "100.00").await;
    assert_eq!(
        c.act(&c.client.access, &d, "fund", json!({})).await.status,
        200
    );
    let asked = c
        .open(
            &c.client.access,
            json!({"milestone_id": d, "reason": REASON}),
        )
        .await;
    assert_eq!(asked.status, 201, "{}", asked.body);
    let asked_id = asked.body["id"].as_str().unwrap();
    let short = c
        .on_dispute(
            &c.freelancer.access,
            asked_id,
            "respond",
            json!({"accept": false, "message": "I did the work."}),
        )
        .await;
    assert_eq!(
        (short.status, short.code()),
        (409, "insufficient_funds"),
        "{}",
        short.body
    );
    let still = c
        .app
        .get(
            &format!("/v1/disputes/{asked_id}"),
            Some(&c.freelancer.access),
        )
        .await;
    assert_eq!(still.body["state"], "open");
    c.app.assert_audit_clean().await;
}
