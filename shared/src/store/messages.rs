//! Message rooms in the table. A room is one partition, `ROOM#<room id>`:
//!
//! - `#ROOM` — the room: its two members (fixed), last activity, last message, count;
//! - `#MEMBER#<usr>` — one per member: unread count and read marker, and in `gsi1` under
//!   `USER#<usr>#ROOMS` / `<last activity ms>#<room id>` for the member's room list;
//! - `MSG#<msg id>` — the messages, in time order (message ids are ULIDs).
//!
//! The header items sort before the messages (`#` < `M`), so the room and both memberships
//! are one Query (`begins_with(sk, "#")`) and a page of messages is a key range that never
//! touches them. Posting is one transaction: the message, the room, both memberships, the
//! attachments' shares and the outbox event — conditioned on the room and memberships
//! existing, so a message is either stored in its room with everything it implies, or not at
//! all.

use super::files::share_file_op;
use super::Label;
use super::{from_item, key, Cond, Item, Store, StoreError, Tx, TxError};
use crate::domain::events::{DomainEvent, EventPayload};
use crate::domain::ids::{MessageId, UserId};
use crate::domain::messaging::{Membership, Message, Room, RoomId};
use aws_sdk_dynamodb::types::{AttributeValue, Select};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub fn room_pk(room: &RoomId) -> String {
    format!("ROOM#{room}")
}

pub fn room_key(room: &RoomId) -> Item {
    key(room_pk(room), "#ROOM")
}

pub fn member_key(room: &RoomId, user: &UserId) -> Item {
    key(room_pk(room), format!("#MEMBER#{user}"))
}

pub fn message_sk(id: &MessageId) -> String {
    format!("MSG#{id}")
}

pub fn message_key(room: &RoomId, id: &MessageId) -> Item {
    key(room_pk(room), message_sk(id))
}

/// gsi1 partition of a user's rooms, most recent activity first.
pub fn user_rooms(user: &UserId) -> String {
    format!("USER#{user}#ROOMS")
}

fn activity_sort(at: DateTime<Utc>, room: &RoomId) -> String {
    format!("{:015}#{room}", at.timestamp_millis().max(0))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RoomRecord {
    pk: String,
    sk: String,
    #[serde(flatten)]
    room: Room,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct MemberRecord {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    #[serde(flatten)]
    membership: Membership,
}

impl MemberRecord {
    fn new(membership: Membership) -> Self {
        Self {
            pk: room_pk(&membership.room_id),
            sk: format!("#MEMBER#{}", membership.user_id),
            gsi1pk: user_rooms(&membership.user_id),
            gsi1sk: activity_sort(membership.last_activity_at, &membership.room_id),
            membership,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct MessageRecord {
    pk: String,
    sk: String,
    #[serde(flatten)]
    message: Message,
}

/// A room with its two memberships, read together.
#[derive(Debug, Clone)]
pub struct RoomHeader {
    pub room: Room,
    pub members: Vec<Membership>,
}

impl RoomHeader {
    pub fn member(&self, user: &UserId) -> Option<&Membership> {
        self.members.iter().find(|m| &m.user_id == user)
    }
}

/// Creates the room and both memberships, each only if absent: opening an open room changes
/// nothing (labels `room`, `member`).
pub fn open_room_tx(room: &Room) -> Tx {
    let mut tx = Tx::new().put(
        Label::Room,
        &RoomRecord {
            pk: room_pk(&room.room_id),
            sk: "#ROOM".into(),
            room: room.clone(),
        },
        Some(Cond::absent()),
    );
    for membership in room.memberships() {
        tx = tx.put(
            Label::Member,
            &MemberRecord::new(membership),
            Some(Cond::absent()),
        );
    }
    tx
}

/// Posts `message` to `room`: the message (`attribute_not_exists`), the room's last activity
/// and count (conditioned on the last message read, so message ids grow in commit order), the sender's marker moved to their own message (posting reads the room), the
/// recipient's unread counter, both memberships' list position, a share of every attachment
/// with the recipient (the sender's own ready files only), and `MessagePosted`.
/// Labels: `message`, `room`, `member`, `share_file`.
pub fn post_message_tx(room: &Room, message: &Message, recipient: &UserId) -> Tx {
    let now = message.created_at;
    let sort = activity_sort(now, &room.room_id);
    let exists = || Some(Cond::exists());
    let mut tx = Tx::new()
        .put(
            Label::Message,
            &MessageRecord {
                pk: room_pk(&room.room_id),
                sk: message_sk(&message.id),
                message: message.clone(),
            },
            Some(Cond::absent()),
        )
        .update(
            Label::Room,
            room_key(&room.room_id),
            Cond::new("SET #last = :now, #last_message = :message ADD #messages :one")
                .name("#last", "last_activity_at")
                .name("#last_message", "last_message_id")
                .name("#messages", "messages")
                .value(":now", now)
                .value(":message", &message.id)
                .value(":one", 1),
            Some(match &room.last_message_id {
                Some(last) => Cond::new("#last_message = :previous").value(":previous", last),
                None => Cond::new("attribute_exists(pk) AND attribute_not_exists(#last_message)"),
            }),
        )
        .update(
            Label::Member,
            member_key(&room.room_id, &message.sender_id),
            Cond::new(
                "SET #last = :now, #gsi1sk = :sort, #read_up_to = :message, #read_at = :now, #unread = :zero",
            )
            .name("#last", "last_activity_at")
            .name("#gsi1sk", "gsi1sk")
            .name("#read_up_to", "read_up_to")
            .name("#read_at", "read_at")
            .name("#unread", "unread")
            .value(":now", now)
            .value(":sort", &sort)
            .value(":message", &message.id)
            .value(":zero", 0),
            exists(),
        )
        .update(
            Label::Member,
            member_key(&room.room_id, recipient),
            Cond::new("SET #last = :now, #gsi1sk = :sort ADD #unread :one")
                .name("#last", "last_activity_at")
                .name("#gsi1sk", "gsi1sk")
                .name("#unread", "unread")
                .value(":now", now)
                .value(":sort", &sort)
                .value(":one", 1),
            exists(),
        );
    for file in &message.file_ids {
        tx = share_file_op(tx, file, &message.sender_id, recipient);
    }
    tx.emit(&DomainEvent::new(
        EventPayload::MessagePosted {
            message_id: message.id.clone(),
            room_id: room.room_id.clone(),
            sender_id: message.sender_id.clone(),
            recipient_id: recipient.clone(),
            attachments: message.file_ids.len() as u32,
        },
        now,
    ))
}

/// An admin's removal of `message` (`Message::remove`) inside the decision's transaction:
/// the message keeps its key and place, loses its text and files, and the other member's
/// access to those files goes too. Conditioned on the message not being removed already
/// (label `message`).
pub fn remove_message_op(tx: Tx, message: &Message, recipient: &UserId) -> Tx {
    let tx = message.file_ids.iter().fold(tx, |tx, file| {
        super::files::unshare_file_op(tx, file, &message.sender_id, recipient)
    });
    tx.put(
        Label::Message,
        &MessageRecord {
            pk: room_pk(&message.room_id),
            sk: message_sk(&message.id),
            message: message.remove(),
        },
        Some(Cond::new(
            "attribute_exists(pk) AND attribute_not_exists(removed)",
        )),
    )
}

/// Moves `member`'s marker forwards to `up_to` with `unread` messages after it, as counted
/// while the room's last message was `room.last_message_id` (a message posted meanwhile fails
/// the `room` check, so the count is never stale). Labels: `member`, `room`.
pub fn read_tx(
    room: &Room,
    member: &Membership,
    up_to: &MessageId,
    unread: u64,
    now: DateTime<Utc>,
) -> Tx {
    let last = Cond::new("#last_message = :last")
        .name("#last_message", "last_message_id")
        .value(":last", &room.last_message_id);
    Tx::new()
        .update(
            Label::Member,
            member_key(&room.room_id, &member.user_id),
            Cond::new("SET #read_up_to = :up_to, #read_at = :now, #unread = :unread")
                .name("#read_up_to", "read_up_to")
                .name("#read_at", "read_at")
                .name("#unread", "unread")
                .value(":up_to", up_to)
                .value(":now", now)
                .value(":unread", unread),
            Some(Cond::new(
                "attribute_exists(pk) AND (attribute_not_exists(#read_up_to) OR #read_up_to < :up_to)",
            )),
        )
        .check(Label::Room, room_key(&room.room_id), last)
}

impl Store {
    /// Opens `room` unless it is open already; `true` when this call created it.
    pub async fn open_room(&self, room: &Room) -> Result<bool, StoreError> {
        match self.transact(open_room_tx(room)).await {
            Ok(()) => Ok(true),
            Err(TxError::ConditionFailed { .. }) => Ok(false),
            Err(TxError::Store(err)) => Err(err),
        }
    }

    /// The room and its memberships in one strongly consistent Query; `None` if not open.
    pub async fn room_header(&self, room: &RoomId) -> Result<Option<RoomHeader>, StoreError> {
        let output = self
            .client()
            .query()
            .table_name(self.table())
            .key_condition_expression("pk = :pk AND begins_with(sk, :header)")
            .expression_attribute_values(":pk", AttributeValue::S(room_pk(room)))
            .expression_attribute_values(":header", AttributeValue::S("#".into()))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        let mut found = None;
        let mut members = Vec::new();
        for item in output.items.unwrap_or_default() {
            let sk = item.get("sk").and_then(|v| v.as_s().ok()).cloned();
            match sk.as_deref() {
                Some("#ROOM") => found = Some(from_item::<RoomRecord>(item)?.room),
                Some(sk) if sk.starts_with("#MEMBER#") => {
                    members.push(from_item::<MemberRecord>(item)?.membership)
                }
                _ => {}
            }
        }
        Ok(found.map(|room| RoomHeader { room, members }))
    }

    pub async fn message(
        &self,
        room: &RoomId,
        id: &MessageId,
    ) -> Result<Option<Message>, StoreError> {
        Ok(self
            .get::<MessageRecord>(&message_key(room, id))
            .await?
            .map(|r| r.message))
    }

    /// A page of the room's messages, newest first, strictly before `before` (a message id:
    /// the keyset position, so messages posted meanwhile never shift a page). The flag says
    /// whether older messages remain.
    pub async fn messages_before(
        &self,
        room: &RoomId,
        before: Option<&MessageId>,
        limit: i32,
    ) -> Result<(Vec<Message>, bool), StoreError> {
        let mut query = self
            .client()
            .query()
            .table_name(self.table())
            .expression_attribute_values(":pk", AttributeValue::S(room_pk(room)));
        query = match before {
            Some(before) => query
                .key_condition_expression("pk = :pk AND sk BETWEEN :lower AND :upper")
                .expression_attribute_values(":lower", AttributeValue::S("MSG#".into()))
                .expression_attribute_values(":upper", AttributeValue::S(message_sk(before))),
            None => query
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":prefix", AttributeValue::S("MSG#".into())),
        };
        // One more than the page (and the cursor's own message, BETWEEN being inclusive)
        // tells whether another page follows without an empty last page.
        let output = query
            .scan_index_forward(false)
            .limit(limit + 2)
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        let mut messages = Vec::new();
        for item in output.items.unwrap_or_default() {
            let message = from_item::<MessageRecord>(item)?.message;
            if Some(&message.id) != before {
                messages.push(message);
            }
        }
        let more = messages.len() > limit as usize;
        messages.truncate(limit as usize);
        Ok((messages, more))
    }

    /// How many messages `sender` posted to the room after `after`.
    pub async fn messages_after_from(
        &self,
        room: &RoomId,
        after: &MessageId,
        sender: &UserId,
    ) -> Result<u64, StoreError> {
        let mut count = 0u64;
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .client()
                .query()
                .table_name(self.table())
                .key_condition_expression("pk = :pk AND sk > :after")
                .filter_expression("sender_id = :sender")
                .expression_attribute_values(":pk", AttributeValue::S(room_pk(room)))
                .expression_attribute_values(":after", AttributeValue::S(message_sk(after)))
                .expression_attribute_values(":sender", AttributeValue::S(sender.to_string()))
                .select(Select::Count)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
            count += output.count.max(0) as u64;
            match output.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(count),
            }
        }
    }

    /// A user's rooms, most recent activity first, one page at a time.
    pub async fn rooms_of(
        &self,
        user: &UserId,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<Membership>, Option<Item>), StoreError> {
        let (items, next) = self
            .query_prefix(Some("gsi1"), &user_rooms(user), "", true, limit, start)
            .await?;
        let rooms = items
            .into_iter()
            .map(|item| from_item::<MemberRecord>(item).map(|r| r.membership))
            .collect::<Result<_, _>>()?;
        Ok((rooms, next))
    }
}
