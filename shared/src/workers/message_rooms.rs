//! Opens a message room for every proposal and every contract (PRODUCT §12.1), from their
//! events: `ProposalSubmitted` and `ContractStarted` carry both parties, so the room and its
//! two memberships are written without reading anything. The write is create-if-absent, so a
//! redelivery (or a room a party already opened by visiting it) changes nothing.

use super::WorkerError;
use crate::domain::events::{DomainEvent, EventPayload};
use crate::domain::messaging::{Room, RoomSubject};
use crate::App;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Utc};

pub async fn handle(app: &App, event: SqsEvent, _now: DateTime<Utc>) -> SqsBatchResponse {
    super::each_event(event, "message-rooms", |event| process(app, event)).await
}

/// The room an event calls for, if any.
pub fn room_for(event: &DomainEvent) -> Option<Room> {
    match &event.payload {
        EventPayload::ProposalSubmitted {
            proposal_id,
            freelancer_id,
            client_id,
            ..
        } => Some(Room::open(
            &RoomSubject::Proposal(proposal_id.clone()),
            client_id,
            freelancer_id,
            event.occurred_at,
        )),
        EventPayload::ContractStarted {
            contract_id,
            client_id,
            freelancer_id,
            ..
        } => Some(Room::open(
            &RoomSubject::Contract(contract_id.clone()),
            client_id,
            freelancer_id,
            event.occurred_at,
        )),
        _ => None,
    }
}

async fn process(app: &App, event: DomainEvent) -> Result<(), WorkerError> {
    if let Some(room) = room_for(&event) {
        app.store.open_room(&room).await?;
    }
    Ok(())
}
