//! Refunds to cards in the table, in the client's partition
//! (`USER#<usr>` / `CARDREFUND#<dsp_id>`): one per dispute, listed newest first by the
//! dispute id (derived from when the disputed money was funded or its week started).
//!
//! The request is part of the dispute's settlement transaction (`disputes::settle_tx`); each
//! later step is ONE transaction: the refund's next version, conditioned on the version and
//! state it was decided from, with its money and its outbox event.

use super::keys::{self, as_key};
use super::ledger::Movement;
use super::{from_item, Cond, Item, Label, Store, StoreError, Tx};
use crate::domain::card_refund::CardRefund;
use crate::domain::events::{DomainEvent, EventPayload};
use crate::domain::ids::{DisputeId, UserId};
use crate::domain::ledger::TransferError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CardRefundItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    refund: CardRefund,
}

fn put_op(tx: Tx, next: &CardRefund, from: Option<&CardRefund>) -> Tx {
    let (pk, sk) = keys::card_refund(&next.client_id, &next.dispute_id);
    let condition = match from {
        None => Cond::absent(),
        Some(from) => Cond::new("#version = :version AND #state = :state")
            .name("#version", "version")
            .name("#state", "state")
            .value(":version", from.version)
            .value(":state", from.state),
    };
    tx.put(
        Label::CardRefund,
        &CardRefundItem {
            pk,
            sk,
            refund: next.clone(),
        },
        Some(condition),
    )
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
        Ok(self
            .get::<CardRefundItem>(&as_key(keys::card_refund(client, dispute)))
            .await?
            .map(|item| item.refund))
    }

    /// One page of a client's refunds to cards, newest first.
    pub async fn card_refunds(
        &self,
        client: &UserId,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<CardRefund>, Option<Item>), StoreError> {
        let (pk, _) = keys::user(client);
        let (items, next) = self
            .query_prefix(None, &pk, keys::CARD_REFUND_PREFIX, true, limit, start)
            .await?;
        let refunds = items
            .into_iter()
            .map(|item| from_item::<CardRefundItem>(item).map(|i| i.refund))
            .collect::<Result<_, _>>()?;
        Ok((refunds, next))
    }
}
