//! Counts and times every request attempt an AWS client makes, through an SDK interceptor
//! (the same trait for DynamoDB, S3, SQS and EventBridge): which operation, how long it took
//! (signing, the round trip, parsing), and for DynamoDB how many items a transaction or batch
//! carried and which index a Query or Scan read, so that neither a fat transaction nor a scan
//! can hide in a count.

use aws_sdk_dynamodb::config::interceptors::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use worklane::App;

/// One request attempt.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub service: &'static str,
    pub operation: String,
    /// TransactWriteItems / TransactGetItems: items; BatchGetItem: keys; BatchWriteItem: requests.
    pub items: Option<usize>,
    /// Query and Scan: the index read (`table` for the base table).
    pub index: Option<String>,
    pub elapsed: Duration,
}

impl Call {
    /// `TransactWriteItems[10]`, `Query(gsi1)`, `GetItem`, `S3 PutObject`.
    pub fn label(&self) -> String {
        let mut label = match self.service {
            "DynamoDB" => self.operation.clone(),
            other => format!("{other} {}", self.operation),
        };
        if let Some(items) = self.items {
            label.push_str(&format!("[{items}]"));
        }
        if let Some(index) = &self.index {
            label.push_str(&format!("({index})"));
        }
        label
    }

    pub fn kind(&self) -> CallKind {
        match (self.service, self.operation.as_str()) {
            ("DynamoDB", "GetItem" | "BatchGetItem" | "Query" | "Scan" | "TransactGetItems") => {
                CallKind::Read
            }
            ("DynamoDB", "TransactWriteItems") => CallKind::Transaction,
            ("DynamoDB", "PutItem" | "UpdateItem" | "DeleteItem" | "BatchWriteItem") => {
                CallKind::Write
            }
            ("DynamoDB", _) => CallKind::Other,
            _ => CallKind::OtherService,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    Read,
    Transaction,
    /// A single-item write outside a transaction.
    Write,
    /// DescribeTable and the like.
    Other,
    /// S3, SQS, EventBridge.
    OtherService,
}

/// What one request's calls add up to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    pub reads: usize,
    pub transactions: usize,
    pub writes: usize,
    pub other: usize,
    pub other_services: usize,
    pub labels: BTreeMap<String, usize>,
    pub time: Duration,
}

impl Tally {
    pub fn of(calls: &[Call]) -> Tally {
        let mut tally = Tally::default();
        for call in calls {
            match call.kind() {
                CallKind::Read => tally.reads += 1,
                CallKind::Transaction => tally.transactions += 1,
                CallKind::Write => tally.writes += 1,
                CallKind::Other => tally.other += 1,
                CallKind::OtherService => tally.other_services += 1,
            }
            *tally.labels.entry(call.label()).or_default() += 1;
            tally.time += call.elapsed;
        }
        tally
    }

    /// The budget of a step: at most one read round trip and one write round trip (a
    /// transaction, or a single write in its place), nothing else on DynamoDB.
    pub fn within_budget(&self) -> bool {
        self.reads <= 1 && self.transactions + self.writes <= 1 && self.other == 0
    }

    /// `BatchGetItem[2], GetItem ×2, TransactWriteItems[10]`.
    pub fn describe(&self) -> String {
        if self.labels.is_empty() {
            return "none".into();
        }
        self.labels
            .iter()
            .map(|(label, n)| match n {
                1 => label.clone(),
                n => format!("{label} ×{n}"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The calls recorded so far, shared by the interceptors of every client of one app.
#[derive(Clone, Debug, Default)]
pub struct CallLog(Arc<Mutex<Vec<Call>>>);

impl CallLog {
    /// The calls since the last `take`.
    pub fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn push(&self, call: Call) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(call);
    }

    /// `app` with every AWS client (DynamoDB, S3, SQS, EventBridge) recording into this log;
    /// the clients keep their endpoints and credentials.
    pub fn instrument(&self, app: &App) -> App {
        app.with_interceptor(Counter { log: self.clone() })
    }
}

/// One interceptor on every client; the operation's metadata names the service.
#[derive(Debug)]
struct Counter {
    log: CallLog,
}

/// The services the app's clients talk to, by their SDK metadata name.
fn service_label(service: &str) -> &'static str {
    match service {
        "DynamoDB" => "DynamoDB",
        "S3" => "S3",
        "SQS" => "SQS",
        "EventBridge" => "EventBridge",
        "SESv2" => "SES",
        _ => "other",
    }
}

/// The attempt in flight: when it started and what it is.
#[derive(Debug)]
struct Attempt {
    started: Instant,
    service: &'static str,
    operation: String,
    items: Option<usize>,
    index: Option<String>,
}

impl Storable for Attempt {
    type Storer = StoreReplace<Self>;
}

/// Items, keys or requests a DynamoDB request body carries, and the index it reads.
fn dynamodb_shape(operation: &str, body: Option<&[u8]>) -> (Option<usize>, Option<String>) {
    let Some(body) = body.and_then(|b| serde_json::from_slice::<Value>(b).ok()) else {
        return (None, None);
    };
    match operation {
        "TransactWriteItems" | "TransactGetItems" => {
            (body["TransactItems"].as_array().map(Vec::len), None)
        }
        "BatchGetItem" => (
            body["RequestItems"].as_object().map(|tables| {
                tables
                    .values()
                    .map(|t| t["Keys"].as_array().map_or(0, Vec::len))
                    .sum()
            }),
            None,
        ),
        "BatchWriteItem" => (
            body["RequestItems"].as_object().map(|tables| {
                tables
                    .values()
                    .map(|t| t.as_array().map_or(0, Vec::len))
                    .sum()
            }),
            None,
        ),
        "Query" | "Scan" => (
            None,
            Some(body["IndexName"].as_str().unwrap_or("table").to_string()),
        ),
        _ => (None, None),
    }
}

impl Intercept for Counter {
    fn name(&self) -> &'static str {
        "CallLog"
    }

    fn read_before_attempt(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let (operation, service) = cfg
            .load::<Metadata>()
            .map(|m| (m.name().to_string(), service_label(m.service())))
            .unwrap_or_else(|| ("?".into(), "other"));
        let (items, index) = if service == "DynamoDB" {
            dynamodb_shape(&operation, context.request().body().bytes())
        } else {
            (None, None)
        };
        cfg.interceptor_state().store_put(Attempt {
            started: Instant::now(),
            service,
            operation,
            items,
            index,
        });
        Ok(())
    }

    fn read_after_attempt(
        &self,
        _: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        if let Some(attempt) = cfg.load::<Attempt>() {
            self.log.push(Call {
                service: attempt.service,
                operation: attempt.operation.clone(),
                items: attempt.items,
                index: attempt.index.clone(),
                elapsed: attempt.started.elapsed(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(service: &'static str, operation: &str, items: Option<usize>) -> Call {
        Call {
            service,
            operation: operation.into(),
            items,
            index: None,
            elapsed: Duration::from_millis(2),
        }
    }

    #[test]
    fn a_read_and_a_transaction_are_within_budget() {
        let tally = Tally::of(&[
            call("DynamoDB", "BatchGetItem", Some(2)),
            call("DynamoDB", "TransactWriteItems", Some(4)),
            call("S3", "HeadObject", None),
        ]);
        assert_eq!(
            (tally.reads, tally.transactions, tally.other_services),
            (1, 1, 1)
        );
        assert!(tally.within_budget());
        assert_eq!(
            tally.describe(),
            "BatchGetItem[2], S3 HeadObject, TransactWriteItems[4]"
        );
        assert_eq!(tally.time, Duration::from_millis(6));
    }

    #[test]
    fn a_second_read_or_write_is_over_budget() {
        let reads = Tally::of(&[
            call("DynamoDB", "GetItem", None),
            call("DynamoDB", "GetItem", None),
        ]);
        assert!(!reads.within_budget());
        assert_eq!(reads.describe(), "GetItem ×2");
        let writes = Tally::of(&[
            call("DynamoDB", "TransactWriteItems", Some(3)),
            call("DynamoDB", "UpdateItem", None),
        ]);
        assert!(!writes.within_budget());
        assert!(Tally::of(&[call("DynamoDB", "PutItem", None)]).within_budget());
        assert!(!Tally::of(&[call("DynamoDB", "DescribeTable", None)]).within_budget());
    }

    #[test]
    fn reads_the_shape_of_dynamodb_requests() {
        let tx = br#"{"TransactItems":[{"Put":{}},{"Update":{}},{"ConditionCheck":{}}]}"#;
        assert_eq!(
            dynamodb_shape("TransactWriteItems", Some(tx)),
            (Some(3), None)
        );
        let batch = br#"{"RequestItems":{"t":{"Keys":[{},{}]}}}"#;
        assert_eq!(dynamodb_shape("BatchGetItem", Some(batch)), (Some(2), None));
        let query = br#"{"TableName":"t","IndexName":"gsi1"}"#;
        assert_eq!(
            dynamodb_shape("Query", Some(query)),
            (None, Some("gsi1".into()))
        );
        assert_eq!(
            dynamodb_shape("Scan", Some(b"{}")),
            (None, Some("table".into()))
        );
        assert_eq!(dynamodb_shape("GetItem", Some(b"not json")), (None, None));
    }
}
