//! No validation rule exists only in handler code: every operation's example body from
//! `/openapi.json` is mutated deterministically (required fields dropped, wrong types, strings,
//! numbers and lists just past their bounds, patterns and enums broken, unknown fields, and
//! schema-valid variants at the bounds), a real JSON Schema validator decides what the
//! document forbids, and the live stack must agree: what the schema forbids is a 4xx problem,
//! what it allows is never refused as invalid (except on the fields whose rules JSON Schema
//! cannot state, listed once in `scripts/contract/hooks.py`), and nothing is a 5xx.

use futures::stream::{self, StreamExt};
use reqwest::Method;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Instant;
use worklane_tests::{
    add_milestone, admin, fixed_contract, hourly_contract, png, ready_file, user_id, TestApp,
};

/// Keeps the run well under a minute on 2 cores while every operation still gets a share.
const MAX_CASES: usize = 1500;
const CONCURRENCY: usize = 8;
/// Deep enough for a profile's portfolio item's file ids; deeper only multiplies cases.
const MAX_DEPTH: usize = 3;
/// Codes that mean "your body is not what the contract says", as opposed to state or business
/// answers (the `VALIDATION_CODES` of scripts/contract/hooks.py).
const INVALID_CODES: [&str; 4] = [
    "validation_failed",
    "invalid_body",
    "malformed_json",
    "bad_request",
];
/// The stack's clock while the world is made, and while the cases are sent: the examples carry
/// fixed times (a time segment at 2026-06-15T12:10Z) that must fall after the contracts start
/// and before "now", or rules relative to the clock would refuse them.
const SETUP_TIME: &str = "2026-06-15T11:00:00Z";
const SENDING_TIME: &str = "2026-06-15T13:00:00Z";

struct Operation {
    id: String,
    method: Method,
    path: String,
    bearer: bool,
    schema: Value,
    example: Value,
}

struct Case {
    operation: usize,
    mutation: String,
    body: Value,
    forbidden: bool,
}

struct Outcome {
    millis: u128,
    status: u16,
    code: String,
    content_type: String,
    detail: String,
    fields: Vec<String>,
}

/// The objects the requests act on, all owned by the caller that each operation uses.
struct World {
    client: String,
    freelancer: String,
    admin: String,
    freelancer_id: String,
    fixed_contract: String,
    hourly_contract: String,
    first_milestone: String,
    added_milestone: String,
    proposal: String,
    job_to_apply: String,
    job_to_edit: String,
    job_to_close: String,
    job_to_invite: String,
    job_with_proposal: String,
    invitation: String,
    room: String,
    identity_file: String,
    billing_method: String,
}

impl World {
    /// The caller's token and the path id for `operation` (None: no path parameter).
    fn target(&self, operation: &Operation) -> (Option<&str>, Option<&str>) {
        // A well-formed dispute id nobody has: disputes need a submitted milestone and its
        // window, which is a workflow of its own (tests/disputes.rs); bodies are checked first.
        const NO_DISPUTE: &str = "dsp_01jd5v3k8r9x2m4n6p7q8s9t0w";
        // Likewise a report nobody filed and an account nobody has: a decision would change
        // the world for the other cases (a suspension signs its owner out), and the reason is
        // checked before the lookup.
        const NO_REPORT: &str = "rpt_01jd5v3k8r9x2m4n6p7q8s9t0w";
        const NO_USER: &str = "usr_01jd5v3k8r9x2m4n6p7q8s9t0w";
        let (token, id): (&str, Option<&str>) = match operation.id.as_str() {
            "confirmEmail" | "login" | "logout" | "refresh" | "signup" => {
                (self.client.as_str(), None)
            }
            "rejectIdentity" => (self.admin.as_str(), Some(self.freelancer_id.as_str())),
            "resolveDispute" => (self.admin.as_str(), Some(NO_DISPUTE)),
            "dismissContentReport"
            | "removeReportedContent"
            | "warnContentOwner"
            | "suspendContentOwner" => (self.admin.as_str(), Some(NO_REPORT)),
            "suspendAccount" | "reinstateAccount" => (self.admin.as_str(), Some(NO_USER)),
            // The example names the job the client posted and the freelancer applied to.
            "reportContent" => (self.freelancer.as_str(), None),
            "answerDispute" => (self.freelancer.as_str(), Some(NO_DISPUTE)),
            "putClientProfile" | "addBillingMethod" | "addRole" | "postJob" | "sendOffer"
            | "openDispute" => (self.client.as_str(), None),
            "changeHourlyTerms" => (self.client.as_str(), Some(self.hourly_contract.as_str())),
            "payBonus" | "leaveFeedback" | "addMilestone" => {
                (self.client.as_str(), Some(self.fixed_contract.as_str()))
            }
            "logTime" => (
                self.freelancer.as_str(),
                Some(self.hourly_contract.as_str()),
            ),
            "createUpload"
            | "putFreelancerProfile"
            | "purchaseConnects"
            | "submitIdentity"
            | "addPayoutMethod"
            | "createSavedSearch"
            | "requestWithdrawal"
            | "subscribeToPlus"
            | "markMyNotificationsRead" => (self.freelancer.as_str(), None),
            "acceptInvitation" => (self.freelancer.as_str(), Some(self.invitation.as_str())),
            "editJob" => (self.client.as_str(), Some(self.job_to_edit.as_str())),
            "closeJob" => (self.client.as_str(), Some(self.job_to_close.as_str())),
            "inviteFreelancer" => (self.client.as_str(), Some(self.job_to_invite.as_str())),
            "submitProposal" => (self.freelancer.as_str(), Some(self.job_to_apply.as_str())),
            "editMilestone" => (self.client.as_str(), Some(self.added_milestone.as_str())),
            "approveMilestone" | "fundMilestone" | "requestMilestoneChanges" => {
                (self.client.as_str(), Some(self.first_milestone.as_str()))
            }
            "submitMilestone" => (
                self.freelancer.as_str(),
                Some(self.first_milestone.as_str()),
            ),
            "editProposal" => (self.freelancer.as_str(), Some(self.proposal.as_str())),
            "postMessage" | "markRoomRead" => (self.client.as_str(), Some(self.room.as_str())),
            other => panic!(
                "{other} takes a JSON body but this test does not know whose request it is: \
                 add it to World::target"
            ),
        };
        (operation.bearer.then_some(token), id)
    }

    /// Ids that the examples carry as placeholders, replaced by real ones so that schema-valid
    /// bodies reach the rules behind the lookups.
    fn real_id(&self, field: &str) -> Option<&str> {
        Some(match field {
            "job_id" => &self.job_with_proposal,
            "freelancer_id" => &self.freelancer_id,
            "proposal_id" => &self.proposal,
            "milestone_id" => &self.first_milestone,
            "document_file_id" => &self.identity_file,
            "billing_method_id" => &self.billing_method,
            _ => return None,
        })
    }
}

fn with_real_ids(world: &World, value: &mut Value) {
    match value {
        Value::Object(fields) => {
            for (name, field) in fields.iter_mut() {
                match world.real_id(name) {
                    Some(id) => *field = json!(id),
                    None => with_real_ids(world, field),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| with_real_ids(world, item)),
        _ => {}
    }
}

async fn job(app: &TestApp, client: &str) -> String {
    let job = app
        .post(
            "/v1/jobs",
            Some(client),
            &json!({"title": "Rust API on Lambda",
                "description": "A serverless REST API in Rust on AWS Lambda with DynamoDB.",
                "category": "web-mobile-software-dev", "skills": ["rust", "dynamodb"],
                "experience_level": "expert", "type": "fixed",
                "budget": {"amount": "600.00", "currency": "USD"}}),
        )
        .await;
    assert_eq!(job.status, 201, "{}", job.body);
    job.body["id"].as_str().unwrap().to_string()
}

async fn world(app: &TestApp) -> World {
    app.set_clock(SETUP_TIME).await;
    let (client, client_refresh) = app
        .confirmed_user("agreement-client@example.com", &["client"])
        .await;
    let (freelancer, freelancer_refresh) = app
        .confirmed_user("agreement-freelancer@example.com", &["freelancer"])
        .await;
    app.add_card(&client).await;
    let methods = app.get("/v1/me/billing-methods", Some(&client)).await;
    let billing_method = methods.body["items"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("the card: {}", methods.body))
        .to_string();
    let freelancer_id = user_id(app, &freelancer).await;
    let (fixed, first_milestone) = fixed_contract(app, &client, &freelancer, "100.00").await;
    let added_milestone = add_milestone(app, &client, &fixed, "50.00").await;
    let hourly = hourly_contract(app, &client, &freelancer, 20).await;

    let job_with_proposal = job(app, &client).await;
    let proposal = app
        .post(
            &format!("/v1/jobs/{job_with_proposal}/proposals"),
            Some(&freelancer),
            &json!({"cover_letter": "I have built this kind of API many times, on Lambda.",
                "bid": {"amount": "450.00", "currency": "USD"}, "duration": "1-3 months"}),
        )
        .await;
    assert_eq!(proposal.status, 201, "{}", proposal.body);
    let job_with_invitation = job(app, &client).await;
    let invitation = app
        .post(
            &format!("/v1/jobs/{job_with_invitation}/invitations"),
            Some(&client),
            &json!({"freelancer_id": freelancer_id}),
        )
        .await;
    assert_eq!(invitation.status, 201, "{}", invitation.body);
    let rooms = app.get("/v1/rooms", Some(&client)).await;
    let room = rooms.body["items"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a room: {}", rooms.body))
        .to_string();
    let identity_file = ready_file(app, &freelancer, "identity", &png(2048)).await;
    let job_to_apply = job(app, &client).await;
    let job_to_edit = job(app, &client).await;
    let job_to_close = job(app, &client).await;
    let job_to_invite = job(app, &client).await;
    // Access tokens age with the stack's clock: new ones for the later time.
    app.set_clock(SENDING_TIME).await;
    World {
        client: app.refresh(&client_refresh).await.0,
        freelancer: app.refresh(&freelancer_refresh).await.0,
        admin: admin(app).await,
        identity_file,
        job_to_apply,
        job_to_edit,
        job_to_close,
        job_to_invite,
        proposal: proposal.body["id"].as_str().unwrap().to_string(),
        invitation: invitation.body["id"].as_str().unwrap().to_string(),
        freelancer_id,
        fixed_contract: fixed,
        hourly_contract: hourly,
        first_milestone,
        added_milestone,
        job_with_proposal,
        room,
        billing_method,
    }
}

/// `RULES_BEYOND_THE_SCHEMA` of scripts/contract/hooks.py, the one list of the request fields
/// whose rules JSON Schema cannot state (two fields compared, a date against today, a
/// checksum), per operation: a schema-valid body may be refused `validation_failed` only when
/// every field the problem names is one of these.
fn rules_beyond_the_schema() -> BTreeMap<String, Vec<regex::Regex>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/contract/hooks.py");
    let source = std::fs::read_to_string(path).expect("scripts/contract/hooks.py");
    let start = source
        .find("RULES_BEYOND_THE_SCHEMA = {")
        .expect("hooks.py defines RULES_BEYOND_THE_SCHEMA");
    let block = &source[start..];
    let mut rest =
        &block[block.find('{').unwrap() + 1..block.find("\n}").expect("the dict closes")];
    // A Python dict of string keys and lists of (raw) strings, with comments: a key is the
    // string a colon follows; the strings after it are its field patterns.
    let mut rules: BTreeMap<String, Vec<regex::Regex>> = BTreeMap::new();
    let mut operation = String::new();
    while let Some(next) = rest.trim_start().chars().next() {
        rest = rest.trim_start();
        if next == '#' {
            rest = rest.split_once('\n').map_or("", |(_, after)| after);
            continue;
        }
        let quoted = rest.strip_prefix("r\"").or_else(|| rest.strip_prefix('"'));
        let Some(quoted) = quoted else {
            rest = &rest[next.len_utf8()..];
            continue;
        };
        let (text, after) = quoted.split_once('"').expect("a closed string");
        rest = after;
        if rest.trim_start().starts_with(':') {
            operation = text.to_string();
            rules.entry(operation.clone()).or_default();
        } else {
            let field = regex::Regex::new(&format!("^(?:{text})$")).expect("a field pattern");
            rules.get_mut(&operation).expect("a key first").push(field);
        }
    }
    assert!(!rules.is_empty(), "RULES_BEYOND_THE_SCHEMA in {path}");
    rules
}

fn operations(document: &Value) -> Vec<Operation> {
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            let Some(content) = operation.pointer("/requestBody/content/application~1json") else {
                continue;
            };
            let id = operation["operationId"].as_str().expect("operationId");
            let example = content
                .get("example")
                .unwrap_or_else(|| panic!("{id}: the request body has no example"));
            operations.push(Operation {
                id: id.to_string(),
                method: Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                path: path.clone(),
                bearer: operation.get("security").is_some(),
                schema: content["schema"].clone(),
                example: example.clone(),
            });
        }
    }
    operations.sort_by(|a, b| a.id.cmp(&b.id));
    operations
}

/// A validator for one request schema. The schema is wrapped in a root that also holds the
/// document's components, so `#/components/schemas/X` resolves inside the same resource; OpenAPI
/// 3.1 schemas are JSON Schema 2020-12, and `format` is asserted (the stack checks dates).
fn validator(schema: &Value, components: &Value) -> jsonschema::Validator {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "allOf": [schema],
        "components": components,
    });
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .with_pattern_options(jsonschema::PatternOptions::regex())
        .build(&root)
        .unwrap_or_else(|err| panic!("the schema compiles: {err}"))
}

// ---- deriving bodies from an example and its schema

struct Schemas<'a>(&'a Map<String, Value>);

impl<'a> Schemas<'a> {
    fn deref(&self, mut schema: &'a Value) -> &'a Value {
        for _ in 0..16 {
            let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
                break;
            };
            let name = reference.rsplit('/').next().unwrap_or_default();
            schema = self
                .0
                .get(name)
                .unwrap_or_else(|| panic!("{reference} resolves"));
        }
        schema
    }

    /// The schema a non-null value must meet, and whether null is allowed instead.
    fn non_null(&self, schema: &'a Value) -> (&'a Value, bool) {
        let schema = self.deref(schema);
        for key in ["anyOf", "oneOf"] {
            if let Some(alternatives) = schema.get(key).and_then(Value::as_array) {
                let (nulls, others): (Vec<&Value>, Vec<&Value>) = alternatives
                    .iter()
                    .partition(|a| a.get("type") == Some(&json!("null")));
                if !nulls.is_empty() && others.len() == 1 {
                    return (self.deref(others[0]), true);
                }
            }
        }
        let nullable = types(schema).contains("null");
        (schema, nullable)
    }

    /// The properties and required names of an object schema; for a union of object shapes
    /// (a tagged body), those of the alternative whose constants `value` carries.
    fn object(&self, schema: &'a Value, value: &Map<String, Value>) -> Option<ObjectShape<'a>> {
        let schema = self.deref(schema);
        let mut shape = ObjectShape::default();
        let mut found = false;
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            shape.add(properties, schema.get("required"));
            found = true;
        }
        for key in ["oneOf", "anyOf"] {
            let alternatives = schema.get(key).and_then(Value::as_array);
            let shaped: Vec<&Value> = alternatives
                .into_iter()
                .flatten()
                .map(|a| self.deref(a))
                .filter(|a| {
                    a.get("properties")
                        .is_some_and(|p| !p.as_object().unwrap().is_empty())
                })
                .filter(|a| a.get("type") == Some(&json!("object")))
                .collect();
            let chosen = shaped.iter().find(|alternative| {
                alternative["properties"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .all(|(name, property)| match property.get("const") {
                        Some(constant) => value.get(name) == Some(constant),
                        None => true,
                    })
            });
            if let Some(chosen) = chosen {
                shape.add(
                    chosen["properties"].as_object().unwrap(),
                    chosen.get("required"),
                );
                found = true;
            }
        }
        found.then_some(shape)
    }
}

#[derive(Default)]
struct ObjectShape<'a> {
    properties: Vec<(&'a str, &'a Value)>,
    required: HashSet<&'a str>,
}

impl<'a> ObjectShape<'a> {
    fn add(&mut self, properties: &'a Map<String, Value>, required: Option<&'a Value>) {
        for (name, schema) in properties {
            if !self.properties.iter().any(|(known, _)| known == name) {
                self.properties.push((name, schema));
            }
        }
        let required = required.and_then(Value::as_array).into_iter().flatten();
        self.required.extend(required.filter_map(Value::as_str));
    }
}

fn types(schema: &Value) -> BTreeSet<&str> {
    match schema.get("type") {
        Some(Value::String(kind)) => [kind.as_str()].into(),
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => BTreeSet::new(),
    }
}

fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A value `schema` accepts, from the schema alone, to give an optional property that the
/// example leaves out (so its own rules get mutated too).
fn example_value(schemas: &Schemas, schema: &Value, depth: usize) -> Option<Value> {
    if depth > 8 {
        return None;
    }
    let (schema, _) = schemas.non_null(schema);
    if let Some(first) = schema.pointer("/examples/0") {
        return Some(first.clone());
    }
    for key in ["const", "enum"] {
        if let Some(value) = schema.get(key) {
            return Some(value.as_array().map_or(value, |v| &v[0]).clone());
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(first) = schema.get(key).and_then(|a| a.get(0)) {
            if schema.get("properties").is_none() {
                return example_value(schemas, first, depth + 1);
            }
        }
    }
    let kind = types(schema).into_iter().find(|kind| *kind != "null");
    match kind? {
        "object" => {
            let shape = schemas.object(schema, &Map::new())?;
            let mut object = Map::new();
            for (name, property) in &shape.properties {
                if shape.required.contains(name) {
                    object.insert(
                        name.to_string(),
                        example_value(schemas, property, depth + 1)?,
                    );
                }
            }
            Some(Value::Object(object))
        }
        "array" => {
            let item = example_value(schemas, schema.get("items")?, depth + 1)?;
            let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(1);
            Some(Value::Array(vec![item; min.max(1) as usize]))
        }
        "string" => Some(json!(match schema.get("format").and_then(Value::as_str) {
            Some("date") => "2026-12-31".to_string(),
            Some("date-time") => "2026-12-07T10:00:00Z".to_string(),
            _ => fill(
                "Example",
                schema.get("minLength").and_then(Value::as_u64).unwrap_or(1) as usize
            ),
        })),
        "integer" | "number" => {
            let min = schema.get("minimum").and_then(Value::as_i64).unwrap_or(0);
            let max = schema
                .get("maximum")
                .and_then(Value::as_i64)
                .unwrap_or(i64::MAX);
            Some(json!(min.max(1).min(max)))
        }
        "boolean" => Some(json!(false)),
        _ => None,
    }
}

/// `n` characters cycled from `seed`, without white space at either end (a text's minimum
/// counts trimmed characters).
fn fill(seed: &str, n: usize) -> String {
    let seed = if seed.trim().is_empty() { "x" } else { seed };
    let mut chars: Vec<char> = seed.chars().cycle().take(n).collect();
    for at in [0, n.saturating_sub(1)] {
        if chars.get(at).is_some_and(|c| c.is_whitespace()) {
            chars[at] = 'x';
        }
    }
    chars.into_iter().collect()
}

/// `root` with the value at the JSON pointer `at` replaced (None: removed).
fn edit(root: &Value, at: &str, value: Option<Value>) -> Value {
    let mut edited = root.clone();
    let (parent, last) = at.rsplit_once('/').expect("a pointer below the root");
    let target = edited.pointer_mut(parent).expect("the parent exists");
    match (target, value) {
        (Value::Object(fields), Some(value)) => {
            fields.insert(last.to_string(), value);
        }
        (Value::Object(fields), None) => {
            fields.remove(last);
        }
        (Value::Array(items), Some(value)) => items[last.parse::<usize>().unwrap()] = value,
        _ => panic!("{at} is not inside an object or a list"),
    }
    edited
}

struct Mutations<'a> {
    schemas: &'a Schemas<'a>,
    world: &'a World,
    out: Vec<(String, Value)>,
}

impl Mutations<'_> {
    fn push(&mut self, label: String, body: Value) {
        self.out.push((label, body));
    }

    fn set(&mut self, root: &Value, at: &str, label: &str, value: Value) {
        self.push(format!("{at}: {label}"), edit(root, at, Some(value)));
    }

    fn object(&mut self, root: &Value, at: &str, schema: &Value, depth: usize) {
        let Some(value) = root.pointer(at).and_then(Value::as_object) else {
            return;
        };
        let Some(shape) = self.schemas.object(schema, value) else {
            return;
        };
        let here = if at.is_empty() { "/" } else { at };
        self.push(
            format!("{here}: unknown field"),
            edit(root, &format!("{at}/unexpected_field"), Some(json!(true))),
        );
        for (name, property) in shape.properties {
            let path = format!("{at}/{name}");
            let present = value.get(name);
            if present.is_some() {
                let what = if shape.required.contains(name) {
                    "required"
                } else {
                    "optional"
                };
                self.push(format!("{path}: {what} dropped"), edit(root, &path, None));
            }
            let given = present.filter(|v| !v.is_null()).cloned().or_else(|| {
                match self.world.real_id(name) {
                    Some(id) => Some(json!(id)),
                    None => example_value(self.schemas, property, 0),
                }
            });
            let Some(given) = given else {
                continue;
            };
            let root = edit(root, &path, Some(given.clone()));
            if present.is_none_or(Value::is_null) {
                self.push(format!("{path}: optional given"), root.clone());
            }
            self.value(&root, &path, property, &given, depth);
        }
    }

    fn value(&mut self, root: &Value, at: &str, schema: &Value, given: &Value, depth: usize) {
        let (schema, nullable) = self.schemas.non_null(schema);
        let allowed = types(schema);
        let wrong = [json!("7"), json!(7), json!(true), json!([]), json!({})]
            .into_iter()
            .find(|candidate| {
                let kind = type_of(candidate);
                // JSON Schema counts an integer as a number.
                let numeric = kind == "integer" && allowed.contains("number");
                !allowed.is_empty() && !allowed.contains(kind) && !numeric
            });
        if let Some(wrong) = wrong {
            let label = format!("wrong type ({})", type_of(&wrong));
            self.set(root, at, &label, wrong);
        }
        if !nullable {
            self.set(root, at, "null", Value::Null);
        }
        match given {
            Value::String(text) => self.string(root, at, schema, text),
            Value::Number(_) => self.number(root, at, schema),
            Value::Array(items) if depth < MAX_DEPTH => {
                self.array(root, at, schema, items, depth);
            }
            Value::Object(_) if depth < MAX_DEPTH => self.object(root, at, schema, depth + 1),
            _ => {}
        }
    }

    fn string(&mut self, root: &Value, at: &str, schema: &Value, text: &str) {
        let number = |key: &str| schema.get(key).and_then(Value::as_u64).map(|n| n as usize);
        if let Some(max) = number("maxLength").filter(|max| *max <= 20_000) {
            self.set(
                root,
                at,
                &format!("maxLength+1 ({} chars)", max + 1),
                json!(fill(text, max + 1)),
            );
            self.set(
                root,
                at,
                &format!("at maxLength ({max} chars)"),
                json!(fill(text, max)),
            );
        }
        if let Some(min) = number("minLength").filter(|min| *min > 0) {
            self.set(
                root,
                at,
                &format!("minLength-1 ({} chars)", min - 1),
                json!(fill(text, min - 1)),
            );
            self.set(
                root,
                at,
                &format!("at minLength ({min} chars)"),
                json!(fill(text, min)),
            );
            self.set(root, at, "white space only", json!(" ".repeat(min + 1)));
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            self.set(root, at, "control character", json!(format!("{text}\u{7}")));
            self.set(root, at, "empty", json!(""));
            self.set(root, at, "padded with spaces", json!(format!(" {text} ")));
            if text.to_uppercase() != text {
                self.set(root, at, "upper-cased", json!(text.to_uppercase()));
            }
            if pattern.contains("\\.[0-9]{1,2}") {
                self.amount(root, at, schema);
            }
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            self.set(root, at, "not in enum", json!("not-a-listed-value"));
            self.set(root, at, "upper-cased", json!(text.to_uppercase()));
            for other in values
                .iter()
                .rev()
                .filter(|v| v.as_str() != Some(text))
                .take(2)
            {
                self.set(root, at, &format!("enum value {other}"), other.clone());
            }
        }
        match schema.get("format").and_then(Value::as_str) {
            Some("date") => {
                for (label, date) in [
                    ("no such day", "2026-02-30"),
                    ("a date-time", "2026-12-31T00:00:00Z"),
                    ("unpadded", "2026-1-5"),
                ] {
                    self.set(root, at, label, json!(date));
                }
            }
            Some("date-time") => {
                for (label, time) in [
                    ("no offset", "2026-06-15T12:10:00"),
                    ("space separator", "2026-06-15 12:10:00Z"),
                    ("a date", "2026-06-15"),
                    ("another offset", "2026-06-15T14:10:00+02:00"),
                ] {
                    self.set(root, at, label, json!(time));
                }
            }
            _ => {}
        }
    }

    /// Decimal amount strings: spellings the money parser must refuse, and the bounds the
    /// field's description states ("between 5 and 1000000", "more than 0 and at most …").
    fn amount(&mut self, root: &Value, at: &str, schema: &Value) {
        for (label, amount) in [
            ("three decimals", "10.001"),
            ("negative", "-1.00"),
            ("exponent", "1e3"),
            ("leading zero", "010.00"),
            ("trailing dot", "10."),
            ("zero", "0.00"),
            ("one cent", "0.01"),
            ("a billion and a cent", "1000000000.01"),
        ] {
            self.set(root, at, &format!("amount {label}"), json!(amount));
        }
        let described = schema
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default();
        // The numbers of the sentence, but the 2 of "2 decimals" (no bound is that small).
        let bounds: Vec<u64> = described
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|n| n.parse().ok())
            .filter(|n| *n > 2)
            .collect();
        for bound in bounds {
            for (label, amount) in [
                ("at", format!("{bound}.00")),
                ("a cent below", format!("{}.99", bound - 1)),
                ("a cent above", format!("{bound}.01")),
            ] {
                self.set(root, at, &format!("amount {label} {bound}"), json!(amount));
            }
        }
    }

    fn number(&mut self, root: &Value, at: &str, schema: &Value) {
        let integer = types(schema).contains("integer");
        if let Some(min) = schema.get("minimum").and_then(Value::as_i64) {
            self.set(root, at, "minimum-1", json!(min - 1));
            self.set(root, at, "at minimum", json!(min));
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_i64) {
            self.set(root, at, "maximum+1", json!(max + 1));
            self.set(root, at, "at maximum", json!(max));
            if integer {
                self.set(root, at, "at maximum, as a whole float", json!(max as f64));
            }
        }
        if integer {
            self.set(root, at, "fraction", json!(1.5));
        }
    }

    fn array(&mut self, root: &Value, at: &str, schema: &Value, items: &[Value], depth: usize) {
        let item_schema = schema.get("items").unwrap_or(&Value::Null);
        let Some(first) = items
            .first()
            .cloned()
            .or_else(|| example_value(self.schemas, item_schema, 0))
        else {
            return;
        };
        let distinct = distinct_items(self.schemas, item_schema, &first);
        let number = |key: &str| schema.get(key).and_then(Value::as_u64).map(|n| n as usize);
        if let Some(max) = number("maxItems") {
            self.set(
                root,
                at,
                &format!("maxItems+1 ({} items)", max + 1),
                json!(vec![first.clone(); max + 1]),
            );
            if let Some(distinct) = distinct.as_ref().filter(|d| d.len() > max) {
                let label = format!("at maxItems ({max} distinct items)");
                self.set(root, at, &label, json!(distinct[..max]));
                let label = format!("maxItems+1 ({} distinct items)", max + 1);
                self.set(root, at, &label, json!(distinct[..=max]));
            }
        }
        if let Some(min) = number("minItems").filter(|min| *min > 0) {
            self.set(
                root,
                at,
                &format!("minItems-1 ({} items)", min - 1),
                json!(vec![first.clone(); min - 1]),
            );
        }
        self.set(
            root,
            at,
            "the same item twice",
            json!([first.clone(), first.clone()]),
        );
        if items.is_empty() {
            let root = edit(root, at, Some(json!([first.clone()])));
            self.push(format!("{at}: one item"), root.clone());
            self.value(&root, &format!("{at}/0"), item_schema, &first, depth + 1);
        } else {
            self.value(root, &format!("{at}/0"), item_schema, &first, depth + 1);
        }
    }
}

/// Up to 100 different items like `first`: the other values of an enum, or ids and texts with
/// their last character varied (within the alphabet ids are spelled in).
fn distinct_items(schemas: &Schemas, item_schema: &Value, first: &Value) -> Option<Vec<Value>> {
    let (item_schema, _) = schemas.non_null(item_schema);
    if let Some(values) = item_schema.get("enum").and_then(Value::as_array) {
        return Some(values.clone());
    }
    let text = first.as_str()?;
    let stem: String = text
        .chars()
        .take(text.chars().count().saturating_sub(2))
        .collect();
    let stem = stem.as_str();
    let alphabet: Vec<char> = "0123456789abcdefghjkmnpqrstvwxyz".chars().collect();
    Some(
        alphabet
            .iter()
            .flat_map(|a| alphabet.iter().map(move |b| json!(format!("{stem}{a}{b}"))))
            .take(100)
            .collect(),
    )
}

fn mutations(
    schemas: &Schemas,
    world: &World,
    schema: &Value,
    example: &Value,
) -> Vec<(String, Value)> {
    let mut mutations = Mutations {
        schemas,
        world,
        out: vec![
            ("the example".to_string(), example.clone()),
            ("the body is a list".to_string(), json!([example.clone()])),
        ],
    };
    mutations.object(example, "", schema, 0);
    let mut seen = HashSet::new();
    mutations
        .out
        .into_iter()
        .filter(|(_, body)| seen.insert(body.to_string()))
        .collect()
}

/// Evenly spread `budget` picks of `n` cases (all of them when they fit), always the first
/// (the example itself).
fn spread(n: usize, budget: usize) -> Vec<usize> {
    if n <= budget {
        return (0..n).collect();
    }
    (0..budget).map(|k| k * n / budget).collect()
}

/// The largest per-operation share such that the total stays within `MAX_CASES`.
fn share(counts: &[usize]) -> usize {
    let fits = |share: usize| counts.iter().map(|n| (*n).min(share)).sum::<usize>() <= MAX_CASES;
    (1..=counts.iter().copied().max().unwrap_or(1))
        .take_while(|share| fits(*share))
        .last()
        .unwrap_or(1)
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

#[tokio::test]
async fn the_request_schemas_and_the_validation_agree() {
    let started = Instant::now();
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let document = app.get("/openapi.json", None).await;
    assert_eq!(document.status, 200);
    let document = document.body;
    let components = document["components"].clone();
    let schemas = Schemas(
        components["schemas"]
            .as_object()
            .expect("component schemas"),
    );
    let beyond_the_schema = rules_beyond_the_schema();
    let operations = operations(&document);
    assert!(
        operations.len() >= 30,
        "{} operations with a JSON body",
        operations.len()
    );

    let validators: Vec<jsonschema::Validator> = operations
        .iter()
        .map(|operation| validator(&operation.schema, &components))
        .collect();
    let mut invalid_examples = Vec::new();
    let mut generated = Vec::new();
    for (index, operation) in operations.iter().enumerate() {
        if !validators[index].is_valid(&operation.example) {
            invalid_examples.push(operation.id.clone());
        }
        let mut example = operation.example.clone();
        with_real_ids(&world, &mut example);
        generated.push((
            index,
            mutations(&schemas, &world, &operation.schema, &example),
        ));
    }
    let counts: Vec<usize> = generated.iter().map(|(_, cases)| cases.len()).collect();
    let share = share(&counts);
    let mut cases = Vec::new();
    for (operation, derived) in generated {
        for pick in spread(derived.len(), share) {
            let (mutation, body) = derived[pick].clone();
            let forbidden = !validators[operation].is_valid(&body);
            cases.push(Case {
                operation,
                mutation,
                body,
                forbidden,
            });
        }
    }
    // What the schema forbids goes first, while every object is still in the state the world
    // left it in: the allowed bodies change state (a job closed, an invitation accepted), and
    // a refusal for that state would hide whether the body itself was checked.
    cases.sort_by_key(|case| !case.forbidden);
    let setup = started.elapsed();

    // The harness's server answers only after a delivery round of the events a request set in
    // motion (about 200 ms each on 2 cores); these answers need no events, so they come from a
    // second server on the same stack that answers as API Gateway does.
    let listener = worklane_devstack::server::bind(([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let beside = tokio::spawn(worklane_devstack::server::serve_with(
        listener,
        app.stack.clone(),
        worklane_devstack::server::Delivery::Beside,
    ));
    let sending = Instant::now();
    let outcomes: Vec<Outcome> = stream::iter(&cases)
        .map(|case| {
            let operation = &operations[case.operation];
            let (token, id) = world.target(operation);
            let path = match id {
                Some(id) => {
                    let start = operation.path.find('{').expect("a path parameter");
                    let end = operation.path[start..].find('}').unwrap() + start;
                    format!(
                        "{}{id}{}",
                        &operation.path[..start],
                        &operation.path[end + 1..]
                    )
                }
                None => operation.path.clone(),
            };
            let mut request = app
                .http
                .request(operation.method.clone(), format!("{base}{path}"))
                .header("content-type", "application/json")
                .body(case.body.to_string());
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            async move {
                let sent = Instant::now();
                let response = request.send().await.expect("the server answers");
                let status = response.status().as_u16();
                let content_type = response
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let raw = response.bytes().await.unwrap_or_default();
                let body: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
                let errors = body["errors"].as_array().cloned().unwrap_or_default();
                Outcome {
                    millis: sent.elapsed().as_millis(),
                    status,
                    code: body["code"].as_str().unwrap_or_default().to_string(),
                    content_type,
                    fields: errors
                        .iter()
                        .map(|error| error["field"].as_str().unwrap_or_default().to_string())
                        .collect(),
                    detail: Some(Value::Array(errors))
                        .filter(|errors| errors.as_array().is_some_and(|e| !e.is_empty()))
                        .map(|errors| errors.to_string())
                        .or_else(|| body["detail"].as_str().map(str::to_string))
                        .unwrap_or_else(|| String::from_utf8_lossy(&raw).into_owned()),
                }
            }
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let sent = sending.elapsed();
    beside.abort();

    #[derive(Default)]
    struct Row {
        cases: usize,
        forbidden: usize,
        forbidden_refused: usize,
        forbidden_as_invalid: usize,
        allowed: usize,
        allowed_accepted: usize,
        allowed_2xx: usize,
        millis: u128,
    }
    let mut rows: BTreeMap<&str, Row> = BTreeMap::new();
    // Forbidden bodies refused for something else first (state, a missing object): listed to
    // show how much of the table is the body's own check.
    let mut refused_otherwise: BTreeMap<(&str, u16, &str), usize> = BTreeMap::new();
    let mut disagreements = Vec::new();
    for (case, outcome) in cases.iter().zip(&outcomes) {
        let operation = &operations[case.operation];
        let row = rows.entry(&operation.id).or_default();
        row.cases += 1;
        row.millis += outcome.millis;
        let problem = outcome.content_type.starts_with("application/problem+json");
        let beyond = beyond_the_schema.get(&operation.id);
        let only_rules_beyond_the_schema = outcome.code == "validation_failed"
            && !outcome.fields.is_empty()
            && outcome.fields.iter().all(|field| {
                beyond.is_some_and(|patterns| patterns.iter().any(|p| p.is_match(field)))
            });
        let refused_as_invalid = [400, 422].contains(&outcome.status)
            && INVALID_CODES.contains(&outcome.code.as_str())
            && !only_rules_beyond_the_schema;
        let wrong = if outcome.status >= 500 {
            Some("a server error")
        } else if case.forbidden {
            row.forbidden += 1;
            let refused = (400..500).contains(&outcome.status) && problem;
            row.forbidden_refused += usize::from(refused);
            let as_invalid = [400, 422].contains(&outcome.status);
            row.forbidden_as_invalid += usize::from(refused && as_invalid);
            if refused && !as_invalid {
                *refused_otherwise
                    .entry((&operation.id, outcome.status, &outcome.code))
                    .or_default() += 1;
            }
            (!refused)
                .then_some("the schema forbids it, the stack did not refuse it with a problem")
        } else {
            row.allowed += 1;
            row.allowed_accepted += usize::from(!refused_as_invalid);
            row.allowed_2xx += usize::from((200..300).contains(&outcome.status));
            refused_as_invalid.then_some("the schema allows it, the stack refused it as invalid")
        };
        if let Some(wrong) = wrong {
            disagreements.push(format!(
                "{} {} [{}]: {wrong}: {} {}\n    sent: {}\n    answer: {}",
                operation.id,
                operation.path,
                case.mutation,
                outcome.status,
                outcome.code,
                shorten(&case.body.to_string(), 300),
                shorten(&outcome.detail, 300),
            ));
        }
    }

    let line = |name: &str, row: &Row| {
        format!(
            "{name:<26} {:>5}  {:>9} ({:>4})  {:>9} ({:>4})  {:>6}",
            row.cases,
            format!("{}/{}", row.forbidden_refused, row.forbidden),
            row.forbidden_as_invalid,
            format!("{}/{}", row.allowed_accepted, row.allowed),
            row.allowed_2xx,
            row.millis / row.cases.max(1) as u128,
        )
    };
    println!(
        "\n{:<26} {:>5}  {:>16}  {:>16}  {:>6}",
        "operation", "cases", "forbidden→4xx", "allowed→accepted", "ms/req"
    );
    println!(
        "{:<26} {:>5}  {:>16}  {:>16}",
        "", "", "(of them 400/422)", "(of them 2xx)"
    );
    let mut total = Row::default();
    for (id, row) in &rows {
        println!("{}", line(id, row));
        total.cases += row.cases;
        total.forbidden += row.forbidden;
        total.forbidden_refused += row.forbidden_refused;
        total.forbidden_as_invalid += row.forbidden_as_invalid;
        total.allowed += row.allowed;
        total.allowed_accepted += row.allowed_accepted;
        total.allowed_2xx += row.allowed_2xx;
        total.millis += row.millis;
    }
    println!("{}", line("all", &total));
    println!(
        "{} operations, up to {share} cases each; setup {:.1} s, {} requests in {:.1} s \
         ({CONCURRENCY} at a time); {} disagreements",
        operations.len(),
        setup.as_secs_f64(),
        cases.len(),
        sent.as_secs_f64(),
        disagreements.len(),
    );
    if !refused_otherwise.is_empty() {
        let listed: Vec<String> = refused_otherwise
            .iter()
            .map(|((id, status, code), n)| format!("{id} {status} {code} ×{n}"))
            .collect();
        println!("forbidden bodies refused otherwise: {}", listed.join(", "));
    }
    if !invalid_examples.is_empty() {
        // The examples come from openapi.rs: a broken one is a documentation bug, and its
        // body is still checked above like any other forbidden body.
        println!(
            "note: these examples fail their own schema: {}",
            invalid_examples.join(", ")
        );
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements between /openapi.json and the stack:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}
