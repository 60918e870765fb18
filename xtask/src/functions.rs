//! Every function of Worklane, composed from the area crates: the local stack plays them all
//! in one process (the API server mounts every HTTP function's routes, the event pump invokes
//! the queue and stream functions, `/_dev/schedules` runs the scheduled ones). This is a leaf:
//! nothing in the core or the areas imports it, and no function binary links it.

use std::sync::LazyLock;
use worklane::http::router::Route;
use worklane::lambda::{Function, QueueFunction, ScheduleFunction, StreamFunction};

static ALL: LazyLock<Vec<Function>> = LazyLock::new(|| {
    [
        worklane_platform::functions(),
        worklane_accounts::functions(),
        worklane_marketplace::functions(),
        worklane_search::functions(),
        worklane_escrow::functions(),
        worklane_hourly::functions(),
        worklane_reputation::functions(),
        worklane_disputes::functions(),
    ]
    .concat()
});

static ROUTES: LazyLock<Vec<Route>> = LazyLock::new(|| {
    ALL.iter()
        .filter_map(|function| match function {
            Function::Http(http) => Some((http.routes)()),
            _ => None,
        })
        .flatten()
        .collect()
});

/// Every function, in area order.
pub fn all() -> &'static [Function] {
    &ALL
}

/// Every HTTP route of every function: the whole API.
pub fn routes() -> &'static [Route] {
    &ROUTES
}

/// The function whose binary is `name`.
pub fn named(name: &str) -> Option<Function> {
    ALL.iter().find(|function| function.name() == name).copied()
}

pub fn queue(name: &str) -> Option<QueueFunction> {
    match named(name)? {
        Function::Queue(function) => Some(function),
        _ => None,
    }
}

pub fn schedule(name: &str) -> Option<ScheduleFunction> {
    match named(name)? {
        Function::Schedule(function) => Some(function),
        _ => None,
    }
}

pub fn stream(name: &str) -> Option<StreamFunction> {
    match named(name)? {
        Function::Stream(function) => Some(function),
        _ => None,
    }
}

/// The OpenAPI document of the whole API, as `docs/openapi.json` holds it (and the `api-docs`
/// function serves it): the route table and the answers the suite saw (`docs/api-answers.json`).
pub fn openapi_document() -> String {
    openapi_document_with(&committed_answers())
}

pub fn openapi_document_with(answers: &worklane::http::openapi::Answers) -> String {
    let mut text =
        serde_json::to_string_pretty(&worklane::http::openapi::document(routes(), answers))
            .expect("the document serializes");
    text.push('\n');
    text
}

pub fn answers_path() -> std::path::PathBuf {
    crate::repo_root().join("docs/api-answers.json")
}

/// `docs/api-answers.json`, or no answers before it was first written.
pub fn committed_answers() -> worklane::http::openapi::Answers {
    std::fs::read_to_string(answers_path())
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}
