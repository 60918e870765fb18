//! File records in the table and their objects in the bucket. Objects are never proxied:
//! uploads and downloads go straight to S3 with short-lived presigned URLs, and the record
//! says who may ask for one.

use super::keys::{self, as_key};
use super::Label;
use super::{from_item, Cond, Store, StoreError, Tx, TxError};
use crate::domain::file::{FilePurpose, FileRecord, FileState, StoredObject, Unusable};
use crate::domain::ids::{FileId, UserId};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};
use chrono::{DateTime, Duration, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Long enough to upload 100 MB on a slow connection, short enough that a leaked URL dies soon.
pub const UPLOAD_URL_TTL: Duration = Duration::minutes(15);
/// Download links are handed out per request, so they can be short.
pub const DOWNLOAD_URL_TTL: Duration = Duration::minutes(5);

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FileItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    file: FileRecord,
    /// A DynamoDB string set, so sharing is an idempotent `ADD` inside other transactions.
    #[serde(
        default,
        with = "serde_dynamo::string_set",
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    readers: BTreeSet<UserId>,
}

impl FileItem {
    fn new(file: &FileRecord) -> Self {
        let (pk, sk) = keys::file(&file.id);
        Self {
            pk,
            sk,
            readers: file.readers.clone(),
            file: file.clone(),
        }
    }

    fn into_record(self) -> FileRecord {
        FileRecord {
            readers: self.readers,
            ..self.file
        }
    }
}

/// Some of the files given cannot be used there; every problem, per file.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("unusable files: {0:?}")]
    Unusable(Vec<(FileId, Unusable)>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The label of `share_file_op` in a transaction: its condition fails when the file is not
/// the given owner's or is not uploaded.
pub const SHARE_FILE_LABEL: Label = Label::ShareFile;
/// The label of the operations that publish a profile's files.
pub const PUBLISH_FILE_LABEL: Label = Label::PublishFile;

/// Lets `reader` download `owner`'s ready file, inside the caller's transaction (e.g. the
/// client of the job a proposal with this attachment goes to). Identity documents are never
/// shared, whatever the caller checked before.
pub fn share_file_op(tx: Tx, file: &FileId, owner: &UserId, reader: &UserId) -> Tx {
    tx.update(
        SHARE_FILE_LABEL,
        as_key(keys::file(file)),
        Cond::new("ADD #readers :reader")
            .name("#readers", "readers")
            .attribute_value(":reader", AttributeValue::Ss(vec![reader.to_string()])),
        Some(
            owned_and_ready(owner).and(
                Cond::new("#purpose <> :identity")
                    .name("#purpose", "purpose")
                    .value(":identity", FilePurpose::Identity),
            ),
        ),
    )
}

/// Takes back what `share_file_op` gave `reader` (the files of a message an admin removed).
/// The file must still be `owner`'s: attachments are never deleted, so a failure here means
/// the data changed under the request.
pub fn unshare_file_op(tx: Tx, file: &FileId, owner: &UserId, reader: &UserId) -> Tx {
    tx.update(
        SHARE_FILE_LABEL,
        as_key(keys::file(file)),
        Cond::new("DELETE #readers :reader")
            .name("#readers", "readers")
            .attribute_value(":reader", AttributeValue::Ss(vec![reader.to_string()])),
        Some(owned_by(owner)),
    )
}

/// Makes a ready file of `purpose` public (a portfolio item shown on a profile, an
/// attachment of a public job) or private again.
pub(crate) fn publish_file_op(
    tx: Tx,
    file: &FileId,
    owner: &UserId,
    public: bool,
    purpose: FilePurpose,
) -> Tx {
    let condition = if public {
        owned_and_ready(owner).and(
            Cond::new("#purpose = :purpose")
                .name("#purpose", "purpose")
                .value(":purpose", purpose),
        )
    } else {
        owned_by(owner)
    };
    tx.update(
        PUBLISH_FILE_LABEL,
        as_key(keys::file(file)),
        Cond::new("SET #public = :public")
            .name("#public", "public")
            .value(":public", public),
        Some(condition),
    )
}

fn owned_by(owner: &UserId) -> Cond {
    Cond::new("#owner = :owner")
        .name("#owner", "owner_id")
        .value(":owner", owner)
}

fn owned_and_ready(owner: &UserId) -> Cond {
    owned_by(owner).and(
        Cond::new("#state = :ready")
            .name("#state", "state")
            .value(":ready", FileState::Ready),
    )
}

impl Store {
    pub async fn create_file(&self, file: &FileRecord) -> Result<(), StoreError> {
        let tx = Tx::new().put(Label::File, &FileItem::new(file), Some(Cond::absent()));
        self.transact(tx).await.map_err(|err| match err {
            TxError::Store(err) => err,
            TxError::ConditionFailed { .. } => StoreError::Corrupt("fresh file id collided".into()),
        })
    }

    /// Many files in one round trip, in the order asked (`None` for unknown ids).
    pub async fn files(&self, ids: &[FileId]) -> Result<Vec<Option<FileRecord>>, StoreError> {
        let keys: Vec<_> = ids.iter().map(|id| as_key(keys::file(id))).collect();
        self.get_many(&keys)
            .await?
            .into_iter()
            .map(|item| {
                item.map(|item| from_item::<FileItem>(item).map(FileItem::into_record))
                    .transpose()
            })
            .collect()
    }

    pub async fn file(&self, id: &FileId) -> Result<Option<FileRecord>, StoreError> {
        Ok(self
            .get::<FileItem>(&as_key(keys::file(id)))
            .await?
            .map(FileItem::into_record))
    }

    /// Records that the object was uploaded as declared. `false` when it was already ready
    /// (a concurrent or repeated completion), which callers treat as success.
    pub async fn mark_file_ready(
        &self,
        file: &FileId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let tx = Tx::new().update(
            Label::File,
            as_key(keys::file(file)),
            Cond::new("SET #state = :ready, uploaded_at = :now")
                .value(":ready", FileState::Ready)
                .value(":now", now),
            Some(
                Cond::new("#state = :pending")
                    .name("#state", "state")
                    .value(":pending", FileState::Pending),
            ),
        );
        match self.transact(tx).await {
            Ok(()) => Ok(true),
            Err(TxError::ConditionFailed { .. }) => Ok(false),
            Err(TxError::Store(err)) => Err(err),
        }
    }

    /// The files `owner` wants to use where one of `purposes` fits, in the order given; every
    /// file that cannot be used is reported (unknown, someone else's, not uploaded, wrong
    /// purpose, listed twice). Callers that then grant access or publish the files do it with
    /// conditional operations in their own transaction, which closes the gap after this read.
    pub async fn usable_files(
        &self,
        owner: &UserId,
        ids: &[FileId],
        purposes: &[FilePurpose],
    ) -> Result<Vec<FileRecord>, FileError> {
        let mut problems = Vec::new();
        let mut seen = HashSet::new();
        let mut unique = Vec::with_capacity(ids.len());
        for id in ids {
            if seen.insert(id) {
                unique.push(id.clone());
            } else {
                problems.push((id.clone(), Unusable::Duplicate));
            }
        }
        let mut files = Vec::with_capacity(unique.len());
        let keys: Vec<_> = unique.iter().map(|id| as_key(keys::file(id))).collect();
        for (id, item) in unique.iter().zip(self.get_many(&keys).await?) {
            let Some(item) = item else {
                problems.push((id.clone(), Unusable::Unknown));
                continue;
            };
            let file = from_item::<FileItem>(item)?.into_record();
            match file.usable_by(owner, purposes) {
                Ok(()) => files.push(file),
                Err(why) => problems.push((id.clone(), why)),
            }
        }

        if problems.is_empty() {
            Ok(files)
        } else {
            Err(FileError::Unusable(problems))
        }
    }
}

/// A URL to send one request to S3 with, valid until `expires_at`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PresignedUrl {
    pub url: String,
    pub method: String,
    /// Headers the request must carry exactly as given (they are part of the signature).
    pub headers: BTreeMap<String, String>,
    pub expires_at: DateTime<Utc>,
}

/// The files bucket.
pub struct FileBlobs<'a> {
    s3: &'a aws_sdk_s3::Client,
    bucket: &'a str,
}

impl<'a> FileBlobs<'a> {
    pub fn new(s3: &'a aws_sdk_s3::Client, bucket: &'a str) -> Self {
        Self { s3, bucket }
    }

    /// A PUT URL signed for the declared content type and length, so storage refuses an
    /// upload that differs from the declaration.
    pub async fn presign_upload(
        &self,
        file: &FileRecord,
        now: DateTime<Utc>,
    ) -> Result<PresignedUrl, StoreError> {
        let request = self
            .s3
            .put_object()
            .bucket(self.bucket)
            .key(file.object_key())
            .content_type(&file.content_type)
            .content_length(file.size_bytes as i64)
            .presigned(presigning(now, UPLOAD_URL_TTL)?)
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(presigned_url(request, now + UPLOAD_URL_TTL))
    }

    /// A GET URL; images open inline, anything else downloads under its declared name, so a
    /// file never renders as a page of our origin.
    pub async fn presign_download(
        &self,
        file: &FileRecord,
        now: DateTime<Utc>,
    ) -> Result<PresignedUrl, StoreError> {
        let disposition = if file.is_image() {
            "inline"
        } else {
            "attachment"
        };
        let request = self
            .s3
            .get_object()
            .bucket(self.bucket)
            .key(file.object_key())
            .response_content_type(&file.content_type)
            .response_content_disposition(format!(
                "{disposition}; filename*=UTF-8''{}",
                percent_encoding::utf8_percent_encode(&file.file_name, FILE_NAME_ESCAPES)
            ))
            .presigned(presigning(now, DOWNLOAD_URL_TTL)?)
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(presigned_url(request, now + DOWNLOAD_URL_TTL))
    }

    /// Size and type of the uploaded object; `None` while nothing was uploaded.
    pub async fn head(&self, file: &FileRecord) -> Result<Option<StoredObject>, StoreError> {
        match self
            .s3
            .head_object()
            .bucket(self.bucket)
            .key(file.object_key())
            .send()
            .await
        {
            Ok(head) => Ok(Some(StoredObject {
                size_bytes: head.content_length.unwrap_or(0).max(0) as u64,
                content_type: head.content_type,
            })),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(None),
            Err(err) => Err(StoreError::from_sdk(err)),
        }
    }

    pub async fn delete(&self, file: &FileRecord) -> Result<(), StoreError> {
        self.s3
            .delete_object()
            .bucket(self.bucket)
            .key(file.object_key())
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }
}

/// RFC 5987 `filename*` keeps letters, digits and `.-_` as they are and escapes the rest.
const FILE_NAME_ESCAPES: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'_');

/// Signed as of the request's time (not the wall clock), like everything below the edge.
fn presigning(now: DateTime<Utc>, ttl: Duration) -> Result<PresigningConfig, StoreError> {
    PresigningConfig::builder()
        .start_time(now.into())
        .expires_in(ttl.to_std().expect("positive duration"))
        .build()
        .map_err(|err| StoreError::Unavailable(format!("presigning: {err}")))
}

fn presigned_url(request: PresignedRequest, expires_at: DateTime<Utc>) -> PresignedUrl {
    PresignedUrl {
        url: request.uri().to_string(),
        method: request.method().to_string(),
        headers: request
            .headers()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect(),
        expires_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::file::FileDeclaration;

    #[test]
    fn readers_are_stored_as_a_string_set_and_read_back() {
        let now = Utc::now();
        let declared = FileDeclaration {
            purpose: FilePurpose::Attachment,
            content_type: "application/pdf".into(),
            size_bytes: 10,
            file_name: "brief.pdf".into(),
        }
        .check()
        .unwrap();
        let mut file =
            FileRecord::declare(FileId::generate(now), UserId::generate(now), declared, now);
        let item = super::super::to_item(&FileItem::new(&file));
        assert!(!item.contains_key("readers"), "an empty set is left out");
        let reader = UserId::generate(now);
        file.readers.insert(reader.clone());
        let item = super::super::to_item(&FileItem::new(&file));
        assert_eq!(
            item["readers"],
            AttributeValue::Ss(vec![reader.to_string()])
        );
        assert_eq!(item["state"], AttributeValue::S("pending".into()));
        let back = from_item::<FileItem>(item).unwrap().into_record();
        assert_eq!(back, file);
    }
}
