//! Membership plans in the table (docs/plans.md). A freelancer's subscription is one item
//! (`USER#<id>` / `PLAN`, absent for Basic) that sits in the sparse `due` index under
//! `DUE#plan-renewal` at its next renewal (the period's end) or retry; its history is
//! `PLANHIST#` items in the same partition.
//!
//! Each change is ONE transaction: the subscription at the version read, its history line,
//! and — when money moves — the ledger transfer (created with `attribute_not_exists`, its id
//! derived from the user and the period) and the month's Connects grant (its once-a-month
//! entry key shared with the monthly schedule). A retried request or a re-run schedule
//! collides with itself instead of charging or granting twice.

use super::connects::plan_grant_op;
use super::keys::{self, as_key};
use super::ledger::Movement;
use super::Label;
use super::{from_item, Cond, Item, Store, StoreError, Tx};
use crate::domain::connects::entry_sort_key;
use crate::domain::ids::{TransferId, UserId};
use crate::domain::ledger::{AccountId, Phase, Transfer, TransferCode, TransferError};
use crate::domain::money::Money;
use crate::domain::plan::{Period, PlanEvent, Subscription};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const RENEWAL_DUE: &str = "DUE#plan-renewal";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubscriptionRecord {
    pub pk: String,
    pub sk: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duepk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duesk: Option<String>,
    #[serde(flatten)]
    pub subscription: Subscription,
}

impl SubscriptionRecord {
    pub fn new(subscription: Subscription) -> Self {
        let (pk, sk) = keys::plan(&subscription.user_id);
        let due = subscription.due_at();
        Self {
            pk,
            sk,
            duepk: due.map(|_| RENEWAL_DUE.to_string()),
            duesk: due.map(|at| format!("{:015}#{}", at.timestamp_millis(), subscription.user_id)),
            subscription,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanEventRecord {
    pub pk: String,
    pub sk: String,
    #[serde(flatten)]
    pub event: PlanEvent,
}

impl Store {
    pub async fn subscription(&self, user: &UserId) -> Result<Option<Subscription>, StoreError> {
        Ok(self
            .get::<SubscriptionRecord>(&as_key(keys::plan(user)))
            .await?
            .map(|r| r.subscription))
    }

    /// The freelancer's plan: the stored subscription, else Basic under the schedule in force.
    pub async fn plan_of(
        &self,
        user: &UserId,
        catalogue: &crate::domain::plan::PlanCatalogue,
        now: DateTime<Utc>,
    ) -> Result<Subscription, StoreError> {
        Ok(match self.subscription(user).await? {
            Some(subscription) => subscription,
            None => Subscription::basic(user, catalogue.in_force(now), now),
        })
    }

    /// `at`'s month's allowance under `terms` (`note` says which plan), unless the month was
    /// granted already: the plan changes that grant (a renewal, a downgrade, a cancelled Plus
    /// ending, a subscription before the monthly schedule ran) meet the schedule on the same
    /// once-a-month key, and a transaction with a taken key would fail whole.
    pub async fn month_grant(
        &self,
        user: &UserId,
        terms: &crate::domain::plan::PlanTerms,
        at: DateTime<Utc>,
        note: &str,
    ) -> Result<Option<Grant>, StoreError> {
        if self.month_granted(user, at).await? {
            return Ok(None);
        }
        let balance = self.connects_balance(user).await?;
        Ok(Some(Grant::Month {
            at,
            connects: terms.grant_for(balance),
            note: note.to_string(),
        }))
    }

    /// The bids of a job's proposals other than `caller`'s (withdrawn and removed ones left
    /// out), for Plus's bid range: every page of the job's proposals.
    pub async fn competing_bids(
        &self,
        job: &crate::domain::ids::JobId,
        caller: &UserId,
    ) -> Result<Vec<Money>, StoreError> {
        use crate::domain::proposal::ProposalState;
        let mut bids = Vec::new();
        let mut start = None;
        loop {
            let (proposals, next) = self.job_proposals(job, 100, start).await?;
            bids.extend(
                proposals
                    .into_iter()
                    .filter(|p| &p.freelancer_id != caller)
                    .filter(|p| p.state != ProposalState::Withdrawn && p.removed_at.is_none())
                    .map(|p| p.bid),
            );
            match next {
                Some(key) => start = Some(key),
                None => return Ok(bids),
            }
        }
    }

    /// A freelancer's plan history, newest first, one page at a time.
    pub async fn plan_history(
        &self,
        user: &UserId,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<PlanEvent>, Option<Item>), StoreError> {
        let (pk, _) = keys::plan(user);
        let (items, next) = self
            .query_prefix(None, &pk, keys::PLAN_HISTORY_PREFIX, true, limit, start)
            .await?;
        let events = items
            .into_iter()
            .map(|item| from_item::<PlanEventRecord>(item).map(|r| r.event))
            .collect::<Result<_, _>>()?;
        Ok((events, next))
    }
}

/// The transfer that pays for `period` (a renewal) or its rest (a subscription): the same id
/// for the same user, period and purpose, whoever computes it.
pub fn plan_transfer_id(user: &UserId, period: &Period, purpose: &str) -> TransferId {
    TransferId::derived(
        period.start,
        &format!("plan-{purpose}:{user}:{}", period.month()),
    )
}

/// One change of a subscription, with what it pays and grants.
pub struct PlanChange<'a> {
    pub before: &'a Subscription,
    pub after: Subscription,
    pub event: PlanEvent,
    /// The charge that paid for it (world → platform revenue).
    pub paid: Option<(TransferId, Money)>,
    /// Connects granted: the month's grant (once-a-month key) or, on subscribing, the
    /// upgrade top-up (once per month too).
    pub grant: Option<Grant>,
    /// What makes the history line once-only.
    pub basis: String,
}

pub enum Grant {
    /// The month's allowance under the plan (`note` says which).
    Month {
        at: DateTime<Utc>,
        connects: u32,
        note: String,
    },
    /// Plus's extra Connects on subscribing mid-month, once per month.
    Upgrade { at: DateTime<Utc>, connects: u32 },
}

/// Labels: `plan` (the version moved on: someone got there first), `plan_history`,
/// `transfer` (already paid), `account`, `connects_balance`, `connects_entry` (already granted).
pub fn plan_change_tx(change: PlanChange<'_>) -> Result<Tx, TransferError> {
    let mut tx = Tx::new();
    if let Some((id, amount)) = &change.paid {
        tx = Movement::new()
            .transfer(Transfer::new(
                id.clone(),
                AccountId::world(amount.currency),
                AccountId::fees_for(id),
                *amount,
                Phase::Posted,
                TransferCode::PlanCharge,
                format!("plan:{}", change.after.user_id),
                change.event.at,
            ))
            .write(tx)?;
    }
    let condition = if change.before.version == 0 {
        Cond::absent()
    } else {
        Cond::new("version = :version").value(":version", change.before.version)
    };
    tx = tx.put(
        Label::Plan,
        &SubscriptionRecord::new(change.after.clone()),
        Some(condition),
    );
    let user = &change.after.user_id;
    let (pk, sk) = keys::plan_event(user, &entry_sort_key(change.event.at, &change.basis));
    tx = tx.put(
        Label::PlanHistory,
        &PlanEventRecord {
            pk,
            sk,
            event: change.event,
        },
        Some(Cond::absent()),
    );
    Ok(match change.grant {
        None => tx,
        Some(Grant::Month { at, connects, note }) => plan_grant_op(tx, user, at, connects, &note),
        Some(Grant::Upgrade { at, connects }) => {
            let month = crate::domain::connects::grant_month(at);
            let entry = crate::domain::connects::ConnectsEntry::new(
                crate::domain::connects::EntryKind::Grant,
                connects,
                // The month's start, not the moment: the entry's key is then the same for
                // every subscription of the month, so only one tops the month up.
                crate::domain::connects::month_start(at),
                format!("Plus allowance {month} (over Basic's)"),
            );
            super::connects::credit_op(
                tx,
                user,
                connects,
                &entry,
                &format!("plan-upgrade:{month}:{user}"),
                super::connects::OWN,
            )
        }
    })
}
