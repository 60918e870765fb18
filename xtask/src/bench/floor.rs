//! The local physical floor: the DynamoDB calls a step makes, made bare on DynamoDB Local with a
//! plain SDK client (no handler, no HTTP), on items of the size Worklane's are.

use super::counting::Call;
use super::report::FloorOp;
use super::stats::Summary;
use anyhow::{Context, Result};
use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, Put, PutRequest, TransactGetItem, TransactWriteItem,
    WriteRequest,
};
use aws_sdk_dynamodb::Client;
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// What a call is, for the floor: the operation, its items and its index.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Kind {
    pub operation: String,
    pub items: Option<usize>,
    pub index: Option<String>,
}

impl Kind {
    pub fn of(call: &Call) -> Option<Kind> {
        (call.service == "DynamoDB").then(|| Kind {
            operation: call.operation.clone(),
            items: call.items,
            index: call.index.clone(),
        })
    }

    pub fn label(&self) -> String {
        let mut label = self.operation.clone();
        if let Some(n) = self.items {
            label.push_str(&format!("[{n}]"));
        }
        if let Some(index) = &self.index {
            label.push_str(&format!("({index})"));
        }
        label
    }
}

/// The p50s of each kind, added up over `calls`; `None` if one of them could not be measured.
pub fn floor_of(calls: &[Call], measured: &BTreeMap<Kind, Summary>) -> Option<f64> {
    calls
        .iter()
        .filter_map(Kind::of)
        .map(|kind| measured.get(&kind).map(|s| s.p50))
        .sum()
}

type Item = HashMap<String, AttributeValue>;

/// Roughly the size of a Worklane item (a milestone is ~700 bytes, a user ~400).
fn item(pk: &str, sk: &str, extra: &[(&str, &str)]) -> Item {
    let mut item = HashMap::from([
        ("pk".to_string(), AttributeValue::S(pk.into())),
        ("sk".to_string(), AttributeValue::S(sk.into())),
        ("payload".to_string(), AttributeValue::S("x".repeat(600))),
        ("version".to_string(), AttributeValue::N("1".into())),
    ]);
    for (name, value) in extra {
        item.insert(name.to_string(), AttributeValue::S(value.to_string()));
    }
    item
}

fn key(pk: &str, sk: &str) -> Item {
    HashMap::from([
        ("pk".to_string(), AttributeValue::S(pk.into())),
        ("sk".to_string(), AttributeValue::S(sk.into())),
    ])
}

const PAGE: usize = 10;

pub struct Floor {
    client: Client,
    table: String,
    /// Index name → its (partition, sort) key attributes.
    indexes: BTreeMap<String, (String, Option<String>)>,
    fresh: u64,
}

impl Floor {
    /// Seeds a partition of `PAGE` items that every index of the table also holds.
    pub async fn prepare(client: Client, table: &str) -> Result<Floor> {
        let described = client.describe_table().table_name(table).send().await?;
        let mut indexes = BTreeMap::new();
        for index in described
            .table()
            .map(|t| t.global_secondary_indexes())
            .unwrap_or_default()
        {
            let schema = index.key_schema();
            let part = schema.first().map(|k| k.attribute_name().to_string());
            let sort = schema.get(1).map(|k| k.attribute_name().to_string());
            if let (Some(name), Some(part)) = (index.index_name(), part) {
                indexes.insert(name.to_string(), (part, sort));
            }
        }
        for i in 0..PAGE {
            let sk = format!("ITEM#{i:03}");
            let mut extra = Vec::new();
            for (part, sort) in indexes.values() {
                extra.push((part.as_str(), "FLOOR#INDEXED"));
                if let Some(sort) = sort {
                    extra.push((sort.as_str(), sk.as_str()));
                }
            }
            client
                .put_item()
                .table_name(table)
                .set_item(Some(item("FLOOR#PAGE", &sk, &extra)))
                .send()
                .await
                .context("seeding the floor items")?;
        }
        Ok(Floor {
            client,
            table: table.to_string(),
            indexes,
            fresh: 0,
        })
    }

    fn next(&mut self) -> String {
        self.fresh += 1;
        format!("FLOOR#NEW#{}#{}", ulid::Ulid::new(), self.fresh)
    }

    fn existing(i: usize) -> Item {
        key("FLOOR#PAGE", &format!("ITEM#{:03}", i % PAGE))
    }

    /// One bare call of `kind`; `Ok(false)` if this kind has no bare equivalent here.
    async fn once(&mut self, kind: &Kind, i: usize) -> Result<bool> {
        let n = kind.items.unwrap_or(1).max(1);
        let table = self.table.clone();
        match kind.operation.as_str() {
            "GetItem" => {
                self.client
                    .get_item()
                    .table_name(&table)
                    .set_key(Some(Self::existing(i)))
                    .send()
                    .await?;
            }
            "BatchGetItem" => {
                let keys = (0..n).map(|k| Self::existing(i + k)).collect();
                let request = KeysAndAttributes::builder().set_keys(Some(keys)).build()?;
                self.client
                    .batch_get_item()
                    .request_items(&table, request)
                    .send()
                    .await?;
            }
            "TransactGetItems" => {
                let gets = (0..n)
                    .map(|k| {
                        let get = aws_sdk_dynamodb::types::Get::builder()
                            .table_name(&table)
                            .set_key(Some(Self::existing(i + k)))
                            .build()?;
                        Ok(TransactGetItem::builder().get(get).build())
                    })
                    .collect::<Result<Vec<_>>>()?;
                self.client
                    .transact_get_items()
                    .set_transact_items(Some(gets))
                    .send()
                    .await?;
            }
            "Query" => {
                let query = self.client.query().table_name(&table).limit(PAGE as i32);
                let query = match kind.index.as_deref() {
                    None | Some("table") => query
                        .key_condition_expression("pk = :p")
                        .expression_attribute_values(":p", AttributeValue::S("FLOOR#PAGE".into())),
                    Some(index) => {
                        let Some((part, _)) = self.indexes.get(index) else {
                            return Ok(false);
                        };
                        query
                            .index_name(index)
                            .key_condition_expression("#p = :p")
                            .expression_attribute_names("#p", part)
                            .expression_attribute_values(
                                ":p",
                                AttributeValue::S("FLOOR#INDEXED".into()),
                            )
                    }
                };
                query.send().await?;
            }
            "TransactWriteItems" => {
                let mut writes = Vec::new();
                for _ in 0..n {
                    let pk = self.next();
                    let put = Put::builder()
                        .table_name(&table)
                        .set_item(Some(item(&pk, "ITEM", &[])))
                        .condition_expression("attribute_not_exists(pk)")
                        .build()?;
                    writes.push(TransactWriteItem::builder().put(put).build());
                }
                self.client
                    .transact_write_items()
                    .set_transact_items(Some(writes))
                    .send()
                    .await?;
            }
            "PutItem" => {
                let pk = self.next();
                self.client
                    .put_item()
                    .table_name(&table)
                    .set_item(Some(item(&pk, "ITEM", &[])))
                    .condition_expression("attribute_not_exists(pk)")
                    .send()
                    .await?;
            }
            "UpdateItem" => {
                self.client
                    .update_item()
                    .table_name(&table)
                    .set_key(Some(Self::existing(i)))
                    .update_expression("ADD hits :one")
                    .expression_attribute_values(":one", AttributeValue::N("1".into()))
                    .send()
                    .await?;
            }
            "DeleteItem" => {
                let pk = self.next();
                self.client
                    .delete_item()
                    .table_name(&table)
                    .set_key(Some(key(&pk, "ITEM")))
                    .send()
                    .await?;
            }
            "BatchWriteItem" => {
                let mut requests = Vec::new();
                for _ in 0..n {
                    let pk = self.next();
                    let put = PutRequest::builder()
                        .set_item(Some(item(&pk, "ITEM", &[])))
                        .build()?;
                    requests.push(WriteRequest::builder().put_request(put).build());
                }
                self.client
                    .batch_write_item()
                    .request_items(&table, requests)
                    .send()
                    .await?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// `samples` timed calls of each kind (after two untimed ones).
    pub async fn measure(
        &mut self,
        kinds: impl IntoIterator<Item = Kind>,
        samples: usize,
    ) -> Result<BTreeMap<Kind, Summary>> {
        let mut measured = BTreeMap::new();
        for kind in kinds {
            let mut times = Vec::with_capacity(samples);
            let mut supported = true;
            for i in 0..samples + 2 {
                let started = Instant::now();
                if !self.once(&kind, i).await? {
                    supported = false;
                    break;
                }
                if i >= 2 {
                    times.push(started.elapsed().as_secs_f64() * 1000.0);
                }
            }
            if let (true, Some(summary)) = (supported, Summary::of(&times)) {
                measured.insert(kind, summary);
            }
        }
        Ok(measured)
    }
}

pub fn as_rows(measured: &BTreeMap<Kind, Summary>) -> Vec<FloorOp> {
    measured
        .iter()
        .map(|(kind, summary)| FloorOp {
            op: kind.label(),
            latency_ms: summary.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn call(service: &'static str, operation: &str, items: Option<usize>) -> Call {
        Call {
            service,
            operation: operation.into(),
            items,
            index: None,
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn floor_adds_the_p50_of_each_dynamodb_call() {
        let kind = |op: &str, items| Kind {
            operation: op.into(),
            items,
            index: None,
        };
        let measured = BTreeMap::from([
            (kind("GetItem", None), Summary::of(&[2.0]).unwrap()),
            (
                kind("TransactWriteItems", Some(3)),
                Summary::of(&[5.0, 7.0, 6.0]).unwrap(),
            ),
        ]);
        let calls = [
            call("DynamoDB", "GetItem", None),
            call("DynamoDB", "GetItem", None),
            call("DynamoDB", "TransactWriteItems", Some(3)),
            // Not DynamoDB: not part of the DynamoDB floor.
            call("S3", "PutObject", None),
        ];
        assert_eq!(floor_of(&calls, &measured), Some(10.0));
        // A kind that was not measured leaves the floor unknown rather than too low.
        let unknown = [call("DynamoDB", "TransactWriteItems", Some(4))];
        assert_eq!(floor_of(&unknown, &measured), None);
        assert_eq!(floor_of(&[], &measured), Some(0.0));
        assert_eq!(
            kind("TransactWriteItems", Some(3)).label(),
            "TransactWriteItems[3]"
        );
    }
}
