//! Every partition and sort key of the single table, in one place (see docs/data-model.md).

use crate::domain::ids::{EventId, SessionId, UserId};

pub fn user(id: &UserId) -> (String, String) {
    (format!("USER#{id}"), "PROFILE".into())
}

/// The login identity: one per canonical email, which is what makes emails unique.
pub fn login(canonical_email: &str) -> (String, String) {
    (format!("LOGIN#{canonical_email}"), "LOGIN".into())
}

pub fn login_throttle(canonical_email: &str) -> (String, String) {
    (format!("THROTTLE#{canonical_email}"), "THROTTLE".into())
}

pub fn email_confirmation(token_digest: &str) -> (String, String) {
    (format!("CONFIRM#{token_digest}"), "CONFIRM".into())
}

pub fn refresh_token(token_digest: &str) -> (String, String) {
    (format!("REFRESH#{token_digest}"), "REFRESH".into())
}

pub fn session(id: &SessionId) -> (String, String) {
    (format!("SESSION#{id}"), "SESSION".into())
}

pub fn outbox(id: &EventId) -> (String, String) {
    (format!("OUTBOX#{id}"), "OUTBOX".into())
}

pub fn idempotency(scope: &str, key: &str) -> (String, String) {
    (format!("IDEMPOTENCY#{scope}#{key}"), "IDEMPOTENCY".into())
}

/// Marks a side effect of an event (an email sent) as done, so a redelivery skips it.
pub fn delivered(event: &EventId, effect: &str) -> (String, String) {
    (format!("DELIVERED#{event}"), effect.to_string())
}

pub fn dev_mailbox(canonical_email: &str) -> String {
    format!("DEVMAIL#{canonical_email}")
}

pub fn as_key((pk, sk): (String, String)) -> super::Item {
    super::key(pk, sk)
}
