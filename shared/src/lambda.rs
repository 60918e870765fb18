//! Lambda entry points. An area crate describes each of its functions as one of the four
//! kinds below (the routes of an HTTP function, or the handler of a queue, schedule or
//! stream function); the function's binary hands that description to the matching `serve_*`.
//! Each binary therefore links its own handlers and nothing of another function: there is no
//! function list in this crate, only the local stack composes them all (`worklane-devstack`).
//!
//! The wall clock is read here, at the edge, and handed inward as `now`.

use crate::http::request::parse_query;
use crate::http::router::{self, Route};
use crate::http::{ApiError, ApiRequest, ApiResponse};
use crate::store::StoreError;
use crate::worker::ScheduleSummary;
use crate::App;
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::event::cloudwatch_events::CloudWatchEvent;
use aws_lambda_events::event::dynamodb::Event as DynamoDbEvent;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use http::{HeaderMap, HeaderName, HeaderValue};
use lambda_runtime::{service_fn, Error, LambdaEvent};

pub type QueueHandler =
    for<'a> fn(&'a App, SqsEvent, DateTime<Utc>) -> BoxFuture<'a, SqsBatchResponse>;
pub type ScheduleHandler =
    for<'a> fn(&'a App, DateTime<Utc>) -> BoxFuture<'a, Result<ScheduleSummary, StoreError>>;
pub type StreamHandler = for<'a> fn(&'a App, DynamoDbEvent) -> BoxFuture<'a, DynamoDbEventResponse>;

/// A function behind API Gateway routes. `routes` is called once per cold start.
#[derive(Clone, Copy)]
pub struct HttpFunction {
    /// The binary, and `Metadata.BuildProperties.Binary` in the SAM template.
    pub name: &'static str,
    pub routes: fn() -> Vec<Route>,
}

/// A function behind an SQS queue (with partial-batch failure reporting).
#[derive(Clone, Copy)]
pub struct QueueFunction {
    pub name: &'static str,
    pub handler: QueueHandler,
}

/// A function an EventBridge schedule invokes; it takes its time from the event, so re-running
/// a schedule for the same time does the same (idempotent) work.
#[derive(Clone, Copy)]
pub struct ScheduleFunction {
    pub name: &'static str,
    pub handler: ScheduleHandler,
}

/// A function behind the table's DynamoDB stream.
#[derive(Clone, Copy)]
pub struct StreamFunction {
    pub name: &'static str,
    pub handler: StreamHandler,
}

impl QueueFunction {
    pub async fn handle(&self, app: &App, event: SqsEvent, now: DateTime<Utc>) -> SqsBatchResponse {
        (self.handler)(app, event, now).await
    }
}

impl ScheduleFunction {
    pub async fn run(&self, app: &App, time: DateTime<Utc>) -> Result<ScheduleSummary, StoreError> {
        (self.handler)(app, time).await
    }
}

impl StreamFunction {
    pub async fn handle(&self, app: &App, event: DynamoDbEvent) -> DynamoDbEventResponse {
        (self.handler)(app, event).await
    }
}

/// Any function: what the local stack (which plays every function in one process) keeps.
#[derive(Clone, Copy)]
pub enum Function {
    Http(HttpFunction),
    Queue(QueueFunction),
    Schedule(ScheduleFunction),
    Stream(StreamFunction),
}

impl Function {
    pub fn name(&self) -> &'static str {
        match self {
            Function::Http(f) => f.name,
            Function::Queue(f) => f.name,
            Function::Schedule(f) => f.name,
            Function::Stream(f) => f.name,
        }
    }
}

/// Wraps an `async fn(&App, SqsEvent, DateTime<Utc>) -> SqsBatchResponse` as a `QueueHandler`.
#[macro_export]
macro_rules! queue_handler {
    ($f:path) => {{
        fn boxed<'a>(
            app: &'a $crate::App,
            event: ::aws_lambda_events::event::sqs::SqsEvent,
            now: ::chrono::DateTime<::chrono::Utc>,
        ) -> ::futures::future::BoxFuture<'a, ::aws_lambda_events::event::sqs::SqsBatchResponse>
        {
            Box::pin($f(app, event, now))
        }
        boxed as $crate::lambda::QueueHandler
    }};
}

/// Wraps an `async fn(&App, DateTime<Utc>) -> Result<ScheduleSummary, StoreError>`.
#[macro_export]
macro_rules! schedule_handler {
    ($f:path) => {{
        fn boxed<'a>(
            app: &'a $crate::App,
            time: ::chrono::DateTime<::chrono::Utc>,
        ) -> ::futures::future::BoxFuture<
            'a,
            Result<$crate::worker::ScheduleSummary, $crate::store::StoreError>,
        > {
            Box::pin($f(app, time))
        }
        boxed as $crate::lambda::ScheduleHandler
    }};
}

/// Wraps an `async fn(&App, DynamoDbEvent) -> DynamoDbEventResponse`.
#[macro_export]
macro_rules! stream_handler {
    ($f:path) => {{
        fn boxed<'a>(
            app: &'a $crate::App,
            event: ::aws_lambda_events::event::dynamodb::Event,
        ) -> ::futures::future::BoxFuture<
            'a,
            ::aws_lambda_events::event::streams::DynamoDbEventResponse,
        > {
            Box::pin($f(app, event))
        }
        boxed as $crate::lambda::StreamHandler
    }};
}

/// glibc's malloc as a Lambda wants it, set before the app allocates anything big.
///
/// By default glibc raises its mmap threshold to the size of the first large block freed, so
/// from the second argon2id hash on (19 MiB each, signup and login) the blocks come from the
/// heap arenas of whichever runtime thread ran the hash and stay resident after use: 168 MiB
/// peak RSS measured. A fixed threshold keeps every large block mmapped and unmapped on free
/// (fixing it also fixes the trim threshold, so freed heap tops go back too), and one arena
/// keeps the runtime's few threads from each holding its own partly used heap: a function
/// serves one invocation at a time, so there is no contention to spread. Measured in
/// docs/benchmarks.md (cold start, peak RSS).
///
/// An explicit glibc setting in the function's environment (`GLIBC_TUNABLES`,
/// `MALLOC_ARENA_MAX`, `MALLOC_MMAP_THRESHOLD_`) wins: this then changes nothing.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let explicit = [
            "GLIBC_TUNABLES",
            "MALLOC_ARENA_MAX",
            "MALLOC_MMAP_THRESHOLD_",
        ];
        if explicit.iter().any(|name| std::env::var_os(name).is_some()) {
            return;
        }
        // <malloc.h>: not in the libc crate's portable surface, and two calls are not worth
        // a dependency.
        const M_MMAP_THRESHOLD: std::ffi::c_int = -3;
        const M_ARENA_MAX: std::ffi::c_int = -8;
        extern "C" {
            fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
        }
        // SAFETY: mallopt only changes malloc's tuning; it is safe to call at any time, and a
        // value it rejects leaves the default in place (returns 0), which costs memory only.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 128 * 1024);
            mallopt(M_ARENA_MAX, 1);
        }
    }
}

/// Builds the app once per cold start (warming the DynamoDB connection during init).
async fn init(name: &'static str) -> Result<&'static App, Error> {
    tune_allocator();
    crate::telemetry::init_json(name);
    let app: &'static App = Box::leak(Box::new(App::from_env().await?));
    app.warm().await;
    Ok(app)
}

/// Serves an HTTP function's routes until the runtime stops.
pub async fn serve_http(function: HttpFunction) -> Result<(), Error> {
    let app = init(function.name).await?;
    let routes: &'static [Route] = Box::leak((function.routes)().into_boxed_slice());
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayV2httpRequest>| async move {
            Ok::<_, Error>(handle_http(app, routes, event.payload, &event.context.request_id).await)
        },
    ))
    .await
}

/// Serves a queue function until the runtime stops.
pub async fn serve_queue(function: QueueFunction) -> Result<(), Error> {
    let app = init(function.name).await?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(function.handle(app, event.payload, Utc::now()).await)
    }))
    .await
}

/// Serves a scheduled function until the runtime stops.
pub async fn serve_schedule(function: ScheduleFunction) -> Result<(), Error> {
    let app = init(function.name).await?;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<CloudWatchEvent<serde_json::Value>>| async move {
            // The schedule's time, not the wall clock: a late or repeated delivery does the
            // work of the slot it was meant for.
            let time = event.payload.time;
            let summary = function.run(app, time).await?;
            tracing::info!(?summary, %time, "schedule done");
            Ok::<_, Error>(summary)
        },
    ))
    .await
}

/// Serves a stream function until the runtime stops.
pub async fn serve_stream(function: StreamFunction) -> Result<(), Error> {
    let app = init(function.name).await?;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<DynamoDbEvent>| async move {
            Ok::<_, Error>(function.handle(app, event.payload).await)
        },
    ))
    .await
}

/// API Gateway (HTTP API, payload 2.0) → the function's route → response. Routing uses the
/// route key API Gateway matched, so stage prefixes and custom domains do not matter.
pub async fn handle_http(
    app: &App,
    routes: &[Route],
    event: ApiGatewayV2httpRequest,
    lambda_request_id: &str,
) -> ApiGatewayV2httpResponse {
    let request_id = event
        .request_context
        .request_id
        .clone()
        .unwrap_or_else(|| lambda_request_id.to_string());
    let method = event.request_context.http.method.clone();
    let route_key = event.route_key.clone().unwrap_or_default();
    let route = routes.iter().find(|route| route.key() == route_key);
    let response = match route {
        None => ApiError::NoRoute {
            method: method.to_string(),
            path: event.raw_path.clone().unwrap_or_default(),
        }
        .to_response(Some(&request_id)),
        Some(route) => {
            let body = match (event.body, event.is_base64_encoded) {
                (Some(body), true) => STANDARD.decode(body).unwrap_or_default(),
                (Some(body), false) => body.into_bytes(),
                (None, _) => Vec::new(),
            };
            let source_ip = event
                .request_context
                .http
                .source_ip
                .as_deref()
                .and_then(|ip| ip.parse().ok());
            let req = ApiRequest {
                method,
                path: event.raw_path.unwrap_or_default(),
                path_params: event.path_parameters,
                query: parse_query(event.raw_query_string.as_deref().unwrap_or("")),
                headers: event.headers,
                body: body.into(),
                request_id,
                now: Utc::now(),
                idempotency: None,
                source_ip,
                declared_query: None,
            };
            router::run(app, route, req).await
        }
    };
    to_gateway(response)
}

pub fn to_gateway(response: ApiResponse) -> ApiGatewayV2httpResponse {
    let mut headers = HeaderMap::new();
    for (name, value) in &response.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(name, value);
        }
    }
    let mut out = ApiGatewayV2httpResponse::default();
    out.status_code = response.status.as_u16() as i64;
    out.headers = headers;
    out.body = (!response.body.is_empty())
        .then(|| Body::Text(String::from_utf8_lossy(&response.body).into_owned()));
    out
}
