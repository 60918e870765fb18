//! Pure domain code: no AWS, no Lambda, no clock. Anything that depends on time takes `now`.

pub mod account;
pub mod arbitration;
pub mod audit;
pub mod billing;
pub mod card_refund;
pub mod catalogue;
pub mod connects;
pub mod contract;
pub mod dispute;
pub mod events;
pub mod feedback;
pub mod fees;
pub mod file;
pub mod hourly;
pub mod identity;
pub mod ids;
pub mod job;
pub mod job_search;
pub mod ledger;
pub mod messaging;
pub mod moderation;
pub mod money;
pub mod notification;
pub mod offer;
pub mod payment;
pub mod payout;
pub mod plan;
pub mod profile;
pub mod proposal;
pub mod rate_limit;
pub mod report;
pub mod reputation;
pub mod rules;
pub mod search_query;
pub mod withdrawal;

/// A broken business rule about one field of a request, in the caller's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub message: String,
}

impl Violation {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Collects every violation of a request, so the caller fixes them all in one round.
#[derive(Debug, Default)]
pub struct Violations(pub Vec<Violation>);

impl Violations {
    pub fn check(&mut self, ok: bool, field: &str, message: impl Into<String>) {
        if !ok {
            self.0.push(Violation::new(field, message));
        }
    }

    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(Violation::new(field, message));
    }

    pub fn into_result(self) -> Result<(), Violations> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

/// A free-text field: trimmed, non-empty when required, bounded in characters.
pub fn text(
    violations: &mut Violations,
    field: &str,
    value: &str,
    min: usize,
    max: usize,
) -> String {
    let trimmed = value.trim();
    let chars = trimmed.chars().count();
    if chars < min || chars > max {
        violations.push(field, format!("must be between {min} and {max} characters"));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        violations.push(field, "must not contain control characters");
    }
    trimmed.to_string()
}
