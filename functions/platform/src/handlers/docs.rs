//! `GET /openapi.json`. The document is generated from every area's route table by the local
//! stack and committed at `docs/openapi.json`; a test keeps the two equal. Embedding it here
//! means this function carries no handler of another area, only the text they describe.

use http::Method;
use worklane::handler;
use worklane::http::router::{Access, Route};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::App;

/// `docs/openapi.json`, regenerated with `cargo run -p worklane-devstack --bin openapi`.
pub const DOCUMENT: &str = include_str!("../../../../docs/openapi.json");

pub async fn openapi(_app: &App, _req: ApiRequest) -> Result<ApiResponse, ApiError> {
    Ok(ApiResponse::ok_as(DOCUMENT, "application/json"))
}

/// The routes of this function.
pub fn routes() -> Vec<Route> {
    vec![Route {
        method: Method::GET,
        path: "/openapi.json",
        function: "api-docs",
        operation_id: "openapi",
        summary: "This API as an OpenAPI 3.1 document",
        access: Access::Public,
        request: None,
        response: None,
        success: 200,
        handler: handler!(openapi),
    }]
}
