//! The admins' audit trail and account suspension (trust and safety).
//!
//! Every admin action is an [`AuditEntry`]: who did what to which object, when and why. An
//! entry is written in the same transaction as the action it records, so there is no action
//! without its entry and no entry for an action that did not happen; entries are never
//! changed or deleted.
//!
//! A suspension is a state of the account, not of its objects: the account's tokens stop
//! working from that moment, its content leaves search and its open proposals are withdrawn,
//! but its money stays where the ledger has it (see docs/trust-and-safety.md).

use super::ids::{AuditId, UserId};
use super::rules::TextRule;
use super::Violations;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Why an admin acted: read by other admins later and, for a suspension, by the user.
pub const ADMIN_REASON: TextRule = TextRule::new(1, 1_000);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    SuspendAccount,
    ReinstateAccount,
    DismissReport,
    RemoveContent,
    WarnUser,
    ApproveIdentity,
    RejectIdentity,
    ResolveDispute,
}

/// One admin action. `subject` is the id of what it acted on (ids carry their kind's prefix:
/// `usr_…`, `job_…`, `rpt_…`), so the trail can be read per object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AuditEntry {
    pub id: AuditId,
    pub at: DateTime<Utc>,
    /// The admin who acted.
    pub actor: UserId,
    pub action: AuditAction,
    pub subject: String,
    pub reason: String,
}

impl AuditEntry {
    pub fn new(
        actor: &UserId,
        action: AuditAction,
        subject: impl Into<String>,
        reason: impl Into<String>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: AuditId::generate(now),
            at: now,
            actor: actor.clone(),
            action,
            subject: subject.into(),
            reason: reason.into(),
        }
    }
}

/// Checks an admin's reason and returns it trimmed.
pub fn admin_reason(reason: &str) -> Result<String, Violations> {
    let mut violations = Violations::default();
    let reason = ADMIN_REASON.check(&mut violations, "reason", reason);
    violations.into_result()?;
    Ok(reason)
}

/// An account's standing with the moderators.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Standing {
    /// Set while the account is suspended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspension_reason: Option<String>,
    /// Tokens issued before this moment are refused: a suspension ends every session at
    /// once, and reinstatement does not bring those sessions back (the user logs in anew).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_valid_after: Option<DateTime<Utc>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StandingRuleViolation {
    #[error("the account is already suspended")]
    AlreadySuspended,
    #[error("the account is not suspended")]
    NotSuspended,
    #[error("admins cannot suspend their own account")]
    OwnAccount,
}

impl Standing {
    pub fn is_suspended(&self) -> bool {
        self.suspended_at.is_some()
    }

    /// Whether a token issued at `issued_at` (seconds, the JWT `iat`) still counts.
    pub fn accepts_token_issued_at(&self, issued_at: i64) -> bool {
        !self.is_suspended()
            && self
                .tokens_valid_after
                .is_none_or(|after| issued_at >= after.timestamp())
    }

    pub fn suspend(
        &self,
        admin: &UserId,
        account: &UserId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Standing, StandingRuleViolation> {
        if admin == account {
            return Err(StandingRuleViolation::OwnAccount);
        }
        if self.is_suspended() {
            return Err(StandingRuleViolation::AlreadySuspended);
        }
        // A token minted in the suspension's own second would pass a `>=` seconds check:
        // the next second is the first that counts.
        let cutoff = now + chrono::Duration::seconds(1);
        Ok(Standing {
            suspended_at: Some(now),
            suspension_reason: Some(reason.to_string()),
            tokens_valid_after: Some(cutoff),
        })
    }

    pub fn reinstate(&self) -> Result<Standing, StandingRuleViolation> {
        if !self.is_suspended() {
            return Err(StandingRuleViolation::NotSuspended);
        }
        Ok(Standing {
            suspended_at: None,
            suspension_reason: None,
            tokens_valid_after: self.tokens_valid_after,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn suspension_refuses_every_earlier_token_and_reinstatement_keeps_them_dead() {
        let now = at("2026-12-07T10:00:00.400Z");
        let admin = UserId::generate(now);
        let user = UserId::generate(now);
        let live = Standing::default();
        assert!(live.accepts_token_issued_at(now.timestamp()));
        let suspended = live.suspend(&admin, &user, "spam", now).unwrap();
        assert!(suspended.is_suspended());
        // Not even a token minted later while suspended counts.
        assert!(!suspended.accepts_token_issued_at(now.timestamp() + 60));
        let reinstated = suspended.reinstate().unwrap();
        assert!(!reinstated.is_suspended());
        // The token of the suspension's own second stays dead; the next login's works.
        assert!(!reinstated.accepts_token_issued_at(now.timestamp()));
        assert!(reinstated.accepts_token_issued_at(now.timestamp() + 1));
    }

    #[test]
    fn suspension_rules() {
        let now = at("2026-12-07T10:00:00Z");
        let admin = UserId::generate(now);
        let user = UserId::generate(now);
        let live = Standing::default();
        assert_eq!(
            live.suspend(&admin, &admin, "x", now),
            Err(StandingRuleViolation::OwnAccount)
        );
        assert_eq!(live.reinstate(), Err(StandingRuleViolation::NotSuspended));
        let suspended = live.suspend(&admin, &user, "x", now).unwrap();
        assert_eq!(
            suspended.suspend(&admin, &user, "x", now),
            Err(StandingRuleViolation::AlreadySuspended)
        );
    }

    #[test]
    fn reasons_are_required_and_bounded() {
        assert_eq!(admin_reason("  spam  ").unwrap(), "spam");
        assert!(admin_reason("   ").is_err());
        assert!(admin_reason(&"x".repeat(1_001)).is_err());
    }
}
