//! The roles and environments of the template, generated from and checked against the
//! recorded calls.
//!
//! A role is a set of `Grant`s. What a function *uses* is its recordings (index queries and
//! scans lose their key prefix: `dynamodb:LeadingKeys` does not constrain them, see
//! docs/security.md), `TABLE_NAME` when it touches the table, and the few grants of
//! `UNEXERCISED`. What a function is *allowed* is read back from its `Policies` and
//! `Environment` (plus the Globals' variables). `compare` reports both directions: a used
//! grant the role lacks, and an allowed grant nothing used.

use super::record::Recorded;
use super::{Grant, BUCKET, BUS, ENV, SES_IDENTITY, TABLE};
use crate::template::Template;
use anyhow::{anyhow, bail, Result};
use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};

pub type Roles = BTreeMap<String, BTreeSet<Grant>>;

/// Permissions the local suite does not exercise: (function, action, resource, prefix, why).
/// Keep it tiny: anything here is trusted, not evidenced.
pub const UNEXERCISED: &[(&str, &str, &str, Option<&str>, &str)] = &[
    (
        "event-forwarder",
        "sqs:SendMessage",
        "EventForwarderDLQ",
        None,
        "the stream event source's on-failure destination: Lambda sends the failed batch's \
         metadata with the function's role; the local pump retries instead of giving up",
    ),
    (
        "search-indexer",
        "s3:GetObject",
        BUCKET,
        Some("search/jobs/"),
        "a cold-started indexer restores the published snapshot; locally one indexer per stack \
         lives as long as the stack, so it never starts over an existing snapshot",
    ),
    (
        "time-tracking",
        "s3:DeleteObject",
        BUCKET,
        Some("files/"),
        "deleting a segment deletes its screenshot (best effort); no e2e test deletes a segment \
         that has one yet",
    ),
];

/// Functions that make no AWS call at all, so having no recordings is their evidence.
pub const NO_AWS: &[&str] = &["api-docs"];

/// Functions the recordings do not cover (not run by any test, or a partial run): their
/// generated role would be empty, so neither `write` nor `check` may accept them.
pub fn never_ran(functions: &[String], used: &Roles) -> Vec<Finding> {
    functions
        .iter()
        .filter(|f| !used.contains_key(*f) && !NO_AWS.contains(&f.as_str()))
        .map(|f| Finding::NeverRan {
            function: f.clone(),
        })
        .collect()
}

/// Variables every function gets from the Globals (not secrets, read at init by all).
pub const GLOBAL_ENV: &[&str] = &["STAGE", "RUST_LOG"];

/// How the template spells each per-function variable's value.
const ENV_VALUES: &[(&str, &str)] = &[
    ("TABLE_NAME", "!Ref Table"),
    ("BUCKET_NAME", "!Ref FilesBucket"),
    ("EVENT_BUS_NAME", "!Ref DomainEventBus"),
    ("EMAIL_FROM", "!Ref EmailFrom"),
    (
        "WORKLANE_PAYMENTS",
        "!FindInMap [PaymentProcessor, !Ref Stage, Kind]",
    ),
    ("WEEKLY_BILLING_QUEUE_URL", "!Ref WeeklyBillingQueue"),
    (
        "JWT_SIGNING_KEYS",
        "!Sub '{{resolve:secretsmanager:${JwtSigningSecret}:SecretString}}'",
    ),
];

/// What a policy can express of a recorded grant: index queries and scans keep no prefix.
pub fn constrainable(grant: &Grant) -> Grant {
    let keyed = grant.resource == TABLE && grant.action != "dynamodb:Scan";
    if grant.action.starts_with("dynamodb:") && !keyed {
        return Grant {
            prefix: None,
            ..grant.clone()
        };
    }
    grant.clone()
}

/// What each function uses: its recordings, the unexercised allowances, and the table's
/// name wherever it touches the table.
pub fn used(recorded: &[Recorded]) -> Roles {
    let mut roles = Roles::new();
    for line in recorded {
        roles
            .entry(line.function.clone())
            .or_default()
            .insert(constrainable(&line.grant));
    }
    for (function, action, resource, prefix, _) in UNEXERCISED {
        let grant = Grant::new(*action, *resource);
        roles
            .entry(function.to_string())
            .or_default()
            .insert(match prefix {
                Some(prefix) => grant.with_prefix(*prefix),
                None => grant,
            });
    }
    for grants in roles.values_mut() {
        if grants.iter().any(|g| g.action.starts_with("dynamodb:")) {
            grants.insert(Grant::env("TABLE_NAME"));
        }
    }
    roles
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Finding {
    /// The function used it; its role or environment lacks it.
    Missing { function: String, grant: Grant },
    /// The role or environment holds it; no recorded call used it.
    Unused { function: String, grant: Grant },
    /// The template declares a function no test ever ran.
    NeverRan { function: String },
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::Missing { function, grant } => {
                write!(f, "{function}: uses {grant}, which its role does not allow")
            }
            Finding::Unused { function, grant } => {
                write!(
                    f,
                    "{function}: its role allows {grant}, which no recorded call used"
                )
            }
            Finding::NeverRan { function } => write!(
                f,
                "{function}: no test ran it (no recordings), so its role cannot be checked"
            ),
        }
    }
}

fn covers(allowed: &BTreeSet<Grant>, grant: &Grant) -> bool {
    allowed.contains(grant)
        || (grant.prefix.is_some()
            && allowed.contains(&Grant {
                prefix: None,
                ..grant.clone()
            }))
}

/// Both directions, for every function of the template (`functions`: their binaries).
pub fn compare(functions: &[String], allowed: &Roles, used: &Roles) -> Vec<Finding> {
    let empty = BTreeSet::new();
    let mut findings = Vec::new();
    for function in functions {
        let allowed = allowed.get(function).unwrap_or(&empty);
        let Some(used) = used.get(function) else {
            findings.extend(never_ran(std::slice::from_ref(function), &Roles::new()));
            for grant in allowed {
                findings.push(Finding::Unused {
                    function: function.clone(),
                    grant: grant.clone(),
                });
            }
            continue;
        };
        for grant in used {
            if !covers(allowed, grant) {
                findings.push(Finding::Missing {
                    function: function.clone(),
                    grant: grant.clone(),
                });
            }
        }
        // Exact: an action allowed on every key where the calls touched some prefixes is
        // breadth nothing used.
        for grant in allowed {
            if !used.contains(grant) {
                findings.push(Finding::Unused {
                    function: function.clone(),
                    grant: grant.clone(),
                });
            }
        }
    }
    findings.sort();
    findings
}

// ------------------------------------------------------------------ reading the template

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Sequence(items) => items.iter().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

/// A statement's resource → (logical id, the path after its ARN).
fn resource_ref(value: &Value) -> Result<(String, String)> {
    let Value::Tagged(tagged) = value else {
        bail!("resource {value:?} is not !GetAtt or !Sub");
    };
    let text = tagged
        .value
        .as_str()
        .ok_or_else(|| anyhow!("resource {value:?} is not a string"))?;
    match tagged.tag.to_string().trim_start_matches('!') {
        "GetAtt" => Ok((text.trim_end_matches(".Arn").to_string(), String::new())),
        "Sub" if text.contains(":identity/") => Ok((SES_IDENTITY.to_string(), String::new())),
        "Sub" => {
            let rest = text
                .strip_prefix("${")
                .ok_or_else(|| anyhow!("resource {text} does not start with an ARN"))?;
            let (arn, path) = rest
                .split_once('}')
                .ok_or_else(|| anyhow!("resource {text} is malformed"))?;
            Ok((arn.trim_end_matches(".Arn").to_string(), path.to_string()))
        }
        other => bail!("resource tag !{other} is not understood"),
    }
}

fn statement_grants(statement: &Value) -> Result<Vec<Grant>> {
    if statement["Effect"].as_str() != Some("Allow") {
        bail!("only Allow statements are generated: {statement:?}");
    }
    let actions = strings(&statement["Action"]);
    let resources = match &statement["Resource"] {
        Value::Sequence(items) => items.clone(),
        one => vec![one.clone()],
    };
    let leading =
        strings(&statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]);
    let mut grants = Vec::new();
    for resource in &resources {
        let (logical, path) = resource_ref(resource)?;
        for action in &actions {
            let base = match (logical.as_str(), path.as_str()) {
                (TABLE, "") => Grant::new(action, TABLE),
                (TABLE, index) => Grant::new(action, format!("{TABLE}{index}")),
                (BUCKET, objects) => Grant::new(action, BUCKET)
                    .with_prefix(objects.trim_start_matches('/').trim_end_matches('*')),
                (other, "") => Grant::new(action, other),
                (other, path) => bail!("{action} on {other}{path} is not understood"),
            };
            if leading.is_empty() {
                grants.push(base);
            } else {
                grants.extend(leading.iter().map(|pattern| {
                    base.clone()
                        .with_prefix(pattern.strip_suffix('*').unwrap_or(pattern))
                }));
            }
        }
    }
    Ok(grants)
}

/// What the template allows each function (by binary).
pub fn allowed(template: &Template, globals: &[String]) -> Result<Roles> {
    let mut roles = Roles::new();
    for (logical_id, resource) in template.of_type("AWS::Serverless::Function") {
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let properties = &resource["Properties"];
        let mut grants = BTreeSet::new();
        for policy in properties["Policies"].as_sequence().into_iter().flatten() {
            let Some(statements) = policy["Statement"].as_sequence() else {
                bail!("{logical_id}: policy {policy:?} is a managed policy or template, not statements");
            };
            for statement in statements {
                grants
                    .extend(statement_grants(statement).map_err(|e| anyhow!("{logical_id}: {e}"))?);
            }
        }
        let variables = properties["Environment"]["Variables"].as_mapping();
        for name in variables.into_iter().flat_map(|m| m.keys()) {
            grants.insert(Grant::env(name.as_str().unwrap_or_default()));
        }
        for name in globals {
            if !GLOBAL_ENV.contains(&name.as_str()) {
                grants.insert(Grant::env(name));
            }
        }
        roles.insert(binary, grants);
    }
    Ok(roles)
}

/// The variables the template sets for the function `binary` (its own and the Globals').
pub fn environment_of(template_text: &str, binary: &str) -> Result<Vec<String>> {
    let template = Template::parse(template_text)?;
    let mut names = global_env(template_text)?;
    for (_, resource) in template.of_type("AWS::Serverless::Function") {
        if resource["Metadata"]["BuildProperties"]["Binary"].as_str() == Some(binary) {
            let variables = resource["Properties"]["Environment"]["Variables"].as_mapping();
            names.extend(
                variables
                    .into_iter()
                    .flat_map(|m| m.keys())
                    .filter_map(|k| k.as_str().map(str::to_string)),
            );
            return Ok(names);
        }
    }
    bail!("the template has no function {binary}")
}

/// The Globals' environment variables.
pub fn global_env(template_text: &str) -> Result<Vec<String>> {
    let doc: Value = serde_yaml::from_str(template_text)?;
    Ok(doc["Globals"]["Function"]["Environment"]["Variables"]
        .as_mapping()
        .into_iter()
        .flat_map(|m| m.keys())
        .filter_map(|k| k.as_str().map(str::to_string))
        .collect())
}

// ------------------------------------------------------------------ writing the template

fn yaml_list(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

fn quoted(items: impl IntoIterator<Item = String>) -> Vec<String> {
    items.into_iter().map(|s| format!("'{s}'")).collect()
}

fn statement(sid: &str, actions: &[String], resources: &[String], extra: &str) -> String {
    let mut out = format!(
        "            - Sid: {sid}\n              Effect: Allow\n              Action: {}\n",
        yaml_list(actions)
    );
    match resources {
        [one] => out.push_str(&format!("              Resource: {one}\n")),
        many => {
            out.push_str("              Resource:\n");
            for resource in many {
                out.push_str(&format!("                - {resource}\n"));
            }
        }
    }
    out.push_str(extra);
    out
}

/// The `Environment` and `Policies` blocks of one function (indented for its Properties).
pub fn render(grants: &BTreeSet<Grant>) -> Result<String> {
    let mut out = String::from(
        "      # Generated from the e2e suite's recorded calls: edit with `iam -- write` (docs/security.md).\n",
    );
    let env: Vec<&Grant> = grants.iter().filter(|g| g.action == ENV).collect();
    if !env.is_empty() {
        out.push_str("      Environment:\n        Variables:\n");
        for grant in env {
            let value = ENV_VALUES
                .iter()
                .find(|(name, _)| *name == grant.resource)
                .map(|(_, value)| *value)
                .ok_or_else(|| anyhow!("no template value for setting {}", grant.resource))?;
            out.push_str(&format!("          {}: {value}\n", grant.resource));
        }
    }
    let mut statements = String::new();
    // Item actions on the table, grouped by the key prefixes they may touch.
    let mut by_action: BTreeMap<&str, BTreeSet<Option<&str>>> = BTreeMap::new();
    let mut indexes: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut objects: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut others: BTreeMap<(&str, &str), ()> = BTreeMap::new();
    for grant in grants.iter().filter(|g| g.action != ENV) {
        match (grant.resource.as_str(), grant.action.split(':').next()) {
            (TABLE, Some("dynamodb")) => {
                by_action
                    .entry(&grant.action)
                    .or_default()
                    .insert(grant.prefix.as_deref());
            }
            (index, Some("dynamodb")) => {
                indexes.entry(&grant.action).or_default().insert(index);
            }
            (BUCKET, Some("s3")) => {
                objects
                    .entry(grant.prefix.as_deref().unwrap_or(""))
                    .or_default()
                    .insert(&grant.action);
            }
            (resource, _) => {
                others.insert((&grant.action, resource), ());
            }
        }
    }
    let mut groups: BTreeMap<Vec<Option<&str>>, Vec<String>> = BTreeMap::new();
    for (action, prefixes) in by_action {
        // Any unconstrained use (an action without keys) makes the action unconstrained.
        let prefixes = if prefixes.contains(&None) {
            vec![None]
        } else {
            prefixes.into_iter().collect()
        };
        groups.entry(prefixes).or_default().push(action.to_string());
    }
    for (n, (prefixes, actions)) in groups.iter().enumerate() {
        let condition = match prefixes.as_slice() {
            [None] => String::new(),
            prefixes => format!(
                "              Condition:\n                ForAllValues:StringLike:\n                  dynamodb:LeadingKeys: {}\n",
                yaml_list(&quoted(prefixes.iter().flatten().map(|p| {
                    if p.ends_with('#') { format!("{p}*") } else { p.to_string() }
                })))
            ),
        };
        statements.push_str(&statement(
            &format!("TableItems{}", n + 1),
            actions,
            &["!GetAtt Table.Arn".to_string()],
            &condition,
        ));
    }
    let mut index_groups: BTreeMap<Vec<&str>, Vec<String>> = BTreeMap::new();
    for (action, indexes) in indexes {
        index_groups
            .entry(indexes.into_iter().collect())
            .or_default()
            .push(action.to_string());
    }
    for (n, (indexes, actions)) in index_groups.iter().enumerate() {
        let resources: Vec<String> = indexes
            .iter()
            .map(|index| {
                let path = index.strip_prefix(TABLE).unwrap_or(index);
                match path {
                    "" => "!GetAtt Table.Arn".to_string(),
                    path => format!("!Sub '${{Table.Arn}}{path}'"),
                }
            })
            .collect();
        statements.push_str(&statement(
            &format!("TableIndexes{}", n + 1),
            actions,
            &resources,
            "",
        ));
    }
    let mut object_groups: BTreeMap<Vec<&str>, Vec<&str>> = BTreeMap::new();
    for (prefix, actions) in objects {
        object_groups
            .entry(actions.into_iter().collect())
            .or_default()
            .push(prefix);
    }
    for (n, (actions, prefixes)) in object_groups.iter().enumerate() {
        let resources: Vec<String> = prefixes
            .iter()
            .map(|prefix| format!("!Sub '${{FilesBucket.Arn}}/{prefix}*'"))
            .collect();
        statements.push_str(&statement(
            &format!("Objects{}", n + 1),
            &actions.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
            &resources,
            "",
        ));
    }
    for ((action, resource), ()) in others {
        let (sid, target, extra) = match resource {
            SES_IDENTITY => (
                "SendEmailFromConfiguredSender".to_string(),
                "!Sub 'arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*'"
                    .to_string(),
                "              Condition:\n                StringEquals:\n                  ses:FromAddress: !Ref EmailFrom\n",
            ),
            BUS => (
                "PublishDomainEvents".to_string(),
                format!("!GetAtt {BUS}.Arn"),
                "",
            ),
            queue => (format!("SendTo{queue}"), format!("!GetAtt {queue}.Arn"), ""),
        };
        statements.push_str(&statement(&sid, &[action.to_string()], &[target], extra));
    }
    if !statements.is_empty() {
        out.push_str("      Policies:\n        - Statement:\n");
        out.push_str(&statements);
    }
    Ok(out)
}

/// `text` with each function's generated blocks replaced by `render` of its role.
pub fn rewrite(text: &str, template: &Template, roles: &Roles) -> Result<String> {
    let mut out = text.to_string();
    for (logical_id, resource) in template.of_type("AWS::Serverless::Function") {
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_default();
        let block = render(roles.get(binary).unwrap_or(&BTreeSet::new()))?;
        out = replace_in_function(&out, &logical_id, &block)?;
    }
    Ok(out)
}

/// In resource `logical_id`, drops the generated comment and the `Environment` and `Policies`
/// blocks, and puts `block` before `Events:`.
fn replace_in_function(text: &str, logical_id: &str, block: &str) -> Result<String> {
    let header = format!("\n  {logical_id}:\n");
    let start = text
        .find(&header)
        .ok_or_else(|| anyhow!("resource {logical_id} not found"))?
        + 1;
    let body_start = start + header.len() - 1;
    let end = text[body_start..]
        .split_inclusive('\n')
        .scan(body_start, |offset, line| {
            let at = *offset;
            *offset += line.len();
            Some((at, line))
        })
        .find(|(_, line)| {
            let indent = line.len() - line.trim_start().len();
            !line.trim().is_empty() && indent <= 2
        })
        .map(|(at, _)| at)
        .unwrap_or(text.len());
    let mut kept = String::new();
    let mut skipping = false;
    let mut inserted = false;
    for line in text[body_start..end].split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        let content = line.trim();
        if skipping && (content.is_empty() || indent > 6) {
            continue;
        }
        skipping = false;
        if indent == 6
            && (content.starts_with("Policies:")
                || content.starts_with("Environment:")
                || content.starts_with("# Generated from the e2e suite"))
        {
            skipping = true;
            continue;
        }
        if indent == 6 && content.starts_with("Events:") && !inserted {
            kept.push_str(block);
            inserted = true;
        }
        kept.push_str(line);
    }
    if !inserted {
        bail!("{logical_id} has no Events: to put its role before");
    }
    Ok(format!("{}{}{}", &text[..body_start], kept, &text[end..]))
}

// ------------------------------------------------------------------ the matrix

/// The markdown matrix of docs/security.md: per function, what it does on each resource.
pub fn matrix(functions: &[String], recorded: &[Recorded], used: &Roles) -> String {
    let mut raw: BTreeMap<&str, BTreeSet<&Grant>> = BTreeMap::new();
    for line in recorded {
        raw.entry(&line.function).or_default().insert(&line.grant);
    }
    let mut out = String::from(
        "| function | table items: action → pk prefixes (`dynamodb:LeadingKeys`) | indexes: Query → pk prefixes (not constrainable) | S3 objects | SQS / EventBridge / SES | environment |\n|---|---|---|---|---|---|\n",
    );
    for function in functions {
        let grants = used.get(function).cloned().unwrap_or_default();
        let raw = raw.get(function.as_str()).cloned().unwrap_or_default();
        let mut items: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut indexes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for grant in &raw {
            let action = grant.action.trim_start_matches("dynamodb:").to_string();
            if !grant.action.starts_with("dynamodb:") {
                continue;
            }
            let prefix = grant.prefix.clone().unwrap_or_else(|| "any".into());
            if grant.resource == TABLE && grant.action != "dynamodb:Scan" {
                items.entry(action).or_default().insert(prefix);
            } else {
                let index = grant.resource.trim_start_matches("Table/index/");
                indexes
                    .entry(format!("{action} {index}"))
                    .or_default()
                    .insert(prefix);
            }
        }
        let cell = |map: &BTreeMap<String, BTreeSet<String>>| {
            let text = map
                .iter()
                .map(|(action, prefixes)| {
                    format!(
                        "{action} → {}",
                        prefixes
                            .iter()
                            .map(|p| format!("`{p}`"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            if text.is_empty() {
                "—".to_string()
            } else {
                text
            }
        };
        let list = |filter: &dyn Fn(&Grant) -> bool, show: &dyn Fn(&Grant) -> String| {
            let items: BTreeSet<String> = grants.iter().filter(|g| filter(g)).map(show).collect();
            if items.is_empty() {
                "—".to_string()
            } else {
                items.into_iter().collect::<Vec<_>>().join(", ")
            }
        };
        let s3 = list(&|g| g.action.starts_with("s3:"), &|g| {
            format!(
                "{} `{}*`",
                g.action.trim_start_matches("s3:"),
                g.prefix.as_deref().unwrap_or("")
            )
        });
        let messaging = list(
            &|g| {
                ["sqs:", "events:", "ses:"]
                    .iter()
                    .any(|s| g.action.starts_with(s))
            },
            &|g| format!("{} → {}", g.action, g.resource),
        );
        let env = list(&|g| g.is_env(), &|g| {
            if g.resource == "JWT_SIGNING_KEYS" {
                format!("**{}** (secret)", g.resource)
            } else {
                g.resource.clone()
            }
        });
        out.push_str(&format!(
            "| `{function}` | {} | {} | {s3} | {messaging} | {env} |\n",
            cell(&items),
            cell(&indexes)
        ));
    }
    out
}

pub const MATRIX_START: &str = "<!-- iam:matrix:start (generated by `iam -- write`) -->";
pub const MATRIX_END: &str = "<!-- iam:matrix:end -->";

/// `doc` with the text between the matrix markers replaced.
pub fn with_matrix(doc: &str, matrix: &str) -> Result<String> {
    let start = doc
        .find(MATRIX_START)
        .ok_or_else(|| anyhow!("docs/security.md has no {MATRIX_START}"))?
        + MATRIX_START.len();
    let end = doc
        .find(MATRIX_END)
        .ok_or_else(|| anyhow!("docs/security.md has no {MATRIX_END}"))?;
    Ok(format!("{}\n\n{matrix}\n{}", &doc[..start], &doc[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = r#"
Globals:
  Function:
    Environment:
      Variables:
        STAGE: !Ref Stage
Resources:
  ProfilesFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildProperties:
        Binary: profiles
    Properties:
      Description: Profiles.
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref Table
      Events:
        Get:
          Type: HttpApi
"#;

    fn recorded(function: &str, grant: Grant) -> Recorded {
        Recorded {
            function: function.into(),
            grant,
        }
    }

    fn profile_calls() -> Vec<Recorded> {
        vec![
            recorded(
                "profiles",
                Grant::new("dynamodb:GetItem", TABLE).with_prefix("USER#"),
            ),
            recorded(
                "profiles",
                Grant::new("dynamodb:Query", "Table/index/gsi1").with_prefix("FSKILL#"),
            ),
            recorded("profiles", Grant::env("JWT_SIGNING_KEYS")),
        ]
    }

    /// Writes the role of `calls` into the template and reads it back.
    fn round_trip(calls: &[Recorded]) -> (Template, Roles) {
        let template = Template::parse(TEMPLATE).unwrap();
        let text = rewrite(TEMPLATE, &template, &used(calls)).unwrap();
        let written = Template::parse(&text).unwrap();
        let roles = allowed(&written, &global_env(&text).unwrap()).unwrap();
        (written, roles)
    }

    #[test]
    fn a_generated_role_allows_exactly_what_was_used() {
        let (_, roles) = round_trip(&profile_calls());
        let findings = compare(&["profiles".into()], &roles, &used(&profile_calls()));
        assert_eq!(findings, vec![]);
        let role = &roles["profiles"];
        assert!(role.contains(&Grant::new("dynamodb:GetItem", TABLE).with_prefix("USER#")));
        // An index query keeps its index, not its prefix (LeadingKeys cannot constrain it).
        assert!(role.contains(&Grant::new("dynamodb:Query", "Table/index/gsi1")));
        assert!(role.contains(&Grant::env("TABLE_NAME")));
    }

    #[test]
    fn a_missing_permission_and_an_extra_one_both_fail() {
        let (_, roles) = round_trip(&profile_calls());
        let mut calls = profile_calls();
        // The code now also writes ledger accounts, and no longer reads the signing keys.
        calls.push(recorded(
            "profiles",
            Grant::new("dynamodb:UpdateItem", TABLE).with_prefix("LEDGER#"),
        ));
        calls.retain(|c| c.grant != Grant::env("JWT_SIGNING_KEYS"));
        let findings = compare(&["profiles".into()], &roles, &used(&calls));
        assert_eq!(
            findings,
            vec![
                Finding::Missing {
                    function: "profiles".into(),
                    grant: Grant::new("dynamodb:UpdateItem", TABLE).with_prefix("LEDGER#"),
                },
                Finding::Unused {
                    function: "profiles".into(),
                    grant: Grant::env("JWT_SIGNING_KEYS"),
                },
            ]
        );
    }

    #[test]
    fn a_managed_policy_or_a_global_secret_is_refused() {
        let template = Template::parse(TEMPLATE).unwrap();
        assert!(
            allowed(&template, &[]).is_err(),
            "DynamoDBCrudPolicy must not pass"
        );
        let (written, _) = round_trip(&profile_calls());
        let roles = allowed(&written, &["JWT_SIGNING_KEYS".into(), "STAGE".into()]).unwrap();
        let mut calls = profile_calls();
        calls.retain(|c| c.grant != Grant::env("JWT_SIGNING_KEYS"));
        let findings = compare(&["profiles".into()], &roles, &used(&calls));
        assert!(findings.contains(&Finding::Unused {
            function: "profiles".into(),
            grant: Grant::env("JWT_SIGNING_KEYS"),
        }));
    }

    #[test]
    fn a_function_no_test_ran_is_a_finding_but_api_docs_is_not() {
        let functions = ["reports".to_string(), "api-docs".to_string()];
        assert_eq!(
            compare(&functions, &Roles::new(), &Roles::new()),
            vec![Finding::NeverRan {
                function: "reports".into()
            }]
        );
    }

    #[test]
    fn a_role_wider_than_its_prefixes_is_a_finding() {
        // GetItem on every key where only USER# was read: covered, but too broad.
        let mut roles = Roles::new();
        roles.insert(
            "profiles".into(),
            [Grant::new("dynamodb:GetItem", TABLE)]
                .into_iter()
                .collect(),
        );
        let calls = vec![recorded(
            "profiles",
            Grant::new("dynamodb:GetItem", TABLE).with_prefix("USER#"),
        )];
        let mut used = used(&calls);
        used.get_mut("profiles")
            .unwrap()
            .remove(&Grant::env("TABLE_NAME"));
        assert_eq!(
            compare(&["profiles".into()], &roles, &used),
            vec![Finding::Unused {
                function: "profiles".into(),
                grant: Grant::new("dynamodb:GetItem", TABLE),
            }]
        );
    }
}
