//! Worklane core: everything the function binaries, the local stack and the tests share.
//!
//! Dependencies point inward: `domain` is pure (no I/O, time passed in as `now`);
//! `store` turns domain records into DynamoDB items and transactions; `http` is the API
//! edge (errors, auth, idempotency, validation, what handlers share); `worker` is what the
//! asynchronous functions share; `lambda` adapts a function to the Lambda runtime. The
//! handlers and workers themselves live in the area crates under `functions/`.

pub mod config;
pub mod domain;
pub mod http;
pub mod lambda;
pub mod mail;
pub mod payments;
pub mod security;
pub mod store;
pub mod telemetry;
pub mod worker;

pub use config::{App, AppConfig};
