//! Uploaded files (portfolio images, attachments, deliverables, screenshots, ID documents).
//!
//! A file is declared first (purpose, type, size, name), uploaded straight to storage with a
//! presigned URL, then confirmed: only a confirmed (`ready`) file whose stored object matched
//! the declaration can be attached to anything. The declaration is what keeps a screenshot
//! slot from holding a 100 MB archive, so every rule lives here, per purpose.

use super::billing::pattern;
use super::ids::{FileId, UserId};
use super::rules::TextRule;
use super::Violations;
use chrono::{DateTime, Utc};
use schemars::{JsonSchema, Schema};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FilePurpose {
    Portfolio,
    Attachment,
    Deliverable,
    Screenshot,
    Identity,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileState {
    /// Declared; the object may or may not have been uploaded yet.
    Pending,
    /// The object exists and matched the declaration.
    Ready,
}

const MB: u64 = 1024 * 1024;
/// The largest file of any purpose (attachments and deliverables).
pub const MAX_FILE_BYTES: u64 = 100 * MB;
/// A file holds at least one byte.
pub const MIN_FILE_BYTES: u64 = 1;
/// The name shown to downloaders; besides the text rule, it may hold none of these (it ends
/// up in a `Content-Disposition` header).
pub const FILE_NAME: TextRule = TextRule::new(1, 200);
pub const FILE_NAME_FORBIDDEN: [char; 5] = ['/', '\\', '"', '\n', '\r'];

const IMAGES: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp"];
const PDF: &str = "application/pdf";
/// What people exchange on a job: documents, spreadsheets, slides, text, archives, media.
const WORK_FILES: &[&str] = &[
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/svg+xml",
    "text/plain",
    "text/csv",
    "text/markdown",
    "application/json",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/zip",
    "application/gzip",
    "application/x-tar",
    "application/x-7z-compressed",
    "audio/mpeg",
    "video/mp4",
];

impl FilePurpose {
    /// Content types accepted for this purpose (lowercase, without parameters).
    pub fn allowed_content_types(self) -> Vec<&'static str> {
        match self {
            FilePurpose::Portfolio => [IMAGES, &[PDF]].concat(),
            FilePurpose::Screenshot => vec!["image/png", "image/jpeg"],
            FilePurpose::Identity => vec!["image/jpeg", "image/png", PDF],
            FilePurpose::Attachment | FilePurpose::Deliverable => WORK_FILES.to_vec(),
        }
    }

    /// The largest object accepted for this purpose, in bytes.
    pub fn max_bytes(self) -> u64 {
        match self {
            FilePurpose::Portfolio | FilePurpose::Identity => 10 * MB,
            FilePurpose::Screenshot => 2 * MB,
            FilePurpose::Attachment | FilePurpose::Deliverable => MAX_FILE_BYTES,
        }
    }

    pub const ALL: [FilePurpose; 5] = [
        FilePurpose::Portfolio,
        FilePurpose::Attachment,
        FilePurpose::Deliverable,
        FilePurpose::Screenshot,
        FilePurpose::Identity,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FilePurpose::Portfolio => "portfolio",
            FilePurpose::Attachment => "attachment",
            FilePurpose::Deliverable => "deliverable",
            FilePurpose::Screenshot => "screenshot",
            FilePurpose::Identity => "identity",
        }
    }
}

/// What the uploader says the file will be; the upload URL is signed for exactly this.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = per_purpose_schema)]
pub struct FileDeclaration {
    pub purpose: FilePurpose,
    /// MIME type, e.g. `image/png`, one the purpose accepts (portfolio: images and PDF;
    /// screenshot: PNG and JPEG; identity: JPEG, PNG and PDF; attachment and deliverable:
    /// all of these). The upload must send the same `Content-Type`.
    #[schemars(transform = content_type_schema)]
    pub content_type: String,
    /// Exact size in bytes, at most what the purpose accepts (screenshot 2 MB, portfolio and
    /// identity 10 MB, attachment and deliverable 100 MB); the upload must send the same
    /// `Content-Length`.
    #[schemars(range(min = MIN_FILE_BYTES, max = MAX_FILE_BYTES))]
    pub size_bytes: u64,
    /// The name shown to people who download it (no folders).
    #[schemars(transform = file_name_schema)]
    pub file_name: String,
}

/// Every content type some purpose accepts, spelled as they are signed (lower case, no
/// parameters): `check` takes exactly these spellings, as the document lists them.
fn content_type_schema(schema: &mut Schema) {
    let mut types: Vec<&str> = Vec::new();
    for purpose in FilePurpose::ALL {
        for t in purpose.allowed_content_types() {
            if !types.contains(&t) {
                types.push(t);
            }
        }
    }
    schema.insert("enum".into(), json!(types));
    schema.insert("examples".into(), json!(["application/pdf"]));
}

/// Each purpose's content types and largest size, as `if purpose = … then …` clauses: the
/// same `allowed_content_types` and `max_bytes` that `check` applies.
fn per_purpose_schema(schema: &mut Schema) {
    let clauses: Vec<_> = FilePurpose::ALL
        .iter()
        .map(|purpose| {
            json!({
                "if": {
                    "properties": {"purpose": {"const": purpose.as_str()}},
                    "required": ["purpose"],
                },
                "then": {
                    "properties": {
                        "content_type": {"enum": purpose.allowed_content_types()},
                        "size_bytes": {"maximum": purpose.max_bytes()},
                    },
                },
            })
        })
        .collect();
    schema.insert("allOf".into(), json!(clauses));
}

/// `FILE_NAME`'s text rule without the forbidden characters inside the trimmed name (line
/// breaks may only be trimmed white space around it).
pub fn file_name_pattern() -> String {
    let space = pattern::TEXT_SPACE;
    let ink = pattern::ink_except("/\\\\\"");
    // Inside: any text character but the forbidden ones (tabs and spaces are fine).
    let inner = "[^\\x00-\\x08\\x0A-\\x1F\\x7F-\\x9F/\\\\\"]";
    format!("^{space}*{ink}(?:{inner}*{ink})?{space}*$")
}

fn file_name_schema(schema: &mut Schema) {
    FILE_NAME.schema()(schema);
    schema.insert("pattern".into(), json!(file_name_pattern()));
    schema.insert("examples".into(), json!(["brief.pdf"]));
}

/// A declaration that passed every rule, normalized.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedDeclaration {
    pub purpose: FilePurpose,
    pub content_type: String,
    pub size_bytes: u64,
    pub file_name: String,
}

/// `Type/Subtype; params` → `type/subtype`: parameters (charset) do not change what a file is,
/// and one canonical spelling is what gets signed into the upload URL.
pub fn content_type_essence(raw: &str) -> String {
    raw.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

impl FileDeclaration {
    pub fn check(&self) -> Result<CheckedDeclaration, Violations> {
        let mut violations = Violations::default();
        let content_type = self.content_type.clone();
        let allowed = self.purpose.allowed_content_types();
        violations.check(
            allowed.contains(&content_type.as_str()),
            "content_type",
            format!(
                "{} files must be one of: {}",
                self.purpose.as_str(),
                allowed.join(", ")
            ),
        );
        let max = self.purpose.max_bytes();
        violations.check(
            (MIN_FILE_BYTES..=max).contains(&self.size_bytes),
            "size_bytes",
            format!(
                "{} files must be between 1 byte and {} MB",
                self.purpose.as_str(),
                max / MB
            ),
        );
        let file_name = FILE_NAME.check(&mut violations, "file_name", &self.file_name);
        // The name ends up in a Content-Disposition header: no paths, quotes or line breaks.
        violations.check(
            !file_name.contains(FILE_NAME_FORBIDDEN),
            "file_name",
            "must not contain slashes, quotes or line breaks",
        );
        violations.into_result()?;
        Ok(CheckedDeclaration {
            purpose: self.purpose,
            content_type,
            size_bytes: self.size_bytes,
            file_name,
        })
    }
}

/// A declared file and who may read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileRecord {
    pub id: FileId,
    pub owner_id: UserId,
    pub purpose: FilePurpose,
    pub content_type: String,
    pub size_bytes: u64,
    pub file_name: String,
    pub state: FileState,
    /// Anyone may download it (portfolio files shown on a public profile).
    #[serde(default)]
    pub public: bool,
    /// Besides the owner, who may download it (e.g. the client of a job a proposal with
    /// this attachment was sent to). Stored as a string set by the store, hence skipped here.
    #[serde(skip)]
    pub readers: BTreeSet<UserId>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uploaded_at: Option<DateTime<Utc>>,
}

/// What storage says about an uploaded object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredObject {
    pub size_bytes: u64,
    pub content_type: Option<String>,
}

/// Why a file cannot be used where it was given.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unusable {
    #[error("no such file")]
    Unknown,
    #[error("the file belongs to someone else")]
    NotYours,
    #[error("the file has not been uploaded yet (upload it, then POST /v1/files/{{id}}/complete)")]
    NotUploaded,
    #[error("{actual} files cannot be used here (expected: {expected})")]
    WrongPurpose {
        actual: &'static str,
        expected: String,
    },
    #[error("the file is listed twice")]
    Duplicate,
}

/// Why a completed upload does not count.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UploadMismatch {
    #[error("nothing has been uploaded for this file yet: PUT the bytes to the upload URL first")]
    NothingUploaded,
    #[error("the uploaded object has {actual} bytes, but {declared} were declared")]
    Size { declared: u64, actual: u64 },
    #[error("the uploaded object is {actual:?}, but {declared} was declared")]
    ContentType {
        declared: String,
        actual: Option<String>,
    },
}

impl FileRecord {
    pub fn declare(
        id: FileId,
        owner_id: UserId,
        declaration: CheckedDeclaration,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            owner_id,
            purpose: declaration.purpose,
            content_type: declaration.content_type,
            size_bytes: declaration.size_bytes,
            file_name: declaration.file_name,
            state: FileState::Pending,
            public: false,
            readers: BTreeSet::new(),
            created_at: now,
            uploaded_at: None,
        }
    }

    /// The storage key: under the owner's prefix, so a key names whose file it is.
    pub fn object_key(&self) -> String {
        format!("files/{}/{}", self.owner_id, self.id)
    }

    pub fn is_image(&self) -> bool {
        self.content_type.starts_with("image/")
    }

    /// Who may see the file's metadata and download it; `None` is an anonymous caller.
    /// Identity documents are their owner's alone whatever the record says (admins review
    /// them through the identity routes): no share or publish can ever expose an ID.
    pub fn may_read(&self, caller: Option<&UserId>) -> bool {
        let owner = caller.is_some_and(|user| *user == self.owner_id);
        if self.purpose == FilePurpose::Identity {
            return owner;
        }
        owner || self.public || caller.is_some_and(|user| self.readers.contains(user))
    }

    /// The stored object must be what was declared: the URL was signed for that type and size,
    /// and this second check holds even where storage does not enforce the signature.
    pub fn check_upload(&self, object: &StoredObject) -> Result<(), UploadMismatch> {
        if object.size_bytes != self.size_bytes {
            return Err(UploadMismatch::Size {
                declared: self.size_bytes,
                actual: object.size_bytes,
            });
        }
        let actual = object.content_type.as_deref().map(content_type_essence);
        if actual.as_deref() != Some(self.content_type.as_str()) {
            return Err(UploadMismatch::ContentType {
                declared: self.content_type.clone(),
                actual,
            });
        }
        Ok(())
    }

    pub fn mark_ready(self, now: DateTime<Utc>) -> Self {
        Self {
            state: FileState::Ready,
            uploaded_at: Some(now),
            ..self
        }
    }

    /// Whether `owner` may attach this file where one of `purposes` is expected.
    pub fn usable_by(&self, owner: &UserId, purposes: &[FilePurpose]) -> Result<(), Unusable> {
        if self.owner_id != *owner {
            return Err(Unusable::NotYours);
        }
        if !purposes.contains(&self.purpose) {
            return Err(Unusable::WrongPurpose {
                actual: self.purpose.as_str(),
                expected: purposes
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(" or "),
            });
        }
        if self.state != FileState::Ready {
            return Err(Unusable::NotUploaded);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declaration(purpose: FilePurpose, content_type: &str, size: u64) -> FileDeclaration {
        FileDeclaration {
            purpose,
            content_type: content_type.into(),
            size_bytes: size,
            file_name: "shot.png".into(),
        }
    }

    fn fields(violations: Violations) -> Vec<String> {
        violations.0.into_iter().map(|v| v.field).collect()
    }

    #[test]
    fn content_types_and_sizes_are_checked_per_purpose() {
        let ok = declaration(FilePurpose::Screenshot, "image/png", 2 * MB)
            .check()
            .unwrap();
        assert_eq!(ok.content_type, "image/png");
        // The document lists the spellings that are signed; no other is taken.
        for other in ["Image/PNG", "image/png; charset=binary", " image/png"] {
            let refused = declaration(FilePurpose::Screenshot, other, 10).check();
            assert_eq!(fields(refused.unwrap_err()), ["content_type"], "{other}");
        }
        let too_big = declaration(FilePurpose::Screenshot, "image/png", 2 * MB + 1).check();
        assert_eq!(fields(too_big.unwrap_err()), ["size_bytes"]);
        let pdf_screenshot = declaration(FilePurpose::Screenshot, "application/pdf", 10).check();
        assert_eq!(fields(pdf_screenshot.unwrap_err()), ["content_type"]);
        assert!(
            declaration(FilePurpose::Attachment, "application/zip", 100 * MB)
                .check()
                .is_ok()
        );
        assert!(declaration(FilePurpose::Portfolio, "text/html", 10)
            .check()
            .is_err());
        assert!(declaration(FilePurpose::Identity, "application/pdf", 0)
            .check()
            .is_err());
    }

    #[test]
    fn every_violation_is_reported_and_names_cannot_be_paths() {
        let mut bad = declaration(FilePurpose::Identity, "application/x-msdownload", 11 * MB);
        bad.file_name = "../../etc/passwd".into();
        assert_eq!(
            fields(bad.check().unwrap_err()),
            ["content_type", "size_bytes", "file_name"]
        );
        let mut empty = declaration(FilePurpose::Portfolio, "image/png", 5);
        empty.file_name = "  ".into();
        assert_eq!(fields(empty.check().unwrap_err()), ["file_name"]);
    }

    #[test]
    fn the_file_name_pattern_is_what_the_check_accepts() {
        let long = "a".repeat(FILE_NAME.max);
        let too_long = format!("{long}b");
        for name in [
            "shot.png",
            " shot.png\n",
            "\r\nshot.png",
            "my shot (1).png",
            "a\tb.txt",
            "a",
            "caf\u{e9}\u{2028}x.txt",
            "a/b.png",
            "a\\b.png",
            "say \"hi\".txt",
            "a\nb.txt",
            "a\rb.txt",
            "a\u{0}b.txt",
            "a\u{85}b.txt",
            "",
            "   ",
            long.as_str(),
            too_long.as_str(),
        ] {
            let mut d = declaration(FilePurpose::Attachment, "text/plain", 10);
            d.file_name = name.into();
            let accepted = d.check().is_ok();
            let schema_allows = regex::Regex::new(&file_name_pattern())
                .unwrap()
                .is_match(name)
                && name.chars().count() <= FILE_NAME.max;
            assert_eq!(schema_allows, accepted, "{name:?}");
        }
    }

    #[test]
    fn the_schema_lists_every_content_type_and_the_largest_size() {
        let schema = serde_json::to_value(schemars::schema_for!(FileDeclaration)).unwrap();
        let properties = &schema["properties"];
        let listed: Vec<&str> = properties["content_type"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        for purpose in FilePurpose::ALL {
            for t in purpose.allowed_content_types() {
                assert!(listed.contains(&t), "{t}");
            }
            assert!(purpose.max_bytes() <= MAX_FILE_BYTES);
        }
        for t in &listed {
            assert!(
                FilePurpose::ALL
                    .iter()
                    .any(|p| declaration(*p, t, MIN_FILE_BYTES).check().is_ok()),
                "{t}"
            );
        }
        assert_eq!(
            properties["size_bytes"]["minimum"],
            serde_json::json!(MIN_FILE_BYTES)
        );
        assert_eq!(
            properties["size_bytes"]["maximum"],
            serde_json::json!(MAX_FILE_BYTES)
        );
        assert!(
            declaration(FilePurpose::Attachment, "text/plain", MAX_FILE_BYTES + 1)
                .check()
                .is_err()
        );
    }

    fn file(now: DateTime<Utc>) -> FileRecord {
        let checked = declaration(FilePurpose::Portfolio, "image/png", 42)
            .check()
            .unwrap();
        FileRecord::declare(FileId::generate(now), UserId::generate(now), checked, now)
    }

    #[test]
    fn only_entitled_callers_may_read() {
        let now = Utc::now();
        let mut file = file(now);
        let stranger = UserId::generate(now);
        assert!(file.may_read(Some(&file.owner_id.clone())));
        assert!(!file.may_read(Some(&stranger)));
        assert!(!file.may_read(None));
        file.readers.insert(stranger.clone());
        assert!(file.may_read(Some(&stranger)));
        assert!(!file.may_read(None));
        file.public = true;
        assert!(file.may_read(None));
        file.purpose = FilePurpose::Identity;
        assert!(!file.may_read(None), "an ID is never public");
        assert!(!file.may_read(Some(&stranger)), "nor shared");
        assert!(file.may_read(Some(&file.owner_id.clone())));
        assert!(file
            .object_key()
            .starts_with(&format!("files/{}/", file.owner_id)));
    }

    #[test]
    fn uploads_must_match_the_declaration() {
        let file = file(Utc::now());
        let object = |size, ct: Option<&str>| StoredObject {
            size_bytes: size,
            content_type: ct.map(str::to_string),
        };
        assert!(file.check_upload(&object(42, Some("image/png"))).is_ok());
        assert_eq!(
            file.check_upload(&object(41, Some("image/png"))),
            Err(UploadMismatch::Size {
                declared: 42,
                actual: 41
            })
        );
        assert!(matches!(
            file.check_upload(&object(42, Some("image/jpeg"))),
            Err(UploadMismatch::ContentType { .. })
        ));
        assert!(file.check_upload(&object(42, None)).is_err());
    }

    #[test]
    fn usability_checks_owner_purpose_and_state_in_that_order() {
        let now = Utc::now();
        let file = file(now);
        let owner = file.owner_id.clone();
        assert_eq!(
            file.usable_by(&UserId::generate(now), &[FilePurpose::Portfolio]),
            Err(Unusable::NotYours)
        );
        assert!(matches!(
            file.usable_by(&owner, &[FilePurpose::Attachment]),
            Err(Unusable::WrongPurpose { .. })
        ));
        assert_eq!(
            file.usable_by(&owner, &[FilePurpose::Portfolio]),
            Err(Unusable::NotUploaded)
        );
        let ready = file.mark_ready(now);
        assert_eq!(ready.state, FileState::Ready);
        assert!(ready
            .usable_by(&owner, &[FilePurpose::Attachment, FilePurpose::Portfolio])
            .is_ok());
    }
}
