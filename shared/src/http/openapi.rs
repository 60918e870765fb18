//! The OpenAPI 3.1 document, generated from the route table and the request/response types.

use super::router::{Access, Route};
use schemars::generate::SchemaSettings;
use serde_json::{json, Map, Value};

pub fn document(routes: &[Route]) -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas/".into();
    let mut generator = settings.into_generator();
    let mut paths = Map::new();
    for route in routes {
        let mut operation = Map::new();
        operation.insert("operationId".into(), json!(route.operation_id));
        operation.insert("summary".into(), json!(route.summary));
        operation.insert("tags".into(), json!([route.function]));
        if route.access == Access::Bearer {
            operation.insert("security".into(), json!([{"bearer": []}]));
        }
        let params: Vec<Value> = route
            .path
            .split('/')
            .filter(|segment| segment.starts_with('{'))
            .map(|segment| {
                json!({"name": segment.trim_matches(|c| c == '{' || c == '}'), "in": "path", "required": true,
                       "schema": {"type": "string"}})
            })
            .collect();
        let mut parameters = params;
        if route.method == http::Method::POST {
            parameters.push(json!({"name": "Idempotency-Key", "in": "header", "required": false,
                "description": "Same key and body within 24 h replays the first response; another body is a 422.",
                "schema": {"type": "string", "maxLength": 255}}));
        }
        if !parameters.is_empty() {
            operation.insert("parameters".into(), Value::Array(parameters));
        }
        if let Some(request) = route.request {
            let schema = request(&mut generator);
            operation.insert(
                "requestBody".into(),
                json!({"required": true, "content": {"application/json": {"schema": schema}}}),
            );
        }
        let success = match route.response {
            Some(response) => {
                let schema = response(&mut generator);
                json!({"description": "Success", "content": {"application/json": {"schema": schema}}})
            }
            None => json!({"description": "Success"}),
        };
        operation.insert(
            "responses".into(),
            json!({
                route.success.to_string(): success,
                "4XX": {"$ref": "#/components/responses/Problem"},
            }),
        );
        let path_item = paths
            .entry(route.path.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        path_item[route.method.as_str().to_lowercase()] = Value::Object(operation);
    }
    let mut schemas = generator.take_definitions(true);
    schemas.insert(
        "Problem".into(),
        json!({"type": "object", "required": ["type", "title", "status", "code", "detail"],
               "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                              "code": {"type": "string"}, "detail": {"type": "string"}, "instance": {"type": "string"},
                              "errors": {"type": "array", "items": {"type": "object",
                                  "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}}}}),
    );
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Worklane API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Freelance marketplace backend: jobs, proposals, contracts, escrow, hourly billing."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {"Problem": {"description": "A problem (RFC 9457)",
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    })
}
