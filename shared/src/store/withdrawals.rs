//! Withdrawals in the table (PRODUCT §9.4), in their owner's partition
//! (`USER#<usr>` / `WITHDRAWAL#<wd_id>`, `store::stepped`).
//!
//! Each step is ONE transaction: the withdrawal's next version (conditioned on the version
//! and state it was decided from, so a duplicate message or a racing worker finds it moved
//! on) with the money of that step and its outbox event.

use super::accounts::UserRecord;
use super::keys::{self, as_key};
use super::ledger::Movement;
use super::stepped::{self, Stepped};
use super::{from_item, Item, Label, Store, StoreError, Tx};
use crate::domain::events::{DomainEvent, EventPayload};
use crate::domain::ids::{UserId, WithdrawalId};
use crate::domain::ledger::{AccountId, Totals, TransferError};
use crate::domain::withdrawal::{Withdrawal, WithdrawalState};
use chrono::{DateTime, Utc};

/// The label of the withdrawal's own write in every step's transaction.
pub const WITHDRAWAL_LABEL: Label = Label::Withdrawal;

impl Stepped for Withdrawal {
    type State = WithdrawalState;

    fn version(&self) -> u64 {
        self.version
    }

    fn state(&self) -> WithdrawalState {
        self.state
    }
}

fn put_op(tx: Tx, next: &Withdrawal, from: Option<&Withdrawal>) -> Tx {
    let key = keys::withdrawal(&next.user_id, &next.id);
    stepped::put_op(tx, WITHDRAWAL_LABEL, key, next, from)
}

/// The request: the withdrawal, its amount from available into the in-flight payouts account
/// (the debit conditioned on the balance, label `account`), and `WithdrawalRequested`, which
/// the processing worker picks up.
pub fn request_tx(withdrawal: &Withdrawal) -> Result<Tx, TransferError> {
    let event = DomainEvent::new(
        EventPayload::WithdrawalRequested {
            withdrawal_id: withdrawal.id.clone(),
            user_id: withdrawal.user_id.clone(),
            amount: withdrawal.amount,
            fee: withdrawal.fee,
            net: withdrawal.net,
        },
        withdrawal.requested_at,
    );
    let tx = put_op(Tx::new(), withdrawal, None).emit(&event);
    Movement::new().transfer(withdrawal.set_aside()).write(tx)
}

/// `requested` → `processing`: no money moves.
pub fn processing_tx(before: &Withdrawal, after: &Withdrawal) -> Tx {
    put_op(Tx::new(), after, Some(before))
}

/// `processing` → `paid`: the net leaves for the payee, the fee goes to the platform.
pub fn paid_tx(
    before: &Withdrawal,
    after: &Withdrawal,
    now: DateTime<Utc>,
) -> Result<Tx, TransferError> {
    let event = DomainEvent::new(
        EventPayload::WithdrawalPaid {
            withdrawal_id: after.id.clone(),
            user_id: after.user_id.clone(),
            net: after.net,
        },
        now,
    );
    let tx = put_op(Tx::new(), after, Some(before)).emit(&event);
    after
        .payout_transfers(now)
        .into_iter()
        .fold(Movement::new(), Movement::transfer)
        .write(tx)
}

/// `processing` → `returned`: the whole amount back to available.
pub fn returned_tx(
    before: &Withdrawal,
    after: &Withdrawal,
    now: DateTime<Utc>,
) -> Result<Tx, TransferError> {
    let event = DomainEvent::new(
        EventPayload::WithdrawalReturned {
            withdrawal_id: after.id.clone(),
            user_id: after.user_id.clone(),
            amount: after.amount,
            reason: after
                .failure
                .as_ref()
                .map(|f| f.message.clone())
                .unwrap_or_default(),
        },
        now,
    );
    let tx = put_op(Tx::new(), after, Some(before)).emit(&event);
    Movement::new()
        .transfer(after.return_transfer(now))
        .write(tx)
}

/// What a withdrawal request needs to know, read in one round trip.
pub struct WithdrawalContext {
    pub account: Option<UserRecord>,
    pub available: Totals,
    /// The default payout method's id, when the user has any.
    pub default_method: Option<String>,
}

impl Store {
    pub async fn withdrawal(
        &self,
        user: &UserId,
        id: &WithdrawalId,
    ) -> Result<Option<Withdrawal>, StoreError> {
        self.stepped(keys::withdrawal(user, id)).await
    }

    /// One page of a freelancer's withdrawals, newest first.
    pub async fn withdrawals(
        &self,
        user: &UserId,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<Withdrawal>, Option<Item>), StoreError> {
        self.stepped_page(user, keys::WITHDRAWAL_PREFIX, limit, start)
            .await
    }

    /// The account (identity verified?), the available balance and the default payout method.
    pub async fn withdrawal_context(&self, user: &UserId) -> Result<WithdrawalContext, StoreError> {
        let (apk, ask) = keys::ledger_account(&AccountId::available(user));
        let mut found = self
            .get_many(&[
                as_key(keys::user(user)),
                super::key(apk, ask),
                as_key(keys::default_payout_method(user)),
            ])
            .await?
            .into_iter();
        let account = found.next().flatten().map(from_item).transpose()?;
        let available = match found.next().flatten() {
            Some(item) => super::ledger::totals(&item)?,
            None => Totals::default(),
        };
        let default_method = found
            .next()
            .flatten()
            .and_then(|item| item.get("method_id").and_then(|v| v.as_s().ok()).cloned());
        Ok(WithdrawalContext {
            account,
            available,
            default_method,
        })
    }
}
