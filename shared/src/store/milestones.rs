//! Fixed-price milestones. A submitted milestone also sits in the sparse `due` index under
//! its auto-release time, so the release sweep reads only what is due.

use super::keys;
use super::Label;
use super::{key, Cond, Store, StoreError, Tx};
use crate::domain::contract::{Milestone, MilestoneState};
use crate::domain::ids::{ContractId, MilestoneId};
use serde::{Deserialize, Serialize};

/// The `due` index partition of submitted milestones, by auto-release time.
pub const AUTO_RELEASE_DUE: &str = "DUE#escrow-auto-release";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MilestoneRecord {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duepk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duesk: Option<String>,
    #[serde(flatten)]
    pub milestone: Milestone,
}

impl MilestoneRecord {
    pub fn new(milestone: Milestone) -> Self {
        let (pk, sk) = keys::milestone(&milestone.id);
        let due = (milestone.state == MilestoneState::Submitted)
            .then_some(milestone.auto_release_at)
            .flatten();
        Self {
            pk,
            sk,
            gsi1pk: keys::contract_milestones(&milestone.contract_id),
            gsi1sk: format!(
                "{}#{}",
                milestone.created_at.timestamp_millis(),
                milestone.id
            ),
            duepk: due.map(|_| AUTO_RELEASE_DUE.to_string()),
            duesk: due.map(|at| format!("{:015}#{}", at.timestamp_millis(), milestone.id)),
            milestone,
        }
    }
}

/// Writes a milestone: created (`expected_version` None: must not exist) or moved to its next
/// version (must still be at `expected_version`), so two decisions on one milestone cannot
/// both land. Label: `milestone`.
pub fn milestone_put_op(tx: Tx, milestone: &Milestone, expected_version: Option<u64>) -> Tx {
    let condition = match expected_version {
        None => Cond::absent(),
        Some(version) => Cond::new("version = :version").value(":version", version),
    };
    tx.put(
        Label::Milestone,
        &MilestoneRecord::new(milestone.clone()),
        Some(condition),
    )
}

/// Deletes an unfunded milestone (label `milestone`).
pub fn milestone_delete_op(tx: Tx, milestone: &Milestone) -> Tx {
    let (pk, sk) = keys::milestone(&milestone.id);
    tx.delete(
        Label::Milestone,
        key(pk, sk),
        Some(
            Cond::new("version = :version AND #state = :unfunded")
                .name("#state", "state")
                .value(":version", milestone.version)
                .value(":unfunded", MilestoneState::Unfunded),
        ),
    )
}

impl Store {
    pub async fn milestone(&self, id: &MilestoneId) -> Result<Option<Milestone>, StoreError> {
        let (pk, sk) = keys::milestone(id);
        Ok(self
            .get::<MilestoneRecord>(&key(pk, sk))
            .await?
            .map(|r| r.milestone))
    }

    /// A contract's milestones in the order they were added.
    pub async fn contract_milestones(
        &self,
        contract: &ContractId,
    ) -> Result<Vec<Milestone>, StoreError> {
        Ok(self
            .query_all::<MilestoneRecord>(Some("gsi1"), &keys::contract_milestones(contract), "")
            .await?
            .into_iter()
            .map(|record| record.milestone)
            .collect())
    }
}
