//! Records, per function, the AWS calls and settings it uses on the local stack.
//!
//! The local stack runs every function in one process, so a call is attributed through a
//! tokio task-local set where the stack invokes a function (the server around a route, the
//! pump around a queue or stream batch, `/_dev/schedules` around a run). An SDK interceptor
//! on the stack's clients reads each serialized request (table, index, keys; object key;
//! queue; bus) and turns it into the IAM grants it needs. Calls outside any function's
//! scope — provisioning, the pump's own polling, a test reading the store — are not
//! recorded: they are not any function's permissions.
//!
//! Recording is off unless `start` was called (the e2e harness does); the grants go to
//! `target/iam-calls/` as `crate::evidence` describes.

use super::{Grant, BUCKET, BUS, SES_IDENTITY, TABLE};
use crate::evidence::Evidence;
use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

tokio::task_local! {
    static FUNCTION: &'static str;
}

/// Runs `work` as the function `name`: the calls it makes are that function's.
pub async fn as_function<F: Future>(name: &'static str, work: F) -> F::Output {
    FUNCTION.scope(name, work).await
}

fn current_function() -> Option<&'static str> {
    FUNCTION.try_with(|name| *name).ok()
}

/// One line of a recording.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Recorded {
    pub function: String,
    #[serde(flatten)]
    pub grant: Grant,
}

static EVIDENCE: Evidence<Recorded> = Evidence::new("iam-calls");

/// The directory recordings go to: `iam-calls/` in the cargo target dir.
pub fn default_dir() -> PathBuf {
    EVIDENCE.dir()
}

/// Turns recording on for this process (idempotent).
pub fn start() {
    EVIDENCE.start();
}

pub fn recording() -> bool {
    EVIDENCE.recording()
}

fn record(grants: impl IntoIterator<Item = Grant>) {
    let Some(function) = current_function() else {
        return;
    };
    EVIDENCE.record(grants.into_iter().map(|grant| Recorded {
        function: function.to_string(),
        grant,
    }));
}

/// `App::hooks.on_setting`: a function read this setting.
pub fn note_setting(variable: &'static str) {
    record([Grant::env(variable)]);
}

/// Every recording under `dir`.
pub fn load(dir: &Path) -> anyhow::Result<Vec<Recorded>> {
    crate::evidence::load(dir)
}

/// What the stack's physical names stand for in the template.
#[derive(Debug, Default)]
pub struct Names {
    pub table: String,
    pub bucket: String,
    pub bus: String,
    /// Queue URL → logical id.
    pub queues: HashMap<String, String>,
}

/// The interceptor, on every client of one stack (the operation's metadata names the
/// service).
#[derive(Clone, Debug)]
pub struct Recorder {
    names: Arc<Names>,
}

impl Recorder {
    pub fn new(names: Names) -> Self {
        Self {
            names: Arc::new(names),
        }
    }
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "IamRecorder"
    }

    fn read_before_attempt(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        if current_function().is_none() || !recording() {
            return Ok(());
        }
        let Some(metadata) = cfg.load::<Metadata>() else {
            return Ok(());
        };
        let operation = metadata.name().to_string();
        let request = context.request();
        let body = request
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice::<Value>(b).ok())
            .unwrap_or(Value::Null);
        let grants = match metadata.service() {
            "DynamoDB" => dynamodb_grants(&operation, &body),
            "S3" => s3_grants(&operation, request.uri(), &self.names.bucket),
            "SQS" => sqs_grants(&operation, &body, &self.names),
            "EventBridge" => events_grants(&operation, &body, &self.names),
            "SESv2" => vec![Grant::new(format!("ses:{operation}"), SES_IDENTITY)],
            other => vec![Grant::new(format!("{other}:{operation}"), "*")],
        };
        record(grants);
        Ok(())
    }
}

/// A partition key up to and with its first `#` (`USER#`): the entity the key design names.
/// A key without `#` is its own prefix (matched exactly, not as a pattern).
pub fn key_prefix(pk: &str) -> String {
    match pk.split_once('#') {
        Some((entity, _)) => format!("{entity}#"),
        None => pk.to_string(),
    }
}

fn pk_of(key: &Value) -> Option<String> {
    key["pk"]["S"].as_str().map(key_prefix)
}

/// The partition-key value a Query's key condition fixes (`<name> = :value`, first).
fn query_partition(body: &Value) -> Option<String> {
    let expression = body["KeyConditionExpression"].as_str()?;
    let (_, rest) = expression.split_once('=')?;
    let placeholder = rest.split_whitespace().next()?;
    body["ExpressionAttributeValues"][placeholder]["S"]
        .as_str()
        .map(key_prefix)
}

/// The dev mailbox stands in for SES: its items are an email sent, not a table permission.
const DEV_MAILBOX: &str = "DEVMAIL#";

fn item_grant(action: &str, prefix: Option<String>) -> Grant {
    match prefix {
        Some(prefix) if prefix == DEV_MAILBOX => Grant::new("ses:SendEmail", SES_IDENTITY),
        Some(prefix) => Grant::new(format!("dynamodb:{action}"), TABLE).with_prefix(prefix),
        None => Grant::new(format!("dynamodb:{action}"), TABLE),
    }
}

/// The IAM actions a DynamoDB request needs. Transactions have no action of their own: IAM
/// checks each item's action (`PutItem`, `UpdateItem`, `DeleteItem`, `ConditionCheckItem`,
/// `GetItem`); batches have theirs (`BatchGetItem`, `BatchWriteItem`).
pub fn dynamodb_grants(operation: &str, body: &Value) -> Vec<Grant> {
    // BatchGetItem: `{table: {Keys: [..]}}`; BatchWriteItem: `{table: [requests]}`.
    let tables = |field: &str| -> Vec<Value> {
        let Some(tables) = body["RequestItems"].as_object() else {
            return Vec::new();
        };
        tables
            .values()
            .flat_map(|t| match field {
                "Keys" => t["Keys"].as_array().cloned().unwrap_or_default(),
                _ => t.as_array().cloned().unwrap_or_default(),
            })
            .collect()
    };
    match operation {
        "GetItem" | "UpdateItem" | "DeleteItem" => vec![item_grant(operation, pk_of(&body["Key"]))],
        "PutItem" => vec![item_grant(operation, pk_of(&body["Item"]))],
        "Query" | "Scan" => {
            let resource = match body["IndexName"].as_str() {
                Some(index) => format!("{TABLE}/index/{index}"),
                None => TABLE.to_string(),
            };
            let grant = Grant::new(format!("dynamodb:{operation}"), resource);
            match (operation, query_partition(body)) {
                ("Query", Some(prefix)) => vec![grant.with_prefix(prefix)],
                _ => vec![grant],
            }
        }
        "BatchGetItem" => tables("Keys")
            .iter()
            .map(|key| item_grant(operation, pk_of(key)))
            .collect(),
        "BatchWriteItem" => tables("")
            .iter()
            .map(|request| {
                let key = match &request["PutRequest"] {
                    Value::Null => &request["DeleteRequest"]["Key"],
                    put => &put["Item"],
                };
                item_grant(operation, pk_of(key))
            })
            .collect(),
        "TransactWriteItems" | "TransactGetItems" => body["TransactItems"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|item| {
                let (kind, op) = item.as_object()?.iter().next()?;
                let (action, key) = match kind.as_str() {
                    "Put" => ("PutItem", &op["Item"]),
                    "Update" => ("UpdateItem", &op["Key"]),
                    "Delete" => ("DeleteItem", &op["Key"]),
                    "ConditionCheck" => ("ConditionCheckItem", &op["Key"]),
                    "Get" => ("GetItem", &op["Key"]),
                    _ => return None,
                };
                Some(item_grant(action, pk_of(key)))
            })
            .collect(),
        other => vec![Grant::new(format!("dynamodb:{other}"), TABLE)],
    }
}

/// Object-key prefixes the bucket is laid out by (longest first): a grant names the prefix,
/// never an owner's or a snapshot's own path.
const OBJECT_PREFIXES: &[&str] = &["search/jobs/", "files/"];

fn object_prefix(key: &str) -> String {
    OBJECT_PREFIXES
        .iter()
        .find(|prefix| key.starts_with(**prefix))
        .map(|prefix| prefix.to_string())
        .unwrap_or_else(|| match key.split_once('/') {
            Some((first, _)) => format!("{first}/"),
            None => key.to_string(),
        })
}

/// S3 actions by operation (HEAD needs `s3:GetObject`, listing needs `s3:ListBucket`); the
/// key comes from the path-style URI `/<bucket>/<key>` the local clients use. Presigned
/// requests pass here too, and rightly: whoever uses the URL acts with the function's role.
pub fn s3_grants(operation: &str, uri: &str, bucket: &str) -> Vec<Grant> {
    let path = uri.split('?').next().unwrap_or_default();
    let path = path
        .split_once("://")
        .map(|(_, rest)| rest.split_once('/').map_or("", |(_, p)| p))
        .unwrap_or(path.trim_start_matches('/'));
    let key = path
        .strip_prefix(bucket)
        .map(|rest| rest.trim_start_matches('/'))
        .unwrap_or(path);
    let key = percent_decode(key);
    let action = match operation {
        "HeadObject" => "GetObject",
        "ListObjectsV2" | "ListObjects" => "ListBucket",
        "DeleteObjects" => "DeleteObject",
        other => other,
    };
    if action == "ListBucket" {
        let prefix = uri
            .split_once("prefix=")
            .map(|(_, rest)| percent_decode(rest.split('&').next().unwrap_or_default()))
            .unwrap_or_default();
        return vec![Grant::new("s3:ListBucket", BUCKET).with_prefix(object_prefix(&prefix))];
    }
    vec![Grant::new(format!("s3:{action}"), BUCKET).with_prefix(object_prefix(&key))]
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1..i + 3)) {
            (b'%', Some(hex)) => match u8::from_str_radix(&String::from_utf8_lossy(hex), 16) {
                Ok(byte) => {
                    out.push(byte);
                    i += 3;
                    continue;
                }
                Err(_) => out.push(b'%'),
            },
            (byte, _) => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn sqs_grants(operation: &str, body: &Value, names: &Names) -> Vec<Grant> {
    let url = body["QueueUrl"].as_str().unwrap_or_default();
    let queue = names
        .queues
        .get(url)
        .cloned()
        .unwrap_or_else(|| url.rsplit('/').next().unwrap_or(url).to_string());
    let action = match operation {
        "SendMessageBatch" => "SendMessage",
        other => other,
    };
    vec![Grant::new(format!("sqs:{action}"), queue)]
}

fn events_grants(operation: &str, body: &Value, names: &Names) -> Vec<Grant> {
    let buses: BTreeSet<String> = body["Entries"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|entry| match entry["EventBusName"].as_str() {
            Some(bus) if bus == names.bus || bus.ends_with(&format!("/{}", names.bus)) => {
                BUS.to_string()
            }
            Some(other) => other.to_string(),
            None => "default".to_string(),
        })
        .collect();
    buses
        .into_iter()
        .map(|bus| Grant::new(format!("events:{operation}"), bus))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn strings(grants: Vec<Grant>) -> Vec<String> {
        grants.iter().map(Grant::to_string).collect()
    }

    #[test]
    fn a_transaction_needs_each_item_action_on_its_key_prefix() {
        let body = json!({"TransactItems": [
            {"Put": {"TableName": "t", "Item": {"pk": {"S": "USER#usr_1"}, "sk": {"S": "PROFILE"}}}},
            {"Update": {"TableName": "t", "Key": {"pk": {"S": "LEDGER#client:usr_1"}}}},
            {"ConditionCheck": {"TableName": "t", "Key": {"pk": {"S": "JOB#job_1"}}}},
            {"Delete": {"TableName": "t", "Key": {"pk": {"S": "JOB#job_1"}}}},
        ]});
        assert_eq!(
            strings(dynamodb_grants("TransactWriteItems", &body)),
            [
                "dynamodb:PutItem on Table [USER#]",
                "dynamodb:UpdateItem on Table [LEDGER#]",
                "dynamodb:ConditionCheckItem on Table [JOB#]",
                "dynamodb:DeleteItem on Table [JOB#]",
            ]
        );
    }

    #[test]
    fn a_query_names_its_index_and_partition() {
        let body = json!({"TableName": "t", "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :pk AND begins_with(gsi1sk, :sk)",
            "ExpressionAttributeValues": {":pk": {"S": "CLIENT#usr_1#JOBS"}, ":sk": {"S": "x"}}});
        assert_eq!(
            strings(dynamodb_grants("Query", &body)),
            ["dynamodb:Query on Table/index/gsi1 [CLIENT#]"]
        );
        let base = json!({"TableName": "t", "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": "INBOX#usr_1"}}});
        assert_eq!(
            strings(dynamodb_grants("Query", &base)),
            ["dynamodb:Query on Table [INBOX#]"]
        );
    }

    #[test]
    fn the_dev_mailbox_is_ses_and_batches_keep_their_action() {
        let mail = json!({"TableName": "t", "Item": {"pk": {"S": "DEVMAIL#ann@example.com"}}});
        assert_eq!(
            strings(dynamodb_grants("PutItem", &mail)),
            ["ses:SendEmail on SesIdentity"]
        );
        let batch = json!({"RequestItems": {"t": {"Keys": [
            {"pk": {"S": "JOB#job_1"}}, {"pk": {"S": "USER#usr_1"}}]}}});
        assert_eq!(
            strings(dynamodb_grants("BatchGetItem", &batch)),
            [
                "dynamodb:BatchGetItem on Table [JOB#]",
                "dynamodb:BatchGetItem on Table [USER#]"
            ]
        );
    }

    #[test]
    fn s3_keys_become_layout_prefixes() {
        assert_eq!(
            strings(s3_grants(
                "PutObject",
                "http://127.0.0.1:5000/tb-files/files/usr_1/fil_2?x-id=PutObject",
                "tb-files"
            )),
            ["s3:PutObject on FilesBucket [files/]"]
        );
        assert_eq!(
            strings(s3_grants(
                "HeadObject",
                "/tb-files/search/jobs/files/seg%2Ex",
                "tb-files"
            )),
            ["s3:GetObject on FilesBucket [search/jobs/]"]
        );
    }
}
