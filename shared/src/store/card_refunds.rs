//! Refunds to cards in the table, in the client's partition
//! (`USER#<usr>` / `CARDREFUND#<dsp_id>`, `store::stepped`): one per dispute, listed newest
//! first by the dispute id (derived from when the disputed money was funded or its week
//! started).
//!
//! The request is part of the dispute's settlement transaction (`disputes::settle_tx`); each
//! later step is ONE transaction: the refund's next version with its money and its outbox
//! event.

use super::keys;
use super::ledger::Movement;
use super::stepped::{self, Stepped};
use super::{Item, Label, Store, StoreError, Tx};
use crate::domain::card_refund::{CardRefund, CardRefundState};
use crate::domain::events::{DomainEvent, EventPayload};
use crate::domain::ids::{DisputeId, UserId};
use crate::domain::ledger::TransferError;
use chrono::{DateTime, Utc};

impl Stepped for CardRefund {
    type State = CardRefundState;

    fn version(&self) -> u64 {
        self.version
    }

    fn state(&self) -> CardRefundState {
        self.state
    }
}

fn put_op(tx: Tx, next: &CardRefund, from: Option<&CardRefund>) -> Tx {
    let key = keys::card_refund(&next.client_id, &next.dispute_id);
    stepped::put_op(tx, Label::CardRefund, key, next, from)
}

/// The request, added to a settlement: the refund and `CardRefundRequested`. Its money (the
/// set-aside, `CardRefund::set_aside`) goes into the settlement's movement, netted with the
/// settlement's other transfers.
pub fn request(tx: Tx, refund: &CardRefund) -> Tx {
    let event = DomainEvent::new(
        EventPayload::CardRefundRequested {
            dispute_id: refund.dispute_id.clone(),
            client_id: refund.client_id.clone(),
            amount: refund.amount,
        },
        refund.requested_at,
    );
    put_op(tx, refund, None).emit(&event)
}

/// `requested` → `refunded`: the amount leaves for the card.
pub fn refunded_tx(
    before: &CardRefund,
    after: &CardRefund,
    now: DateTime<Utc>,
) -> Result<Tx, TransferError> {
    let event = DomainEvent::new(
        EventPayload::CardRefunded {
            dispute_id: after.dispute_id.clone(),
            client_id: after.client_id.clone(),
            amount: after.amount,
            method: after.charge.method.clone(),
        },
        now,
    );
    let tx = put_op(Tx::new(), after, Some(before)).emit(&event);
    Movement::new().transfer(after.out_transfer(now)).write(tx)
}

/// `requested` → `failed`: the amount back to the client's balance.
pub fn failed_tx(
    before: &CardRefund,
    after: &CardRefund,
    now: DateTime<Utc>,
) -> Result<Tx, TransferError> {
    let event = DomainEvent::new(
        EventPayload::CardRefundFailed {
            dispute_id: after.dispute_id.clone(),
            client_id: after.client_id.clone(),
            amount: after.amount,
            reason: after.failure.clone().unwrap_or_default(),
        },
        now,
    );
    let tx = put_op(Tx::new(), after, Some(before)).emit(&event);
    Movement::new()
        .transfer(after.return_transfer(now))
        .write(tx)
}

impl Store {
    pub async fn card_refund(
        &self,
        client: &UserId,
        dispute: &DisputeId,
    ) -> Result<Option<CardRefund>, StoreError> {
        self.stepped(keys::card_refund(client, dispute)).await
    }

    /// One page of a client's refunds to cards, newest first.
    pub async fn card_refunds(
        &self,
        client: &UserId,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<CardRefund>, Option<Item>), StoreError> {
        self.stepped_page(client, keys::CARD_REFUND_PREFIX, limit, start)
            .await
    }
}
