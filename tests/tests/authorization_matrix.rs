//! The authorization matrix (issue 16, part 4): every route of the table, called as an
//! anonymous caller, a stranger, an account of the wrong role, the right party, the other side
//! of the object (holding every role) and an admin, on real objects of one world, and the
//! answers checked: never a 5xx, never a 2xx that reads or changes someone else's object,
//! never another's id in an answer to a non-party. It walks `functions::routes()`, so a new
//! route enters the matrix by itself — and fails it until `spec` says who owns what it
//! touches.

use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use worklane::http::query::QueryKind;
use worklane::http::router::{Access, Route};
use worklane_tests::{
    add_milestone, admin, fixed_contract, hourly_contract, png, ready_file, user_id, Reply, TestApp,
};

/// The world is built on a frozen clock (a Wednesday) and the matrix runs a few minutes later:
/// late enough that the hourly contract has a past 10-minute block to log, early enough that
/// the tokens issued at the start (15 minutes) still hold.
const START: &str = "2026-12-09T09:50:00Z";
const NOW: &str = "2026-12-09T10:01:00Z";
/// Any date-time in an example body is moved to that block, so a body is refused for who
/// sends it rather than for when it says.
const EXAMPLE_TIME: &str = "2026-12-09T09:50:00Z";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Party {
    Client,
    Freelancer,
    Admin,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// Anyone, anonymous included, may get a 2xx.
    Public,
    /// Any signed-in caller (holding the route's role) may act; it names nobody's object.
    Open,
    /// The caller's own things (`/v1/me/...`): a stranger gets a 2xx with *their* data.
    Mine,
    /// The path (or the body) names an object of the owner party: nobody else gets a 2xx.
    Owned,
    /// Admins only.
    AdminOnly,
    /// Ends the caller's session: only the anonymous call is made, or it would sign the
    /// matrix's own callers out halfway.
    Session,
}

#[derive(Clone, Copy, Debug)]
struct Spec {
    kind: Kind,
    owner: Party,
    /// Which of several objects of the collection the `{id}` (or body id) names.
    pick: Option<&'static str>,
    /// An admin may read it (mediation, identity review) though no party to it.
    admin_may: bool,
    /// The other side of the object (the freelancer of the client's contract, the client of
    /// the freelancer's proposal) is a right party too; without it, the other side is refused
    /// like a stranger, even holding the role the action needs.
    both: bool,
    /// The right parties' own writes are skipped: they would take apart the world later rows
    /// still need. Everyone else's calls are always made (and must be refused).
    destroys: bool,
}

impl Spec {
    const fn new(kind: Kind, owner: Party) -> Spec {
        Spec {
            kind,
            owner,
            pick: None,
            admin_may: false,
            both: false,
            destroys: false,
        }
    }
    const fn pick(mut self, pick: &'static str) -> Spec {
        self.pick = Some(pick);
        self
    }
    const fn admin_may(mut self) -> Spec {
        self.admin_may = true;
        self
    }
    const fn both(mut self) -> Spec {
        self.both = true;
        self
    }
    const fn destroys(mut self) -> Spec {
        self.destroys = true;
        self
    }
}

/// Who owns what each operation touches. A route missing here fails the test by name: say
/// who its right party is before it ships.
fn spec(operation_id: &str) -> Option<Spec> {
    use Kind::*;
    use Party::*;
    let s = Spec::new;
    Some(match operation_id {
        "openapi" | "getCatalogue" | "signup" | "confirmEmail" | "login" | "refresh" => {
            s(Public, Client)
        }
        "getFreelancer" | "listUserFeedback" => s(Public, Freelancer),
        "logout" => s(Session, Client),

        "listDisputesInMediation"
        | "listIdentityReviews"
        | "getIdentityReview"
        | "approveIdentity"
        | "rejectIdentity"
        | "auditLedger"
        | "resolveDispute"
        | "getDisputeEvidence"
        | "getAccountStanding"
        | "suspendAccount"
        | "reinstateAccount"
        | "listAuditTrail"
        | "listContentReports"
        | "getContentReport" => s(AdminOnly, Admin),
        // Each decides the world's one report for good.
        "dismissContentReport"
        | "removeReportedContent"
        | "warnContentOwner"
        | "suspendContentOwner" => s(AdminOnly, Admin).destroys(),
        // Anyone who sees the public job may report it (the example body names it).
        "reportContent" => s(Open, Freelancer),

        "getMe"
        | "addRole"
        | "listMyNotifications"
        | "markMyNotificationsRead"
        | "listRooms"
        | "listMyDisputes"
        | "createUpload"
        | "getMyIdentity"
        | "listMyContentReports" => s(Mine, Freelancer),
        "listBillingMethods" | "addBillingMethod" | "listMyContracts" | "listMyJobs"
        | "listMyOffers" | "getMyClientProfile" | "putClientProfile" | "listMyCardRefunds" => {
            s(Mine, Client)
        }
        "getMyConnects"
        | "purchaseConnects"
        | "listMyInvitations"
        | "listPayoutMethods"
        | "addPayoutMethod"
        | "listMyProposals"
        | "recommendedJobs"
        | "listSavedJobs"
        | "listSavedSearches"
        | "createSavedSearch"
        | "listMyTransactions"
        | "getMyWallet"
        | "listMyWithdrawals"
        | "requestWithdrawal"
        | "getMyFreelancerProfile"
        | "putFreelancerProfile"
        | "getEarningsReport"
        | "getWorkInProgressReport"
        | "getBillingsByClientReport"
        | "getTimesheetsReport"
        | "getTransactionsReport"
        | "getMyPlan"
        | "subscribeToPlus"
        | "cancelMyPlan"
        | "getMyPlanHistory" => s(Mine, Freelancer),
        // Removes the caller's own bookmark, whatever the id (204 for any job): it neither
        // shows that the job exists nor touches anything of its client's.
        "unsaveJob" => s(Mine, Freelancer),

        "searchJobs" | "searchFreelancers" | "getClient" => s(Open, Freelancer),
        "postJob" => s(Open, Client),

        // Jobs: the invite-only one, which must not even exist for anyone else (the invited
        // freelancer sees it); its proposals are listed on the public one, which has one.
        "editJob" | "pauseJob" | "resumeJob" | "publishJob" | "inviteFreelancer" => {
            s(Owned, Client)
        }
        "getJob" => s(Owned, Client).both(),
        "closeJob" => s(Owned, Client).destroys(),
        "listJobProposals" => s(Owned, Client).pick("public"),
        "submitProposal" => s(Owned, Freelancer),
        // Its client may bookmark their own job.
        "saveJob" => s(Owned, Freelancer).both(),

        "getProposal" => s(Owned, Freelancer).both(),
        "editProposal" => s(Owned, Freelancer),
        "withdrawProposal" => s(Owned, Freelancer).destroys(),
        "shortlistProposal" | "archiveProposal" => s(Owned, Client),
        "declineProposal" => s(Owned, Client).destroys(),

        "acceptInvitation" => s(Owned, Freelancer),
        "declineInvitation" => s(Owned, Freelancer).destroys(),

        // The body names the public job and its freelancer.
        "sendOffer" => s(Owned, Client),
        "getOffer" => s(Owned, Client).both(),
        "acceptOffer" => s(Owned, Freelancer),
        "declineOffer" => s(Owned, Freelancer).destroys(),
        "withdrawOffer" => s(Owned, Client).destroys(),

        "pauseContract" | "resumeContract" | "payBonus" | "addMilestone" => s(Owned, Client),
        "getContract" | "getContractFeedback" | "leaveFeedback" => s(Owned, Client).both(),
        "endContract" => s(Owned, Client).both().destroys(),
        "changeHourlyTerms" => s(Owned, Client).pick("hourly"),
        "listTimesheets" | "getWorkDiary" => s(Owned, Client).pick("hourly").both(),
        "logTime" => s(Owned, Freelancer).pick("hourly"),
        "deleteTimeSegment" => s(Owned, Freelancer),

        "fundMilestone" | "editMilestone" => s(Owned, Client).pick("open"),
        "deleteMilestone" => s(Owned, Client).pick("open").destroys(),
        "approveMilestone" | "requestMilestoneChanges" => s(Owned, Client),
        "submitMilestone" => s(Owned, Freelancer),
        "refundMilestone" => s(Owned, Freelancer).destroys(),

        // The body names the funded milestone; either side may dispute (its state decides).
        "openDispute" => s(Owned, Client).both(),
        "getDispute" => s(Owned, Client).admin_may().both(),
        "answerDispute" => s(Owned, Freelancer),
        // Only the opener (the client's refund request here) withdraws; done for real it
        // would end the dispute later rows still answer.
        "withdrawDispute" => s(Owned, Client).destroys(),

        "getFile" | "completeUpload" => s(Owned, Freelancer),
        // The body names the freelancer's file.
        "submitIdentity" => s(Owned, Freelancer),
        "setDefaultBillingMethod" => s(Owned, Client),
        "deleteSavedSearch" => s(Owned, Freelancer).destroys(),
        "getWithdrawal" => s(Owned, Freelancer),

        "listMessages" | "postMessage" | "markRoomRead" => s(Owned, Client).both(),
        _ => return None,
    })
}

/// How a route `spec` does not know yet is called meanwhile, so its row still shows what
/// strangers get: on an object, as if the client owned it; elsewhere, as the caller's own.
fn guess(route: &Route) -> Spec {
    if route.path.contains('{') {
        Spec::new(Kind::Owned, Party::Client)
    } else {
        Spec::new(Kind::Mine, Party::Client).destroys()
    }
}

/// The real objects of the world, and who holds which token.
struct World {
    app: TestApp,
    /// operationId → the documented example body (GET /openapi.json).
    examples: HashMap<String, Value>,
    client: String,
    freelancer: String,
    stranger: String,
    client_only: String,
    freelancer_only: String,
    /// The client and the freelancer holding both roles, so that only the side they stand
    /// on (never a missing role) can refuse them the other side's actions.
    client_both: String,
    freelancer_both: String,
    admin: String,
    freelancer_id: String,
    /// (collection, pick) → id, as the segment before `{id}` names the collection.
    objects: HashMap<(&'static str, &'static str), String>,
    /// Ids nobody but their parties may see: a 2xx to anyone else must not carry one.
    private: Vec<String>,
}

fn id_of(reply: &Reply, what: &str) -> String {
    assert!(
        (200..300).contains(&reply.status),
        "{what}: {} {}",
        reply.status,
        reply.body
    );
    reply.body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{what} has an id: {}", reply.body))
        .to_string()
}

fn job_body(title: &str, visibility: &str) -> Value {
    json!({"title": title,
        "description": "A serverless REST API in Rust on AWS Lambda with DynamoDB storage.",
        "category": "web-mobile-software-dev", "skills": ["rust", "aws-lambda"],
        "experience_level": "expert", "type": "fixed",
        "budget": {"amount": "600.00", "currency": "USD"}, "duration": "1-3 months",
        "visibility": visibility})
}

impl World {
    /// One of everything, owned by the client or the freelancer.
    async fn build() -> World {
        let app = TestApp::spawn().await;
        app.set_clock(START).await;
        let (client, _) = app.confirmed_user("client@example.com", &["client"]).await;
        let (freelancer, _) = app
            .confirmed_user("freelancer@example.com", &["freelancer"])
            .await;
        let (stranger, _) = app
            .confirmed_user("stranger@example.com", &["client", "freelancer"])
            .await;
        let (client_only, _) = app
            .confirmed_user("other-client@example.com", &["client"])
            .await;
        let (freelancer_only, _) = app
            .confirmed_user("other-freelancer@example.com", &["freelancer"])
            .await;
        let admin = admin(&app).await;
        let document = app.get("/openapi.json", None).await;
        assert_eq!(document.status, 200);
        let mut examples = HashMap::new();
        for item in document.body["paths"].as_object().unwrap().values() {
            for operation in item.as_object().unwrap().values() {
                let example = &operation["requestBody"]["content"]["application/json"]["example"];
                if let (Some(id), false) = (operation["operationId"].as_str(), example.is_null()) {
                    examples.insert(id.to_string(), example.clone());
                }
            }
        }
        // Profiles from the documented examples, so the public views have something to show.
        for (token, path, operation) in [
            (&client, "/v1/clients/me/profile", "putClientProfile"),
            (
                &freelancer,
                "/v1/freelancers/me/profile",
                "putFreelancerProfile",
            ),
        ] {
            let body = examples[operation].to_string();
            let reply = app
                .send(Method::PUT, path, Some(token), Some(&body), &[])
                .await;
            assert_eq!(reply.status, 200, "{operation}: {}", reply.body);
        }
        let client_id = user_id(&app, &client).await;
        let freelancer_id = user_id(&app, &freelancer).await;
        let mut objects = HashMap::new();
        let mut private = Vec::new();
        let mut put = |collection: &'static str, pick: &'static str, id: String, secret: bool| {
            if secret {
                private.push(id.clone());
            }
            objects.insert((collection, pick), id);
        };

        app.add_card(&client).await;
        let methods = app.get("/v1/me/billing-methods", Some(&client)).await;
        let card = methods.body["items"][0]["id"].as_str().unwrap().to_string();
        put("billing-methods", "", card, true);

        let public = id_of(
            &app.post(
                "/v1/jobs",
                Some(&client),
                &job_body("Rust API on Lambda", "public"),
            )
            .await,
            "public job",
        );
        let invite_only = id_of(
            &app.post(
                "/v1/jobs",
                Some(&client),
                &job_body("Rust API, invite only", "invite_only"),
            )
            .await,
            "private job",
        );
        let proposal = id_of(
            &app.post(
                &format!("/v1/jobs/{public}/proposals"),
                Some(&freelancer),
                &json!({"cover_letter": "I have shipped several Rust services on Lambda.",
                    "bid": {"amount": "550.00", "currency": "USD"}, "duration": "1-3 months"}),
            )
            .await,
            "proposal",
        );
        let invited = app
            .post(
                &format!("/v1/jobs/{invite_only}/invitations"),
                Some(&client),
                &json!({"freelancer_id": freelancer_id, "message": "Your profile fits."}),
            )
            .await;
        assert_eq!(invited.status, 201, "{}", invited.body);
        let inbox = app.get("/v1/me/invitations", Some(&freelancer)).await;
        let invitation = inbox.body["items"][0]["id"].as_str().unwrap().to_string();
        let offer = id_of(
            &app.post(
                "/v1/offers",
                Some(&client),
                &json!({"job_id": public, "freelancer_id": freelancer_id, "type": "fixed",
                    "milestones": [{"description": "Build",
                        "amount": {"amount": "550.00", "currency": "USD"}}]}),
            )
            .await,
            "offer",
        );

        // A fixed contract: one milestone released (the freelancer's earnings, withdrawn
        // below), one funded, one open, one funded and disputed by the client.
        let (contract, paid) = fixed_contract(&app, &client, &freelancer, "100.00").await;
        for (token, action, body) in [
            (&client, "fund", json!({})),
            (&freelancer, "submit", json!({"message": "Done."})),
            (&client, "approve", json!({})),
        ] {
            let reply = app
                .post(
                    &format!("/v1/milestones/{paid}/{action}"),
                    Some(token),
                    &body,
                )
                .await;
            assert_eq!(reply.status, 200, "{action}: {}", reply.body);
        }
        let funded = add_milestone(&app, &client, &contract, "50.00").await;
        let open = add_milestone(&app, &client, &contract, "30.00").await;
        let disputed = add_milestone(&app, &client, &contract, "40.00").await;
        for milestone in [&funded, &disputed] {
            let reply = app
                .post(
                    &format!("/v1/milestones/{milestone}/fund"),
                    Some(&client),
                    &json!({}),
                )
                .await;
            assert_eq!(reply.status, 200, "fund: {}", reply.body);
        }
        let dispute = id_of(
            &app.post(
                "/v1/disputes",
                Some(&client),
                &json!({"milestone_id": disputed,
                    "reason": "The work was never started; please return the escrow."}),
            )
            .await,
            "dispute",
        );
        let room = format!("room_{contract}");
        let said = app
            .post(
                &format!("/v1/rooms/{room}/messages"),
                Some(&client),
                &json!({"text": "Welcome aboard."}),
            )
            .await;
        assert_eq!(said.status, 201, "{}", said.body);

        let hourly = hourly_contract(&app, &client, &freelancer, 10).await;
        app.set_clock(NOW).await;
        let logged = app
            .post(
                &format!("/v1/contracts/{hourly}/time"),
                Some(&freelancer),
                &json!({"segments": [{"start": EXAMPLE_TIME, "activity": 80,
                    "keystrokes": 420, "mouse": 310, "memo": "Schema work"}]}),
            )
            .await;
        assert!(logged.status < 300, "time: {}", logged.body);
        let diary = app
            .get(
                &format!("/v1/contracts/{hourly}/work-diary?date=2026-12-09"),
                Some(&freelancer),
            )
            .await;
        let segment = diary.body["segments"][0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("a segment: {}", diary.body))
            .to_string();

        let file = ready_file(&app, &freelancer, "attachment", &png(600)).await;
        let document = ready_file(&app, &freelancer, "identity", &png(800)).await;
        let submitted = app
            .post(
                "/v1/me/identity",
                Some(&freelancer),
                &json!({ "document_file_id": document }),
            )
            .await;
        assert_eq!(submitted.status, 201, "{}", submitted.body);
        let approved = app
            .post(
                &format!("/v1/admin/identity/{freelancer_id}/approve"),
                Some(&admin),
                &json!({}),
            )
            .await;
        assert_eq!(approved.status, 200, "{}", approved.body);
        let matured = app
            .fire(
                "earnings-availability",
                "2026-12-20T10:00:00Z".parse().unwrap(),
            )
            .await;
        assert_eq!(matured["applied"], 1, "{matured}");
        let paypal = id_of(
            &app.post(
                "/v1/me/payout-methods",
                Some(&freelancer),
                &json!({"type": "paypal", "email": "freelancer@example.com"}),
            )
            .await,
            "payout method",
        );
        let withdrawal = id_of(
            &app.post(
                "/v1/me/withdrawals",
                Some(&freelancer),
                &json!({"amount": {"amount": "10.00", "currency": "USD"}}),
            )
            .await,
            "withdrawal",
        );
        // The freelancer reports the client's public job: the admins' queue has one report.
        let report = id_of(
            &app.post(
                "/v1/content-reports",
                Some(&freelancer),
                &json!({"content": {"type": "job", "job_id": public}, "reason": "spam"}),
            )
            .await,
            "content report",
        );
        let search = id_of(
            &app.post(
                "/v1/me/saved-searches",
                Some(&freelancer),
                &json!({"name": "Rust", "q": "rust"}),
            )
            .await,
            "saved search",
        );

        put("jobs", "", invite_only, true);
        put("jobs", "public", public, false);
        put("proposals", "", proposal, true);
        put("invitations", "", invitation, true);
        put("offers", "", offer, true);
        put("contracts", "", contract, true);
        put("contracts", "hourly", hourly, true);
        put("milestones", "", funded, true);
        put("milestones", "open", open, true);
        put("milestones", "paid", paid, true);
        put("milestones", "disputed", disputed, true);
        put("disputes", "", dispute, true);
        put("rooms", "", room, true);
        put("time-segments", "", segment, true);
        put("files", "", file, true);
        put("files", "identity", document, true);
        put("withdrawals", "", withdrawal, true);
        put("payout-methods", "", paypal, true);
        put("saved-searches", "", search, true);
        put("content-reports", "", report, true);
        put("freelancers", "", freelancer_id.clone(), false);
        put("users", "", freelancer_id.clone(), false);
        put("identity", "", freelancer_id.clone(), false);
        put("clients", "", client_id, false);

        // Roles travel in access tokens: the single-role tokens above stay as they are.
        let mut both = Vec::new();
        for (token, role, email) in [
            (&client, "freelancer", "client@example.com"),
            (&freelancer, "client", "freelancer@example.com"),
        ] {
            let added = app
                .post("/v1/me/roles", Some(token), &json!({ "role": role }))
                .await;
            assert_eq!(added.status, 200, "{}", added.body);
            let login = app.login(email).await;
            assert_eq!(login.status, 200, "{}", login.body);
            both.push(login.body["access_token"].as_str().unwrap().to_string());
        }
        let freelancer_both = both.pop().unwrap();
        let client_both = both.pop().unwrap();

        World {
            app,
            examples,
            client_both,
            freelancer_both,
            client,
            freelancer,
            stranger,
            client_only,
            freelancer_only,
            admin,
            freelancer_id,
            objects,
            private,
        }
    }

    fn object(&self, collection: &str, pick: Option<&'static str>) -> Option<&String> {
        let key = |pick: &'static str| {
            self.objects
                .iter()
                .find(|((c, p), _)| *c == collection && *p == pick)
                .map(|(_, id)| id)
        };
        pick.and_then(key).or_else(|| key(""))
    }

    /// The route's path with every `{param}` replaced by the world's object of the collection
    /// named by the segment before it (as `openapi::path_id_schema` types it).
    fn path(&self, route: &Route, spec: &Spec) -> Result<String, String> {
        let segments: Vec<&str> = route.path.split('/').collect();
        let mut filled = Vec::new();
        for (at, segment) in segments.iter().enumerate() {
            if segment.starts_with('{') {
                let collection = segments[at - 1];
                let id = self.object(collection, spec.pick).ok_or_else(|| {
                    format!(
                        "{} {}: the world has no object of `{collection}` for {segment}",
                        route.method, route.path
                    )
                })?;
                filled.push(id.clone());
            } else {
                filled.push(segment.to_string());
            }
        }
        let query: Vec<String> = route
            .query
            .iter()
            .filter(|param| param.required)
            .map(|param| format!("{}={}", param.name, required_value(param.kind)))
            .collect();
        let path = filled.join("/");
        Ok(if query.is_empty() {
            path
        } else {
            format!("{path}?{}", query.join("&"))
        })
    }

    /// The operation's documented example with every id replaced by the world's object of
    /// its kind (by prefix: `usr_` is the freelancer, `job_` the public job...) and every
    /// date-time moved into the open week.
    fn body(&self, route: &Route, examples: &HashMap<String, Value>) -> Result<Value, String> {
        let mut body = examples
            .get(route.operation_id)
            .cloned()
            .unwrap_or_else(|| json!({}));
        self.substitute(&mut body)
            .map_err(|e| format!("{} {}: {e}", route.method, route.path))?;
        Ok(body)
    }

    fn substitute(&self, value: &mut Value) -> Result<(), String> {
        match value {
            Value::Object(map) => map.values_mut().try_for_each(|v| self.substitute(v)),
            Value::Array(items) => items.iter_mut().try_for_each(|v| self.substitute(v)),
            Value::String(text) => {
                if chrono::DateTime::parse_from_rfc3339(text).is_ok() {
                    *text = EXAMPLE_TIME.to_string();
                    return Ok(());
                }
                let Some((prefix, rest)) = text.split_once('_') else {
                    return Ok(());
                };
                if rest.len() != 26 || !rest.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Ok(());
                }
                let id = match prefix {
                    "usr" => &self.freelancer_id,
                    "job" => self.object("jobs", Some("public")).unwrap(),
                    "mil" => self.object("milestones", None).unwrap(),
                    "fil" => self.object("files", None).unwrap(),
                    "prp" => self.object("proposals", None).unwrap(),
                    "ctr" => self.object("contracts", None).unwrap(),
                    "ofr" => self.object("offers", None).unwrap(),
                    "inv" => self.object("invitations", None).unwrap(),
                    "srch" => self.object("saved-searches", None).unwrap(),
                    "bm" => self.object("billing-methods", None).unwrap(),
                    "pom" => self.object("payout-methods", None).unwrap(),
                    "dsp" => self.object("disputes", None).unwrap(),
                    "wd" => self.object("withdrawals", None).unwrap(),
                    other => {
                        return Err(format!(
                            "the example names a `{other}_` id the world has no object for"
                        ));
                    }
                };
                *text = id.clone();
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// A valid value for a required query parameter, so the right party's read can succeed.
fn required_value(kind: QueryKind) -> String {
    match kind {
        QueryKind::Date => NOW[..10].to_string(),
        QueryKind::OneOf(values) | QueryKind::ListOf { values, .. } => values[0].to_string(),
        QueryKind::Integer { default, .. } => default.to_string(),
        QueryKind::Country => "US".into(),
        QueryKind::Category => "web-mobile-software-dev".into(),
        // A well-formed id of the kind the pattern names (`^usr_…`).
        QueryKind::Id { pattern, .. } => {
            let prefix = pattern
                .trim_start_matches('^')
                .split('_')
                .next()
                .unwrap_or("");
            format!("{prefix}_01jd5v3k8r9x2m4n6p7q8s9t0w")
        }
        QueryKind::Amount(_) => "10.00".into(),
        QueryKind::Text { .. } | QueryKind::Cursor => "rust".into(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Column {
    Anonymous,
    Stranger,
    WrongRole,
    Owner,
    /// The owner's counter-party on the object.
    OtherSide,
    Admin,
}

const COLUMNS: [Column; 6] = [
    Column::Anonymous,
    Column::Stranger,
    Column::WrongRole,
    Column::Owner,
    Column::OtherSide,
    Column::Admin,
];

fn is_denial(status: u16) -> bool {
    matches!(status, 401 | 403 | 404)
}

struct Matrix<'w> {
    world: &'w World,
    examples: HashMap<String, Value>,
}

/// A row of the table and who calls it in a phase.
type Call<'r> = (usize, &'r Route, Spec, Vec<Column>);

/// One call's cell in the table, and what was wrong with its answer.
type Outcome = (String, Option<String>);

impl Matrix<'_> {
    fn token(&self, column: Column, spec: &Spec) -> Option<&str> {
        let w = self.world;
        match column {
            Column::Anonymous => None,
            Column::Stranger => Some(&w.stranger),
            // The role the right party acts in is the one this account lacks.
            Column::WrongRole => Some(match spec.owner {
                Party::Client => &w.freelancer_only,
                Party::Freelancer | Party::Admin => &w.client_only,
            }),
            Column::Owner => Some(match spec.owner {
                Party::Client => &w.client,
                Party::Freelancer => &w.freelancer,
                Party::Admin => &w.admin,
            }),
            Column::OtherSide => Some(match spec.owner {
                Party::Client => &w.freelancer_both,
                Party::Freelancer | Party::Admin => &w.client_both,
            }),
            Column::Admin => Some(&w.admin),
        }
    }

    /// Makes one call and checks its answer against who made it.
    async fn call(&self, route: &Route, spec: &Spec, column: Column) -> Outcome {
        let label = format!("{} {} ({})", route.method, route.path, route.operation_id);
        let prepared = self.world.path(route, spec).and_then(|path| {
            let body = route
                .request
                .map(|_| self.world.body(route, &self.examples))
                .transpose()?;
            Ok((path, body))
        });
        let (path, body) = match prepared {
            Ok(prepared) => prepared,
            Err(e) => return ("fill?".into(), Some(format!("cannot fill {e}"))),
        };
        let body = body.map(|b| b.to_string());
        let reply = self
            .world
            .app
            .send(
                route.method.clone(),
                &path,
                self.token(column, spec),
                body.as_deref(),
                &[],
            )
            .await;
        let status = reply.status;
        let sent = format!("{path} {}", body.as_deref().unwrap_or_default());
        let failure = self.judge(route, spec, column, &sent, &reply).map(|why| {
            let body: String = reply.body.to_string().chars().take(300).collect();
            format!("{label} as {column:?}: {status} — {why}: {body}")
        });
        (status.to_string(), failure)
    }

    /// What is wrong with `reply` to `column`'s call that `sent` (path and body) made.
    fn judge(
        &self,
        route: &Route,
        spec: &Spec,
        column: Column,
        sent: &str,
        reply: &Reply,
    ) -> Option<String> {
        let status = reply.status;
        if status >= 500 {
            return Some("a server error".into());
        }
        let ok = (200..300).contains(&status);
        // The admin column is the right party on admin routes, and may read what it mediates.
        let party = column == Column::Owner
            || (column == Column::OtherSide && spec.both)
            || (column == Column::Admin && (spec.kind == Kind::AdminOnly || spec.admin_may));
        let refused = matches!(spec.kind, Kind::Owned | Kind::AdminOnly);
        if !party && column != Column::Anonymous && refused && !is_denial(status) {
            return Some("someone else's object (or an admin route): must be 401/403/404".into());
        }
        // Whatever the status, a non-party learns no id but those it sent: a refusal that
        // describes the object is a read too.
        if !party {
            let text = reply.body.to_string();
            let leak = self
                .world
                .private
                .iter()
                .find(|id| text.contains(id.as_str()) && !sent.contains(id.as_str()));
            if let Some(leak) = leak {
                return Some(format!("the answer carries {leak}, not the caller's"));
            }
        }
        if column == Column::Anonymous {
            if route.access == Access::Bearer && status != 401 {
                return Some("an anonymous call to a bearer route must be 401".into());
            }
            if spec.kind == Kind::Owned && !is_denial(status) {
                return Some("an anonymous call on someone's object must be refused".into());
            }
            return None;
        }
        // A read by the right party proves the ids are real, so the refusals mean something.
        (party && route.method == Method::GET && !ok)
            .then(|| "the right party's read must succeed".into())
    }
}

#[tokio::test]
async fn nobody_but_the_right_party_reads_or_changes_an_object() {
    let started = std::time::Instant::now();
    let world = World::build().await;
    let built = started.elapsed();
    let routes = worklane_devstack::functions::routes();
    let matrix = Matrix {
        world: &world,
        examples: world.examples.clone(),
    };
    let mut cells: BTreeMap<(usize, Column), String> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut known: Vec<(usize, &Route, Spec)> = Vec::new();
    for (row, route) in routes.iter().enumerate() {
        let spec = spec(route.operation_id).unwrap_or_else(|| {
            failures.push(format!(
                "{} {} ({}) is not in the matrix: add it to `spec` with its kind and right party",
                route.method, route.path, route.operation_id
            ));
            guess(route)
        });
        known.push((row, route, spec));
    }
    let is_read = |route: &Route| route.method == Method::GET;

    // Three phases, so a refusal comes from who calls and never from a state someone else's
    // call left: reads by everyone (nothing has changed yet); then every write by everyone who
    // is not its right party; last the right parties' writes. Within a row the callers are
    // different accounts, so their calls run together.
    let mut phases: [Vec<Call>; 3] = Default::default();
    for &(row, route, spec) in &known {
        let right = if spec.kind == Kind::AdminOnly {
            Column::Admin
        } else {
            Column::Owner
        };
        let mut rights = vec![right];
        if spec.both {
            rights.push(Column::OtherSide);
        }
        // Only an object has another side; on admin routes the owner is the admin.
        let others: Vec<Column> = COLUMNS
            .into_iter()
            .filter(|c| !rights.contains(c))
            .filter(|c| spec.kind == Kind::Owned || *c != Column::OtherSide)
            .filter(|c| spec.kind != Kind::AdminOnly || *c != Column::Owner)
            .filter(|c| spec.kind != Kind::Session || *c == Column::Anonymous)
            .collect();
        if is_read(route) {
            let mut everyone = others;
            everyone.extend(rights);
            phases[0].push((row, route, spec, everyone));
        } else {
            phases[1].push((row, route, spec, others));
            // The right parties' destroying calls are left out: see `Spec::destroys`.
            if spec.destroys || spec.kind == Kind::Session {
                for column in rights {
                    cells.insert((row, column), "skip".into());
                }
            } else {
                phases[2].push((row, route, spec, rights));
            }
        }
    }
    for phase in phases {
        for (row, route, spec, columns) in phase {
            let calls = columns.iter().map(|c| matrix.call(route, &spec, *c));
            let outcomes = futures::future::join_all(calls).await;
            for (column, (cell, failure)) in columns.into_iter().zip(outcomes) {
                cells.insert((row, column), cell);
                failures.extend(failure);
            }
        }
    }

    let width = routes
        .iter()
        .map(|r| r.method.as_str().len() + r.path.len() + r.operation_id.len() + 4)
        .max()
        .unwrap_or(40);
    let mut table = format!(
        "{:width$} | {:>5} | {:>8} | {:>10} | {:>5} | {:>10} | {:>5}\n",
        "operation", "anon", "stranger", "wrong role", "owner", "other side", "admin"
    );
    for (row, route) in routes.iter().enumerate() {
        let cell = |column| cells.get(&(row, column)).map_or("-", String::as_str);
        let _ = writeln!(
            table,
            "{:width$} | {:>5} | {:>8} | {:>10} | {:>5} | {:>10} | {:>5}",
            format!("{} {} ({})", route.method, route.path, route.operation_id),
            cell(Column::Anonymous),
            cell(Column::Stranger),
            cell(Column::WrongRole),
            cell(Column::Owner),
            cell(Column::OtherSide),
            cell(Column::Admin),
        );
    }
    println!("{table}");
    let calls = cells.values().filter(|c| c.parse::<u16>().is_ok()).count();
    println!(
        "{} routes, {calls} calls; world built in {:.1} s, matrix in {:.1} s",
        routes.len(),
        built.as_secs_f64(),
        (started.elapsed() - built).as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} authorization failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
