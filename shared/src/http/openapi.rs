//! The OpenAPI 3.1 document, generated from the route table and the request/response types.

use super::error::{ApiError, FieldError};
use super::router::{Access, Route};
use schemars::generate::{Contract, SchemaSettings};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// What the e2e suite saw each operation answer (`docs/api-answers.json`, written by
/// `openapi answers write`): operation id → status → problem code → an example detail.
pub type Answers = BTreeMap<String, BTreeMap<u16, BTreeMap<String, String>>>;

pub fn document(routes: &[Route], answers: &Answers) -> Value {
    let generator_for = |contract: Contract| {
        let mut settings = SchemaSettings::draft2020_12();
        settings.definitions_path = "/components/schemas/".into();
        settings.contract = contract;
        settings.into_generator()
    };
    // A request schema says what may be sent (a defaulted field is optional); a response
    // schema what is always sent (a field that is always serialized is required).
    let mut generator = generator_for(Contract::Deserialize);
    let mut responses_generator = generator_for(Contract::Serialize);
    let mut response_refs: Vec<(String, String, String)> = Vec::new();
    let mut paths = Map::new();
    let mut bodies = Vec::new();
    for route in routes {
        let mut operation = Map::new();
        operation.insert("operationId".into(), json!(route.operation_id));
        operation.insert("summary".into(), json!(route.summary));
        operation.insert("tags".into(), json!([route.function]));
        if route.access == Access::Bearer {
            operation.insert("security".into(), json!([{"bearer": []}]));
        }
        let segments: Vec<&str> = route.path.split('/').collect();
        let params: Vec<Value> = segments
            .iter()
            .enumerate()
            .filter(|(_, segment)| segment.starts_with('{'))
            .map(|(at, segment)| {
                let name = segment.trim_matches(|c| c == '{' || c == '}');
                let schema = path_id_schema(segments[at - 1]);
                json!({"name": name, "in": "path", "required": true, "schema": schema})
            })
            .collect();
        let mut parameters = params;
        parameters.extend(route.query.iter().map(|param| param.parameter()));
        if route.takes_idempotency_key() {
            parameters.push(json!({"name": "Idempotency-Key", "in": "header", "required": false,
                "description": "Same key and body within 24 h replays the first response; another body is a 422.",
                "schema": {"type": "string", "pattern": super::idempotency::KEY_PATTERN}}));
        }
        if !parameters.is_empty() {
            operation.insert("parameters".into(), Value::Array(parameters));
        }
        if let Some(request) = route.request {
            let schema = request(&mut generator).to_value();
            bodies.push((
                route.path,
                route.method.as_str().to_lowercase(),
                schema.clone(),
            ));
            operation.insert(
                "requestBody".into(),
                json!({"required": !route.body_optional, "content": {"application/json": {"schema": schema}}}),
            );
        }
        let mut success = match route.response {
            Some(response) => {
                let schema = response(&mut responses_generator);
                response_refs.push((
                    route.path.to_string(),
                    route.method.as_str().to_lowercase(),
                    route.success.to_string(),
                ));
                let mut content = json!({"application/json": {"schema": schema}});
                // A route that takes `format=csv` answers the same data as CSV too.
                let csv = route.query.iter().any(|param| {
                    param.name == "format"
                        && matches!(param.kind, super::query::QueryKind::OneOf(values) if values.contains(&"csv"))
                });
                if csv {
                    content["text/csv"] = json!({"schema": {"type": "string"}});
                }
                json!({"description": "Success", "content": content})
            }
            None => json!({"description": "Success"}),
        };
        let mut headers = json!({"x-request-id": {"$ref": "#/components/headers/RequestId"}});
        if route.takes_idempotency_key() {
            headers["Idempotent-Replayed"] =
                json!({"$ref": "#/components/headers/IdempotentReplayed"});
        }
        success["headers"] = headers;
        let links = links_of(route.operation_id);
        if links.as_object().is_some_and(|links| !links.is_empty()) {
            success["links"] = links;
        }
        let mut responses = json!({ route.success.to_string(): success.clone() });
        let answered = answers.get(route.operation_id);
        // Another success the suite saw (e.g. 200 for a repeat that changes nothing) has the
        // same body.
        for (status, _) in answered.into_iter().flatten() {
            if (200..300).contains(status) && *status != route.success {
                let mut other = success.clone();
                other.as_object_mut().map(|o| o.remove("links"));
                responses[status.to_string()] = other;
            }
        }
        for (status, problems) in problems_of(route, answered) {
            responses[status.to_string()] = problem_response(status, &problems);
        }
        // What the suite never provoked can still happen (a gateway's throttling, a rule
        // reached only by inputs nobody tried): any other 4xx is a problem too.
        responses["4XX"] = json!({"$ref": "#/components/responses/Problem"});
        if route.operation_id == "getCatalogue" {
            responses["200"]["headers"] = json!({
                "ETag": {"schema": {"type": "string"}, "description": "Send it back as If-None-Match"},
                "Cache-Control": {"schema": {"type": "string"}},
            });
            responses["304"] =
                json!({"description": "Not modified since the ETag sent in If-None-Match"});
            operation.insert(
                "parameters".into(),
                json!([{"name": "If-None-Match", "in": "header",
                "required": false, "schema": {"type": "string"}}]),
            );
        }
        operation.insert("responses".into(), responses);
        let path_item = paths
            .entry(route.path.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        path_item[route.method.as_str().to_lowercase()] = Value::Object(operation);
    }
    let mut schemas = generator.take_definitions(true);
    // Response types join the request types; a type whose two readings differ (a field
    // optional to send but always answered) is published twice, its answer as `…Output`.
    let mut renamed = BTreeMap::new();
    let answered_schemas = responses_generator.take_definitions(true);
    for (name, schema) in &answered_schemas {
        if schemas.get(name).is_some_and(|known| known != schema) {
            renamed.insert(name.clone(), format!("{name}Output"));
        }
    }
    for (name, mut schema) in answered_schemas {
        rename_refs(&mut schema, &renamed);
        let name = renamed.get(&name).cloned().unwrap_or(name);
        schemas.entry(name).or_insert(schema);
    }
    for (path, method, status) in response_refs {
        rename_refs(
            &mut paths[&path][&method]["responses"][&status]["content"],
            &renamed,
        );
    }
    // Every request body gets an example built from its own schema, so the example can only
    // show what validation accepts (schemathesis' examples phase sends each one).
    for (path, method, schema) in bodies {
        let example = example_of(&schema, &schemas, 0);
        if let Some(example) = example {
            paths[path][&method]["requestBody"]["content"]["application/json"]["example"] = example;
        }
    }
    for schema in schemas.values_mut() {
        bound_integers(schema);
    }
    for item in paths.values_mut() {
        bound_integers(item);
    }
    let examples = shared_examples(&mut paths);
    let mut problem_responses = shared_problem_responses(&mut paths);
    problem_responses.insert(
        "Problem".into(),
        json!({"description": "Another client error, as a problem (RFC 9457): read its `code`",
            "headers": {"x-request-id": {"$ref": "#/components/headers/RequestId"}},
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}),
    );
    schemas.insert(
        "Problem".into(),
        json!({"type": "object", "required": ["type", "title", "status", "code", "detail"],
               "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                              "code": {"type": "string"}, "detail": {"type": "string"}, "instance": {"type": "string"},
                              "errors": {"type": "array", "items": {"type": "object", "required": ["field", "message"],
                                  "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}}}}),
    );
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Worklane API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Freelance marketplace backend: jobs, proposals, contracts, escrow, hourly billing."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "examples": examples,
            "responses": problem_responses,
            "headers": {
                "RequestId": {"description": "This request's id, also the problem's `instance`: quote it in bug reports",
                    "schema": {"type": "string"}},
                "IdempotentReplayed": {"description": "`true` when this is the stored answer to an earlier request with the same Idempotency-Key",
                    "schema": {"type": "string", "enum": ["true"]}},
                "RetryAfter": {"description": "Seconds to wait before trying again", "schema": {"type": "integer", "minimum": 0}},
                "WwwAuthenticate": {"description": "`Bearer`: send a valid access token", "schema": {"type": "string"}},
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    })
}

/// The problems a route can answer, by status, each code with an example body: those its
/// shape implies whatever the handler does (a bearer token, a body, query parameters, a path
/// id, an Idempotency-Key, a rate limit, a busy store), and those the e2e suite saw it answer.
fn problems_of(
    route: &Route,
    answered: Option<&BTreeMap<u16, BTreeMap<String, String>>>,
) -> BTreeMap<u16, BTreeMap<String, Value>> {
    let mut shape = vec![ApiError::Unavailable];
    if route.access == Access::Bearer {
        shape.push(ApiError::Unauthenticated("the access token is not valid"));
    }
    if route.request.is_some() {
        shape.extend([
            ApiError::MalformedJson("expected value at line 1 column 1".into()),
            ApiError::InvalidBody("the body must be a JSON object".into()),
            ApiError::UnsupportedMediaType,
            ApiError::PayloadTooLarge {
                limit: super::request::MAX_JSON_BODY_BYTES,
            },
        ]);
    }
    if route.request.is_some() || !route.query.is_empty() {
        let field = route.query.first().map_or("title", |param| param.name);
        shape.push(ApiError::Validation(vec![FieldError {
            field: field.into(),
            message: "what the field's rule asks for".into(),
        }]));
    }
    if route.path.contains('{') {
        shape.push(ApiError::NotFound("the resource"));
    }
    if route.takes_idempotency_key() {
        shape.extend([
            ApiError::BadRequest(
                "Idempotency-Key must be 1 to 255 visible ASCII characters".into(),
            ),
            ApiError::IdempotencyInProgress,
            ApiError::IdempotencyMismatch,
        ]);
    }
    if let Some(action) = route.limit {
        // The example waits one refill of the action's first limit, as an empty bucket does.
        let refill = action.limits().next().map(|limit| limit.refill_every);
        shape.push(ApiError::RateLimited {
            what: action.described(),
            retry_after_secs: refill.map_or(1, crate::domain::rate_limit::whole_seconds),
        });
    }
    let mut problems: BTreeMap<u16, BTreeMap<String, Value>> = BTreeMap::new();
    for error in shape {
        let body: Value =
            serde_json::from_slice(&error.to_response(None).body).unwrap_or(Value::Null);
        problems
            .entry(error.status().as_u16())
            .or_default()
            .insert(error.code().to_string(), body);
    }
    for (status, codes) in answered.into_iter().flatten() {
        let Ok(code) = http::StatusCode::from_u16(*status) else {
            continue;
        };
        for (name, detail) in codes {
            let body = json!({
                "type": format!("https://worklane.dev/problems/{name}"),
                "title": code.canonical_reason().unwrap_or("Error"),
                "status": status,
                "code": name,
                "detail": detail,
            });
            problems
                .entry(*status)
                .or_default()
                .entry(name.clone())
                .or_insert(body);
        }
    }
    problems
}

/// One status's response: the problem schema, the codes in the description and one named
/// example per code. (`code` is not narrowed to an enum: a code the suite never met must not
/// break a client that parses the answer.)
fn problem_response(status: u16, problems: &BTreeMap<String, Value>) -> Value {
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    let listed: Vec<String> = problems.keys().map(|code| format!("`{code}`")).collect();
    let examples: Map<String, Value> = problems
        .iter()
        .map(|(code, body)| {
            let summary = body["detail"].as_str().unwrap_or(code).to_string();
            (code.clone(), json!({"summary": summary, "value": body}))
        })
        .collect();
    let mut headers = json!({"x-request-id": {"$ref": "#/components/headers/RequestId"}});
    match status {
        401 => {
            headers["WWW-Authenticate"] = json!({"$ref": "#/components/headers/WwwAuthenticate"})
        }
        429 | 503 => headers["Retry-After"] = json!({"$ref": "#/components/headers/RetryAfter"}),
        _ => {}
    }
    json!({
        "description": format!("{reason}: {}", listed.join(", ")),
        "headers": headers,
        "content": {"application/problem+json": {
            "schema": {"$ref": "#/components/schemas/Problem"},
            "examples": examples,
        }},
    })
}

/// Moves every problem example into `components/examples`, once per distinct body (named by
/// its code, `code_2`… when one code has several), and refers to it from each operation: most
/// operations share the same few problems, and the document stays a third of the size.
fn shared_examples(paths: &mut Map<String, Value>) -> Map<String, Value> {
    let mut named: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut shared = Map::new();
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for operation in item.values_mut() {
            let Some(responses) = operation["responses"].as_object_mut() else {
                continue;
            };
            for response in responses.values_mut() {
                let Some(examples) = response
                    .pointer_mut("/content/application~1problem+json/examples")
                    .and_then(Value::as_object_mut)
                else {
                    continue;
                };
                for (code, example) in examples.iter_mut() {
                    let name = variant_name(&mut named, code, "_", example);
                    shared.insert(name.clone(), example.clone());
                    *example = json!({"$ref": format!("#/components/examples/{name}")});
                }
            }
        }
    }
    shared
}

/// Moves each distinct problem response into `components/responses` (named by its reason
/// phrase, `NotFound2`… for variants), referred to from every operation that answers it.
fn shared_problem_responses(paths: &mut Map<String, Value>) -> Map<String, Value> {
    let mut variants: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut shared = Map::new();
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for operation in item.values_mut() {
            let Some(responses) = operation["responses"].as_object_mut() else {
                continue;
            };
            for (status, response) in responses.iter_mut() {
                if response
                    .pointer("/content/application~1problem+json")
                    .is_none()
                {
                    continue;
                }
                let reason = status
                    .parse()
                    .ok()
                    .and_then(|s| http::StatusCode::from_u16(s).ok())
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("Problem")
                    .replace([' ', '-'], "");
                let name = variant_name(&mut variants, &reason, "", response);
                shared.insert(name.clone(), response.clone());
                *response = json!({"$ref": format!("#/components/responses/{name}")});
            }
        }
    }
    shared
}

/// Gives every sized integer (`format: uint32`, `int64`…) the bounds of its Rust type: a
/// number past them does not deserialize, so the schema must not allow it either.
fn bound_integers(value: &mut Value) {
    match value {
        Value::Object(object) => {
            let bounds: Option<(i128, i128)> = match object.get("format").and_then(Value::as_str) {
                Some("uint8") => Some((0, u8::MAX.into())),
                Some("uint16") => Some((0, u16::MAX.into())),
                Some("uint32") => Some((0, u32::MAX.into())),
                Some("uint64") => Some((0, u64::MAX.into())),
                Some("int8") => Some((i8::MIN.into(), i8::MAX.into())),
                Some("int16") => Some((i16::MIN.into(), i16::MAX.into())),
                Some("int32") => Some((i32::MIN.into(), i32::MAX.into())),
                Some("int64") => Some((i64::MIN.into(), i64::MAX.into())),
                _ => None,
            };
            if let Some((min, max)) = bounds {
                object.entry("minimum").or_insert_with(|| json!(min as i64));
                let max = u64::try_from(max).map_or_else(|_| json!(max as i64), |m| json!(m));
                object.entry("maximum").or_insert(max);
            }
            object.values_mut().for_each(bound_integers);
        }
        Value::Array(items) => items.iter_mut().for_each(bound_integers),
        _ => {}
    }
}

/// The component name of `value` among the distinct values seen under `base`: `base` for the
/// first, `base{separator}2`… for the others.
fn variant_name(
    seen: &mut BTreeMap<String, Vec<Value>>,
    base: &str,
    separator: &str,
    value: &Value,
) -> String {
    let variants = seen.entry(base.to_string()).or_default();
    let at = match variants.iter().position(|known| known == value) {
        Some(at) => at,
        None => {
            variants.push(value.clone());
            variants.len() - 1
        }
    };
    if at == 0 {
        base.to_string()
    } else {
        format!("{base}{separator}{}", at + 1)
    }
}

/// Points every `$ref` to a renamed definition at its new name.
fn rename_refs(value: &mut Value, renamed: &BTreeMap<String, String>) {
    match value {
        Value::Object(object) => {
            for (key, inner) in object.iter_mut() {
                if key == "$ref" {
                    if let Some(name) = inner
                        .as_str()
                        .and_then(|r| {
                            r.strip_prefix("/components/schemas/")
                                .or(r.strip_prefix("#/components/schemas/"))
                        })
                        .and_then(|name| renamed.get(name))
                    {
                        *inner = json!(format!("#/components/schemas/{name}"));
                    }
                } else {
                    rename_refs(inner, renamed);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| rename_refs(item, renamed)),
        _ => {}
    }
}

/// The pattern of a path id, by the collection it follows (`/jobs/{id}` is a job id). An id of
/// the wrong shape is answered 404, like an id nobody owns.
fn path_id_schema(collection: &str) -> Value {
    use crate::domain::ids::*;
    let pattern = match collection {
        "jobs" => JobId::PATTERN.to_string(),
        "proposals" => ProposalId::PATTERN.to_string(),
        "offers" => OfferId::PATTERN.to_string(),
        "contracts" => ContractId::PATTERN.to_string(),
        "milestones" => MilestoneId::PATTERN.to_string(),
        "disputes" => DisputeId::PATTERN.to_string(),
        "freelancers" | "clients" | "users" | "identity" => UserId::PATTERN.to_string(),
        "invitations" => InvitationId::PATTERN.to_string(),
        "files" => FileId::PATTERN.to_string(),
        "withdrawals" => WithdrawalId::PATTERN.to_string(),
        "billing-methods" => BillingMethodId::PATTERN.to_string(),
        "saved-searches" => SavedSearchId::PATTERN.to_string(),
        "content-reports" => ContentReportId::PATTERN.to_string(),
        "rooms" => format!("^room_(prp|ctr)_{ULID_PATTERN}$"),
        "time-segments" => format!("^seg_{ULID_PATTERN}_[0-9]{{12}}$"),
        _ => return json!({"type": "string"}),
    };
    json!({"type": "string", "pattern": pattern})
}

/// What can be done to a milestone, the targets of links from anything that names one.
const MILESTONE_STEPS: [&str; 7] = [
    "fundMilestone",
    "submitMilestone",
    "approveMilestone",
    "editMilestone",
    "deleteMilestone",
    "requestMilestoneChanges",
    "refundMilestone",
];

/// OpenAPI links from an operation's success to the operations its answer enables, so a
/// client (and schemathesis' stateful phase) can walk the workflows: job → proposal → offer →
/// contract → milestone → escrow steps; rooms → messages.
fn links_of(operation_id: &str) -> Value {
    let id = |target: &str, expression: &str| json!({"operationId": target, "parameters": {"id": expression}});
    let body_id = "$response.body#/id";
    let mut links = Map::new();
    let mut add = |name: &str, link: Value| {
        links.insert(name.to_string(), link);
    };
    match operation_id {
        "postJob" | "getJob" | "editJob" | "publishJob" | "resumeJob" => {
            for target in [
                "getJob",
                "editJob",
                "publishJob",
                "pauseJob",
                "resumeJob",
                "closeJob",
                "submitProposal",
                "listJobProposals",
                "saveJob",
                "inviteFreelancer",
            ] {
                add(target, id(target, body_id));
            }
        }
        "submitProposal" | "getProposal" | "editProposal" | "acceptInvitation" => {
            for target in [
                "getProposal",
                "editProposal",
                "withdrawProposal",
                "shortlistProposal",
                "archiveProposal",
                "declineProposal",
            ] {
                add(target, id(target, body_id));
            }
            add(
                "sendOffer",
                json!({"operationId": "sendOffer", "requestBody": {
                    "proposal_id": "$response.body#/id", "job_id": "$response.body#/job_id",
                    "freelancer_id": "$response.body#/freelancer_id", "type": "fixed",
                    "milestones": [{"description": "First delivery", "amount": {"amount": "100.00", "currency": "USD"}}],
                }}),
            );
        }
        "sendOffer" | "getOffer" => {
            for target in ["getOffer", "acceptOffer", "declineOffer", "withdrawOffer"] {
                add(target, id(target, body_id));
            }
        }
        "acceptOffer" => {
            for target in [
                "getContract",
                "addMilestone",
                "pauseContract",
                "resumeContract",
                "endContract",
                "listTimesheets",
                "logTime",
                "getWorkDiary",
                "payBonus",
                "leaveFeedback",
                "getContractFeedback",
                "changeHourlyTerms",
            ] {
                add(target, id(target, "$response.body#/contract_id"));
            }
        }
        "getContract" => {
            for target in MILESTONE_STEPS {
                add(target, id(target, "$response.body#/milestones/0/id"));
            }
            for target in [
                "addMilestone",
                "payBonus",
                "endContract",
                "leaveFeedback",
                "listTimesheets",
            ] {
                add(target, id(target, body_id));
            }
        }
        "addMilestone"
        | "editMilestone"
        | "fundMilestone"
        | "submitMilestone"
        | "requestMilestoneChanges" => {
            for target in MILESTONE_STEPS {
                add(target, id(target, body_id));
            }
        }
        "listRooms" => {
            for target in ["listMessages", "postMessage", "markRoomRead"] {
                add(target, id(target, "$response.body#/items/0/id"));
            }
        }
        "postMessage" => {
            add(
                "listMessages",
                id("listMessages", "$response.body#/room_id"),
            );
        }
        "openDispute" | "getDispute" => {
            for target in [
                "getDispute",
                "answerDispute",
                "getDisputeEvidence",
                "resolveDispute",
            ] {
                add(target, id(target, body_id));
            }
        }
        "createUpload" => {
            for target in ["getFile", "completeUpload"] {
                add(target, id(target, body_id));
            }
        }
        "requestWithdrawal" => add("getWithdrawal", id("getWithdrawal", body_id)),
        "createSavedSearch" => add("deleteSavedSearch", id("deleteSavedSearch", body_id)),
        "addBillingMethod" => add(
            "setDefaultBillingMethod",
            id("setDefaultBillingMethod", body_id),
        ),
        _ => {}
    }
    Value::Object(links)
}

/// A value that `schema` accepts, built from the schema alone: the first of `examples`, a
/// `default`, the first `enum` value, the required properties of an object. Text rules and
/// amounts carry their own examples; other strings get one that fits their length.
fn example_of(schema: &Value, definitions: &Map<String, Value>, depth: usize) -> Option<Value> {
    if depth > 12 {
        return None;
    }
    let object = schema.as_object()?;
    if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next()?;
        return example_of(definitions.get(name)?, definitions, depth + 1);
    }
    if let Some(first) = object
        .get("examples")
        .and_then(|e| e.as_array())
        .and_then(|e| e.first())
    {
        return Some(first.clone());
    }
    // A null default stands for "absent": an example shows a value where one can be given.
    if let Some(value) = object.get("default").filter(|value| !value.is_null()) {
        return Some(value.clone());
    }
    if let Some(value) = object.get("const") {
        return Some(value.clone());
    }
    if let Some(first) = object
        .get("enum")
        .and_then(|e| e.as_array())
        .and_then(|e| e.first())
    {
        return Some(first.clone());
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alternatives) = object.get(key).and_then(Value::as_array) {
            let chosen = alternatives
                .iter()
                .find(|a| a.get("type") != Some(&json!("null")))?;
            // Alternatives over the properties of the object around them (DisputeRequest,
            // "at least one of" patches) name which properties to fill: merge them.
            if object.contains_key("properties") {
                let mut merged = object.clone();
                merged.remove(key);
                let mut required: Vec<Value> = chosen
                    .get("required")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                required.extend(
                    object
                        .get("required")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default(),
                );
                merged.insert("required".into(), Value::Array(required));
                return example_of(&Value::Object(merged), definitions, depth + 1);
            }
            return example_of(chosen, definitions, depth + 1);
        }
    }
    let kind = match object.get("type") {
        Some(Value::Array(kinds)) => kinds.iter().find(|k| *k != "null").cloned(),
        other => other.cloned(),
    };
    match kind.as_ref().and_then(Value::as_str) {
        Some("object") => {
            let properties = object.get("properties").and_then(Value::as_object);
            let required: Vec<&str> = object
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut example = Map::new();
            for name in required {
                let property = properties.and_then(|p| p.get(name))?;
                example.insert(
                    name.to_string(),
                    example_of(property, definitions, depth + 1)?,
                );
            }
            // Conditions (`allOf` of if/then, see rules::when) that the chosen values meet
            // require more fields: fill those too.
            for condition in object
                .get("allOf")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(when) = condition
                    .pointer("/if/properties")
                    .and_then(Value::as_object)
                else {
                    continue;
                };
                let met = when.iter().all(|(field, test)| {
                    test.get("const")
                        .is_some_and(|c| example.get(field) == Some(c))
                });
                if !met {
                    continue;
                }
                let wanted = condition
                    .pointer("/then/required")
                    .and_then(Value::as_array);
                for name in wanted.into_iter().flatten().filter_map(Value::as_str) {
                    let property = properties.and_then(|p| p.get(name))?;
                    example.insert(
                        name.to_string(),
                        example_of(property, definitions, depth + 1)?,
                    );
                }
            }
            Some(Value::Object(example))
        }
        Some("array") => {
            let min = object.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            if min == 0 {
                return Some(json!([]));
            }
            let item = example_of(object.get("items")?, definitions, depth + 1)?;
            Some(Value::Array(vec![item; min as usize]))
        }
        Some("string") => {
            let min = object.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
            match object.get("format").and_then(Value::as_str) {
                Some("date-time") => return Some(json!("2026-12-07T10:00:00Z")),
                Some("date") => return Some(json!("2026-12-31")),
                Some("email") => return Some(json!("ada@example.com")),
                _ => {}
            }
            let base = "An example written for the documentation";
            let text: String = base.chars().cycle().take(min.max(base.len())).collect();
            Some(Value::String(text))
        }
        Some("integer") | Some("number") => {
            let min = object.get("minimum").and_then(Value::as_i64).unwrap_or(0);
            Some(json!(min.max(1).min(
                object
                    .get("maximum")
                    .and_then(Value::as_i64)
                    .unwrap_or(i64::MAX)
            )))
        }
        Some("boolean") => Some(json!(false)),
        Some("null") => Some(Value::Null),
        _ => Some(json!({})),
    }
}
