use crate::http::{ApiError, ApiRequest, ApiResponse};
use crate::App;
use std::sync::LazyLock;

static DOCUMENT: LazyLock<serde_json::Value> =
    LazyLock::new(|| crate::http::openapi::document(super::routes()));

pub async fn openapi(_app: &App, _req: ApiRequest) -> Result<ApiResponse, ApiError> {
    Ok(ApiResponse::ok(&*DOCUMENT))
}
