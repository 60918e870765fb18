//! Settings and AWS clients, built once per cold start and shared by reference.

use crate::http::auth::TokenKeys;
use crate::http::cursor::CursorCodec;
use crate::mail::Mailer;
use crate::store::Store;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

#[derive(Clone, Debug)]
pub struct AppConfig {
    pub stage: String,
    pub table: String,
    pub bucket: String,
    pub event_bus: String,
    pub email_from: String,
    /// Comma-separated signing secrets, newest first.
    pub signing_keys: String,
    pub mailer: MailerKind,
    /// The payment processor behind `App::payments` (never the sandbox in `prod`).
    pub payments: crate::payments::PaymentsKind,
    /// The queue `weekly-billing-close` fans contract-weeks out to (`WEEKLY_BILLING_QUEUE_URL`);
    /// only that function needs it, so it is optional everywhere else.
    pub billing_queue_url: Option<String>,
    /// Local stack only: every AWS call goes to these endpoints with fixed fake credentials.
    pub local: Option<LocalEndpoints>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MailerKind {
    Ses,
    /// Emails land in the table, readable at `GET /_dev/mailbox` (never deployed).
    DevMailbox,
}

#[derive(Clone, Debug)]
pub struct LocalEndpoints {
    pub dynamodb: String,
    /// moto: S3, SQS, EventBridge, SES.
    pub moto: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing environment variable {0}")]
    Missing(&'static str),
    #[error(transparent)]
    Keys(#[from] crate::http::auth::KeyConfigError),
    #[error("WORKLANE_PAYMENTS={0:?} is not a payment processor (sandbox, disabled)")]
    UnknownPayments(String),
    #[error("the payment sandbox must never run in stage prod")]
    SandboxInProd,
}

fn env(name: &'static str) -> Result<String, ConfigError> {
    std::env::var(name).map_err(|_| ConfigError::Missing(name))
}

impl AppConfig {
    /// The Lambda environment, as the SAM template sets it.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            stage: std::env::var("STAGE").unwrap_or_else(|_| "dev".into()),
            table: env("TABLE_NAME")?,
            bucket: env("BUCKET_NAME")?,
            event_bus: env("EVENT_BUS_NAME")?,
            email_from: std::env::var("EMAIL_FROM")
                .unwrap_or_else(|_| "no-reply@worklane.example".into()),
            signing_keys: env("JWT_SIGNING_KEYS")?,
            mailer: match std::env::var("WORKLANE_MAILER").as_deref() {
                Ok("dev-mailbox") => MailerKind::DevMailbox,
                _ => MailerKind::Ses,
            },
            payments: payments_from_env()?,
            billing_queue_url: std::env::var("WEEKLY_BILLING_QUEUE_URL")
                .ok()
                .filter(|url| !url.is_empty()),
            local: None,
        })
    }
}

/// `WORKLANE_PAYMENTS`: `sandbox` (test mode), or `disabled`/unset (payments answer 503).
/// A production stage refuses to start with the sandbox, so test cards can never "pay" there.
fn payments_from_env() -> Result<crate::payments::PaymentsKind, ConfigError> {
    use crate::payments::PaymentsKind;
    let stage = std::env::var("STAGE").unwrap_or_default();
    let kind = match std::env::var("WORKLANE_PAYMENTS").as_deref() {
        Ok("sandbox") => PaymentsKind::Sandbox,
        Ok("disabled") | Ok("") | Err(_) => PaymentsKind::Disabled,
        Ok(other) => return Err(ConfigError::UnknownPayments(other.to_string())),
    };
    check_payments(&stage, kind)?;
    Ok(kind)
}

pub fn check_payments(stage: &str, kind: crate::payments::PaymentsKind) -> Result<(), ConfigError> {
    if stage == "prod" && kind == crate::payments::PaymentsKind::Sandbox {
        return Err(ConfigError::SandboxInProd);
    }
    Ok(())
}

/// Everything a handler needs. Handlers take `&App`; nothing in it is rebuilt per request.
#[derive(Clone, Debug)]
pub struct App {
    pub config: AppConfig,
    pub store: Store,
    pub s3: aws_sdk_s3::Client,
    pub events: aws_sdk_eventbridge::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub mailer: Mailer,
    pub keys: TokenKeys,
    pub cursors: CursorCodec,
    pub payments: crate::payments::PaymentProcessor,
}

impl App {
    pub async fn from_env() -> Result<Self, ConfigError> {
        Self::new(AppConfig::from_env()?).await
    }

    pub async fn new(config: AppConfig) -> Result<Self, ConfigError> {
        check_payments(&config.stage, config.payments)?;
        let keys = TokenKeys::from_config(&config.signing_keys)?;
        let sdk = sdk_config(config.local.is_some()).await;
        let (dynamodb, s3, events, sqs, ses) = match &config.local {
            Some(local) => (
                aws_sdk_dynamodb::config::Builder::from(&sdk)
                    .endpoint_url(&local.dynamodb)
                    .build(),
                aws_sdk_s3::config::Builder::from(&sdk)
                    .endpoint_url(&local.moto)
                    .force_path_style(true)
                    .build(),
                aws_sdk_eventbridge::config::Builder::from(&sdk)
                    .endpoint_url(&local.moto)
                    .build(),
                aws_sdk_sqs::config::Builder::from(&sdk)
                    .endpoint_url(&local.moto)
                    .build(),
                aws_sdk_sesv2::config::Builder::from(&sdk)
                    .endpoint_url(&local.moto)
                    .build(),
            ),
            None => (
                aws_sdk_dynamodb::config::Builder::from(&sdk).build(),
                // Endpoint overrides (AWS_ENDPOINT_URL_S3) point at emulators that need path style.
                aws_sdk_s3::config::Builder::from(&sdk)
                    .force_path_style(std::env::var_os("AWS_ENDPOINT_URL_S3").is_some())
                    .build(),
                aws_sdk_eventbridge::config::Builder::from(&sdk).build(),
                aws_sdk_sqs::config::Builder::from(&sdk).build(),
                aws_sdk_sesv2::config::Builder::from(&sdk).build(),
            ),
        };
        let store = Store::new(aws_sdk_dynamodb::Client::from_conf(dynamodb), &config.table);
        let mailer = match config.mailer {
            MailerKind::Ses => Mailer::Ses {
                client: aws_sdk_sesv2::Client::from_conf(ses),
                from: config.email_from.clone(),
            },
            MailerKind::DevMailbox => Mailer::DevMailbox,
        };
        let cursors = CursorCodec::new(keys.current().derive("pagination-cursor"));
        Ok(Self {
            store,
            s3: aws_sdk_s3::Client::from_conf(s3),
            events: aws_sdk_eventbridge::Client::from_conf(events),
            sqs: aws_sdk_sqs::Client::from_conf(sqs),
            mailer,
            keys,
            cursors,
            payments: crate::payments::PaymentProcessor::new(config.payments),
            config,
        })
    }

    /// Called during a cold start's init phase, where the first TLS handshake is nearly free.
    pub async fn warm(&self) {
        self.store.warm().await;
    }
}

/// rustls with ring (no aws-lc C build); fixed fake credentials for the local stack, so that
/// DynamoDB Local (which keeps tables per access key) always sees the same account.
pub async fn sdk_config(local: bool) -> SdkConfig {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http_client);
    if local {
        loader
            .region(Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                "local",
                "local",
                None,
                None,
                "worklane-local",
            ))
            .load()
            .await
    } else {
        loader.load().await
    }
}
