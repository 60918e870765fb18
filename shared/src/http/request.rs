//! The one request/response shape every handler sees, whichever edge delivered it.

use super::error::ApiError;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

/// JSON bodies larger than this are refused before parsing.
pub const MAX_JSON_BODY_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: Method,
    pub path: String,
    pub path_params: HashMap<String, String>,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub request_id: String,
    /// When the edge received the request. Handlers use this, never the wall clock.
    pub now: DateTime<Utc>,
    /// Set by the idempotency layer when this request holds an Idempotency-Key: a handler that
    /// moves money writes its response into the key's record in its own transaction.
    pub idempotency: Option<super::idempotency::Slot>,
    /// The client's address as the edge saw it (API Gateway's `requestContext.http.sourceIp`,
    /// the local server's peer): the key of per-address rate limits. Never a header a client
    /// could write.
    pub source_ip: Option<std::net::IpAddr>,
    /// The query parameters the matched route declares (`Route::with_query`), set by the
    /// router: `query_param` reads only those, so the OpenAPI document states each one.
    pub declared_query: Option<&'static [super::query::QueryParam]>,
}

impl ApiRequest {
    pub fn new(method: Method, path: &str, now: DateTime<Utc>) -> Self {
        let (path, query) = match path.split_once('?') {
            Some((path, query)) => (path, parse_query(query)),
            None => (path, Vec::new()),
        };
        Self {
            method,
            path: path.to_string(),
            path_params: HashMap::new(),
            query,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            request_id: ulid::Ulid::new().to_string().to_lowercase(),
            now,
            idempotency: None,
            source_ip: None,
            declared_query: None,
        }
    }

    pub fn with_header(mut self, name: &'static str, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.insert(HeaderName::from_static(name), value);
        }
        self
    }

    pub fn with_json(mut self, body: &serde_json::Value) -> Self {
        self.body = Bytes::from(serde_json::to_vec(body).expect("json"));
        self.with_header("content-type", "application/json")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A query parameter's raw value. A route reads only what it declares: a debug build
    /// (every test and contract run) refuses an undeclared read loudly, since the document
    /// would not state it; routing outside the router (unit tests) declares nothing.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        debug_assert!(
            self.declared_query
                .is_none_or(|declared| declared.iter().any(|param| param.name == name)),
            "{} {} reads the query parameter `{name}` without declaring it (Route::with_query)",
            self.method,
            self.path
        );
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn path_param(&self, name: &str) -> Result<&str, ApiError> {
        self.path_params
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| ApiError::BadRequest(format!("missing path parameter {name}")))
    }

    /// Parses a JSON body strictly: JSON content type, bounded size, unknown fields rejected
    /// (the request types say `deny_unknown_fields`), so a misspelt or mass-assigned field
    /// is an error rather than silently ignored.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        if self.body.len() > MAX_JSON_BODY_BYTES {
            return Err(ApiError::PayloadTooLarge {
                limit: MAX_JSON_BODY_BYTES,
            });
        }
        let content_type = self.header("content-type").unwrap_or("application/json");
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case("application/json") {
            return Err(ApiError::UnsupportedMediaType);
        }
        parse_json(&self.body)
    }
}

impl ApiRequest {
    /// A body that may be left out: empty (or blank) means the type's defaults.
    pub fn json_or_default<T: DeserializeOwned + Default>(&self) -> Result<T, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            Ok(T::default())
        } else {
            self.json()
        }
    }

    /// What makes this request's effect unique across retries: its Idempotency-Key, or, without
    /// one, its request id (a new request each time).
    pub fn idempotency_basis(&self) -> Result<String, ApiError> {
        Ok(super::idempotency::key_of(self)?.unwrap_or_else(|| self.request_id.clone()))
    }
}

pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::MalformedJson("the body is empty".into()));
    }
    let mut value: serde_json::Value = serde_json::from_slice(body).map_err(|err| {
        use serde_json::error::Category;
        match err.classify() {
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::MalformedJson(err.to_string())
            }
            Category::Data => ApiError::InvalidBody(err.to_string()),
        }
    })?;
    // Every body is an object; serde would also read a struct from an array by position.
    if !value.is_object() {
        return Err(ApiError::InvalidBody(
            "the body must be a JSON object".into(),
        ));
    }
    whole_numbers_as_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|err| {
        let field = err.path().to_string();
        let message = err.inner().to_string();
        // The path is where the error happened; at the top level (an unknown or missing
        // field) serde's message already names the field.
        if field == "." || field.is_empty() {
            ApiError::InvalidBody(message)
        } else {
            ApiError::InvalidField {
                detail: format!("{field}: {message}"),
                errors: vec![super::error::FieldError { field, message }],
            }
        }
    })
}

/// JSON Schema counts `15.0` as the integer 15 (and so do JavaScript clients, which have no
/// integer type): a number without a fractional part reaches integer fields as an integer.
fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(number) if number.is_f64() => {
            if let Some(float) = number.as_f64() {
                let whole = float.fract() == 0.0 && float.abs() < 9.0e15;
                if whole {
                    *value = Value::from(float as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_component(key), decode_component(value))
        })
        .collect()
}

fn decode_component(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    pub status: StatusCode,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl ApiResponse {
    pub fn new(status: StatusCode, body: impl Into<Bytes>, content_type: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        }
    }

    pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Self {
        let body = serde_json::to_vec(value).expect("response types serialize");
        Self::new(status, body, "application/json")
    }

    /// 200 with a body that is not JSON (a document, a CSV export).
    pub fn ok_as(body: impl Into<Bytes>, content_type: &str) -> Self {
        Self::new(StatusCode::OK, body, content_type)
    }

    pub fn ok<T: Serialize>(value: &T) -> Self {
        Self::json(StatusCode::OK, value)
    }

    pub fn created<T: Serialize>(value: &T) -> Self {
        Self::json(StatusCode::CREATED, value)
    }

    pub fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn set_header(&mut self, name: &str, value: String) {
        self.headers
            .retain(|(key, _)| !key.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
    }

    fn request(body: &str, content_type: &str) -> ApiRequest {
        let mut req = ApiRequest::new(Method::POST, "/x", Utc::now())
            .with_header("content-type", content_type);
        req.body = Bytes::from(body.to_string());
        req
    }

    #[test]
    fn strict_json_parsing() {
        assert!(
            request(r#"{"name":"a"}"#, "application/json; charset=utf-8")
                .json::<Body>()
                .is_ok()
        );
        assert!(matches!(
            request("{", "application/json").json::<Body>(),
            Err(ApiError::MalformedJson(_))
        ));
        assert!(matches!(
            request("", "application/json").json::<Body>(),
            Err(ApiError::MalformedJson(_))
        ));
        // A wrong type, `null` included, is a 422 naming the field, never a 400; so is a
        // field the type does not have.
        for (body, field) in [
            (r#"{"name":"a","admin":true}"#, "admin"),
            (r#"{"name":1}"#, "name"),
            (r#"{"name":null}"#, "name"),
        ] {
            match request(body, "application/json").json::<Body>() {
                Err(err @ ApiError::InvalidField { .. }) => {
                    assert_eq!((err.status().as_u16(), err.code()), (422, "invalid_body"));
                    let ApiError::InvalidField { errors, .. } = err else {
                        unreachable!()
                    };
                    assert_eq!(errors[0].field, field, "{body}");
                }
                other => panic!("{body}: {other:?}"),
            }
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Nested {
            card: Card,
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Card {
            number: String,
        }
        match request(r#"{"card":{"number":null}}"#, "application/json").json::<Nested>() {
            Err(ApiError::InvalidField { errors, .. }) => {
                assert_eq!(errors[0].field, "card.number")
            }
            other => panic!("{other:?}"),
        }
        #[derive(Debug, Deserialize)]
        struct Count {
            n: u32,
        }
        let count = |body: &str| {
            request(body, "application/json")
                .json::<Count>()
                .map(|c| c.n)
        };
        assert_eq!(count(r#"{"n":15.0}"#).unwrap(), 15);
        assert!(count(r#"{"n":15.5}"#).is_err());
        assert!(count(r#"{"n":-1.0}"#).is_err());
        assert!(matches!(
            request(r#"{"name":"a"}"#, "text/plain").json::<Body>(),
            Err(ApiError::UnsupportedMediaType)
        ));
        let huge = format!(r#"{{"name":"{}"}}"#, "a".repeat(MAX_JSON_BODY_BYTES));
        assert!(matches!(
            request(&huge, "application/json").json::<Body>(),
            Err(ApiError::PayloadTooLarge { .. })
        ));
    }

    #[test]
    fn query_strings_are_decoded() {
        let req = ApiRequest::new(
            Method::GET,
            "/v1/jobs?q=rust+%22web+api%22&cursor=",
            Utc::now(),
        );
        assert_eq!(req.path, "/v1/jobs");
        assert_eq!(req.query_param("q"), Some("rust \"web api\""));
        assert_eq!(req.query_param("cursor"), Some(""));
        assert_eq!(req.query_param("missing"), None);
    }

    /// What keeps the document complete: a routed request reads only what its route
    /// declares (checked in debug builds, which every suite runs).
    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "reads the query parameter `limit` without declaring it")]
    fn a_route_cannot_read_a_parameter_it_does_not_declare() {
        let mut req = ApiRequest::new(Method::GET, "/v1/rooms?limit=5&cursor=", Utc::now());
        req.declared_query = Some(&[super::super::query::CURSOR]);
        assert_eq!(req.query_param("cursor"), Some(""));
        req.query_param("limit");
    }
}
