//! Plays Lambda's event-source mappings on the local stack: reads the table's stream and the
//! functions' SQS queues, and invokes the same handlers with the real event shapes
//! (`DynamoDbEvent`, `SqsEvent`) and partial-batch failure reporting.

use crate::clock::DevClock;
use crate::iam::record::as_function;
use crate::provision::Provisioned;
use crate::template::FunctionDef;
use anyhow::Result;
use aws_sdk_dynamodbstreams::types::{AttributeValue, ShardIteratorType};
use aws_sdk_sqs::types::DeleteMessageBatchRequestEntry;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Mutex;
use worklane::lambda::{QueueFunction, StreamFunction};
use worklane::App;

pub struct EventPump {
    app: App,
    streams: aws_sdk_dynamodbstreams::Client,
    sqs: aws_sdk_sqs::Client,
    stream_functions: Vec<StreamFunction>,
    queue_functions: Vec<(QueueFunction, String)>,
    /// Queue workers get their `now` from the stack's clock, like the dev server's requests.
    clock: Arc<DevClock>,
    /// Shard id → the iterator to read next.
    iterators: Mutex<HashMap<String, String>>,
}

fn to_json(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(s) => json!({"S": s}),
        AttributeValue::N(n) => json!({"N": n}),
        AttributeValue::Bool(b) => json!({"BOOL": b}),
        AttributeValue::Null(_) => json!({"NULL": true}),
        AttributeValue::Ss(v) => json!({"SS": v}),
        AttributeValue::Ns(v) => json!({"NS": v}),
        AttributeValue::L(items) => json!({"L": items.iter().map(to_json).collect::<Vec<_>>()}),
        AttributeValue::M(map) => json!({"M": image(map)}),
        AttributeValue::B(blob) => {
            use base64::Engine;
            json!({"B": base64::engine::general_purpose::STANDARD.encode(blob.as_ref())})
        }
        _ => Value::Null,
    }
}

fn image(map: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(
        map.iter()
            .map(|(k, v)| (k.clone(), to_json(v)))
            .collect::<Map<_, _>>(),
    )
}

impl EventPump {
    pub fn new(
        app: App,
        streams: aws_sdk_dynamodbstreams::Client,
        sqs: aws_sdk_sqs::Client,
        functions: &[FunctionDef],
        provisioned: &Provisioned,
        clock: Arc<DevClock>,
    ) -> Self {
        let mut stream_functions = Vec::new();
        let mut queue_functions = Vec::new();
        for def in functions {
            if def.stream {
                if let Some(function) = crate::functions::stream(&def.binary) {
                    stream_functions.push(function);
                }
            }
            let Some(function) = crate::functions::queue(&def.binary) else {
                continue;
            };
            for queue in &def.queues {
                if let Some(url) = provisioned.queues.get(queue) {
                    queue_functions.push((function, url.clone()));
                }
            }
        }
        Self {
            app,
            streams,
            sqs,
            stream_functions,
            queue_functions,
            clock,
            iterators: Mutex::new(HashMap::new()),
        }
    }

    /// Delivers everything pending until the stream and every queue are quiet; returns how
    /// many records and messages were delivered.
    pub async fn settle(&self) -> Result<usize> {
        let mut total = 0;
        for _ in 0..50 {
            let delivered = self.poll_stream().await? + self.poll_queues().await?;
            if delivered == 0 {
                return Ok(total);
            }
            total += delivered;
        }
        Ok(total)
    }

    async fn poll_stream(&self) -> Result<usize> {
        let table = self
            .app
            .store
            .client()
            .describe_table()
            .table_name(self.app.store.table())
            .send()
            .await?;
        let Some(stream_arn) = table.table.and_then(|t| t.latest_stream_arn) else {
            return Ok(0);
        };
        let stream = self
            .streams
            .describe_stream()
            .stream_arn(&stream_arn)
            .send()
            .await?;
        let shards = stream
            .stream_description
            .and_then(|d| d.shards)
            .unwrap_or_default();
        let mut iterators = self.iterators.lock().await;
        let mut delivered = 0;
        for shard in shards {
            let shard_id = shard.shard_id.unwrap_or_default();
            let iterator = match iterators.get(&shard_id) {
                Some(iterator) => iterator.clone(),
                None => self
                    .streams
                    .get_shard_iterator()
                    .stream_arn(&stream_arn)
                    .shard_id(&shard_id)
                    .shard_iterator_type(ShardIteratorType::TrimHorizon)
                    .send()
                    .await?
                    .shard_iterator
                    .unwrap_or_default(),
            };
            if iterator.is_empty() {
                continue;
            }
            let output = self
                .streams
                .get_records()
                .shard_iterator(&iterator)
                .send()
                .await?;
            let records = output.records.unwrap_or_default();
            let mut next = output.next_shard_iterator.unwrap_or_default();
            if !records.is_empty() {
                let event = json!({"Records": records.iter().map(|record| {
                    let change = record.dynamodb.as_ref();
                    json!({
                        "eventID": record.event_id,
                        "eventName": record.event_name.as_ref().map(|n| n.as_str().to_string()),
                        "eventVersion": "1.1",
                        "eventSource": "aws:dynamodb",
                        "awsRegion": "us-east-1",
                        "eventSourceARN": stream_arn,
                        "dynamodb": {
                            "ApproximateCreationDateTime": change.and_then(|c| c.approximate_creation_date_time).map(|t| t.secs()).unwrap_or_default(),
                            "Keys": change.and_then(|c| c.keys.as_ref()).map(image).unwrap_or(json!({})),
                            "NewImage": change.and_then(|c| c.new_image.as_ref()).map(image).unwrap_or(json!({})),
                            "SequenceNumber": change.and_then(|c| c.sequence_number.clone()),
                            "SizeBytes": change.and_then(|c| c.size_bytes).unwrap_or_default(),
                            "StreamViewType": "NEW_IMAGE",
                        },
                    })
                }).collect::<Vec<_>>()});
                for function in &self.stream_functions {
                    let event = serde_json::from_value(event.clone())?;
                    let response =
                        as_function(function.name, function.handle(&self.app, event)).await;
                    let failed = response.batch_item_failures.into_iter().next();
                    if let Some(sequence) = failed.and_then(|f| f.item_identifier) {
                        // Like Lambda: retry the batch from the failed record.
                        next = self
                            .streams
                            .get_shard_iterator()
                            .stream_arn(&stream_arn)
                            .shard_id(&shard_id)
                            .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
                            .sequence_number(sequence)
                            .send()
                            .await?
                            .shard_iterator
                            .unwrap_or_default();
                    }
                }
                delivered += records.len();
            }
            iterators.insert(shard_id, next);
        }
        Ok(delivered)
    }

    /// One receive (≤ 10 messages) per queue, delivered and deleted: a poller of Lambda's SQS
    /// event source. Several may run at once on one pump, as Lambda runs several pollers.
    pub async fn poll_queues(&self) -> Result<usize> {
        let mut delivered = 0;
        for (function, url) in &self.queue_functions {
            let output = self
                .sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .visibility_timeout(30)
                .send()
                .await?;
            let messages = output.messages.unwrap_or_default();
            if messages.is_empty() {
                continue;
            }
            let event = json!({"Records": messages.iter().map(|m| json!({
                "messageId": m.message_id,
                "receiptHandle": m.receipt_handle,
                "body": m.body,
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": m.md5_of_body,
                "eventSource": "aws:sqs",
                "eventSourceARN": url,
                "awsRegion": "us-east-1",
            })).collect::<Vec<_>>()});
            let event = serde_json::from_value(event)?;
            let response = as_function(
                function.name,
                function.handle(&self.app, event, self.clock.now()),
            )
            .await;
            let failed: Vec<String> = response
                .batch_item_failures
                .into_iter()
                .map(|f| f.item_identifier)
                .collect();
            // Like Lambda: failures visible again at once (after maxReceiveCount moto moves
            // them to the DLQ), the rest deleted in one batch.
            let mut done = Vec::new();
            for (index, message) in messages.iter().enumerate() {
                let handle = message.receipt_handle.clone().unwrap_or_default();
                if failed
                    .iter()
                    .any(|id| Some(id) == message.message_id.as_ref())
                {
                    self.sqs
                        .change_message_visibility()
                        .queue_url(url)
                        .receipt_handle(handle)
                        .visibility_timeout(0)
                        .send()
                        .await?;
                } else {
                    done.push(
                        DeleteMessageBatchRequestEntry::builder()
                            .id(index.to_string())
                            .receipt_handle(handle)
                            .build()?,
                    );
                }
            }
            if !done.is_empty() {
                let output = self
                    .sqs
                    .delete_message_batch()
                    .queue_url(url)
                    .set_entries(Some(done))
                    .send()
                    .await?;
                anyhow::ensure!(
                    output.failed.is_empty(),
                    "DeleteMessageBatch failed: {:?}",
                    output.failed
                );
            }
            delivered += messages.len();
        }
        Ok(delivered)
    }
}
