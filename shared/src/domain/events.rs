//! Domain events: written to the outbox in the same transaction as the state change they
//! describe, forwarded to EventBridge by the stream consumer, consumed by workers.

use super::ids::{EventId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The EventBridge `source` of every Worklane domain event.
pub const EVENT_SOURCE: &str = "worklane";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DomainEvent {
    pub id: EventId,
    pub occurred_at: DateTime<Utc>,
    #[serde(flatten)]
    pub payload: EventPayload,
}

/// Every event the system emits. The variant name is the EventBridge `detail-type`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum EventPayload {
    AccountSignedUp {
        user_id: UserId,
        email: String,
        name: String,
    },
    AccountConfirmed {
        user_id: UserId,
    },
    RoleAdded {
        user_id: UserId,
        role: super::account::Role,
    },
}

impl DomainEvent {
    pub fn new(payload: EventPayload, now: DateTime<Utc>) -> Self {
        Self {
            id: EventId::generate(now),
            occurred_at: now,
            payload,
        }
    }

    pub fn detail_type(&self) -> &'static str {
        match self.payload {
            EventPayload::AccountSignedUp { .. } => "AccountSignedUp",
            EventPayload::AccountConfirmed { .. } => "AccountConfirmed",
            EventPayload::RoleAdded { .. } => "RoleAdded",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_type_matches_the_serialized_tag() {
        let now = Utc::now();
        let event = DomainEvent::new(
            EventPayload::AccountConfirmed {
                user_id: UserId::generate(now),
            },
            now,
        );
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], event.detail_type());
        let back: DomainEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }
}
