//! A small emulator of the Lambda Runtime API (`/2018-06-01/runtime/…`), enough to run a real
//! function binary as Lambda would: the binary polls `next`, answers with `response` or
//! `error`. Used by the tests (every binary answers an event) and by the benchmarks
//! (init time, first and warm invocation latency).

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, Mutex};

const PREFIX: &str = "/2018-06-01/runtime";

#[derive(Debug)]
pub enum Outcome {
    Response(Value),
    Error(Value),
}

struct Shared {
    events: Mutex<mpsc::Receiver<(String, Value)>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    first_poll: Mutex<Option<Instant>>,
    init_error: Mutex<Option<Value>>,
}

pub struct RuntimeApi {
    pub addr: SocketAddr,
    sender: mpsc::Sender<(String, Value)>,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl RuntimeApi {
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (sender, receiver) = mpsc::channel(16);
        let shared = Arc::new(Shared {
            events: Mutex::new(receiver),
            waiting: Mutex::new(HashMap::new()),
            first_poll: Mutex::new(None),
            init_error: Mutex::new(None),
        });
        let server_shared = shared.clone();
        let server = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let shared = server_shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let shared = shared.clone();
                        async move { Ok::<_, std::convert::Infallible>(handle(&shared, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self {
            addr,
            sender,
            shared,
            server,
        })
    }

    /// `AWS_LAMBDA_RUNTIME_API` for the function process.
    pub fn endpoint(&self) -> String {
        self.addr.to_string()
    }

    /// When the function first asked for work (the end of its init phase).
    pub async fn first_poll(&self) -> Option<Instant> {
        *self.shared.first_poll.lock().await
    }

    pub async fn init_error(&self) -> Option<Value> {
        self.shared.init_error.lock().await.clone()
    }

    /// Delivers one event and waits for the function's answer.
    pub async fn invoke(&self, event: Value, timeout: Duration) -> Result<Outcome, String> {
        let request_id = ulid::Ulid::new().to_string();
        let (tx, rx) = oneshot::channel();
        self.shared
            .waiting
            .lock()
            .await
            .insert(request_id.clone(), tx);
        self.sender
            .send((request_id, event))
            .await
            .map_err(|_| "runtime API stopped".to_string())?;
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(_)) => Err("the invocation was dropped".into()),
            Err(_) => Err(format!(
                "no answer within {timeout:?} (init error: {:?})",
                self.init_error().await
            )),
        }
    }
}

async fn handle(shared: &Shared, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let json = || serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
    let reply = |status: StatusCode| {
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = status;
        response
    };
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return reply(StatusCode::NOT_FOUND);
    };
    match (method, rest) {
        (Method::GET, "/invocation/next") => {
            shared
                .first_poll
                .lock()
                .await
                .get_or_insert_with(Instant::now);
            let next = shared.events.lock().await.recv().await;
            let Some((request_id, event)) = next else {
                return reply(StatusCode::GONE);
            };
            let deadline = chrono::Utc::now().timestamp_millis() + 30_000;
            Response::builder()
                .status(StatusCode::OK)
                .header("lambda-runtime-aws-request-id", &request_id)
                .header("lambda-runtime-deadline-ms", deadline.to_string())
                .header(
                    "lambda-runtime-invoked-function-arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:local",
                )
                .header(
                    "lambda-runtime-trace-id",
                    "Root=1-00000000-000000000000000000000000",
                )
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(event.to_string())))
                .expect("valid response")
        }
        (Method::POST, "/init/error") => {
            *shared.init_error.lock().await = Some(json());
            reply(StatusCode::ACCEPTED)
        }
        (Method::POST, rest) if rest.starts_with("/invocation/") => {
            let mut parts = rest["/invocation/".len()..].split('/');
            let (Some(request_id), Some(kind)) = (parts.next(), parts.next()) else {
                return reply(StatusCode::BAD_REQUEST);
            };
            let outcome = match kind {
                "response" => Outcome::Response(json()),
                "error" => Outcome::Error(json()),
                _ => return reply(StatusCode::NOT_FOUND),
            };
            match shared.waiting.lock().await.remove(request_id) {
                Some(waiter) => {
                    let _ = waiter.send(outcome);
                    reply(StatusCode::ACCEPTED)
                }
                None => reply(StatusCode::BAD_REQUEST),
            }
        }
        _ => reply(StatusCode::NOT_FOUND),
    }
}
