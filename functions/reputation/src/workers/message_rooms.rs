//! Opens a message room for every proposal and every contract (PRODUCT §12.1), from their
//! events: `ProposalSubmitted` and `ContractStarted` carry both parties, so the room and its
//! two memberships are written without reading anything. The write is create-if-absent, so a
//! redelivery (or a room a party already opened by visiting it) changes nothing.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Utc};
use worklane::domain::events::{DomainEvent, EventPayload};
use worklane::domain::messaging::{Room, RoomSubject};
use worklane::worker::WorkerError;
use worklane::App;

pub async fn handle(app: &App, event: SqsEvent, _now: DateTime<Utc>) -> SqsBatchResponse {
    worklane::worker::each_event(event, "message-rooms", |event| process(app, event)).await
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

#[cfg(test)]
mod tests {
    use super::*;
    use worklane::domain::ids::{ContractId, JobId, ProposalId, UserId};
    use worklane::domain::messaging::RoomId;

    #[test]
    fn proposals_and_contracts_get_their_room_and_nothing_else_does() {
        let now: DateTime<Utc> = "2026-12-01T10:00:00Z".parse().unwrap();
        let (client, freelancer) = (UserId::generate(now), UserId::generate(now));
        let (proposal, contract) = (ProposalId::generate(now), ContractId::generate(now));
        let job = JobId::generate(now);
        let submitted = DomainEvent::new(
            EventPayload::ProposalSubmitted {
                proposal_id: proposal.clone(),
                job_id: job.clone(),
                freelancer_id: freelancer.clone(),
                client_id: client.clone(),
            },
            now,
        );
        let room = room_for(&submitted).expect("a proposal room");
        assert_eq!(room.room_id, RoomId::for_proposal(&proposal));
        assert_eq!(
            (&room.client_id, &room.freelancer_id),
            (&client, &freelancer)
        );
        let started = DomainEvent::new(
            EventPayload::ContractStarted {
                contract_id: contract.clone(),
                job_id: job.clone(),
                client_id: client.clone(),
                freelancer_id: freelancer.clone(),
            },
            now,
        );
        assert_eq!(
            room_for(&started).map(|r| r.room_id),
            Some(RoomId::for_contract(&contract))
        );
        let posted = DomainEvent::new(
            EventPayload::JobPosted {
                job_id: job,
                client_id: client,
            },
            now,
        );
        assert_eq!(room_for(&posted), None);
    }
}
