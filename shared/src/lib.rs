//! Worklane core: everything the function binaries, the local stack and the tests share.
//!
//! Dependencies point inward: `domain` is pure (no I/O, time passed in as `now`);
//! `store` turns domain records into DynamoDB items and transactions; `http` is the API
//! edge (errors, auth, idempotency, validation); `handlers` and `workers` glue them together;
//! `lambda` adapts them to the Lambda runtime.

pub mod config;
pub mod domain;
pub mod functions;
pub mod handlers;
pub mod http;
pub mod lambda;
pub mod mail;
pub mod payments;
pub mod search;
pub mod security;
pub mod store;
pub mod telemetry;
pub mod workers;

pub use config::{App, AppConfig};
pub use functions::Function;
