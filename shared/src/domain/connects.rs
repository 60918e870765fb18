//! Connects (PRODUCT §4): the tokens freelancers spend to apply. A per-freelancer ledger of
//! entries (grant, spend, boost, refund, purchase) whose balance never goes negative.

use super::ids::{JobId, ProposalId};
use super::money::{Currency, Money};
use chrono::{DateTime, Datelike, TimeZone, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The free allowance: granted at signup and on the first of every month (§4.2).
pub const MONTHLY_GRANT: u32 = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// The monthly (or signup) allowance.
    Grant,
    /// Applying to a job.
    Spend,
    /// Bidding for a top slot in a job's proposal list.
    Boost,
    /// Connects given back: the job was cancelled before a hire, or a boost was outbid.
    Refund,
    Purchase,
}

impl EntryKind {
    /// Whether entries of this kind add to the balance.
    pub fn is_credit(self) -> bool {
        matches!(
            self,
            EntryKind::Grant | EntryKind::Refund | EntryKind::Purchase
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ConnectsEntry {
    pub kind: EntryKind,
    /// Signed: credits positive, debits negative.
    pub amount: i64,
    pub at: DateTime<Utc>,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<JobId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal_id: Option<ProposalId>,
}

impl ConnectsEntry {
    pub fn new(
        kind: EntryKind,
        connects: u32,
        at: DateTime<Utc>,
        reason: impl Into<String>,
    ) -> Self {
        let amount = i64::from(connects);
        Self {
            kind,
            amount: if kind.is_credit() { amount } else { -amount },
            at,
            reason: reason.into(),
            job_id: None,
            proposal_id: None,
        }
    }

    pub fn for_proposal(mut self, job: &JobId, proposal: &ProposalId) -> Self {
        self.job_id = Some(job.clone());
        self.proposal_id = Some(proposal.clone());
        self
    }
}

/// What one Connect costs (§4.2).
pub const CONNECT_PRICE: Decimal = Decimal::from_parts(15, 0, 0, false, 2);
pub const MIN_PURCHASE: u32 = 1;
pub const MAX_PURCHASE: u32 = 500;

/// The price of `quantity` Connects, exact.
pub fn connects_price(quantity: u32) -> Result<Money, String> {
    if !(MIN_PURCHASE..=MAX_PURCHASE).contains(&quantity) {
        return Err(format!(
            "buy between {MIN_PURCHASE} and {MAX_PURCHASE} Connects at a time"
        ));
    }
    Money::new(CONNECT_PRICE * Decimal::from(quantity), Currency::USD)
        .map_err(|err| err.to_string())
}

/// The month a grant belongs to, `2026-12`: the unit the monthly grant is idempotent over.
pub fn grant_month(at: DateTime<Utc>) -> String {
    format!("{:04}-{:02}", at.year(), at.month())
}

/// The first instant of `at`'s month.
pub fn month_start(at: DateTime<Utc>) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(at.year(), at.month(), 1, 0, 0, 0)
        .single()
        .expect("the first of a month exists")
}

/// A sort key for an entry that is ordered by time and, for movements that must happen once,
/// derived only from what identifies the movement (`basis`): a retry, a redelivered event or
/// a re-run schedule computes the same key, and the entry's `attribute_not_exists` condition
/// refuses the second write.
pub fn entry_sort_key(at: DateTime<Utc>, basis: &str) -> String {
    format!(
        "{}#{:016x}",
        at.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
        crate::security::stable_hash(basis)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connects_cost_fifteen_cents_each_exactly() {
        assert_eq!(connects_price(1).unwrap(), Money::usd("0.15").unwrap());
        assert_eq!(connects_price(20).unwrap(), Money::usd("3.00").unwrap());
        assert_eq!(connects_price(333).unwrap(), Money::usd("49.95").unwrap());
        assert!(connects_price(0).is_err());
        assert!(connects_price(MAX_PURCHASE + 1).is_err());
    }

    #[test]
    fn entries_are_signed_by_kind() {
        let at = Utc::now();
        assert_eq!(ConnectsEntry::new(EntryKind::Spend, 4, at, "x").amount, -4);
        assert_eq!(ConnectsEntry::new(EntryKind::Boost, 3, at, "x").amount, -3);
        assert_eq!(ConnectsEntry::new(EntryKind::Refund, 4, at, "x").amount, 4);
        assert_eq!(ConnectsEntry::new(EntryKind::Grant, 10, at, "x").amount, 10);
    }

    #[test]
    fn grant_keys_are_the_same_for_the_same_month_and_user() {
        let a: DateTime<Utc> = "2026-12-01T00:00:00Z".parse().unwrap();
        let b: DateTime<Utc> = "2026-12-17T13:45:00Z".parse().unwrap();
        assert_eq!(grant_month(a), grant_month(b));
        assert_eq!(month_start(b), a);
        let key = |at| entry_sort_key(month_start(at), &format!("grant:{}:usr_1", grant_month(at)));
        assert_eq!(key(a), key(b));
        assert_ne!(key(a), key("2027-01-01T00:00:00Z".parse().unwrap()));
        assert!(
            key(a) < key("2027-01-01T00:00:00Z".parse().unwrap()),
            "time ordered"
        );
    }
}
