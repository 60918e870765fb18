//! One running local Worklane: services, provisioned resources, the app and its event pump.

use crate::clock::DevClock;
use crate::provision::{provision, Clients, Provisioned};
use crate::pump::EventPump;
use crate::services::LocalServices;
use crate::template::Template;
use anyhow::{anyhow, Result};
use aws_sdk_dynamodb::config::SharedInterceptor;
use std::sync::Arc;
use worklane::config::{Hooks, LocalEndpoints, MailerKind};
use worklane::{App, AppConfig};

pub struct Stack {
    pub app: App,
    pub provisioned: Provisioned,
    pub pump: Arc<EventPump>,
    pub template: Template,
    pub endpoints: LocalEndpoints,
    pub sqs: aws_sdk_sqs::Client,
    /// The stack's clock: the dev server and the event pump read it, `/_dev/clock` sets it.
    pub clock: Arc<DevClock>,
}

/// The template's queue that `weekly-billing-close` fans contract-weeks out to.
pub const BILLING_QUEUE: &str = "WeeklyBillingQueue";

pub fn random_signing_key() -> String {
    use std::fmt::Write;
    let mut key = String::from("local-");
    for _ in 0..4 {
        let _ = write!(key, "{}", ulid::Ulid::new());
    }
    key
}

/// While the e2e suite records (`iam::record::start`), every client of the stack's app
/// reports its calls and every setting read, attributed to the function being played.
fn recording_hooks(provisioned: &Provisioned) -> Hooks {
    if !crate::iam::record::recording() {
        return Hooks::default();
    }
    let recorder = crate::iam::record::Recorder::new(crate::iam::record::Names {
        table: provisioned.table.clone(),
        bucket: provisioned.bucket.clone(),
        bus: provisioned.event_bus.clone(),
        queues: provisioned
            .queues
            .iter()
            .map(|(logical_id, url)| (url.clone(), logical_id.clone()))
            .collect(),
    });
    Hooks {
        interceptors: vec![SharedInterceptor::new(recorder)],
        on_setting: Some(crate::iam::record::note_setting),
    }
}

impl Stack {
    /// Provisions a fresh, isolated set of resources named `prefix` on running services.
    pub async fn create(services: &LocalServices, prefix: &str) -> Result<Self> {
        let template = Template::load_default()?;
        let sdk = worklane::config::sdk_config(true).await;
        let dynamodb = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&sdk)
                .endpoint_url(&services.dynamodb)
                .build(),
        );
        let streams = aws_sdk_dynamodbstreams::Client::from_conf(
            aws_sdk_dynamodbstreams::config::Builder::from(&sdk)
                .endpoint_url(&services.dynamodb)
                .build(),
        );
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .endpoint_url(&services.moto)
                .force_path_style(true)
                .build(),
        );
        let sqs = aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::config::Builder::from(&sdk)
                .endpoint_url(&services.moto)
                .build(),
        );
        let events = aws_sdk_eventbridge::Client::from_conf(
            aws_sdk_eventbridge::config::Builder::from(&sdk)
                .endpoint_url(&services.moto)
                .build(),
        );
        let clients = Clients {
            dynamodb,
            s3,
            sqs: sqs.clone(),
            events,
        };
        let provisioned = provision(&clients, &template, prefix).await?;
        let endpoints = LocalEndpoints {
            dynamodb: services.dynamodb.clone(),
            moto: services.moto.clone(),
        };
        let billing_queue_url = provisioned
            .queues
            .get(BILLING_QUEUE)
            .cloned()
            .ok_or_else(|| anyhow!("the template declares no {BILLING_QUEUE}"))?;
        let config = AppConfig {
            stage: "local".into(),
            table: Some(provisioned.table.clone()),
            bucket: Some(provisioned.bucket.clone()),
            event_bus: Some(provisioned.event_bus.clone()),
            email_from: Some("no-reply@worklane.local".into()),
            signing_keys: Some(
                std::env::var("JWT_SIGNING_KEYS").unwrap_or_else(|_| random_signing_key()),
            ),
            mailer: MailerKind::DevMailbox,
            payments: worklane::payments::PaymentsKind::Sandbox,
            billing_queue_url: Some(billing_queue_url),
            rate_limit_scale: worklane::config::rate_limit_scale_from_env()?,
            local: Some(endpoints.clone()),
        };
        let app = App::with_hooks(config, recording_hooks(&provisioned)).await?;
        let clock = Arc::new(DevClock::new());
        let pump = Arc::new(EventPump::new(
            app.clone(),
            streams,
            sqs.clone(),
            &template.functions(),
            &provisioned,
            clock.clone(),
        ));
        Ok(Self {
            app,
            provisioned,
            pump,
            template,
            endpoints,
            sqs,
            clock,
        })
    }
}
