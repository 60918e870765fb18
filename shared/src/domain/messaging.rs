//! Message rooms (PRODUCT §12.1): one room per proposal and one per contract, whose members
//! are that deal's client and freelancer and nobody else. Pure rules: room ids, message
//! validation, read markers. No clock: time comes in as `now`.
//!
//! A room's id names what it is about: `room_<prp_…>` or `room_<ctr_…>`. So the room of a
//! proposal or contract is known without a lookup (an app opens it from the proposal page),
//! and a room can always be (re)built from its subject, whose parties are the members.

use super::ids::{ContractId, FileId, MessageId, ProposalId, UserId};
use super::offer::Side;
use super::rules::{unique_items, TextRule};
use super::Violations;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest message text, in characters.
pub const MAX_TEXT_CHARS: usize = 10_000;
/// A message's text; blank counts as absent.
pub const TEXT: TextRule = TextRule::new(0, MAX_TEXT_CHARS);
/// Attachments per message.
pub const MAX_ATTACHMENTS: usize = 10;

/// What a room is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RoomSubject {
    Proposal(ProposalId),
    Contract(ContractId),
}

impl RoomSubject {
    pub fn as_str(&self) -> &str {
        match self {
            RoomSubject::Proposal(id) => id.as_str(),
            RoomSubject::Contract(id) => id.as_str(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            RoomSubject::Proposal(_) => "proposal",
            RoomSubject::Contract(_) => "contract",
        }
    }
}

/// `room_` + the id of the proposal or contract the room is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct RoomId(String);

/// The schema states what `RoomId::parse` accepts, so a client validating against the document
/// never sends a room id the API refuses.
impl JsonSchema for RoomId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RoomId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let pattern = format!(
            "^room_({}|{})_{}$",
            ProposalId::PREFIX,
            ContractId::PREFIX,
            super::ids::ULID_PATTERN
        );
        schemars::json_schema!({
            "type": "string",
            "pattern": pattern,
            "examples": ["room_ctr_01jd5v3k8r9x2m4n6p7q8s9t0w"],
        })
    }
}

impl RoomId {
    pub const PREFIX: &'static str = "room";

    pub fn of(subject: &RoomSubject) -> Self {
        Self(format!("{}_{}", Self::PREFIX, subject.as_str()))
    }

    pub fn for_proposal(id: &ProposalId) -> Self {
        Self::of(&RoomSubject::Proposal(id.clone()))
    }

    pub fn for_contract(id: &ContractId) -> Self {
        Self::of(&RoomSubject::Contract(id.clone()))
    }

    /// Accepts only `room_<proposal id>` and `room_<contract id>`.
    pub fn parse(raw: &str) -> Option<Self> {
        let rest = raw.strip_prefix("room_")?;
        if ProposalId::parse(rest).is_some() || ContractId::parse(rest).is_some() {
            Some(Self(raw.to_string()))
        } else {
            None
        }
    }

    pub fn subject(&self) -> RoomSubject {
        let rest = &self.0["room_".len()..];
        match ProposalId::parse(rest) {
            Some(id) => RoomSubject::Proposal(id),
            None => RoomSubject::Contract(
                ContractId::parse(rest).expect("room ids are checked when made"),
            ),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for RoomId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        RoomId::parse(&raw).ok_or_else(|| serde::de::Error::custom("not a room id"))
    }
}

impl fmt::Display for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A room: its members never change (they are the subject's parties).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Room {
    pub room_id: RoomId,
    pub client_id: UserId,
    pub freelancer_id: UserId,
    pub created_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message_id: Option<MessageId>,
    /// Messages posted so far.
    #[serde(default)]
    pub messages: u64,
}

impl Room {
    /// A new, empty room between the two parties of `subject`, opened at `at`.
    pub fn open(
        subject: &RoomSubject,
        client: &UserId,
        freelancer: &UserId,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            room_id: RoomId::of(subject),
            client_id: client.clone(),
            freelancer_id: freelancer.clone(),
            created_at: at,
            last_activity_at: at,
            last_message_id: None,
            messages: 0,
        }
    }

    /// The side `user` is on, `None` for anyone else.
    pub fn side_of(&self, user: &UserId) -> Option<Side> {
        if &self.client_id == user {
            Some(Side::Client)
        } else if &self.freelancer_id == user {
            Some(Side::Freelancer)
        } else {
            None
        }
    }

    /// The member other than `user` (who must be a member).
    pub fn other(&self, user: &UserId) -> Option<&UserId> {
        match self.side_of(user)? {
            Side::Client => Some(&self.freelancer_id),
            Side::Freelancer => Some(&self.client_id),
        }
    }

    /// One membership per member, both starting at the room's creation.
    pub fn memberships(&self) -> [Membership; 2] {
        let member = |user: &UserId, other: &UserId, side: Side| Membership {
            room_id: self.room_id.clone(),
            user_id: user.clone(),
            other_id: other.clone(),
            side,
            unread: 0,
            read_up_to: None,
            read_at: None,
            last_activity_at: self.last_activity_at,
        };
        [
            member(&self.client_id, &self.freelancer_id, Side::Client),
            member(&self.freelancer_id, &self.client_id, Side::Freelancer),
        ]
    }
}

/// One member's view of a room: what they have read and how much is waiting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    pub room_id: RoomId,
    pub user_id: UserId,
    pub other_id: UserId,
    pub side: Side,
    /// Messages from the other member after `read_up_to`.
    #[serde(default)]
    pub unread: u64,
    /// The member has read every message up to and including this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_up_to: Option<MessageId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_at: Option<DateTime<Utc>>,
    pub last_activity_at: DateTime<Utc>,
}

impl Membership {
    /// Whether this member has read `message` (their marker is at or after it).
    pub fn has_read(&self, message: &MessageId) -> bool {
        has_read(self.read_up_to.as_ref(), message)
    }
}

/// Message ids sort by time, so a marker covers every message whose id is not after it.
pub fn has_read(marker: Option<&MessageId>, message: &MessageId) -> bool {
    marker.is_some_and(|marker| marker >= message)
}

/// Where a read marker moves: forwards only. `None` when `target` is not after the marker.
pub fn advance_marker(current: Option<&MessageId>, target: &MessageId) -> Option<MessageId> {
    (!has_read(current, target)).then(|| target.clone())
}

/// The id of a room's next message: time-ordered, and always after the room's last message
/// (same millisecond or a clock behind: the last id plus one). The post is conditioned on the
/// last message it read, so ids grow in commit order and a new message always sorts above
/// every page already handed out.
pub fn next_message_id(now: DateTime<Utc>, last: Option<&MessageId>) -> MessageId {
    let fresh = MessageId::generate(now);
    match last {
        Some(last) if &fresh <= last => {
            let ulid = ulid::Ulid::from_string(&last.as_str()[4..].to_uppercase())
                .ok()
                .and_then(|u| u.increment())
                .expect("message ids are ULIDs below the maximum");
            MessageId::parse(&format!("msg_{}", ulid.to_string().to_lowercase()))
                .expect("a well-formed message id")
        }
        _ => fresh,
    }
}

/// One message: text and/or files, immutable once posted — except that an admin may remove
/// it on a report, which keeps its place in the room and drops what it said.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Message {
    pub id: MessageId,
    pub room_id: RoomId,
    pub sender_id: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default)]
    pub file_ids: Vec<FileId>,
    pub created_at: DateTime<Utc>,
    /// Removed by an admin: the text and files are gone for both members; a notice stands
    /// in its place (ids and read markers stay valid).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
}

impl Message {
    /// The message as it stays after an admin removed it: its place and sender, nothing of
    /// what it said.
    pub fn remove(&self) -> Message {
        Message {
            text: None,
            file_ids: Vec::new(),
            removed: true,
            ..self.clone()
        }
    }
}

/// `POST /v1/rooms/{id}/messages`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = text_or_files)]
pub struct MessageDraft {
    /// At most 10,000 characters; blank counts as absent, and it may be absent only when
    /// files are attached.
    #[serde(default)]
    #[schemars(transform = TEXT.schema())]
    pub text: Option<String>,
    /// The sender's own uploaded files of purpose `attachment` (at most 10).
    #[serde(default)]
    #[schemars(length(max = MAX_ATTACHMENTS), transform = unique_items)]
    pub file_ids: Vec<FileId>,
}

/// What `check` asks of a message: text that is not blank, at least one file, or both.
fn text_or_files(schema: &mut schemars::Schema) {
    let written = TextRule::new(1, MAX_TEXT_CHARS);
    schema.insert(
        "anyOf".into(),
        serde_json::json!([
            {"required": ["text"], "properties": {"text": {"type": "string", "pattern": written.pattern()}}},
            {"required": ["file_ids"], "properties": {"file_ids": {"minItems": 1}}},
        ]),
    );
}

impl MessageDraft {
    /// The message `sender` posts to `room` at `now` (files are checked by the store).
    pub fn check(
        &self,
        id: MessageId,
        room: &RoomId,
        sender: &UserId,
        now: DateTime<Utc>,
    ) -> Result<Message, Violations> {
        let mut violations = Violations::default();
        let text = self
            .text
            .as_deref()
            .map(|raw| TEXT.check(&mut violations, "text", raw))
            .filter(|text| !text.is_empty());
        if text.is_none() && self.file_ids.is_empty() {
            violations.push("text", "send text, files (`file_ids`), or both");
        }
        violations.check(
            self.file_ids.len() <= MAX_ATTACHMENTS,
            "file_ids",
            format!("at most {MAX_ATTACHMENTS} files per message"),
        );
        violations.into_result()?;
        Ok(Message {
            id,
            room_id: room.clone(),
            sender_id: sender.clone(),
            text,
            file_ids: self.file_ids.clone(),
            created_at: now,
            removed: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    #[test]
    fn the_room_id_schema_accepts_exactly_what_parse_accepts() {
        let schema = schemars::schema_for!(RoomId);
        let pattern = regex::Regex::new(schema.as_value()["pattern"].as_str().unwrap()).unwrap();
        let now = at("2026-12-07T10:00:00Z");
        for room in [
            RoomId::for_contract(&ContractId::generate(now)),
            RoomId::for_proposal(&ProposalId::generate(now)),
        ] {
            assert!(pattern.is_match(room.as_str()), "{room}");
        }
        for bad in [
            "",
            "room_",
            "room_usr_01jd5v3k8r9x2m4n6p7q8s9t0w",
            "ctr_01jd5v3k8r9x2m4n6p7q8s9t0w",
        ] {
            assert!(
                !pattern.is_match(bad) && RoomId::parse(bad).is_none(),
                "{bad}"
            );
        }
    }

    fn draft(text: Option<&str>, files: usize) -> MessageDraft {
        let now = at("2026-12-01T10:00:00Z");
        MessageDraft {
            text: text.map(str::to_string),
            file_ids: (0..files).map(|_| FileId::generate(now)).collect(),
        }
    }

    fn check(draft: &MessageDraft) -> Result<Message, Vec<String>> {
        let now = at("2026-12-01T10:00:00Z");
        let room = RoomId::for_proposal(&ProposalId::generate(now));
        draft
            .check(MessageId::generate(now), &room, &UserId::generate(now), now)
            .map_err(|v| v.0.into_iter().map(|v| v.field).collect())
    }

    #[test]
    fn room_ids_name_their_subject_and_reject_anything_else() {
        let now = at("2026-12-01T10:00:00Z");
        let proposal = ProposalId::generate(now);
        let contract = ContractId::generate(now);
        let a = RoomId::for_proposal(&proposal);
        let b = RoomId::for_contract(&contract);
        assert_eq!(a.as_str(), format!("room_{proposal}"));
        assert_eq!(RoomId::parse(a.as_str()), Some(a.clone()));
        assert_eq!(a.subject(), RoomSubject::Proposal(proposal.clone()));
        assert_eq!(b.subject(), RoomSubject::Contract(contract.clone()));
        assert_eq!(RoomId::for_proposal(&proposal), a, "deterministic");
        for bad in [
            proposal.as_str().to_string(),
            format!("room_{}", UserId::generate(now)),
            "room_".into(),
            "room_prp_nope".into(),
            String::new(),
        ] {
            assert_eq!(RoomId::parse(&bad), None, "{bad}");
        }
        assert!(serde_json::from_value::<RoomId>(serde_json::json!("room_x")).is_err());
    }

    #[test]
    fn members_are_exactly_the_two_parties() {
        let now = at("2026-12-01T10:00:00Z");
        let (client, freelancer, stranger) = (
            UserId::generate(now),
            UserId::generate(now),
            UserId::generate(now),
        );
        let room = Room::open(
            &RoomSubject::Contract(ContractId::generate(now)),
            &client,
            &freelancer,
            now,
        );
        assert_eq!(room.side_of(&client), Some(Side::Client));
        assert_eq!(room.other(&client), Some(&freelancer));
        assert_eq!(room.other(&freelancer), Some(&client));
        assert_eq!(room.side_of(&stranger), None);
        assert_eq!(room.other(&stranger), None);
        let [c, f] = room.memberships();
        assert_eq!(
            (c.user_id, c.other_id),
            (client.clone(), freelancer.clone())
        );
        assert_eq!((f.user_id, f.other_id), (freelancer, client));
        assert_eq!((c.unread, c.read_up_to), (0, None));
    }

    #[test]
    fn messages_need_text_or_files_within_bounds() {
        assert!(check(&draft(Some("hello"), 0)).is_ok());
        assert!(check(&draft(None, 1)).is_ok());
        assert_eq!(check(&draft(Some("  "), 1)).unwrap().text, None);
        assert_eq!(
            check(&draft(Some("  hi \n"), 0)).unwrap().text.as_deref(),
            Some("hi")
        );
        assert_eq!(check(&draft(None, 0)).unwrap_err(), ["text"]);
        assert_eq!(check(&draft(Some(" \n "), 0)).unwrap_err(), ["text"]);
        let long = "é".repeat(MAX_TEXT_CHARS);
        assert!(
            check(&draft(Some(&long), 0)).is_ok(),
            "characters, not bytes"
        );
        let too_long = "a".repeat(MAX_TEXT_CHARS + 1);
        assert_eq!(check(&draft(Some(&too_long), 0)).unwrap_err(), ["text"]);
        assert_eq!(check(&draft(Some("bell\u{7}"), 0)).unwrap_err(), ["text"]);
        assert_eq!(
            check(&draft(Some("x"), MAX_ATTACHMENTS + 1)).unwrap_err(),
            ["file_ids"]
        );
    }

    #[test]
    fn the_schema_states_the_text_and_file_bounds() {
        let schema = serde_json::to_value(schemars::schema_for!(MessageDraft)).unwrap();
        let properties = &schema["properties"];
        assert_eq!(
            properties["text"]["maxLength"],
            serde_json::json!(MAX_TEXT_CHARS)
        );
        assert_eq!(
            properties["text"]["pattern"],
            serde_json::json!(TEXT.pattern())
        );
        assert_eq!(
            properties["file_ids"]["maxItems"],
            serde_json::json!(MAX_ATTACHMENTS)
        );
        // Blank white space is no text; a control character in it is still refused.
        assert_eq!(check(&draft(Some("\u{b}"), 1)).unwrap_err(), ["text"]);
    }

    #[test]
    fn message_ids_always_follow_the_last_one() {
        let now = at("2026-12-01T10:00:00Z");
        let first = next_message_id(now, None);
        let second = next_message_id(now, Some(&first));
        assert!(second > first, "same millisecond");
        let behind = next_message_id(at("2026-12-01T09:00:00Z"), Some(&second));
        assert!(behind > second, "a clock behind");
        let later = next_message_id(at("2026-12-01T10:00:01Z"), Some(&behind));
        assert!(later > behind);
        assert!(later.as_str().starts_with("msg_"));
        assert_eq!(MessageId::parse(later.as_str()), Some(later.clone()));
    }

    #[test]
    fn read_markers_cover_earlier_messages_and_only_move_forwards() {
        let first = MessageId::generate(at("2026-12-01T10:00:00Z"));
        let second = MessageId::generate(at("2026-12-01T10:00:01Z"));
        assert!(!has_read(None, &first));
        assert!(has_read(Some(&first), &first));
        assert!(!has_read(Some(&first), &second));
        assert!(has_read(Some(&second), &first));
        assert_eq!(advance_marker(None, &first), Some(first.clone()));
        assert_eq!(advance_marker(Some(&first), &second), Some(second.clone()));
        assert_eq!(advance_marker(Some(&second), &first), None);
        assert_eq!(advance_marker(Some(&second), &second), None);
    }
}
