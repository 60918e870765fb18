//! The public reference an app reads before it calls anything else.
//!
//! `GET /openapi.json`: the document is generated from every area's route table by the local
//! stack and committed at `docs/openapi.json`; a test keeps the two equal. Embedding it here
//! means this function carries no handler of another area, only the text they describe.
//!
//! `GET /v1/catalogue`: every value a form offers (categories, skills, enums, Connects prices,
//! the fees in force), cacheable: the same content always has the same ETag.

use http::{Method, StatusCode};
use worklane::domain::catalogue::Catalogue;
use worklane::domain::fees::FeeCatalogue;
use worklane::handler;
use worklane::http::router::{schema_of, Access, Route};
use worklane::http::{ApiError, ApiRequest, ApiResponse};
use worklane::App;

/// `docs/openapi.json`, regenerated with `cargo run -p worklane-devstack --bin openapi`.
pub const DOCUMENT: &str = include_str!("../../../../docs/openapi.json");

pub async fn openapi(_app: &App, _req: ApiRequest) -> Result<ApiResponse, ApiError> {
    Ok(ApiResponse::ok_as(DOCUMENT, "application/json"))
}

/// Reference data changes with a deployment or a new fee schedule, not by the minute.
const CATALOGUE_CACHE: &str = "public, max-age=3600";

pub async fn catalogue(_app: &App, req: ApiRequest) -> Result<ApiResponse, ApiError> {
    let body = serde_json::to_string(&Catalogue::at(&FeeCatalogue::standard(), req.now))
        .expect("the catalogue serializes");
    let etag = format!("\"{:016x}\"", worklane::security::stable_hash(&body));
    let matches = req.header("if-none-match").is_some_and(|tags| {
        tags.split(',')
            .map(|tag| tag.trim().trim_start_matches("W/"))
            .any(|tag| tag == etag || tag == "*")
    });
    let mut response = if matches {
        ApiResponse::new(StatusCode::NOT_MODIFIED, Vec::new(), "application/json")
    } else {
        ApiResponse::ok_as(body, "application/json")
    };
    response.set_header("etag", etag);
    response.set_header("cache-control", CATALOGUE_CACHE.into());
    Ok(response)
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
        query: &[],
        body_optional: false,
        limit: None,
    },
    Route {
        method: Method::GET,
        path: "/v1/catalogue",
        function: "api-docs",
        operation_id: "getCatalogue",
        summary: "Every value a form needs: categories, skills, enums, Connects prices, fees in force (ETag, cacheable)",
        access: Access::Public,
        request: None,
        response: Some(schema_of::<Catalogue>),
        success: 200,
        handler: handler!(catalogue),
        query: &[],
        body_optional: false,
        limit: None,
    }]
}
