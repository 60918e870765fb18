//! The local stack: real DynamoDB Local and moto, resources created from the SAM template,
//! Lambda's event-source mappings played locally, and the local API server.

pub mod answers;
pub mod bench;
pub mod clock;
pub mod evidence;
pub mod faults;
pub mod functions;
pub mod iam;
pub mod provision;
pub mod pump;
pub mod runtime_api;
pub mod server;
pub mod services;
pub mod stack;
pub mod template;

use std::path::PathBuf;

/// The repository root (this crate lives in `xtask/`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask has a parent")
        .to_path_buf()
}
