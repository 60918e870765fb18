//! `Idempotency-Key` with Stripe's semantics, as one layer around any mutating handler:
//! the same key with the same request replays the first response byte for byte; with another
//! request it is a 422; while the first is still running, a 409.

use super::error::ApiError;
use super::request::{ApiRequest, ApiResponse};
use crate::security::sha256_hex;
use crate::store::idempotency::{Claim, StoredResponse};
use crate::store::Store;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http::StatusCode;

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// The Idempotency-Key a request holds, handed to its handler.
#[derive(Clone, Debug)]
pub struct Slot {
    scope: String,
    key: String,
    /// Whether the handler's own transaction stored the response (then the layer must not).
    recorded: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Slot {
    fn recorded(&self) -> bool {
        self.recorded.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl ApiRequest {
    /// Adds to `tx` the write that completes this request's Idempotency-Key with `response`:
    /// the movement and its idempotency record commit together, so a retry after a lost
    /// response replays this very answer instead of trying again.
    pub fn record_response_in(
        &self,
        tx: crate::store::Tx,
        response: &ApiResponse,
    ) -> crate::store::Tx {
        match &self.idempotency {
            None => tx,
            Some(slot) => crate::store::idempotency::complete_op(
                tx,
                &slot.scope,
                &slot.key,
                &stored(response),
            ),
        }
    }

    /// Call after the transaction from `record_response_in` committed.
    pub fn response_recorded(&self) {
        if let Some(slot) = &self.idempotency {
            slot.recorded
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

/// What `key_of` accepts, as the OpenAPI document states it: 1 to 255 visible ASCII characters.
pub const KEY_PATTERN: &str = "^[!-~]{1,255}$";

fn is_well_formed_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

pub fn key_of(req: &ApiRequest) -> Result<Option<String>, ApiError> {
    match req.header(HEADER) {
        None => Ok(None),
        Some(key) if is_well_formed_key(key) => Ok(Some(key.to_string())),
        Some(_) => Err(ApiError::BadRequest(
            "Idempotency-Key must be 1 to 255 visible ASCII characters".into(),
        )),
    }
}

/// What identifies "the same request": method, path and body, the body in a canonical form
/// when it is JSON (keys sorted, no whitespace), so a client that re-serializes its retry in
/// another key order is not told it sent another request.
pub fn fingerprint(req: &ApiRequest) -> String {
    let body = canonical_body(&req.body);
    let mut bytes = Vec::with_capacity(body.len() + req.path.len() + 8);
    bytes.extend_from_slice(req.method.as_str().as_bytes());
    bytes.push(b' ');
    bytes.extend_from_slice(req.path.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(&body);
    sha256_hex(&bytes)
}

fn canonical_body(body: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    // `serde_json::Map` is ordered by key (the crate is built without `preserve_order`), so
    // writing the parsed value back sorts every object's keys.
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) => serde_json::to_vec(&value)
            .map(Into::into)
            .unwrap_or(body.into()),
        Err(_) => body.into(),
    }
}

/// Whether an answer refused the request before it did anything (its body or its caller was
/// wrong): like Stripe, such an answer is not kept under the key, so the corrected retry
/// with the same key runs. Rules a handler checked against stored state (a 409 conflict, a
/// 422 business rule) are outcomes and are kept.
fn rejected_before_execution(response: &ApiResponse) -> bool {
    match response.status.as_u16() {
        // 429: refused by a rate limit before the handler ran; the retry after the wait
        // must run, not replay the refusal.
        400 | 401 | 403 | 404 | 413 | 415 | 429 => true,
        409 | 422 => {
            #[derive(serde::Deserialize)]
            struct Problem {
                code: String,
            }
            serde_json::from_slice::<Problem>(&response.body).is_ok_and(|p| {
                matches!(
                    p.code.as_str(),
                    "invalid_body"
                        | "validation_failed"
                        | "idempotency_in_progress"
                        | "idempotency_key_reused"
                )
            })
        }
        _ => false,
    }
}

/// Runs `run` at most once per (scope, key). `scope` separates callers, so two users' keys
/// never collide.
pub async fn once<F, Fut>(
    store: &Store,
    scope: &str,
    key: &str,
    req: ApiRequest,
    run: F,
) -> ApiResponse
where
    F: FnOnce(ApiRequest) -> Fut,
    Fut: std::future::Future<Output = ApiResponse>,
{
    let request_id = req.request_id.clone();
    let fingerprint = fingerprint(&req);
    match store
        .claim_idempotency_key(scope, key, &fingerprint, req.now)
        .await
    {
        Err(err) => ApiError::from(err).to_response(Some(&request_id)),
        Ok(Claim::Existing(record)) => {
            if record.fingerprint != fingerprint {
                return ApiError::IdempotencyMismatch.to_response(Some(&request_id));
            }
            match record.response {
                Some(stored) => replay(&stored),
                None => ApiError::IdempotencyInProgress.to_response(Some(&request_id)),
            }
        }
        Ok(Claim::Acquired) => {
            let slot = Slot {
                scope: scope.to_string(),
                key: key.to_string(),
                recorded: Default::default(),
            };
            let mut req = req;
            req.idempotency = Some(slot.clone());
            let response = run(req).await;
            let outcome = if slot.recorded() {
                Ok(())
            } else if response.status.is_server_error() || rejected_before_execution(&response) {
                store.release_idempotency_key(scope, key).await
            } else {
                store
                    .complete_idempotency_key(scope, key, &stored(&response))
                    .await
            };
            if let Err(err) = outcome {
                tracing::warn!(error = %err, "could not record the idempotent response");
            }
            response
        }
    }
}

pub(crate) fn stored(response: &ApiResponse) -> StoredResponse {
    StoredResponse {
        status: response.status.as_u16(),
        headers: response
            .headers
            .iter()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("x-request-id"))
            .cloned()
            .collect(),
        body: STANDARD.encode(&response.body),
    }
}

fn replay(stored: &StoredResponse) -> ApiResponse {
    let mut response = ApiResponse {
        status: StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK),
        headers: stored.headers.clone(),
        body: STANDARD.decode(&stored.body).unwrap_or_default().into(),
    };
    response.set_header(REPLAYED_HEADER, "true".into());
    response
}
