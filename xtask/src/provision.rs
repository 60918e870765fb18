//! Creates one isolated copy of the stack's resources (table, bucket, bus, queues, rules) from
//! the SAM template, under a name prefix, so tests and developers never share state by accident.

use crate::template::{referenced_id, Template};
use anyhow::{anyhow, Context, Result};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_yaml::Value;
use std::collections::HashMap;

#[derive(Clone, Debug)]
pub struct Provisioned {
    pub table: String,
    pub bucket: String,
    pub event_bus: String,
    /// Queue logical id (as in the template) → queue URL.
    pub queues: HashMap<String, String>,
}

pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub events: aws_sdk_eventbridge::Client,
}

fn key_schema(value: &Value) -> Result<Vec<KeySchemaElement>> {
    value
        .as_sequence()
        .ok_or_else(|| anyhow!("KeySchema is not a list"))?
        .iter()
        .map(|element| {
            Ok(KeySchemaElement::builder()
                .attribute_name(element["AttributeName"].as_str().unwrap_or_default())
                .key_type(KeyType::from(
                    element["KeyType"].as_str().unwrap_or_default(),
                ))
                .build()?)
        })
        .collect()
}

pub async fn provision(
    clients: &Clients,
    template: &Template,
    prefix: &str,
) -> Result<Provisioned> {
    let table = prefix.to_string();
    create_table(&clients.dynamodb, template, &table).await?;

    let bucket = format!("{prefix}-files");
    clients
        .s3
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .context("creating bucket")?;

    let event_bus = prefix.to_string();
    clients
        .events
        .create_event_bus()
        .name(&event_bus)
        .send()
        .await
        .context("creating event bus")?;

    // Dead-letter queues first, so the queues that redrive to them can name their ARN.
    let mut queue_ids: Vec<(String, &Value)> = template.of_type("AWS::SQS::Queue").collect();
    queue_ids.sort_by_key(|(_, resource)| !resource["Properties"]["RedrivePolicy"].is_null());
    let mut queues = HashMap::new();
    let mut arns = HashMap::new();
    for (id, resource) in queue_ids {
        let name = format!("{prefix}-{id}");
        let mut create = clients.sqs.create_queue().queue_name(&name);
        let redrive = &resource["Properties"]["RedrivePolicy"];
        if !redrive.is_null() {
            let dlq = referenced_id(&redrive["deadLetterTargetArn"])
                .ok_or_else(|| anyhow!("{id}: DLQ reference"))?;
            let dlq_arn: &String = arns
                .get(&dlq)
                .ok_or_else(|| anyhow!("{id}: unknown DLQ {dlq}"))?;
            let max = redrive["maxReceiveCount"].as_u64().unwrap_or(5);
            create = create.attributes(
                QueueAttributeName::RedrivePolicy,
                serde_json::json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max})
                    .to_string(),
            );
        }
        let url = create
            .send()
            .await
            .with_context(|| format!("creating queue {name}"))?
            .queue_url
            .unwrap_or_default();
        let attributes = clients
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await?;
        let arn = attributes
            .attributes
            .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
            .unwrap_or_default();
        arns.insert(id.clone(), arn);
        queues.insert(id, url);
    }

    for (id, resource) in template.of_type("AWS::Events::Rule") {
        let props = &resource["Properties"];
        if props["EventPattern"].is_null() {
            continue; // scheduled rules are fired by the local server, not by moto
        }
        let pattern: serde_json::Value = serde_json::to_value(&props["EventPattern"])?;
        let rule = format!("{prefix}-{id}");
        clients
            .events
            .put_rule()
            .name(&rule)
            .event_bus_name(&event_bus)
            .event_pattern(pattern.to_string())
            .send()
            .await
            .with_context(|| format!("creating rule {rule}"))?;
        for target in props["Targets"].as_sequence().cloned().unwrap_or_default() {
            let Some(queue) = referenced_id(&target["Arn"]) else {
                continue;
            };
            let Some(arn) = arns.get(&queue) else {
                continue;
            };
            clients
                .events
                .put_targets()
                .rule(&rule)
                .event_bus_name(&event_bus)
                .targets(
                    aws_sdk_eventbridge::types::Target::builder()
                        .id(target["Id"].as_str().unwrap_or("target"))
                        .arn(arn)
                        .build()?,
                )
                .send()
                .await?;
        }
    }
    Ok(Provisioned {
        table,
        bucket,
        event_bus,
        queues,
    })
}

async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    template: &Template,
    name: &str,
) -> Result<()> {
    let (_, table) = template
        .of_type("AWS::DynamoDB::Table")
        .next()
        .ok_or_else(|| anyhow!("the template declares no table"))?;
    let props = &table["Properties"];
    let mut create = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(&props["KeySchema"])?));
    for attribute in props["AttributeDefinitions"]
        .as_sequence()
        .cloned()
        .unwrap_or_default()
    {
        create = create.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(attribute["AttributeName"].as_str().unwrap_or_default())
                .attribute_type(ScalarAttributeType::from(
                    attribute["AttributeType"].as_str().unwrap_or_default(),
                ))
                .build()?,
        );
    }
    for index in props["GlobalSecondaryIndexes"]
        .as_sequence()
        .cloned()
        .unwrap_or_default()
    {
        create = create.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index["IndexName"].as_str().unwrap_or_default())
                .set_key_schema(Some(key_schema(&index["KeySchema"])?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(
                            index["Projection"]["ProjectionType"]
                                .as_str()
                                .unwrap_or("ALL"),
                        ))
                        .build(),
                )
                .build()?,
        );
    }
    if let Some(view) = props["StreamSpecification"]["StreamViewType"].as_str() {
        create = create.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(view))
                .build()?,
        );
    }
    create
        .send()
        .await
        .with_context(|| format!("creating table {name}"))?;
    Ok(())
}
