//! Settings and AWS clients, built once per cold start and shared by reference.

use crate::http::auth::TokenKeys;
use crate::http::cursor::CursorCodec;
use crate::mail::Mailer;
use crate::store::Store;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::{Intercept, SharedInterceptor};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use std::sync::{Arc, OnceLock};

/// What a function's environment holds. Only the stage is read by every function; the rest
/// is optional here and required where it is used (`App::keys`, `App::bucket`, ...), so a
/// function's template gives it only the settings and secrets its code reads.
#[derive(Clone, Debug)]
pub struct AppConfig {
    pub stage: String,
    pub table: Option<String>,
    pub bucket: Option<String>,
    pub event_bus: Option<String>,
    pub email_from: Option<String>,
    /// Comma-separated signing secrets, newest first.
    pub signing_keys: Option<String>,
    pub mailer: MailerKind,
    /// The payment processor behind `App::payments` (never the sandbox in `prod`).
    pub payments: crate::payments::PaymentsKind,
    /// The queue `weekly-billing-close` fans contract-weeks out to (`WEEKLY_BILLING_QUEUE_URL`).
    pub billing_queue_url: Option<String>,
    /// Every rate limit times this (domain::rate_limit::RateLimit::scaled); 1, the production
    /// limits, unless `WORKLANE_RATE_LIMIT_SCALE` says otherwise outside `prod`.
    pub rate_limit_scale: u32,
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
    #[error(transparent)]
    Keys(#[from] crate::http::auth::KeyConfigError),
    #[error("WORKLANE_PAYMENTS={0:?} is not a payment processor (sandbox, disabled)")]
    UnknownPayments(String),
    #[error("the payment sandbox must never run in stage prod")]
    SandboxInProd,
    #[error("WORKLANE_RATE_LIMIT_SCALE={0:?} is not a whole number from 1 to 100000")]
    BadRateLimitScale(String),
    #[error("stage prod runs with the production rate limits: unset WORKLANE_RATE_LIMIT_SCALE")]
    ScaledLimitsInProd,
}

/// A setting the running code needs and its function's environment lacks: a deployment
/// error, answered as 503 (HTTP) or a retryable failure (workers) rather than a crash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not set in this function's environment")]
pub struct Unconfigured(pub &'static str);

impl From<Unconfigured> for crate::worker::WorkerError {
    fn from(err: Unconfigured) -> Self {
        crate::worker::WorkerError::Retryable(err.to_string())
    }
}

impl From<Unconfigured> for crate::store::StoreError {
    fn from(err: Unconfigured) -> Self {
        crate::store::StoreError::Unavailable(err.to_string())
    }
}

fn optional(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

impl AppConfig {
    /// The Lambda environment, as the SAM template sets it for this function.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            stage: std::env::var("STAGE").unwrap_or_else(|_| "dev".into()),
            table: optional("TABLE_NAME"),
            bucket: optional("BUCKET_NAME"),
            event_bus: optional("EVENT_BUS_NAME"),
            email_from: optional("EMAIL_FROM"),
            signing_keys: optional("JWT_SIGNING_KEYS"),
            mailer: match std::env::var("WORKLANE_MAILER").as_deref() {
                Ok("dev-mailbox") => MailerKind::DevMailbox,
                _ => MailerKind::Ses,
            },
            payments: payments_from_env()?,
            billing_queue_url: optional("WEEKLY_BILLING_QUEUE_URL"),
            rate_limit_scale: rate_limit_scale_from_env()?,
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

/// `WORKLANE_RATE_LIMIT_SCALE`: how much wider the rate limits are (unset: 1, the production
/// limits). For local runs that send thousands of requests from one address (the contract
/// fuzzing); a `prod` stage refuses to start with it, as with the payment sandbox.
pub fn rate_limit_scale_from_env() -> Result<u32, ConfigError> {
    let Some(raw) = optional("WORKLANE_RATE_LIMIT_SCALE") else {
        return Ok(1);
    };
    let scale = raw
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|scale| (1..=100_000).contains(scale))
        .ok_or_else(|| ConfigError::BadRateLimitScale(raw.clone()))?;
    if scale != 1 && std::env::var("STAGE").as_deref() == Ok("prod") {
        return Err(ConfigError::ScaledLimitsInProd);
    }
    Ok(scale)
}

pub fn check_payments(stage: &str, kind: crate::payments::PaymentsKind) -> Result<(), ConfigError> {
    if stage == "prod" && kind == crate::payments::PaymentsKind::Sandbox {
        return Err(ConfigError::SandboxInProd);
    }
    Ok(())
}

/// Local stack only: what the devstack hangs on every AWS client (call counting, IAM
/// recording) and tells about every setting read. A deployed function has none.
#[derive(Clone, Default)]
pub struct Hooks {
    pub interceptors: Vec<SharedInterceptor>,
    pub on_setting: Option<fn(&'static str)>,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("interceptors", &self.interceptors.len())
            .field("on_setting", &self.on_setting.is_some())
            .finish()
    }
}

/// The clients a function may never use, built on first use.
#[derive(Debug, Default)]
struct Clients {
    s3: OnceLock<aws_sdk_s3::Client>,
    events: OnceLock<aws_sdk_eventbridge::Client>,
    sqs: OnceLock<aws_sdk_sqs::Client>,
    mailer: OnceLock<Mailer>,
}

/// Everything a handler needs. Handlers take `&App`; nothing in it is rebuilt per request.
/// The table's client is built at init (it is warmed there); every other client on first
/// use, and each setting is required only by the accessor that reads it.
#[derive(Clone, Debug)]
pub struct App {
    pub config: AppConfig,
    pub store: Store,
    sdk: SdkConfig,
    hooks: Hooks,
    clients: Arc<Clients>,
    keys: Option<TokenKeys>,
    cursors: Option<CursorCodec>,
    payments: crate::payments::PaymentProcessor,
}

impl App {
    pub async fn from_env() -> Result<Self, ConfigError> {
        Self::new(AppConfig::from_env()?).await
    }

    pub async fn new(config: AppConfig) -> Result<Self, ConfigError> {
        Self::with_hooks(config, Hooks::default()).await
    }

    pub async fn with_hooks(config: AppConfig, hooks: Hooks) -> Result<Self, ConfigError> {
        check_payments(&config.stage, config.payments)?;
        // A secret that is present but malformed fails the cold start, not the first request.
        let keys = config
            .signing_keys
            .as_deref()
            .map(TokenKeys::from_config)
            .transpose()?;
        let cursors = keys
            .as_ref()
            .map(|keys| CursorCodec::new(keys.current().derive("pagination-cursor")));
        let sdk = sdk_config(config.local.is_some()).await;
        let mut app = Self {
            store: Store::new(
                aws_sdk_dynamodb::Client::new(&sdk),
                config.table.clone().unwrap_or_default(),
            ),
            sdk,
            hooks,
            clients: Arc::default(),
            keys,
            cursors,
            payments: crate::payments::PaymentProcessor::new(config.payments),
            config,
        };
        app.store = Store::new(app.dynamodb_client(), app.store.table());
        Ok(app)
    }

    /// This app with one more interceptor on every client (the clients are built anew; the
    /// payment processor and its journal stay shared).
    pub fn with_interceptor(&self, interceptor: impl Intercept + 'static) -> App {
        let mut app = self.clone();
        app.hooks
            .interceptors
            .push(SharedInterceptor::new(interceptor));
        app.clients = Arc::default();
        app.store = Store::new(app.dynamodb_client(), self.store.table());
        app
    }

    fn note(&self, setting: &'static str) {
        if let Some(on_setting) = self.hooks.on_setting {
            on_setting(setting);
        }
    }

    fn dynamodb_client(&self) -> aws_sdk_dynamodb::Client {
        let mut builder = aws_sdk_dynamodb::config::Builder::from(&self.sdk);
        if let Some(local) = &self.config.local {
            builder = builder.endpoint_url(&local.dynamodb);
        }
        for interceptor in &self.hooks.interceptors {
            builder.push_interceptor(interceptor.clone());
        }
        aws_sdk_dynamodb::Client::from_conf(builder.build())
    }

    /// The signing keys of access tokens (`JWT_SIGNING_KEYS`).
    pub fn keys(&self) -> Result<&TokenKeys, Unconfigured> {
        self.note("JWT_SIGNING_KEYS");
        self.keys.as_ref().ok_or(Unconfigured("JWT_SIGNING_KEYS"))
    }

    /// Pagination cursors, signed with a key derived from the signing keys.
    pub fn cursors(&self) -> Result<&CursorCodec, Unconfigured> {
        self.note("JWT_SIGNING_KEYS");
        self.cursors
            .as_ref()
            .ok_or(Unconfigured("JWT_SIGNING_KEYS"))
    }

    /// The files bucket's name (`BUCKET_NAME`).
    pub fn bucket(&self) -> Result<&str, Unconfigured> {
        self.note("BUCKET_NAME");
        self.config
            .bucket
            .as_deref()
            .ok_or(Unconfigured("BUCKET_NAME"))
    }

    /// The domain event bus's name (`EVENT_BUS_NAME`).
    pub fn event_bus(&self) -> Result<&str, Unconfigured> {
        self.note("EVENT_BUS_NAME");
        self.config
            .event_bus
            .as_deref()
            .ok_or(Unconfigured("EVENT_BUS_NAME"))
    }

    /// `WEEKLY_BILLING_QUEUE_URL`.
    pub fn billing_queue_url(&self) -> Result<&str, Unconfigured> {
        self.note("WEEKLY_BILLING_QUEUE_URL");
        self.config
            .billing_queue_url
            .as_deref()
            .ok_or(Unconfigured("WEEKLY_BILLING_QUEUE_URL"))
    }

    pub fn payments(&self) -> &crate::payments::PaymentProcessor {
        self.note("WORKLANE_PAYMENTS");
        &self.payments
    }

    /// SES needs the sender (`EMAIL_FROM`); the dev mailbox needs nothing.
    pub fn mailer(&self) -> Result<&Mailer, Unconfigured> {
        self.note("EMAIL_FROM");
        if let Some(mailer) = self.clients.mailer.get() {
            return Ok(mailer);
        }
        let mailer = match self.config.mailer {
            MailerKind::DevMailbox => Mailer::DevMailbox,
            MailerKind::Ses => {
                let from = self
                    .config
                    .email_from
                    .clone()
                    .ok_or(Unconfigured("EMAIL_FROM"))?;
                let mut builder = aws_sdk_sesv2::config::Builder::from(&self.sdk);
                if let Some(local) = &self.config.local {
                    builder = builder.endpoint_url(&local.moto);
                }
                for interceptor in &self.hooks.interceptors {
                    builder.push_interceptor(interceptor.clone());
                }
                Mailer::Ses {
                    client: aws_sdk_sesv2::Client::from_conf(builder.build()),
                    from,
                }
            }
        };
        Ok(self.clients.mailer.get_or_init(|| mailer))
    }

    pub fn s3(&self) -> &aws_sdk_s3::Client {
        self.clients.s3.get_or_init(|| {
            let mut builder = aws_sdk_s3::config::Builder::from(&self.sdk);
            builder = match &self.config.local {
                Some(local) => builder.endpoint_url(&local.moto).force_path_style(true),
                // Endpoint overrides (AWS_ENDPOINT_URL_S3) point at emulators that need path style.
                None => builder.force_path_style(std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()),
            };
            for interceptor in &self.hooks.interceptors {
                builder.push_interceptor(interceptor.clone());
            }
            aws_sdk_s3::Client::from_conf(builder.build())
        })
    }

    pub fn events(&self) -> &aws_sdk_eventbridge::Client {
        self.clients.events.get_or_init(|| {
            let mut builder = aws_sdk_eventbridge::config::Builder::from(&self.sdk);
            if let Some(local) = &self.config.local {
                builder = builder.endpoint_url(&local.moto);
            }
            for interceptor in &self.hooks.interceptors {
                builder.push_interceptor(interceptor.clone());
            }
            aws_sdk_eventbridge::Client::from_conf(builder.build())
        })
    }

    pub fn sqs(&self) -> &aws_sdk_sqs::Client {
        self.clients.sqs.get_or_init(|| {
            let mut builder = aws_sdk_sqs::config::Builder::from(&self.sdk);
            if let Some(local) = &self.config.local {
                builder = builder.endpoint_url(&local.moto);
            }
            for interceptor in &self.hooks.interceptors {
                builder.push_interceptor(interceptor.clone());
            }
            aws_sdk_sqs::Client::from_conf(builder.build())
        })
    }

    /// Called during a cold start's init phase, where the first TLS handshake is nearly free;
    /// a function without the table has no connection to warm.
    pub async fn warm(&self) {
        if self.config.table.is_some() {
            self.store.warm().await;
        }
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
