//! Least privilege from evidence: the local stack records every AWS call (and every setting)
//! each function uses while the e2e suite runs (`record`), and the roles and environments in
//! `infra/template.yaml` are generated from those recordings and checked against them
//! (`policy`). `docs/security.md` explains the design; `cargo run -p worklane-devstack --bin
//! iam -- write` regenerates, `iam -- check` verifies.

pub mod policy;
pub mod record;

use serde::{Deserialize, Serialize};

/// One permission a function used: an IAM action on a resource of the template (a logical
/// id, `Table/index/gsi1` for an index), narrowed by a key or object prefix where one
/// applies. Settings are `env` grants whose resource is the variable's name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Grant {
    pub action: String,
    pub resource: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

impl Grant {
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        Self {
            action: action.into(),
            resource: resource.into(),
            prefix: None,
        }
    }

    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    pub fn env(variable: &str) -> Self {
        Self::new(ENV, variable)
    }

    pub fn is_env(&self) -> bool {
        self.action == ENV
    }
}

impl std::fmt::Display for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} on {}", self.action, self.resource)?;
        if let Some(prefix) = &self.prefix {
            write!(f, " [{prefix}]")?;
        }
        Ok(())
    }
}

/// The pseudo-action of a setting a function reads from its environment.
pub const ENV: &str = "env";

/// The logical ids of the template's resources that grants name.
pub const TABLE: &str = "Table";
pub const BUCKET: &str = "FilesBucket";
pub const BUS: &str = "DomainEventBus";
/// SES identities: the sender is narrowed by `ses:FromAddress`, not by the resource.
pub const SES_IDENTITY: &str = "SesIdentity";
