//! The local API server: every HTTP handler on the routes of the SAM template, plus the
//! developer routes of API.md (`/_dev/mailbox`, `/_dev/schedules`, `/_dev/clock`), and
//! `POST /_dev/users/{id}/admin`, which grants the admin role (no public route does).

use crate::iam::record::as_function;
use crate::stack::Stack;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use worklane::http::request::parse_query;
use worklane::http::{router, ApiError, ApiRequest, ApiResponse};

/// Largest body the local server accepts (API Gateway's payload limit is 10 MB).
const MAX_BODY: usize = 10 * 1024 * 1024;

/// How long the local server waits for a client, so that a slow or stalled one (headers never
/// finished, a body that never comes) cannot hold a connection and its task open: API Gateway
/// gives up on a client too.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// From the first byte of a request to the end of its headers.
    pub header_read: std::time::Duration,
    /// From the end of the headers to the end of the body.
    pub body_read: std::time::Duration,
    /// Larger bodies are refused with 413, by their Content-Length before any is read.
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read: std::time::Duration::from_secs(10),
            body_read: std::time::Duration::from_secs(30),
            max_body: MAX_BODY,
        }
    }
}

pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// When the server delivers the events a request set in motion (stream → forwarder → queues →
/// workers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Before answering: what a request set in motion has happened when it returns (the
    /// tests and `worklane-local` rely on it).
    BeforeAnswer,
    /// Never while answering: the caller runs the pump beside the server, as Lambda's event
    /// sources run beside API Gateway, so a response takes as long as the API alone (the
    /// benchmarks measure that).
    Beside,
}

/// Serves until the listener task is dropped or aborted, delivering events before answering.
pub async fn serve(listener: TcpListener, stack: Arc<Stack>) {
    serve_with(listener, stack, Delivery::BeforeAnswer).await
}

pub async fn serve_with(listener: TcpListener, stack: Arc<Stack>, delivery: Delivery) {
    serve_with_limits(listener, stack, delivery, Limits::default()).await
}

pub async fn serve_with_limits(
    listener: TcpListener,
    stack: Arc<Stack>,
    delivery: Delivery,
    limits: Limits,
) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        let stack = stack.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let stack = stack.clone();
                async move {
                    Ok::<_, std::convert::Infallible>(
                        handle(&stack, req, peer, delivery, limits).await,
                    )
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(
    stack: &Stack,
    req: Request<Incoming>,
    peer: SocketAddr,
    delivery: Delivery,
    limits: Limits,
) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    // The stack's clock, not the wall clock: `PUT /_dev/clock` may have frozen it.
    let now = stack.clock.now();
    let path = parts.uri.path().to_string();
    let query = parse_query(parts.uri.query().unwrap_or(""));
    let too_large = || {
        let mut response = to_hyper(
            ApiError::PayloadTooLarge {
                limit: limits.max_body,
            }
            .to_response(None),
        );
        // The body was not read, so the connection cannot carry another request.
        response.headers_mut().insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("close"),
        );
        response
    };
    // Refused by what it announces, before any of it is read: hyper only sends
    // `100 Continue` once the body is polled, so a client that asked for it learns at once.
    let announced = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|length| length > limits.max_body as u64) {
        return too_large();
    }
    let read = http_body_util::Limited::new(body, limits.max_body).collect();
    let body = match tokio::time::timeout(limits.body_read, read).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(_)) => return too_large(),
        Err(_) => {
            let mut response = to_hyper(
                ApiError::Rule {
                    status: StatusCode::REQUEST_TIMEOUT,
                    code: "request_timeout",
                    detail: "the request body did not arrive in time".into(),
                }
                .to_response(None),
            );
            response.headers_mut().insert(
                http::header::CONNECTION,
                http::HeaderValue::from_static("close"),
            );
            return response;
        }
    };
    let mut api = ApiRequest::new(parts.method.clone(), &path, now);
    api.query = query;
    api.headers = parts.headers;
    api.body = body;
    // What API Gateway puts in `sourceIp`: the address the connection came from.
    api.source_ip = Some(peer.ip());
    let response = if path.starts_with("/_dev/") {
        dev_route(stack, &api)
            .await
            .unwrap_or_else(|err| err.to_response(Some(&api.request_id)))
    } else {
        let routes = crate::functions::routes();
        let route = router::find(routes, &api.method, &api.path)
            .ok()
            .map(|found| found.route);
        // The route's function owns the calls of the request (IAM recording).
        let function = route.map_or("router", |route| route.function);
        let response = as_function(function, router::dispatch(&stack.app, routes, api)).await;
        if let Some(route) = route {
            crate::answers::note(route.operation_id, &response);
        }
        // Lambda's event sources run continuously in the cloud; here each write is followed by
        // a delivery round, so what a request set in motion has happened when it returns.
        if delivery == Delivery::BeforeAnswer {
            if let Err(err) = stack.pump.settle().await {
                tracing::warn!(error = %err, "event delivery failed");
            }
        }
        response
    };
    to_hyper(response)
}

async fn dev_route(stack: &Stack, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
    match (&req.method, req.path.as_str()) {
        (&Method::GET, "/_dev/mailbox") => {
            let to = req.query_param("to").ok_or_else(|| {
                ApiError::validation("to", "give the address: /_dev/mailbox?to=<email>")
            })?;
            stack
                .pump
                .settle()
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            let items = worklane::mail::dev_mailbox(&stack.app.store, to, 100).await?;
            let items: Vec<_> = items
                .into_iter()
                .map(|m| serde_json::json!({"to": m.to, "subject": m.subject, "text": m.text, "sent_at": m.sent_at}))
                .collect();
            Ok(ApiResponse::ok(&serde_json::json!({"items": items})))
        }
        (&Method::POST, path) if path.starts_with("/_dev/users/") && path.ends_with("/admin") => {
            let raw = &path["/_dev/users/".len()..path.len() - "/admin".len()];
            let user =
                worklane::domain::ids::UserId::parse(raw).ok_or(ApiError::NotFound("user"))?;
            let account = stack.app.store.grant_admin(&user, req.now).await?;
            // Roles travel in access tokens: the user logs in again to act as an admin.
            Ok(ApiResponse::ok(
                &serde_json::json!({"id": account.id, "roles": account.roles}),
            ))
        }
        (&Method::GET, "/_dev/clock") => Ok(clock_state(stack)),
        (&Method::PUT, "/_dev/clock") => {
            let body: ClockRequest = req.json()?;
            let time = chrono::DateTime::parse_from_rfc3339(&body.now)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|_| {
                    ApiError::validation("now", "an RFC 3339 time, e.g. 2026-12-14T12:00:00Z")
                })?;
            stack.clock.freeze(time);
            Ok(clock_state(stack))
        }
        (&Method::DELETE, "/_dev/clock") => {
            stack.clock.unfreeze();
            Ok(clock_state(stack))
        }
        (&Method::GET, "/_dev/schedules") => {
            let items: Vec<_> = stack
                .template
                .functions()
                .into_iter()
                .filter(|f| !f.schedules.is_empty())
                .map(|f| serde_json::json!({"name": f.binary, "schedules": f.schedules}))
                .collect();
            Ok(ApiResponse::ok(&serde_json::json!({"items": items})))
        }
        (&Method::POST, path) if path.starts_with("/_dev/schedules/") => {
            let name = &path["/_dev/schedules/".len()..];
            let scheduled = stack
                .template
                .functions()
                .into_iter()
                .any(|f| f.binary == name && !f.schedules.is_empty());
            let function = crate::functions::schedule(name)
                .filter(|_| scheduled)
                .ok_or(ApiError::NotFound("scheduled function"))?;
            let time = match req.query_param("time") {
                None => req.now,
                // An unencoded `+01:00` arrives as ` 01:00` (a query `+` is a space).
                Some(raw) => chrono::DateTime::parse_from_rfc3339(&raw.replace(' ', "+"))
                    .map(|t| t.with_timezone(&chrono::Utc))
                    .map_err(|_| {
                        ApiError::validation("time", "an RFC 3339 time, e.g. 2026-12-14T00:00:00Z")
                    })?,
            };
            let summary = as_function(function.name, function.run(&stack.app, time)).await?;
            // What the run fanned out (events → queues → workers) finishes before we answer.
            stack
                .pump
                .settle()
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(ApiResponse::ok(&serde_json::json!({
                "name": name,
                "time": time,
                "summary": summary,
            })))
        }
        _ => Err(ApiError::NoRoute {
            method: req.method.to_string(),
            path: req.path.clone(),
        }),
    }
}

/// `PUT /_dev/clock`: the time to freeze the stack's clock at.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockRequest {
    now: String,
}

/// What `/_dev/clock` answers: the clock's time and whether it is frozen.
fn clock_state(stack: &Stack) -> ApiResponse {
    let frozen = stack.clock.frozen();
    ApiResponse::ok(&serde_json::json!({
        "now": frozen.unwrap_or_else(|| stack.clock.now()),
        "frozen": frozen.is_some(),
    }))
}

fn to_hyper(response: ApiResponse) -> Response<Full<Bytes>> {
    let mut builder = Response::builder().status(response.status);
    for (name, value) in &response.headers {
        builder = builder.header(name, value);
    }
    builder.body(Full::new(response.body)).unwrap_or_else(|_| {
        let mut fallback = Response::new(Full::new(Bytes::new()));
        *fallback.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        fallback
    })
}
