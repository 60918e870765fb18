//! Message rooms (PRODUCT §12.1): the caller's rooms, posting and reading messages with
//! attachments, and read receipts. Only the room's two members see anything of it; to
//! everyone else a room does not exist (404).

use chrono::{DateTime, Utc};
use http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use worklane::domain::file::{FilePurpose, FileRecord};
use worklane::domain::ids::{FileId, MessageId, UserId};
use worklane::domain::messaging::{
    advance_marker, has_read, next_message_id, Membership, Message, MessageDraft, Room, RoomId,
    RoomSubject,
};
use worklane::domain::offer::Side;
use worklane::handler;
use worklane::http::auth::Caller;
use worklane::http::cursor::Page;
use worklane::http::handler::retry_stale;
use worklane::http::query::{QueryParam, CURSOR};
use worklane::http::router::{bearer_routes, schema_of, Route};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::store::files::{FileBlobs, SHARE_FILE_LABEL};
use worklane::store::messages::{post_message_tx, read_tx, RoomHeader};
use worklane::store::TxError;
use worklane::store::{Label, WriteConflict};
use worklane::App;

const ROOMS_PAGE: QueryParam = QueryParam::limit(20, 100);
const MESSAGES_PAGE: QueryParam = QueryParam::limit(30, 100);

pub fn routes() -> Vec<Route> {
    let route = bearer_routes("messages");
    vec![
        route(Method::GET, "/v1/rooms", "listRooms",
            "The caller's rooms (one per proposal and per contract they are a party to), most recent activity first, with unread counts",
            None, Some(schema_of::<Page<RoomView>>), 200, handler!(list_rooms))
            .with_query(&[ROOMS_PAGE, CURSOR]),
        route(Method::POST, "/v1/rooms/{id}/messages", "postMessage",
            "Members: post text (1-10,000 characters) and/or attachments (your own uploaded `attachment` files, shared with the other member)",
            Some(schema_of::<MessageDraft>), Some(schema_of::<MessageView>), 201, handler!(post_message))
            .limited(worklane::domain::rate_limit::Action::PostMessage),
        route(Method::GET, "/v1/rooms/{id}/messages", "listMessages",
            "Members: the room's messages, newest first; the cursor is a position, so new messages never shift a page",
            None, Some(schema_of::<Page<MessageView>>), 200, handler!(list_messages))
            .with_query(&[MESSAGES_PAGE, CURSOR]),
        route(Method::POST, "/v1/rooms/{id}/read", "markRoomRead",
            "Members: move your read marker to `up_to` (a message id; empty body: the latest message) and recount your unread messages",
            Some(schema_of::<ReadRequest>), Some(schema_of::<RoomView>), 200, handler!(mark_read))
            .with_optional_body(),
    ]
}

/// A room as one of its members sees it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RoomView {
    pub id: RoomId,
    /// `proposal | contract`.
    pub subject_type: &'static str,
    /// The proposal or contract the room is about.
    pub subject_id: String,
    /// The caller's side in the deal.
    pub side: Side,
    /// The other member.
    pub other_member_id: UserId,
    /// Messages from the other member the caller has not read.
    pub unread: u64,
    /// The caller has read every message up to this one.
    pub read_up_to: Option<MessageId>,
    /// The other member has read every message up to this one.
    pub other_read_up_to: Option<MessageId>,
    pub last_activity_at: DateTime<Utc>,
}

impl RoomView {
    fn new(mine: &Membership, other_read_up_to: Option<MessageId>) -> Self {
        let subject = mine.room_id.subject();
        Self {
            id: mine.room_id.clone(),
            subject_type: subject.kind(),
            subject_id: subject.as_str().to_string(),
            side: mine.side,
            other_member_id: mine.other_id.clone(),
            unread: mine.unread,
            read_up_to: mine.read_up_to.clone(),
            other_read_up_to,
            last_activity_at: mine.last_activity_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Attachment {
    pub file_id: FileId,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: u64,
    /// A presigned GET, valid until `url_expires_at`.
    pub url: String,
    pub url_expires_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct MessageView {
    pub id: MessageId,
    pub room_id: RoomId,
    pub sender_id: UserId,
    pub text: Option<String>,
    pub attachments: Vec<Attachment>,
    pub created_at: DateTime<Utc>,
    /// The other member's read marker is at or after this message (always true for the
    /// messages the other member wrote: posting reads the room).
    pub read_by_other: bool,
    /// An admin removed it on a report: `text` and `attachments` are gone for both members,
    /// and `notice` says so in their place.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<&'static str>,
}

/// What stands in place of a removed message.
pub const REMOVED_NOTICE: &str =
    "This message was removed because it violated Worklane's Terms of Service.";

/// `POST /v1/rooms/{id}/read`; an empty body (or no `up_to`) means the latest message.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadRequest {
    /// A message of this room (its id); absent: the latest.
    #[serde(default)]
    pub up_to: Option<MessageId>,
}

fn room_id(req: &ApiRequest) -> Result<RoomId, ApiError> {
    RoomId::parse(req.path_param("id")?).ok_or(ApiError::NotFound("room"))
}

/// The room and the caller's membership, or 404 for anyone who is not a member. A room that
/// is not open yet (its event not yet delivered, or a deal older than rooms) is opened here
/// from its subject — the same idempotent write the `message-rooms` worker makes — but only
/// for one of the subject's parties.
async fn member_view(
    app: &App,
    room: &RoomId,
    caller: &Caller,
) -> Result<(RoomHeader, Membership, Membership), ApiError> {
    let header = match app.store.room_header(room).await? {
        Some(header) => header,
        None => {
            let opened = match room.subject() {
                RoomSubject::Proposal(id) => app.store.proposal(&id).await?.map(|p| {
                    Room::open(
                        &RoomSubject::Proposal(id),
                        &p.client_id,
                        &p.freelancer_id,
                        p.created_at,
                    )
                }),
                RoomSubject::Contract(id) => app.store.contract(&id).await?.map(|c| {
                    Room::open(
                        &RoomSubject::Contract(id),
                        &c.parties.client_id,
                        &c.parties.freelancer_id,
                        c.started_at,
                    )
                }),
            };
            let Some(opened) = opened.filter(|r| r.side_of(&caller.user_id).is_some()) else {
                return Err(ApiError::NotFound("room"));
            };
            app.store.open_room(&opened).await?;
            app.store
                .room_header(room)
                .await?
                .ok_or_else(|| ApiError::Internal(format!("{room} did not open")))?
        }
    };
    let mine = header.member(&caller.user_id).cloned();
    let other = header
        .room
        .other(&caller.user_id)
        .and_then(|other| header.member(other))
        .cloned();
    match (mine, other) {
        (Some(mine), Some(other)) => Ok((header, mine, other)),
        _ => Err(ApiError::NotFound("room")),
    }
}

/// Download links for the attachments of `messages`, in one BatchGetItem.
async fn attachment_urls(
    app: &App,
    messages: &[&Message],
    now: DateTime<Utc>,
) -> Result<HashMap<FileId, Attachment>, ApiError> {
    let ids: Vec<FileId> = messages
        .iter()
        .flat_map(|m| m.file_ids.iter().cloned())
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let files = app.store.files(&ids).await?;
    attachments_of(app, files.into_iter().flatten(), now).await
}

async fn attachments_of(
    app: &App,
    files: impl IntoIterator<Item = FileRecord>,
    now: DateTime<Utc>,
) -> Result<HashMap<FileId, Attachment>, ApiError> {
    let blobs = FileBlobs::new(app.s3(), app.bucket()?);
    let mut found = HashMap::new();
    for file in files {
        let url = blobs.presign_download(&file, now).await?;
        found.insert(
            file.id.clone(),
            Attachment {
                file_id: file.id.clone(),
                file_name: file.file_name.clone(),
                content_type: file.content_type.clone(),
                size_bytes: file.size_bytes,
                url: url.url,
                url_expires_at: url.expires_at,
            },
        );
    }
    Ok(found)
}

fn message_view(
    message: Message,
    other: &Membership,
    urls: &mut HashMap<FileId, Attachment>,
) -> MessageView {
    MessageView {
        read_by_other: message.sender_id == other.user_id
            || has_read(other.read_up_to.as_ref(), &message.id),
        attachments: message
            .file_ids
            .iter()
            .filter_map(|id| urls.remove(id))
            .collect(),
        id: message.id,
        room_id: message.room_id,
        sender_id: message.sender_id,
        text: message.text,
        created_at: message.created_at,
        removed: message.removed,
        notice: message.removed.then_some(REMOVED_NOTICE),
    }
}

pub async fn list_rooms(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    let limit = ROOMS_PAGE.page_size(&req)?;
    let scope = format!("rooms:{}", caller.user_id);
    let start = app.cursors()?.start_key(&scope, &req)?;
    let (rooms, next) = app.store.rooms_of(&caller.user_id, limit, start).await?;
    Ok(ApiResponse::ok(&Page {
        // The list carries the caller's own markers; the other's is in the room's messages.
        items: rooms.iter().map(|m| RoomView::new(m, None)).collect(),
        next_cursor: app.cursors()?.next(&scope, next.as_ref()),
    }))
}

pub async fn post_message(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    caller.require_confirmed()?;
    let room = room_id(&req)?;
    member_view(app, &room, &caller).await?;
    let draft: MessageDraft = req.json()?;
    // Checked once with a provisional id; the id itself is chosen against the room below.
    draft.check(
        MessageId::generate(req.now),
        &room,
        &caller.user_id,
        req.now,
    )?;
    let files = app
        .store
        .usable_files(&caller.user_id, &draft.file_ids, &[FilePurpose::Attachment])
        .await
        .map_err(|err| {
            let index: HashMap<&FileId, usize> = draft
                .file_ids
                .iter()
                .enumerate()
                .map(|(i, f)| (f, i))
                .collect();
            err.into_api_with(|file| match index.get(file) {
                Some(i) => format!("file_ids[{i}]"),
                None => "file_ids".into(),
            })
        })?;
    let attachments = attachments_of(app, files, req.now).await?;
    retry_stale(|| async {
        let (header, _, other) = member_view(app, &room, &caller).await?;
        let id = next_message_id(req.now, header.room.last_message_id.as_ref());
        let message = draft.check(id, &room, &caller.user_id, req.now)?;
        let mut urls: HashMap<FileId, Attachment> = attachments
            .iter()
            .map(|(id, a)| (id.clone(), a.clone()))
            .collect();
        let answer = message_view(message.clone(), &other, &mut urls);
        let response = ApiResponse::created(&answer);
        let tx = post_message_tx(&header.room, &message, &other.user_id);
        match app
            .store
            .transact(req.record_response_in(tx, &response))
            .await
        {
            Ok(()) => {
                req.response_recorded();
                Ok(Some(response))
            }
            Err(TxError::ConditionFailed { label, .. }) => match label {
                // Another message landed first: take the next id.
                Label::Room | Label::Message => Ok(None),
                SHARE_FILE_LABEL => Err(WriteConflict::FileUnavailable.into()),
                Label::Idempotency => Err(WriteConflict::RequestInFlight.into()),
                other => Err(WriteConflict::Unforeseen(other).into()),
            },
            Err(TxError::Store(err)) => Err(err.into()),
        }
    })
    .await
}

pub async fn list_messages(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    let room = room_id(&req)?;
    let limit = MESSAGES_PAGE.page_size(&req)?;
    let (_, _, other) = member_view(app, &room, &caller).await?;
    // The cursor is the last message of the previous page, bound to this room and caller.
    let scope = format!("messages:{room}:{}", caller.user_id);
    let cursors = app.cursors()?;
    let before = match req.query_param("cursor").filter(|c| !c.is_empty()) {
        Some(cursor) => Some(cursors.decode::<MessageId>(&scope, cursor)?),
        None => None,
    };
    let (messages, more) = app
        .store
        .messages_before(&room, before.as_ref(), limit)
        .await?;
    let next_cursor = more
        .then(|| messages.last())
        .flatten()
        .map(|last| cursors.encode(&scope, &last.id));
    let mut urls = attachment_urls(app, &messages.iter().collect::<Vec<_>>(), req.now).await?;
    Ok(ApiResponse::ok(&Page {
        items: messages
            .into_iter()
            .map(|m| message_view(m, &other, &mut urls))
            .collect(),
        next_cursor,
    }))
}

pub async fn mark_read(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    let room = room_id(&req)?;
    let body: ReadRequest = req.json_or_default()?;
    let asked = body.up_to;
    retry_stale(|| async {
        let (header, mine, other) = member_view(app, &room, &caller).await?;
        let target = match &asked {
            Some(id) => {
                if app.store.message(&room, id).await?.is_none() {
                    return Err(ApiError::missing_reference(
                        "message_not_found",
                        "up_to",
                        "not a message of this room",
                    ));
                }
                Some(id.clone())
            }
            None => header.room.last_message_id.clone(),
        };
        let Some(target) = target.and_then(|t| advance_marker(mine.read_up_to.as_ref(), &t)) else {
            // Nothing new to mark: the marker only moves forwards.
            return Ok(Some(ApiResponse::ok(&RoomView::new(
                &mine,
                other.read_up_to.clone(),
            ))));
        };
        let unread = if Some(&target) == header.room.last_message_id.as_ref() {
            0
        } else {
            app.store
                .messages_after_from(&room, &target, &other.user_id)
                .await?
        };
        match app
            .store
            .transact(read_tx(&header.room, &mine, &target, unread, req.now))
            .await
        {
            Ok(()) => {
                let after = Membership {
                    unread,
                    read_up_to: Some(target),
                    read_at: Some(req.now),
                    ..mine
                };
                Ok(Some(ApiResponse::ok(&RoomView::new(
                    &after,
                    other.read_up_to.clone(),
                ))))
            }
            // A message arrived or the marker moved meanwhile: count again.
            Err(TxError::ConditionFailed { .. }) => Ok(None),
            Err(TxError::Store(err)) => Err(err.into()),
        }
    })
    .await
}
