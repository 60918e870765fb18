//! Offers and contracts. Accepting an offer is one transaction: the offer (still pending and
//! unexpired), the contract, its unfunded milestones, the job's `hired_at` (which closes the
//! boost auction), the proposal (hired), the client's `hires` counter and the event.

use super::keys::{self, as_key};
use super::milestones::milestone_put_op;
use super::Label;
use super::{from_item, Cond, Item, Store, StoreError, Tx, TxError};
use crate::domain::contract::Milestone;
use crate::domain::events::{DomainEvent, EventPayload};
use crate::domain::ids::{ContractId, JobId, OfferId, ProposalId, UserId};
use crate::domain::job::JobState;
use crate::domain::offer::{Contract, Offer, OfferState, Side};
use crate::domain::proposal::ProposalState;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OfferRecord {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    pub gsi2pk: String,
    pub gsi2sk: String,
    /// `expires_at` as epoch milliseconds, what write conditions compare.
    pub expires_at_ms: i64,
    #[serde(flatten)]
    pub offer: Offer,
}

impl OfferRecord {
    pub fn new(offer: Offer) -> Self {
        let (pk, sk) = keys::offer(&offer.id);
        let order = format!("{}#{}", offer.created_at.timestamp_millis(), offer.id);
        Self {
            pk,
            sk,
            gsi1pk: keys::freelancer_offers(&offer.parties.freelancer_id),
            gsi1sk: order.clone(),
            gsi2pk: keys::client_offers(&offer.parties.client_id),
            gsi2sk: order,
            expires_at_ms: offer.expires_at.timestamp_millis(),
            offer,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContractRecord {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    pub gsi2pk: String,
    pub gsi2sk: String,
    #[serde(flatten)]
    pub contract: Contract,
}

impl ContractRecord {
    pub fn new(contract: Contract) -> Self {
        let (pk, sk) = keys::contract(&contract.id);
        let order = format!("{}#{}", contract.started_at.timestamp_millis(), contract.id);
        Self {
            pk,
            sk,
            gsi1pk: keys::freelancer_contracts(&contract.parties.freelancer_id),
            gsi1sk: order.clone(),
            gsi2pk: keys::client_contracts(&contract.parties.client_id),
            gsi2sk: order,
            contract,
        }
    }
}

/// Marks the pending offer of a (job, freelancer) pair.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PendingOfferGuard {
    pk: String,
    sk: String,
    offer_id: OfferId,
    expires_at_ms: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ContractStoreError {
    #[error("this freelancer already has a pending offer for this job")]
    AlreadyOffered,
    #[error("the job is closed")]
    JobClosed,
    #[error("the proposal was withdrawn, declined or hired meanwhile")]
    ProposalClosed,
    /// Someone changed the offer, contract or milestone since it was read; re-read and retry.
    #[error("changed concurrently")]
    Stale,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<TxError> for ContractStoreError {
    fn from(err: TxError) -> Self {
        match err {
            TxError::ConditionFailed { label, .. } => match label {
                Label::Offer | Label::Contract | Label::Milestone => ContractStoreError::Stale,
                Label::PendingOffer => ContractStoreError::AlreadyOffered,
                Label::Job => ContractStoreError::JobClosed,
                Label::Proposal => ContractStoreError::ProposalClosed,
                other => ContractStoreError::Store(StoreError::Corrupt(format!(
                    "unexpected condition failure on {other}"
                ))),
            },
            TxError::Store(err) => ContractStoreError::Store(err),
        }
    }
}

/// Writes an offer: created (`expected_version` None) or answered, which needs it still at
/// `expected_version`, pending and unexpired at `now`. Label: `offer`.
fn offer_put_op(tx: Tx, offer: &Offer, expected_version: Option<u64>, now: DateTime<Utc>) -> Tx {
    let condition = match expected_version {
        None => Cond::absent(),
        Some(version) => {
            Cond::new("#version = :version AND #state = :pending AND expires_at_ms > :now_ms")
                .name("#version", "version")
                .name("#state", "state")
                .value(":version", version)
                .value(":pending", OfferState::Pending)
                .value(":now_ms", now.timestamp_millis())
        }
    };
    tx.put(
        Label::Offer,
        &OfferRecord::new(offer.clone()),
        Some(condition),
    )
}

/// Writes a contract: created (`expected_version` None: must not exist, which is what makes
/// racing accepts of one offer start one contract) or moved on from `expected_version`.
/// Label: `contract`.
pub fn contract_put_op(tx: Tx, contract: &Contract, expected_version: Option<u64>) -> Tx {
    let condition = match expected_version {
        None => Cond::absent(),
        Some(version) => Cond::new("#version = :version")
            .name("#version", "version")
            .value(":version", version),
    };
    tx.put(
        Label::Contract,
        &ContractRecord::new(contract.clone()),
        Some(condition),
    )
}

fn guard_delete_op(tx: Tx, offer: &Offer) -> Tx {
    // The offer's own condition (pending, unexpired) proves the guard is still this offer's:
    // another offer can only take it over once this one has expired.
    tx.delete(
        Label::PendingOffer,
        as_key(keys::pending_offer(
            &offer.parties.job_id,
            &offer.parties.freelancer_id,
        )),
        None,
    )
}

/// An offer being accepted and what it starts.
pub struct Acceptance<'a> {
    pub before: &'a Offer,
    pub after: &'a Offer,
    pub contract: &'a Contract,
    pub milestones: &'a [Milestone],
}

impl Store {
    pub async fn offer(&self, id: &OfferId) -> Result<Option<Offer>, StoreError> {
        Ok(self
            .get::<OfferRecord>(&as_key(keys::offer(id)))
            .await?
            .map(|r| r.offer))
    }

    pub async fn contract(&self, id: &ContractId) -> Result<Option<Contract>, StoreError> {
        Ok(self
            .get::<ContractRecord>(&as_key(keys::contract(id)))
            .await?
            .map(|r| r.contract))
    }

    /// Sends an offer on a job that is open at `now`: at most one pending per freelancer.
    pub async fn create_offer(
        &self,
        offer: &Offer,
        now: DateTime<Utc>,
    ) -> Result<(), ContractStoreError> {
        let parties = &offer.parties;
        let guard = PendingOfferGuard {
            pk: keys::pending_offer(&parties.job_id, &parties.freelancer_id).0,
            sk: keys::pending_offer(&parties.job_id, &parties.freelancer_id).1,
            offer_id: offer.id.clone(),
            expires_at_ms: offer.expires_at.timestamp_millis(),
        };
        let event = DomainEvent::new(
            EventPayload::OfferSent {
                offer_id: offer.id.clone(),
                job_id: parties.job_id.clone(),
                client_id: parties.client_id.clone(),
                freelancer_id: parties.freelancer_id.clone(),
            },
            now,
        );
        let tx = offer_put_op(Tx::new(), offer, None, now)
            .put(
                Label::PendingOffer,
                &guard,
                Some(
                    Cond::new("attribute_not_exists(pk) OR expires_at_ms <= :now_ms")
                        .value(":now_ms", now.timestamp_millis()),
                ),
            )
            .check(
                Label::Job,
                as_key(keys::job(&parties.job_id)),
                super::jobs::job_hiring_at(now),
            )
            .emit(&event);
        Ok(self.transact(tx).await?)
    }

    /// Accepts an offer: all of it or nothing (see the module comment).
    pub async fn accept_offer(
        &self,
        acceptance: Acceptance<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), ContractStoreError> {
        let Acceptance {
            before,
            after,
            contract,
            milestones,
        } = acceptance;
        let parties = &contract.parties;
        let mut tx = offer_put_op(Tx::new(), after, Some(before.version), now);
        tx = guard_delete_op(tx, before);
        tx = contract_put_op(tx, contract, None);
        for milestone in milestones {
            tx = milestone_put_op(tx, milestone, None);
        }
        // The first hire closes the boost auction (§4.3); the job stays open, since a job may
        // be filled by several contracts, until its client closes it.
        tx = tx.update(
            Label::Job,
            as_key(keys::job(&parties.job_id)),
            Cond::new("SET hired_at = if_not_exists(hired_at, :now)").value(":now", now),
            Some(
                Cond::new("attribute_exists(pk) AND #state IN (:open, :paused)")
                    .name("#state", "state")
                    .value(":open", JobState::Open)
                    .value(":paused", JobState::Paused),
            ),
        );
        if let Some(proposal) = &parties.proposal_id {
            tx = tx.update(
                Label::Proposal,
                as_key(keys::proposal(proposal)),
                Cond::new("SET #state = :hired, updated_at = :now, version = version + :one")
                    .name("#state", "state")
                    .value(":hired", ProposalState::Hired)
                    .value(":now", now)
                    .value(":one", 1),
                Some(
                    Cond::new("#state IN (:submitted, :shortlisted, :archived)")
                        .name("#state", "state")
                        .value(":submitted", ProposalState::Submitted)
                        .value(":shortlisted", ProposalState::Shortlisted)
                        .value(":archived", ProposalState::Archived),
                ),
            );
        }
        tx = tx
            .update(
                Label::ClientStats,
                as_key(keys::client_stats(&parties.client_id)),
                Cond::new("ADD hires :one").value(":one", 1),
                None,
            )
            .emit(&DomainEvent::new(
                EventPayload::ContractStarted {
                    contract_id: contract.id.clone(),
                    job_id: parties.job_id.clone(),
                    client_id: parties.client_id.clone(),
                    freelancer_id: parties.freelancer_id.clone(),
                },
                now,
            ));
        Ok(self.transact(tx).await?)
    }

    /// Declines or withdraws a pending offer, freeing the pair for a new offer.
    pub async fn close_offer(
        &self,
        before: &Offer,
        after: &Offer,
        event: &DomainEvent,
        now: DateTime<Utc>,
    ) -> Result<(), ContractStoreError> {
        let tx = offer_put_op(Tx::new(), after, Some(before.version), now);
        let tx = guard_delete_op(tx, before).emit(event);
        Ok(self.transact(tx).await?)
    }

    /// Runs a contract change built with `contract_put_op` (and `milestone_put_op`, …).
    pub async fn change_contract(&self, tx: Tx) -> Result<(), ContractStoreError> {
        Ok(self.transact(tx).await?)
    }

    /// The offers a user received (freelancer) or sent (client), newest first.
    pub async fn offers_of(
        &self,
        side: Side,
        user: &UserId,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<Offer>, Option<Item>), StoreError> {
        let (index, pk) = match side {
            Side::Freelancer => ("gsi1", keys::freelancer_offers(user)),
            Side::Client => ("gsi2", keys::client_offers(user)),
        };
        let (items, next) = self
            .query_prefix(Some(index), &pk, "", true, limit, start)
            .await?;
        Ok((decode::<OfferRecord, _>(items, |r| r.offer)?, next))
    }

    /// A user's contracts on one side, newest first.
    pub async fn contracts_of(
        &self,
        side: Side,
        user: &UserId,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<Contract>, Option<Item>), StoreError> {
        let (index, pk) = match side {
            Side::Freelancer => ("gsi1", keys::freelancer_contracts(user)),
            Side::Client => ("gsi2", keys::client_contracts(user)),
        };
        let (items, next) = self
            .query_prefix(Some(index), &pk, "", true, limit, start)
            .await?;
        Ok((decode::<ContractRecord, _>(items, |r| r.contract)?, next))
    }
}

fn decode<R: DeserializeOwned, T>(
    items: Vec<Item>,
    unwrap: impl Fn(R) -> T,
) -> Result<Vec<T>, StoreError> {
    items
        .into_iter()
        .map(|item| from_item::<R>(item).map(&unwrap))
        .collect()
}

/// What an offer is checked against: the job, the freelancer's account and the proposal it
/// answers (when it names one).
pub struct OfferInputs {
    pub job: Option<crate::domain::job::Job>,
    pub freelancer: Option<super::accounts::UserRecord>,
    pub proposal: Option<crate::domain::proposal::Proposal>,
}

impl Store {
    /// The offer's inputs in one round trip (their keys all come from the request).
    pub async fn offer_inputs(
        &self,
        job: &JobId,
        freelancer: &UserId,
        proposal: Option<&ProposalId>,
    ) -> Result<OfferInputs, StoreError> {
        let mut wanted = vec![as_key(keys::job(job)), as_key(keys::user(freelancer))];
        wanted.extend(proposal.map(|id| as_key(keys::proposal(id))));
        let mut found = self.get_many(&wanted).await?.into_iter();
        let mut next = || found.next().flatten();
        Ok(OfferInputs {
            job: next()
                .map(from_item::<super::jobs::JobRecord>)
                .transpose()?
                .map(|r| r.job),
            freelancer: next()
                .map(from_item::<super::accounts::UserRecord>)
                .transpose()?,
            proposal: next()
                .map(from_item::<super::proposals::ProposalRecord>)
                .transpose()?
                .map(|r| r.proposal),
        })
    }
}
