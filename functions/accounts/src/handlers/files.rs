//! Files (DESIGN "Files"): declare an upload and get a presigned PUT URL, confirm the upload,
//! read a file's metadata with a short-lived download URL. Bytes never pass through here.

use chrono::{DateTime, Utc};
use http::Method;
use schemars::JsonSchema;
use serde::Serialize;
use worklane::domain::file::{FileDeclaration, FilePurpose, FileRecord, FileState, UploadMismatch};
use worklane::domain::ids::{FileId, UserId};
use worklane::handler;
use worklane::http::auth::Caller;
use worklane::http::router::{schema_of, Access, Route};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::store::files::{FileBlobs, PresignedUrl};
use worklane::App;

pub fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::POST,
            path: "/v1/files/uploads",
            function: "files",
            operation_id: "createUpload",
            summary: "Declare a file (purpose, type, size, name) and get a presigned PUT URL for it",
            access: Access::Bearer,
            request: Some(schema_of::<FileDeclaration>),
            response: Some(schema_of::<UploadView>),
            success: 201,
            handler: handler!(create_upload),
            query: &[],
            body_optional: false,
            limit: Some(worklane::domain::rate_limit::Action::Upload),
        },
        Route {
            method: Method::POST,
            path: "/v1/files/{id}/complete",
            function: "files",
            operation_id: "completeUpload",
            summary: "Confirm an upload: the stored object must match the declaration; the file becomes usable",
            access: Access::Bearer,
            request: None,
            response: Some(schema_of::<FileView>),
            success: 200,
            handler: handler!(complete_upload),
            query: &[],
            body_optional: false,
            limit: None,
        },
        Route {
            method: Method::GET,
            path: "/v1/files/{id}",
            function: "files",
            operation_id: "getFile",
            summary: "A file's metadata and a 5-minute download URL (owner, granted readers, or anyone for public portfolio files)",
            access: Access::Public,
            request: None,
            response: Some(schema_of::<FileView>),
            success: 200,
            handler: handler!(get_file),
            query: &[],
            body_optional: false,
            limit: None,
        },
    ]
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FileView {
    pub id: FileId,
    pub owner_id: UserId,
    pub purpose: FilePurpose,
    pub content_type: String,
    pub size_bytes: u64,
    pub file_name: String,
    pub state: FileState,
    pub public: bool,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uploaded_at: Option<DateTime<Utc>>,
    /// Present once the file is ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download: Option<PresignedUrl>,
}

impl FileView {
    fn new(file: &FileRecord, download: Option<PresignedUrl>) -> Self {
        Self {
            id: file.id.clone(),
            owner_id: file.owner_id.clone(),
            purpose: file.purpose,
            content_type: file.content_type.clone(),
            size_bytes: file.size_bytes,
            file_name: file.file_name.clone(),
            state: file.state,
            public: file.public,
            created_at: file.created_at,
            uploaded_at: file.uploaded_at,
            download,
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct UploadView {
    #[serde(flatten)]
    pub file: FileView,
    /// Send the bytes with exactly this method, URL and headers before `expires_at`, then
    /// `POST /v1/files/{id}/complete`.
    pub upload: PresignedUrl,
}

fn blobs(app: &App) -> Result<FileBlobs<'_>, ApiError> {
    Ok(FileBlobs::new(app.s3(), app.bucket()?))
}

/// The file in the path, if `caller` may read it; otherwise it does not exist for them (404),
/// so file ids reveal nothing.
async fn readable_file(
    app: &App,
    req: &ApiRequest,
    caller: Option<&UserId>,
) -> Result<FileRecord, ApiError> {
    const NOT_FOUND: ApiError = ApiError::NotFound("file");
    let id = FileId::parse(req.path_param("id")?).ok_or(NOT_FOUND)?;
    let file = app.store.file(&id).await?.ok_or(NOT_FOUND)?;
    if file.may_read(caller) {
        Ok(file)
    } else {
        Err(NOT_FOUND)
    }
}

pub async fn create_upload(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    // Storage costs money: throwaway unconfirmed signups do not get to fill the bucket.
    caller.require_confirmed()?;
    let declared = req.json::<FileDeclaration>()?.check()?;
    let file = FileRecord::declare(FileId::generate(req.now), caller.user_id, declared, req.now);
    let upload = blobs(app)?.presign_upload(&file, req.now).await?;
    app.store.create_file(&file).await?;
    Ok(ApiResponse::created(&UploadView {
        file: FileView::new(&file, None),
        upload,
    }))
}

pub async fn complete_upload(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let caller = Caller::from_request(app.keys()?, &req)?;
    let file = readable_file(app, &req, Some(&caller.user_id)).await?;
    if file.owner_id != caller.user_id {
        return Err(ApiError::Forbidden(
            "only the uploader can complete an upload",
        ));
    }
    if file.state == FileState::Ready {
        return Ok(ApiResponse::ok(&FileView::new(&file, None)));
    }
    let blobs = blobs(app)?;
    let object = blobs
        .head(&file)
        .await?
        .ok_or(UploadMismatch::NothingUploaded)?;
    if let Err(mismatch) = file.check_upload(&object) {
        // Never leave an object that differs from its declaration where it could be served;
        // the owner may upload again while the URL is valid, or declare the file anew.
        blobs.delete(&file).await?;
        return Err(mismatch.into());
    }
    let file = if app.store.mark_file_ready(&file.id, req.now).await? {
        file.mark_ready(req.now)
    } else {
        // Completed concurrently: answer with what is stored.
        app.store
            .file(&file.id)
            .await?
            .ok_or(ApiError::NotFound("file"))?
    };
    Ok(ApiResponse::ok(&FileView::new(&file, None)))
}

pub async fn get_file(app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    // Public files need no token; a token that is sent must be valid and of a live session
    // (a public route: the router checked no token).
    let caller = match req.header("authorization") {
        Some(_) => Some(Caller::from_live_session(app, &req).await?.user_id),
        None => None,
    };
    let file = readable_file(app, &req, caller.as_ref()).await?;
    let download = match file.state {
        FileState::Ready => Some(blobs(app)?.presign_download(&file, req.now).await?),
        FileState::Pending => None,
    };
    Ok(ApiResponse::ok(&FileView::new(&file, download)))
}
