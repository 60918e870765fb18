//! The inbox: one item per (cause, recipient) and a state item per user holding the unread
//! count and the mark-all epoch; reminders wait in the sparse `due` index.
//!
//! Invariant (every write below keeps it in one transaction): `unread` = the user's items with
//! no `read_at` whose `epoch` equals the state's `epoch`. An item is written with the epoch it
//! read, conditioned on that epoch still being current; "mark all read" moves the epoch and
//! zeroes the count in one update, so it costs O(1) however many items are unread.

use super::keys;
use super::Label;
use super::{from_item, key, Cond, Item, Store, StoreError, Tx, TxError};
use crate::domain::ids::UserId;
use crate::domain::notification::{
    Links, Notification, NotificationId, NotificationKind, Reminder,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The `due` index partition of reminders, by the time they are to be sent.
pub const REMINDER_DUE: &str = "DUE#notification-reminders";

/// Conditional writes that lose a race (a concurrent mark-all or mark-read) read again; this
/// many rounds, then the caller retries later (a queue redelivery, a 409).
const ROUNDS: usize = 8;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NotificationRecord {
    pub pk: String,
    pub sk: String,
    pub id: NotificationId,
    pub user_id: UserId,
    pub kind: NotificationKind,
    pub title: String,
    pub text: String,
    pub links: Links,
    pub created_at: DateTime<Utc>,
    /// When the worker wrote it (`created_at` is when it happened).
    pub delivered_at: DateTime<Utc>,
    /// The inbox epoch it was written in: a later "mark all read" covers it.
    pub epoch: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_at: Option<DateTime<Utc>>,
}

impl NotificationRecord {
    fn new(user: &UserId, n: &Notification, epoch: i64, now: DateTime<Utc>) -> Self {
        let (pk, sk) = keys::notification(user, &n.id);
        Self {
            pk,
            sk,
            id: n.id.clone(),
            user_id: user.clone(),
            kind: n.kind,
            title: n.title.clone(),
            text: n.text.clone(),
            links: n.links.clone(),
            created_at: n.created_at,
            delivered_at: now,
            epoch,
            read_at: n.read_at,
        }
    }

    fn unread_in(&self, state: &InboxState) -> bool {
        self.read_at.is_none() && self.epoch == state.epoch
    }

    /// As its owner sees it: read when marked, or when a later "mark all" covered it.
    pub fn view(self, state: &InboxState) -> Notification {
        let read_at = self.read_at.or_else(|| {
            (self.epoch < state.epoch)
                .then_some(state.read_all_at)
                .flatten()
        });
        Notification {
            id: self.id,
            kind: self.kind,
            title: self.title,
            text: self.text,
            links: self.links,
            created_at: self.created_at,
            read_at,
        }
    }
}

/// A user's inbox state (all zero until the first notification).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InboxState {
    #[serde(default)]
    pub unread: i64,
    #[serde(default)]
    pub epoch: i64,
    /// When the current epoch began: the `read_at` of what the last "mark all" covered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_all_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReminderRecord {
    pub pk: String,
    pub sk: String,
    pub duepk: String,
    pub duesk: String,
    pub remind_at: DateTime<Utc>,
    pub reminder: Reminder,
}

impl ReminderRecord {
    pub fn new(reminder: &Reminder) -> Self {
        let reminder_key = reminder.key();
        let (pk, sk) = keys::reminder(&reminder_key);
        let remind_at = reminder.remind_at();
        Self {
            pk,
            sk,
            duepk: REMINDER_DUE.to_string(),
            duesk: format!("{:015}#{reminder_key}", remind_at.timestamp_millis()),
            remind_at,
            reminder: reminder.clone(),
        }
    }
}

fn epoch_is(epoch: i64) -> Cond {
    Cond::new("#epoch = :epoch")
        .name("#epoch", "epoch")
        .value(":epoch", epoch)
}

impl Store {
    /// The unread count and epoch (1 GetItem); zeros for a user never notified.
    pub async fn inbox_state(&self, user: &UserId) -> Result<Option<InboxState>, StoreError> {
        self.get::<InboxState>(&keys::as_key(keys::inbox_state(user)))
            .await
    }

    /// Puts `notification` in `user`'s inbox and counts it unread, once: `Ok(false)` when an
    /// item with its id is already there (a redelivery), and nothing changes.
    pub async fn deliver_notification(
        &self,
        user: &UserId,
        notification: &Notification,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (pk, sk) = keys::inbox_state(user);
        for _ in 0..ROUNDS {
            let state = self.inbox_state(user).await?;
            let epoch = state.as_ref().map_or(0, |s| s.epoch);
            let record = NotificationRecord::new(user, notification, epoch, now);
            let current = match state {
                None => Cond::new("attribute_not_exists(pk)"),
                Some(_) => epoch_is(epoch),
            };
            let tx = Tx::new()
                .put(Label::Notification, &record, Some(Cond::absent()))
                .update(
                    Label::InboxState,
                    key(pk.clone(), sk.clone()),
                    Cond::new("SET #epoch = if_not_exists(#epoch, :zero) ADD #unread :one")
                        .name("#epoch", "epoch")
                        .name("#unread", "unread")
                        .value(":zero", 0)
                        .value(":one", 1),
                    Some(current),
                );
            match self.transact(tx).await {
                Ok(()) => return Ok(true),
                Err(TxError::ConditionFailed {
                    label: Label::Notification,
                    ..
                }) => return Ok(false),
                // A "mark all read" (or the first notification) moved the state: read again.
                Err(TxError::ConditionFailed { .. }) => continue,
                Err(TxError::Store(err)) => return Err(err),
            }
        }
        Err(StoreError::TransactionConflict)
    }

    /// One page of `user`'s inbox, newest first, and where the next page starts.
    pub async fn inbox_page(
        &self,
        user: &UserId,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<NotificationRecord>, Option<Item>), StoreError> {
        let (items, next) = self
            .query_prefix(None, &keys::inbox(user), "NTF#", true, limit, start)
            .await?;
        let records = items
            .into_iter()
            .map(from_item::<NotificationRecord>)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((records, next))
    }

    /// Marks those of `ids` that are the caller's and unread as read, and lowers the count by
    /// exactly that many; ids of other users' items name keys in the caller's own partition,
    /// which do not exist, so they are never touched. Returns how many were marked.
    /// At most 99 distinct ids (one transaction).
    pub async fn mark_notifications_read(
        &self,
        user: &UserId,
        ids: &[NotificationId],
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let mut distinct = ids.to_vec();
        distinct.sort();
        distinct.dedup();
        let (state_pk, state_sk) = keys::inbox_state(user);
        let mut wanted = vec![key(state_pk.clone(), state_sk.clone())];
        wanted.extend(
            distinct
                .iter()
                .map(|id| keys::as_key(keys::notification(user, id))),
        );
        for _ in 0..ROUNDS {
            let mut found = self.get_many(&wanted).await?.into_iter();
            let Some(state) = found
                .next()
                .flatten()
                .map(from_item::<InboxState>)
                .transpose()?
            else {
                return Ok(0);
            };
            let unread = found
                .flatten()
                .map(from_item::<NotificationRecord>)
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .filter(|r| r.unread_in(&state))
                .collect::<Vec<_>>();
            if unread.is_empty() {
                return Ok(0);
            }
            let count = unread.len() as i64;
            let mut tx = Tx::new();
            for record in &unread {
                tx = tx.update(
                    Label::Notification,
                    key(record.pk.clone(), record.sk.clone()),
                    Cond::new("SET read_at = :now").value(":now", now),
                    Some(Cond::new("attribute_not_exists(read_at)").and(epoch_is(state.epoch))),
                );
            }
            tx = tx.update(
                Label::InboxState,
                key(state_pk.clone(), state_sk.clone()),
                Cond::new("ADD #unread :minus")
                    .name("#unread", "unread")
                    .value(":minus", -count),
                Some(epoch_is(state.epoch)),
            );
            match self.transact(tx).await {
                Ok(()) => return Ok(count as u32),
                // Marked meanwhile (a parallel request, a mark-all): decide again.
                Err(TxError::ConditionFailed { .. }) => continue,
                Err(TxError::Store(err)) => return Err(err),
            }
        }
        Err(StoreError::TransactionConflict)
    }

    /// Marks everything in the inbox read: a new epoch and a zero count, one update. Returns
    /// how many were unread.
    pub async fn mark_all_notifications_read(
        &self,
        user: &UserId,
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let (pk, sk) = keys::inbox_state(user);
        for _ in 0..ROUNDS {
            let Some(state) = self.inbox_state(user).await? else {
                return Ok(0);
            };
            if state.unread == 0 {
                return Ok(0);
            }
            // Strictly increasing even if clocks disagree: items carry the epoch they saw.
            let next = now.timestamp_millis().max(state.epoch + 1);
            let tx = Tx::new().update(
                Label::InboxState,
                key(pk.clone(), sk.clone()),
                Cond::new("SET #epoch = :next, #unread = :zero, read_all_at = :now")
                    .name("#unread", "unread")
                    .value(":next", next)
                    .value(":zero", 0)
                    .value(":now", now),
                Some(epoch_is(state.epoch)),
            );
            match self.transact(tx).await {
                Ok(()) => return Ok(state.unread as u32),
                Err(TxError::ConditionFailed { .. }) => continue,
                Err(TxError::Store(err)) => return Err(err),
            }
        }
        Err(StoreError::TransactionConflict)
    }

    /// Files a reminder in the `due` index (the same reminder twice is one item).
    pub async fn schedule_reminder(&self, reminder: &Reminder) -> Result<(), StoreError> {
        self.put(&ReminderRecord::new(reminder)).await
    }

    /// Takes a sent (or no longer relevant) reminder out of the index.
    pub async fn retire_reminder(&self, reminder: &Reminder) -> Result<(), StoreError> {
        let tx = Tx::new().delete(
            Label::Reminder,
            keys::as_key(keys::reminder(&reminder.key())),
            Some(Cond::exists()),
        );
        match self.transact(tx).await {
            Ok(()) | Err(TxError::ConditionFailed { .. }) => Ok(()),
            Err(TxError::Store(err)) => Err(err),
        }
    }
}
