//! The transactional outbox: events are items written with the change; the table's stream
//! carries them to the event-forwarder, which publishes them to EventBridge.

use super::keys;
use crate::domain::events::DomainEvent;
use chrono::Duration;
use serde::{Deserialize, Serialize};

/// Outbox items expire after a week: by then the stream (24 h retention) has long forwarded them.
const OUTBOX_RETENTION: Duration = Duration::days(7);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutboxItem {
    pub pk: String,
    pub sk: String,
    pub detail_type: String,
    /// The whole event as JSON: what EventBridge carries as `detail`.
    pub event: String,
    pub occurred_at: String,
    pub expires_at: i64,
}

impl OutboxItem {
    pub fn new(event: &DomainEvent) -> Self {
        let (pk, sk) = keys::outbox(&event.id);
        Self {
            pk,
            sk,
            detail_type: event.detail_type().to_string(),
            event: serde_json::to_string(event).expect("events serialize"),
            occurred_at: event.occurred_at.to_rfc3339(),
            expires_at: super::ttl(event.occurred_at + OUTBOX_RETENTION),
        }
    }

    pub fn decode(&self) -> Result<DomainEvent, serde_json::Error> {
        serde_json::from_str(&self.event)
    }
}
