//! Opaque, signed pagination cursors. A cursor carries the position in a list (for DynamoDB,
//! the last evaluated key) and is bound to the list it came from, so a client can neither
//! forge a position nor replay one cursor against another user's list.

use super::error::ApiError;
use crate::security::hmac_sha256;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;

#[derive(Clone)]
pub struct CursorCodec {
    key: Vec<u8>,
}

impl std::fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorCodec")
    }
}

impl CursorCodec {
    pub fn new(key: Vec<u8>) -> Self {
        Self { key }
    }

    /// `scope` names the list (e.g. "mailbox:ann@example.com"); decoding checks it.
    pub fn encode<T: Serialize>(&self, scope: &str, position: &T) -> String {
        let payload = serde_json::to_vec(position).expect("cursor positions serialize");
        let tag = hmac_sha256(&self.key, &signed_bytes(scope, &payload));
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(&tag[..16])
        )
    }

    pub fn decode<T: DeserializeOwned>(&self, scope: &str, cursor: &str) -> Result<T, ApiError> {
        let invalid = || ApiError::validation("cursor", "the cursor is not valid for this list");
        let (payload_b64, tag_b64) = cursor.split_once('.').ok_or_else(invalid)?;
        let payload = URL_SAFE_NO_PAD.decode(payload_b64).map_err(|_| invalid())?;
        let tag = URL_SAFE_NO_PAD.decode(tag_b64).map_err(|_| invalid())?;
        let expected = hmac_sha256(&self.key, &signed_bytes(scope, &payload));
        // The tag is truncated to 128 bits to keep cursors short; compared in constant time.
        if !constant_time_eq(&tag, &expected[..16]) {
            return Err(invalid());
        }
        serde_json::from_slice(&payload).map_err(|_| invalid())
    }
}

/// A page of a list, the shape every list endpoint answers with.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
// Named after what it lists (`JobViewPage`), so generated clients get stable type names.
#[schemars(rename = "{T}Page")]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl CursorCodec {
    /// The DynamoDB position a request's `cursor` parameter points at in the list `scope`.
    pub fn start_key(
        &self,
        scope: &str,
        req: &super::ApiRequest,
    ) -> Result<Option<crate::store::Item>, ApiError> {
        match req.query_param("cursor").filter(|c| !c.is_empty()) {
            None => Ok(None),
            Some(cursor) => {
                let position: serde_json::Value = self.decode(scope, cursor)?;
                crate::store::key_from_json(&position)
                    .map(Some)
                    .ok_or_else(|| ApiError::validation("cursor", "the cursor is not valid"))
            }
        }
    }

    /// The cursor of the page after one that stopped at `last_key`.
    pub fn next(&self, scope: &str, last_key: Option<&crate::store::Item>) -> Option<String> {
        last_key.map(|key| self.encode(scope, &crate::store::key_to_json(key)))
    }
}

/// The `limit` parameter: 1..=max, `default` when absent.
pub fn page_limit(req: &super::ApiRequest, default: i32, max: i32) -> Result<i32, ApiError> {
    match req.query_param("limit") {
        None => Ok(default),
        Some(raw) => match raw.parse::<i32>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::validation(
                "limit",
                format!("a whole number from 1 to {max}"),
            )),
        },
    }
}

fn signed_bytes(scope: &str, payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(scope.len() + 1 + payload.len());
    bytes.extend_from_slice(scope.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(payload);
    bytes
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cursors_round_trip_within_their_scope_only() {
        let codec = CursorCodec::new(b"key".to_vec());
        let position = json!({"pk": "USER#1", "sk": "X#2"});
        let cursor = codec.encode("list-a", &position);
        assert_eq!(
            codec
                .decode::<serde_json::Value>("list-a", &cursor)
                .unwrap(),
            position
        );
        assert!(codec
            .decode::<serde_json::Value>("list-b", &cursor)
            .is_err());
        assert!(CursorCodec::new(b"other".to_vec())
            .decode::<serde_json::Value>("list-a", &cursor)
            .is_err());
    }

    #[test]
    fn tampered_cursors_are_a_client_error() {
        let codec = CursorCodec::new(b"key".to_vec());
        let cursor = codec.encode("s", &json!({"pk": "A"}));
        let (_, tag) = cursor.split_once('.').unwrap();
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(br#"{"pk":"B"}"#));
        for bad in [forged.as_str(), "", "garbage", "a.b.c", "%%%.%%%"] {
            let err = codec.decode::<serde_json::Value>("s", bad).unwrap_err();
            assert_eq!(
                err.status(),
                http::StatusCode::UNPROCESSABLE_ENTITY,
                "{bad}"
            );
        }
    }
}
