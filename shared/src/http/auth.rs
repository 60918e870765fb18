//! Access tokens: compact HS256 JWTs with a key id, so keys can rotate (sign with the
//! current key, accept the previous ones until their tokens expire).

use super::error::ApiError;
use super::request::ApiRequest;
use crate::domain::account::Role;
use crate::domain::ids::{SessionId, UserId};
use crate::security::{hmac_sha256, hmac_sha256_verify, sha256_hex};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub const ISSUER: &str = "worklane";
pub const ACCESS_TOKEN_TTL: Duration = Duration::minutes(15);

#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    secret: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// The key id is derived from the secret, so one secret string is a complete config.
    pub fn from_secret(secret: &str) -> Self {
        Self {
            kid: sha256_hex(secret.as_bytes())[..12].to_string(),
            secret: secret.as_bytes().to_vec(),
        }
    }

    /// A secret for purposes other than tokens (e.g. cursors), derived so that one leak
    /// does not forge the other.
    pub fn derive(&self, purpose: &str) -> Vec<u8> {
        hmac_sha256(&self.secret, purpose.as_bytes())
    }
}

/// The current key signs; every key verifies.
#[derive(Clone, Debug)]
pub struct TokenKeys {
    keys: Vec<SigningKey>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyConfigError {
    #[error("no signing key configured (set JWT_SIGNING_KEYS)")]
    Missing,
    #[error("signing keys must be at least 32 characters")]
    TooShort,
}

impl TokenKeys {
    /// `secrets` is a comma-separated list, newest first (e.g. after a rotation: "new,old").
    pub fn from_config(secrets: &str) -> Result<Self, KeyConfigError> {
        let keys: Vec<SigningKey> = secrets
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                if s.len() < 32 {
                    Err(KeyConfigError::TooShort)
                } else {
                    Ok(SigningKey::from_secret(s))
                }
            })
            .collect::<Result<_, _>>()?;
        if keys.is_empty() {
            return Err(KeyConfigError::Missing);
        }
        Ok(Self { keys })
    }

    pub fn current(&self) -> &SigningKey {
        &self.keys[0]
    }

    pub fn issue(&self, claims: &AccessClaims) -> String {
        let key = self.current();
        let header = serde_json::json!({"alg": "HS256", "typ": "JWT", "kid": key.kid});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).expect("json")),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("json"))
        );
        let signature = hmac_sha256(&key.secret, signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<AccessClaims, TokenError> {
        let mut parts = token.split('.');
        let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: JwtHeader = decode_part(header_b64)?;
        // Only our algorithm: "none" or an asymmetric alg confused with our HMAC key is refused.
        if header.alg != "HS256" {
            return Err(TokenError::Malformed);
        }
        let key = self
            .keys
            .iter()
            .find(|key| Some(&key.kid) == header.kid.as_ref())
            .ok_or(TokenError::UnknownKey)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature_b64)
            .map_err(|_| TokenError::Malformed)?;
        let signing_input = &token[..header_b64.len() + 1 + claims_b64.len()];
        if !hmac_sha256_verify(&key.secret, signing_input.as_bytes(), &signature) {
            return Err(TokenError::BadSignature);
        }
        let claims: AccessClaims = decode_part(claims_b64)?;
        if claims.iss != ISSUER || claims.typ != "access" {
            return Err(TokenError::Malformed);
        }
        if now.timestamp() >= claims.exp {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

fn decode_part<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

#[derive(Deserialize)]
struct JwtHeader {
    alg: String,
    kid: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("token signed with an unknown key")]
    UnknownKey,
    #[error("bad token signature")]
    BadSignature,
    #[error("token expired")]
    Expired,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: UserId,
    pub sid: SessionId,
    pub roles: Vec<Role>,
    pub email_confirmed: bool,
    pub iat: i64,
    pub exp: i64,
    pub typ: String,
}

impl AccessClaims {
    pub fn new(
        user_id: UserId,
        session_id: SessionId,
        roles: Vec<Role>,
        email_confirmed: bool,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            iss: ISSUER.into(),
            sub: user_id,
            sid: session_id,
            roles,
            email_confirmed,
            iat: now.timestamp(),
            exp: (now + ACCESS_TOKEN_TTL).timestamp(),
            typ: "access".into(),
        }
    }
}

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub roles: Vec<Role>,
    pub email_confirmed: bool,
    /// The token's `iat`: a suspension refuses every token issued before it.
    pub issued_at: i64,
}

impl Caller {
    pub fn from_request(keys: &TokenKeys, req: &ApiRequest) -> Result<Self, ApiError> {
        let header = req
            .header("authorization")
            .ok_or(ApiError::Unauthenticated(
                "send Authorization: Bearer <access token>",
            ))?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(ApiError::Unauthenticated(
                "send Authorization: Bearer <access token>",
            ))?;
        let claims = keys
            .verify(token.trim(), req.now)
            .map_err(|err| match err {
                TokenError::Expired => {
                    ApiError::Unauthenticated("the access token has expired; refresh it")
                }
                _ => ApiError::Unauthenticated("the access token is not valid"),
            })?;
        Ok(Self {
            user_id: claims.sub,
            session_id: claims.sid,
            roles: claims.roles,
            email_confirmed: claims.email_confirmed,
            issued_at: claims.iat,
        })
    }

    /// The caller, if the token is valid, its session has not been revoked since it was
    /// issued (logout, refresh-token reuse) and its account was not suspended after it was
    /// issued: what the router checks before any bearer route.
    pub async fn from_live_session(app: &crate::App, req: &ApiRequest) -> Result<Self, ApiError> {
        let caller = Self::from_request(app.keys()?, req)?;
        if app
            .store
            .session_refused(&caller.session_id, &caller.user_id, caller.issued_at)
            .await?
        {
            return Err(ApiError::Unauthenticated(
                "the session of this access token has ended (logout, suspension or a reused \
                 refresh token); log in again",
            ));
        }
        Ok(caller)
    }

    /// Unconfirmed accounts may read, but not post jobs, propose or move money (PRODUCT §1.2).
    pub fn require_confirmed(&self) -> Result<&Self, ApiError> {
        if self.email_confirmed {
            Ok(self)
        } else {
            Err(ApiError::EmailUnconfirmed)
        }
    }

    pub fn require_role(&self, role: Role) -> Result<&Self, ApiError> {
        if self.roles.contains(&role) {
            Ok(self)
        } else {
            Err(ApiError::Forbidden(
                "your account does not have the role this needs",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET_A: &str = "a-very-long-local-signing-secret-0001";
    const SECRET_B: &str = "b-very-long-local-signing-secret-0002";

    fn claims(now: DateTime<Utc>) -> AccessClaims {
        AccessClaims::new(
            UserId::generate(now),
            SessionId::generate(now),
            vec![Role::Client],
            true,
            now,
        )
    }

    #[test]
    fn round_trip_and_expiry() {
        let keys = TokenKeys::from_config(SECRET_A).unwrap();
        let now: DateTime<Utc> = "2026-12-01T10:00:00Z".parse().unwrap();
        let token = keys.issue(&claims(now));
        assert_eq!(keys.verify(&token, now).unwrap().roles, vec![Role::Client]);
        assert_eq!(
            keys.verify(&token, now + Duration::minutes(15)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn tampered_and_foreign_tokens_are_refused() {
        let now = Utc::now();
        let keys = TokenKeys::from_config(SECRET_A).unwrap();
        let token = keys.issue(&claims(now));
        let (head, rest) = token.split_once('.').unwrap();
        let (_, signature) = rest.split_once('.').unwrap();
        let mut forged = claims(now);
        forged.roles = vec![Role::Admin];
        let forged_claims = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        assert_eq!(
            keys.verify(&format!("{head}.{forged_claims}.{signature}"), now),
            Err(TokenError::BadSignature)
        );
        let other = TokenKeys::from_config(SECRET_B).unwrap();
        assert_eq!(other.verify(&token, now), Err(TokenError::UnknownKey));
        assert_eq!(keys.verify("abc", now), Err(TokenError::Malformed));
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","kid":"x"}"#);
        assert_eq!(
            keys.verify(&format!("{none_header}.{forged_claims}."), now),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn rotation_accepts_tokens_of_the_previous_key() {
        let now = Utc::now();
        let old = TokenKeys::from_config(SECRET_A).unwrap();
        let token = old.issue(&claims(now));
        let rotated = TokenKeys::from_config(&format!("{SECRET_B},{SECRET_A}")).unwrap();
        assert!(rotated.verify(&token, now).is_ok());
        assert_ne!(rotated.current().kid, old.current().kid);
    }

    #[test]
    fn short_or_missing_keys_are_a_config_error() {
        assert_eq!(
            TokenKeys::from_config("").unwrap_err(),
            KeyConfigError::Missing
        );
        assert_eq!(
            TokenKeys::from_config("short").unwrap_err(),
            KeyConfigError::TooShort
        );
    }
}
