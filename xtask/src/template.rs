//! Reads `infra/template.yaml`: the one source of truth for the table's keys and indexes,
//! the queues, the bus and rules, and which function serves which route or event source.

use anyhow::{anyhow, Context, Result};
use serde_yaml::Value;
use std::path::Path;

pub struct Template {
    pub resources: serde_yaml::Mapping,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct HttpRoute {
    pub method: String,
    pub path: String,
    pub binary: String,
}

#[derive(Debug, Clone)]
pub struct FunctionDef {
    pub logical_id: String,
    pub binary: String,
    /// Logical ids of the SQS queues this function consumes.
    pub queues: Vec<String>,
    /// Whether it consumes the table's stream.
    pub stream: bool,
    /// Schedule expressions (`cron(...)`, `rate(...)`) that invoke it.
    pub schedules: Vec<String>,
}

/// A CloudFormation short-form reference (`!Ref X`, `!GetAtt X.Arn`) → the logical id X.
pub fn referenced_id(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(tagged) => {
            let inner = tagged.value.as_str()?;
            Some(inner.split('.').next().unwrap_or(inner).to_string())
        }
        Value::Mapping(map) => {
            let (key, inner) = map.iter().next()?;
            match key.as_str()? {
                "Ref" => inner.as_str().map(str::to_string),
                "Fn::GetAtt" => match inner {
                    Value::Sequence(parts) => parts.first()?.as_str().map(str::to_string),
                    Value::String(s) => s.split('.').next().map(str::to_string),
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

impl Template {
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text)
    }

    pub fn load_default() -> Result<Self> {
        Self::load(&crate::repo_root().join("infra/template.yaml"))
    }

    pub fn parse(text: &str) -> Result<Self> {
        let doc: Value = serde_yaml::from_str(text)?;
        let resources = doc
            .get("Resources")
            .and_then(Value::as_mapping)
            .cloned()
            .ok_or_else(|| anyhow!("template has no Resources"))?;
        Ok(Self { resources })
    }

    /// API Gateway's throttle class of each route with its own (`HttpApi`'s `RouteSettings`),
    /// by route key, and the class of `DefaultRouteSettings`: each setting must take both its
    /// rate and burst from the same `!FindInMap [RouteThrottle, <class>, …]`.
    pub fn throttle_classes(&self) -> Result<(String, std::collections::BTreeMap<String, String>)> {
        let api = self
            .resources
            .get("HttpApi")
            .and_then(|api| api.get("Properties"))
            .ok_or_else(|| anyhow!("the template declares no HttpApi"))?;
        let class_of = |settings: &Value| -> Result<String> {
            let class = |name: &str| -> Result<String> {
                let found = settings.get(name).and_then(|value| match value {
                    Value::Tagged(tagged) if tagged.tag == "FindInMap" => {
                        let parts = tagged.value.as_sequence()?;
                        let map = parts.first()?.as_str()?;
                        (map == "RouteThrottle").then_some(parts.get(1)?.as_str()?.to_string())
                    }
                    _ => None,
                });
                found.ok_or_else(|| anyhow!("{name} is not !FindInMap [RouteThrottle, ...]"))
            };
            let (rate, burst) = (
                class("ThrottlingRateLimit")?,
                class("ThrottlingBurstLimit")?,
            );
            if rate != burst {
                return Err(anyhow!("rate of class {rate} but burst of class {burst}"));
            }
            Ok(rate)
        };
        let default = class_of(
            api.get("DefaultRouteSettings")
                .ok_or_else(|| anyhow!("HttpApi has no DefaultRouteSettings"))?,
        )?;
        let mut routes = std::collections::BTreeMap::new();
        if let Some(settings) = api.get("RouteSettings").and_then(Value::as_mapping) {
            for (key, setting) in settings {
                let key = key.as_str().unwrap_or_default().to_string();
                let class = class_of(setting).with_context(|| format!("RouteSettings {key}"))?;
                routes.insert(key, class);
            }
        }
        Ok((default, routes))
    }

    pub fn of_type<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = (String, &'a Value)> + 'a {
        self.resources
            .iter()
            .filter(move |(_, resource)| resource.get("Type").and_then(Value::as_str) == Some(kind))
            .map(|(id, resource)| (id.as_str().unwrap_or_default().to_string(), resource))
    }

    pub fn resource(&self, logical_id: &str) -> Option<&Value> {
        self.resources.get(logical_id)
    }

    pub fn functions(&self) -> Vec<FunctionDef> {
        self.of_type("AWS::Serverless::Function")
            .map(|(logical_id, resource)| {
                let binary = resource["Metadata"]["BuildProperties"]["Binary"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let mut def = FunctionDef {
                    logical_id,
                    binary,
                    queues: Vec::new(),
                    stream: false,
                    schedules: Vec::new(),
                };
                if let Some(events) = resource["Properties"]["Events"].as_mapping() {
                    for event in events.values() {
                        let props = &event["Properties"];
                        match event["Type"].as_str() {
                            Some("SQS") => def.queues.extend(referenced_id(&props["Queue"])),
                            Some("DynamoDB") => def.stream = true,
                            Some("Schedule") | Some("ScheduleV2") => {
                                def.schedules
                                    .extend(props["Schedule"].as_str().map(str::to_string));
                                def.schedules.extend(
                                    props["ScheduleExpression"].as_str().map(str::to_string),
                                );
                            }
                            _ => {}
                        }
                    }
                }
                def
            })
            .collect()
    }

    /// Every HTTP API route the template declares, with the binary that serves it.
    pub fn http_routes(&self) -> Vec<HttpRoute> {
        let mut routes = Vec::new();
        for (_, resource) in self.of_type("AWS::Serverless::Function") {
            let binary = resource["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .unwrap_or_default();
            if let Some(events) = resource["Properties"]["Events"].as_mapping() {
                for event in events.values() {
                    if event["Type"].as_str() == Some("HttpApi") {
                        routes.push(HttpRoute {
                            method: event["Properties"]["Method"]
                                .as_str()
                                .unwrap_or_default()
                                .to_uppercase(),
                            path: event["Properties"]["Path"]
                                .as_str()
                                .unwrap_or_default()
                                .to_string(),
                            binary: binary.to_string(),
                        });
                    }
                }
            }
        }
        routes.sort();
        routes
    }
}
