//! The route table: method, path, owning function, auth, schemas and handler — the single
//! source for dispatch, the OpenAPI document and the SAM template equality test.

use super::error::ApiError;
use super::idempotency;
use super::request::{ApiRequest, ApiResponse};
use crate::config::App;
use futures::future::BoxFuture;
use http::Method;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use tracing::Instrument;

pub type HandlerFn =
    for<'a> fn(&'a App, ApiRequest) -> BoxFuture<'a, Result<ApiResponse, ApiError>>;
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Public,
    Bearer,
}

#[derive(Clone)]
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    /// The function that serves it (its binary, as in the SAM template).
    pub function: &'static str,
    pub operation_id: &'static str,
    pub summary: &'static str,
    pub access: Access,
    pub request: Option<SchemaFn>,
    pub response: Option<SchemaFn>,
    pub success: u16,
    pub handler: HandlerFn,
    /// The query parameters the handler reads, each parsed through its own declaration.
    pub query: &'static [super::query::QueryParam],
    /// The handler reads its body with `json_or_default`: it may be left out.
    pub body_optional: bool,
    /// The rate-limited action the route performs (domain::rate_limit): its buckets are
    /// checked before the handler runs, and the document lists its 429.
    pub limit: Option<crate::domain::rate_limit::Action>,
}

impl Route {
    /// The same route, declaring the query parameters its handler reads.
    pub fn with_query(mut self, query: &'static [super::query::QueryParam]) -> Self {
        self.query = query;
        self
    }

    /// Whether an Idempotency-Key applies: mutating routes, but not sign-up, login and the
    /// other public auth routes, whose answers are secrets (tokens) or about one (a password)
    /// and must never be stored at rest or replayed to whoever sends the same key.
    pub fn takes_idempotency_key(&self) -> bool {
        let mutating = [Method::POST, Method::PATCH, Method::DELETE].contains(&self.method);
        let auth = self.access == Access::Public && self.path.starts_with("/v1/auth/");
        mutating && !auth
    }

    /// API Gateway's throttle class of the route (`RouteThrottle` in infra/template.yaml, which
    /// a test keeps equal to this): the public auth routes, searches, what people post for
    /// others (proposals, messages, uploads), and `default` for the rest.
    pub fn throttle_class(&self) -> &'static str {
        use crate::domain::rate_limit::Action::*;
        if self.access == Access::Public && self.path.starts_with("/v1/auth/") {
            return "auth";
        }
        match self.limit {
            Some(Signup | Login | ConfirmEmail) => "auth",
            Some(Search) => "search",
            Some(SubmitProposal | PostMessage | Upload) => "content",
            None => "default",
        }
    }

    /// The same route, rate limited as `action` (domain::rate_limit::LIMITS).
    pub fn limited(mut self, action: crate::domain::rate_limit::Action) -> Self {
        self.limit = Some(action);
        self
    }

    /// The same route, stating that its body may be left out (the handler reads it with
    /// `json_or_default`).
    pub fn with_optional_body(mut self) -> Self {
        self.body_optional = true;
        self
    }
}

/// The constructor of one function's bearer-token routes, so each area lists its routes as
/// `route(method, path, operation id, summary, request schema, response schema, status, handler)`.
#[allow(clippy::type_complexity)]
pub fn bearer_routes(
    function: &'static str,
) -> impl Fn(
    Method,
    &'static str,
    &'static str,
    &'static str,
    Option<SchemaFn>,
    Option<SchemaFn>,
    u16,
    HandlerFn,
) -> Route {
    move |method, path, operation_id, summary, request, response, success, handler| Route {
        method,
        path,
        function,
        operation_id,
        summary,
        access: Access::Bearer,
        request,
        response,
        success,
        handler,
        query: &[],
        body_optional: false,
        limit: None,
    }
}

pub fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// Wraps an `async fn(&App, ApiRequest) -> Result<ApiResponse, ApiError>` as a `HandlerFn`.
#[macro_export]
macro_rules! handler {
    ($f:path) => {{
        fn boxed<'a>(
            app: &'a $crate::App,
            req: $crate::http::ApiRequest,
        ) -> ::futures::future::BoxFuture<
            'a,
            Result<$crate::http::ApiResponse, $crate::http::ApiError>,
        > {
            Box::pin($f(app, req))
        }
        boxed as $crate::http::router::HandlerFn
    }};
}

pub struct RouteMatch<'r> {
    pub route: &'r Route,
    pub params: Vec<(String, String)>,
}

impl Route {
    /// `POST /v1/auth/signup`: API Gateway's route key.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    fn match_path(&self, path: &str) -> Option<Vec<(String, String)>> {
        let mut params = Vec::new();
        let mut want = self.path.trim_matches('/').split('/');
        let mut have = path.trim_matches('/').split('/');
        loop {
            match (want.next(), have.next()) {
                (None, None) => return Some(params),
                (Some(w), Some(h)) if w.starts_with('{') && w.ends_with('}') && !h.is_empty() => {
                    let value = percent_encoding::percent_decode_str(h).decode_utf8().ok()?;
                    params.push((w[1..w.len() - 1].to_string(), value.into_owned()));
                }
                (Some(w), Some(h)) if w == h => {}
                _ => return None,
            }
        }
    }
}

pub fn find<'r>(
    routes: &'r [Route],
    method: &Method,
    path: &str,
) -> Result<RouteMatch<'r>, ApiError> {
    // A literal segment beats a parameter (`/v1/files/uploads` is not `/v1/files/{id}`), so
    // the most literal template that matches the path is the resource, for dispatch and Allow.
    let literal = |route: &Route| {
        route
            .path
            .split('/')
            .filter(|s| !s.starts_with('{'))
            .count()
    };
    let mut matching: Vec<(&Route, Vec<(String, String)>)> = routes
        .iter()
        .filter_map(|route| route.match_path(path).map(|params| (route, params)))
        .collect();
    matching.sort_by_key(|(route, _)| std::cmp::Reverse(literal(route)));
    let most_literal = matching.first().map(|(route, _)| literal(route));
    let mut allowed = Vec::new();
    for (route, params) in matching {
        if Some(literal(route)) != most_literal {
            break;
        }
        if route.method == *method {
            return Ok(RouteMatch { route, params });
        }
        allowed.push(route.method.to_string());
    }
    if allowed.is_empty() {
        Err(ApiError::NoRoute {
            method: method.to_string(),
            path: path.to_string(),
        })
    } else {
        Err(ApiError::MethodNotAllowed {
            method: method.to_string(),
            allowed,
        })
    }
}

/// Finds the route and runs it: what the local server and tests call.
pub async fn dispatch(app: &App, routes: &[Route], req: ApiRequest) -> ApiResponse {
    match find(routes, &req.method, &req.path) {
        Ok(found) => {
            let mut req = req;
            req.path_params = found.params.into_iter().collect();
            run(app, found.route, req).await
        }
        Err(err) => finish(err.to_response(Some(&req.request_id)), &req.request_id),
    }
}

/// Runs one matched route: idempotency for mutating requests, one error mapping, request id,
/// and a log line per request.
pub async fn run(app: &App, route: &Route, req: ApiRequest) -> ApiResponse {
    let request_id = req.request_id.clone();
    let span = tracing::info_span!("request", request_id = %request_id, route = %route.key(), function = route.function);
    async move {
        let started = std::time::Instant::now();
        let response = match idempotency_scope(app, route, &req) {
            Err(err) => err.to_response(Some(&request_id)),
            Ok(None) => call(app, route, req).await,
            Ok(Some((scope, key))) => {
                idempotency::once(&app.store, &scope, &key, req, |req| call(app, route, req)).await
            }
        };
        tracing::info!(
            status = response.status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "handled"
        );
        finish(response, &request_id)
    }
    .instrument(span)
    .await
}

async fn call(app: &App, route: &Route, mut req: ApiRequest) -> ApiResponse {
    req.declared_query = Some(route.query);
    let request_id = req.request_id.clone();
    // Who is asking comes before what is asked: without a valid token a bearer route answers
    // 401 whatever its body, so a stranger learns nothing from validation messages.
    let mut user = None;
    if route.access == Access::Bearer {
        match super::auth::Caller::from_live_session(app, &req).await {
            Ok(caller) => user = Some(caller.user_id),
            Err(err) => return err.to_response(Some(&request_id)),
        }
    }
    // Then how often: every attempt counts, a malformed one too (it costs us the same).
    if let Some(action) = route.limit {
        if let Err(err) = super::rate_limit::check(app, action, user.as_ref(), &req).await {
            return err.to_response(Some(&request_id));
        }
    }
    match (route.handler)(app, req).await {
        Ok(response) => response,
        Err(err) => err.to_response(Some(&request_id)),
    }
}

/// Mutating requests with an Idempotency-Key are scoped to the caller's account when a valid
/// token is present (so keys of different users never collide), else to the operation and the
/// request's fingerprint.
fn idempotency_scope(
    app: &App,
    route: &Route,
    req: &ApiRequest,
) -> Result<Option<(String, String)>, ApiError> {
    if !route.takes_idempotency_key() {
        return Ok(None);
    }
    let Some(key) = idempotency::key_of(req)? else {
        return Ok(None);
    };
    let scope = match super::auth::Caller::from_request(app.keys()?, req) {
        Ok(caller) => caller.user_id.to_string(),
        // Anonymous keys name no owner, so the request itself is part of the scope: another
        // body under someone's key is simply another request, and nobody can occupy a key
        // (and the answer it will replay) that someone else is about to use.
        Err(_) => format!(
            "anonymous:{}:{}",
            route.operation_id,
            idempotency::fingerprint(req)
        ),
    };
    Ok(Some((scope, key)))
}

fn finish(mut response: ApiResponse, request_id: &str) -> ApiResponse {
    response.set_header("x-request-id", request_id.to_string());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn never(_: &App, _: ApiRequest) -> Result<ApiResponse, ApiError> {
        Err(ApiError::Unavailable)
    }

    fn route(method: Method, path: &'static str) -> Route {
        Route {
            method,
            path,
            function: "auth",
            operation_id: "x",
            summary: "x",
            access: Access::Public,
            request: None,
            response: None,
            success: 200,
            handler: crate::handler!(never),
            query: &[],
            body_optional: false,
            limit: None,
        }
    }

    #[test]
    fn matching_extracts_parameters_and_reports_405_and_404() {
        let routes = vec![
            route(Method::GET, "/v1/jobs/{id}"),
            route(Method::POST, "/v1/jobs/{id}/close"),
        ];
        let found = find(&routes, &Method::GET, "/v1/jobs/job_1").unwrap();
        assert_eq!(found.params, vec![("id".to_string(), "job_1".to_string())]);
        assert!(find(&routes, &Method::POST, "/v1/jobs/job_1/close").is_ok());
        assert!(matches!(
            find(&routes, &Method::DELETE, "/v1/jobs/job_1"),
            Err(ApiError::MethodNotAllowed { .. })
        ));
        assert!(matches!(
            find(&routes, &Method::GET, "/v1/jobs/"),
            Err(ApiError::NoRoute { .. })
        ));
        assert!(matches!(
            find(&routes, &Method::GET, "/v1/jobs/a/b"),
            Err(ApiError::NoRoute { .. })
        ));
    }

    #[test]
    fn a_literal_segment_is_its_own_resource() {
        let routes = vec![
            route(Method::GET, "/v1/files/{id}"),
            route(Method::POST, "/v1/files/uploads"),
        ];
        assert_eq!(
            find(&routes, &Method::POST, "/v1/files/uploads")
                .unwrap()
                .route
                .path,
            "/v1/files/uploads"
        );
        match find(&routes, &Method::GET, "/v1/files/uploads") {
            Err(ApiError::MethodNotAllowed { allowed, .. }) => assert_eq!(allowed, ["POST"]),
            other => panic!("expected 405, got {:?}", other.map(|m| m.route.path)),
        }
        assert!(find(&routes, &Method::GET, "/v1/files/fil_1").is_ok());
    }
}
