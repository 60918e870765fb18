//! What each operation answered during the e2e suite: the evidence behind the per-status
//! responses of the OpenAPI document.
//!
//! The local server records every answer of a route (operation, status, and for a problem its
//! `code` and `detail`) while the harness records (`start`). `openapi answers write` turns the
//! recordings into `docs/api-answers.json`, which the document generator reads beside the
//! route table; `openapi answers check` (end of scripts/test) fails when the suite saw a
//! status the document does not list for an operation, and names the codes it does not.

use crate::evidence::Evidence;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use worklane::http::openapi::Answers;
use worklane::http::ApiResponse;

/// One answer of one operation.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Answer {
    pub operation: String,
    pub status: u16,
    /// The problem's `code` (absent on success).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The problem's `detail`, with ids replaced by a fixed one of the same kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

static EVIDENCE: Evidence<Answer> = Evidence::new("api-answers");

pub fn start() {
    EVIDENCE.start();
}

pub fn default_dir() -> PathBuf {
    EVIDENCE.dir()
}

/// Notes what `operation` answered (nothing while not recording).
pub fn note(operation: &str, response: &ApiResponse) {
    // A 500 is a bug to fix, never part of the contract (the corrupt-item tests provoke one
    // on purpose).
    if !EVIDENCE.recording() || response.status.is_server_error() && response.status.as_u16() != 503
    {
        return;
    }
    let problem = response
        .header("content-type")
        .is_some_and(|kind| kind.starts_with("application/problem+json"))
        .then(|| serde_json::from_slice::<serde_json::Value>(&response.body).ok())
        .flatten();
    let text = |name: &str| {
        problem
            .as_ref()
            .and_then(|p| p[name].as_str())
            .map(str::to_string)
    };
    EVIDENCE.record([Answer {
        operation: operation.to_string(),
        status: response.status.as_u16(),
        code: text("code"),
        detail: text("detail").map(|detail| without_ids(&detail)),
    }]);
}

pub fn load(dir: &Path) -> anyhow::Result<Vec<Answer>> {
    crate::evidence::load(dir)
}

/// The recordings as the document states them: per operation and status, each problem code
/// with one example detail (the first in order, so the file changes only when answers do).
pub fn to_answers(recorded: &[Answer]) -> Answers {
    let mut answers = Answers::new();
    for answer in recorded {
        let codes = answers
            .entry(answer.operation.clone())
            .or_default()
            .entry(answer.status)
            .or_default();
        if let Some(code) = &answer.code {
            codes
                .entry(code.clone())
                .or_insert_with(|| answer.detail.clone().unwrap_or_default());
        }
    }
    answers
}

/// What the suite saw that `documented` does not state: statuses the document does not list
/// for an operation (findings), and problem codes it does not name under a listed status
/// (notes: which code a race ends in — `milestone_state` or `milestone_changed` when two
/// decisions meet — depends on timing, so a code is evidence to add, not a failure).
pub struct Undocumented {
    pub statuses: Vec<String>,
    pub codes: Vec<String>,
}

pub fn undocumented(recorded: &[Answer], documented: &serde_json::Value) -> Undocumented {
    let mut findings = Vec::new();
    let mut codes = Vec::new();
    for answer in recorded {
        let operation = documented["paths"]
            .as_object()
            .into_iter()
            .flat_map(|paths| paths.values())
            .filter_map(|item| item.as_object())
            .flat_map(|item| item.values())
            .find(|op| op["operationId"] == answer.operation.as_str());
        let Some(operation) = operation else {
            findings.push(format!("{}: not in the document", answer.operation));
            continue;
        };
        let mut response = &operation["responses"][answer.status.to_string()];
        // Shared answers live in components/responses.
        if let Some(name) = response["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/responses/"))
        {
            response = &documented["components"]["responses"][name];
        }
        if response.is_null() {
            findings.push(format!(
                "{}: answered {} ({}), which the document does not list",
                answer.operation,
                answer.status,
                answer.code.as_deref().unwrap_or("success")
            ));
            continue;
        }
        if let Some(code) = &answer.code {
            let examples = response
                .pointer("/content/application~1problem+json/examples")
                .and_then(|e| e.as_object());
            if !examples.is_some_and(|examples| examples.contains_key(code)) {
                codes.push(format!(
                    "{}: answered {} `{code}`, a code the document does not list for it",
                    answer.operation, answer.status
                ));
            }
        }
    }
    for list in [&mut findings, &mut codes] {
        list.sort();
        list.dedup();
    }
    Undocumented {
        statuses: findings,
        codes,
    }
}

/// `recorded` added to what `committed` already states: a code seen in one run stays
/// documented when a later run's timing does not provoke it.
pub fn merged(committed: &Answers, recorded: &[Answer]) -> Answers {
    let mut all = committed.clone();
    for (operation, statuses) in to_answers(recorded) {
        for (status, codes) in statuses {
            let known = all
                .entry(operation.clone())
                .or_default()
                .entry(status)
                .or_default();
            for (code, detail) in codes {
                known.entry(code).or_insert(detail);
            }
        }
    }
    all
}

/// `job_01jd…` ids in a text, each replaced by the same-kind id of all zeros, so a detail
/// reads the same in every run.
pub fn without_ids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('_') {
        let (before, after) = rest.split_at(at);
        let prefix_len = before
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_lowercase())
            .count();
        let ulid_len = after[1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        if prefix_len > 0 && ulid_len == 26 {
            out.push_str(before);
            out.push('_');
            out.push_str(&"0".repeat(26));
            rest = &after[27..];
        } else {
            out.push_str(before);
            out.push('_');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_details_read_the_same_in_every_run() {
        assert_eq!(
            without_ids(
                "fil_01kbz5m1q2w3e4r5t6y7u8i9o0: no such file; room_prp_01kbz5m1q2w3e4r5t6y7u8i9o0"
            ),
            format!("fil_{z}: no such file; room_prp_{z}", z = "0".repeat(26))
        );
        assert_eq!(without_ids("snake_case stays"), "snake_case stays");
    }

    #[test]
    fn an_answer_the_document_does_not_list_is_a_finding() {
        let document = serde_json::json!({
            "paths": {"/v1/jobs": {"post": {
                "operationId": "postJob",
                "responses": {
                    "201": {"description": "Created"},
                    "422": {"$ref": "#/components/responses/UnprocessableEntity"},
                },
            }}},
            "components": {"responses": {"UnprocessableEntity": {
                "content": {"application/problem+json": {"examples": {"validation_failed": {}}}},
            }}},
        });
        let answer = |status: u16, code: Option<&str>| Answer {
            operation: "postJob".into(),
            status,
            code: code.map(Into::into),
            detail: None,
        };
        let seen = undocumented(
            &[answer(201, None), answer(422, Some("validation_failed"))],
            &document,
        );
        assert!(seen.statuses.is_empty() && seen.codes.is_empty());
        let seen = undocumented(
            &[
                answer(409, Some("job_closed")),
                answer(422, Some("below_minimum")),
            ],
            &document,
        );
        assert_eq!(
            seen.statuses,
            ["postJob: answered 409 (job_closed), which the document does not list"]
        );
        assert_eq!(
            seen.codes,
            ["postJob: answered 422 `below_minimum`, a code the document does not list for it"]
        );
    }
}
