//! Platform plumbing: the OpenAPI document and the outbox forwarder.
//!
//! Functions of this area (each a binary in `src/bin/`, a Lambda in `infra/template.yaml`):
//! - `api-docs` (HTTP API): Serves the OpenAPI 3.1 document and the catalogue (no data access).
//! - `event-forwarder` (DynamoDB stream): Forwards outbox items from the table stream to the domain event bus.

pub mod handlers;
pub mod workers;

use worklane::lambda::{Function, HttpFunction, StreamFunction};

/// `api-docs`: Serves the OpenAPI 3.1 document and the catalogue (no data access).
pub const API_DOCS: HttpFunction = HttpFunction {
    name: "api-docs",
    routes: handlers::docs::routes,
};

/// `event-forwarder`: Forwards outbox items from the table stream to the domain event bus.
pub const EVENT_FORWARDER: StreamFunction = StreamFunction {
    name: "event-forwarder",
    handler: worklane::stream_handler!(workers::forwarder::forward_outbox),
};

/// Every function of this area, for the local stack that serves them all in one process.
pub fn functions() -> Vec<Function> {
    vec![Function::Http(API_DOCS), Function::Stream(EVENT_FORWARDER)]
}
