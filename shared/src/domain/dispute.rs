//! Disputes (PRODUCT §13), pure. This first part covers what opens one: a client disputing a
//! week of hourly work during its review. Responses, deadlines and mediation build on it.

use super::hourly::{TimesheetId, HOURLY_DISPUTE_RESPONSE};
use super::ids::{ContractId, DisputeId, UserId};
use super::money::Money;
use super::offer::Side;
use super::{text, Violations};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DisputeSubject {
    /// A week of hourly work, disputed by the client during its review (§8.5).
    HourlyWeek { timesheet_id: TimesheetId },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisputeState {
    /// Waiting for the other side's answer (until `respond_by`).
    Open,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Dispute {
    pub id: DisputeId,
    #[serde(flatten)]
    pub subject: DisputeSubject,
    pub contract_id: ContractId,
    pub client_id: UserId,
    pub freelancer_id: UserId,
    pub opened_by: Side,
    pub reason: String,
    /// The money frozen by the dispute.
    pub amount: Money,
    pub state: DisputeState,
    pub opened_at: DateTime<Utc>,
    /// The other side answers by then (§13.2).
    pub respond_by: DateTime<Utc>,
    pub version: u64,
}

/// `POST /v1/disputes`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeRequest {
    /// The week disputed (`wk_…`, from `GET /v1/contracts/{id}/timesheets`).
    pub timesheet_id: String,
    pub reason: String,
}

impl DisputeRequest {
    pub fn check(&self) -> Result<(TimesheetId, String), Violations> {
        let mut v = Violations::default();
        let reason = text(&mut v, "reason", &self.reason, 10, 5_000);
        let id = TimesheetId::parse(&self.timesheet_id);
        v.check(id.is_some(), "timesheet_id", "not a timesheet id (wk_…)");
        v.into_result()?;
        Ok((id.expect("checked"), reason))
    }
}

impl Dispute {
    /// The client disputes a week's hours: the freelancer answers within 3 days.
    pub fn hourly(
        id: DisputeId,
        timesheet: &super::hourly::Timesheet,
        amount: Money,
        reason: String,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            subject: DisputeSubject::HourlyWeek {
                timesheet_id: timesheet.id.clone(),
            },
            contract_id: timesheet.contract_id.clone(),
            client_id: timesheet.client_id.clone(),
            freelancer_id: timesheet.freelancer_id.clone(),
            opened_by: Side::Client,
            reason,
            amount,
            state: DisputeState::Open,
            opened_at: now,
            respond_by: now + HOURLY_DISPUTE_RESPONSE,
            version: 1,
        }
    }

    pub fn is_party(&self, user: &UserId) -> bool {
        &self.client_id == user || &self.freelancer_id == user
    }
}
