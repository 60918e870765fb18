//! Proposals and invitations. Submitting is one transaction: the proposal, the one-per-job
//! guard, the job's counter (and boost slots), the Connects debit with its entries, the
//! refund of a displaced boost, and the events — all or nothing.

use super::connects::{credit_op, debit_op, Labels, OWN};
use super::jobs::job_open_at;
use super::keys::{self, as_key};
use super::Label;
use super::{from_item, Cond, Item, Store, StoreError, Tx, TxError};
use crate::domain::connects::{ConnectsEntry, EntryKind};
use crate::domain::events::{DomainEvent, EventPayload};
use crate::domain::ids::{InvitationId, JobId, ProposalId, UserId};
use crate::domain::job::{BoostSlot, CloseReason, Job};
use crate::domain::proposal::{Invitation, InvitationState, Proposal};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProposalRecord {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    pub gsi2pk: String,
    pub gsi2sk: String,
    #[serde(flatten)]
    pub proposal: Proposal,
}

impl ProposalRecord {
    pub fn new(proposal: Proposal) -> Self {
        let (pk, sk) = keys::proposal(&proposal.id);
        let order = format!("{}#{}", proposal.created_at.timestamp_millis(), proposal.id);
        Self {
            pk,
            sk,
            gsi1pk: keys::job_proposals(&proposal.job_id),
            gsi1sk: order.clone(),
            gsi2pk: keys::freelancer_proposals(&proposal.freelancer_id),
            gsi2sk: order,
            proposal,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct GuardRecord {
    pk: String,
    sk: String,
    id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InvitationRecord {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    #[serde(flatten)]
    pub invitation: Invitation,
}

#[derive(Debug, thiserror::Error)]
pub enum ProposalStoreError {
    #[error("the freelancer already has a proposal on this job")]
    AlreadyApplied,
    #[error("the freelancer was already invited to this job")]
    AlreadyInvited,
    #[error("not enough Connects")]
    InsufficientConnects,
    #[error("the job no longer accepts proposals")]
    JobClosed,
    #[error("the invitation was already answered")]
    InvitationAnswered,
    /// Someone changed the item since it was read; re-read and retry.
    #[error("changed concurrently")]
    Stale,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn proposal_version_is(version: u64) -> Cond {
    Cond::new("version = :version").value(":version", version)
}

/// A proposal about to be submitted, and what it does to the job's boost auction.
pub struct Submission<'a> {
    pub proposal: &'a Proposal,
    /// The job as read, and (when a boost won a slot) as it is after the auction.
    pub job: &'a Job,
    pub boosted: Option<&'a Job>,
    /// The slot the new boost took from someone, whose Connects come back now.
    pub displaced: Option<&'a BoostSlot>,
    /// Set when the proposal answers an invitation (free of Connects).
    pub invitation: Option<&'a Invitation>,
}

impl Store {
    pub async fn proposal(&self, id: &ProposalId) -> Result<Option<Proposal>, StoreError> {
        Ok(self
            .get::<ProposalRecord>(&as_key(keys::proposal(id)))
            .await?
            .map(|r| r.proposal))
    }

    pub async fn submit_proposal(
        &self,
        submission: Submission<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), ProposalStoreError> {
        let p = submission.proposal;
        let job = submission.job;
        let mut tx = Tx::new()
            .put(
                Label::Proposal,
                &ProposalRecord::new(p.clone()),
                Some(Cond::absent()),
            )
            .put(
                Label::Applicant,
                &guard(keys::applicant(&p.job_id, &p.freelancer_id), p.id.as_str()),
                Some(Cond::absent()),
            )
            // A suspended client's jobs left search; a direct link must not take Connects for
            // a job nobody can hire on. Checked in the write: no extra read.
            .check(
                Label::User,
                as_key(keys::user(&p.client_id)),
                Cond::new("attribute_not_exists(suspended_at)"),
            );
        tx = match submission.boosted {
            None => tx.update(
                Label::Job,
                as_key(keys::job(&job.id)),
                Cond::new("ADD proposals_count :one").value(":one", 1),
                Some(job_open_at(now)),
            ),
            Some(after) => tx.update(
                Label::Job,
                as_key(keys::job(&job.id)),
                Cond::new("SET boosts = :boosts, boost_version = :next ADD proposals_count :one")
                    .value(":boosts", &after.boosts)
                    .value(":next", after.boost_version)
                    .value(":one", 1),
                Some(
                    job_open_at(now).and(
                        Cond::new("boost_version = :seen AND attribute_not_exists(hired_at)")
                            .value(":seen", job.boost_version),
                    ),
                ),
            ),
        };
        let mut entries = Vec::new();
        if p.connects_spent > 0 {
            entries.push((
                ConnectsEntry::new(EntryKind::Spend, p.connects_spent, now, "applied to a job")
                    .for_proposal(&p.job_id, &p.id),
                format!("spend:{}", p.id),
            ));
        }
        if let Some(boost) = &p.boost {
            entries.push((
                ConnectsEntry::new(EntryKind::Boost, boost.connects, now, "boosted a proposal")
                    .for_proposal(&p.job_id, &p.id),
                format!("boost:{}", p.id),
            ));
        }
        let total: u32 = entries
            .iter()
            .map(|(e, _)| e.amount.unsigned_abs() as u32)
            .sum();
        if total > 0 {
            tx = debit_op(tx, &p.freelancer_id, total, &entries, OWN);
        }
        let mut events = vec![DomainEvent::new(
            EventPayload::ProposalSubmitted {
                proposal_id: p.id.clone(),
                job_id: p.job_id.clone(),
                freelancer_id: p.freelancer_id.clone(),
                client_id: p.client_id.clone(),
            },
            now,
        )];
        if let Some(slot) = submission.displaced {
            tx = outbid_op(tx, slot, &p.job_id, now);
            events.push(DomainEvent::new(
                EventPayload::BoostOutbid {
                    proposal_id: slot.proposal_id.clone(),
                    job_id: p.job_id.clone(),
                    freelancer_id: slot.freelancer_id.clone(),
                    connects_refunded: slot.connects,
                },
                now,
            ));
        }
        if let Some(invitation) = submission.invitation {
            tx = tx.update(
                Label::Invitation,
                as_key(keys::invitation(&invitation.id)),
                Cond::new("SET #state = :accepted, proposal_id = :proposal, updated_at = :now")
                    .name("#state", "state")
                    .value(":accepted", InvitationState::Accepted)
                    .value(":proposal", &p.id)
                    .value(":now", now),
                Some(Cond::new("#state = :pending").value(":pending", InvitationState::Pending)),
            );
        }
        for event in &events {
            tx = tx.emit(event);
        }
        // The client may open what the freelancer attached.
        for file in &p.attachments {
            tx = super::files::share_file_op(tx, file, &p.freelancer_id, &p.client_id);
        }
        self.transact(tx).await.map_err(|err| match err {
            TxError::ConditionFailed { label, current } => match label {
                Label::Applicant => ProposalStoreError::AlreadyApplied,
                Label::ConnectsBalance => ProposalStoreError::InsufficientConnects,
                Label::Invitation => ProposalStoreError::InvitationAnswered,
                Label::Job => {
                    // Still open means only the auction moved under us: read again and retry.
                    let still_open = current
                        .and_then(|item| from_item::<super::jobs::JobRecord>(item).ok())
                        .is_some_and(|r| r.job.accepts_proposals(now));
                    if still_open {
                        ProposalStoreError::Stale
                    } else {
                        ProposalStoreError::JobClosed
                    }
                }
                Label::OutbidProposal => ProposalStoreError::Stale,
                Label::User => ProposalStoreError::JobClosed,
                other => ProposalStoreError::Store(StoreError::Corrupt(format!(
                    "unexpected condition failure on {other}"
                ))),
            },
            TxError::Store(err) => ProposalStoreError::Store(err),
        })
    }

    /// Replaces a proposal with its next version (freelancer edits, client decisions).
    pub async fn save_proposal(
        &self,
        proposal: &Proposal,
        expected_version: u64,
    ) -> Result<(), ProposalStoreError> {
        let tx = Tx::new().put(
            Label::Proposal,
            &ProposalRecord::new(proposal.clone()),
            Some(proposal_version_is(expected_version)),
        );
        self.transact(tx).await.map_err(|err| match err {
            TxError::ConditionFailed { .. } => ProposalStoreError::Stale,
            TxError::Store(err) => ProposalStoreError::Store(err),
        })
    }

    /// Gives back what a proposal spent on a job closed before anyone was hired, because its
    /// client cancelled it or an admin removed it (`reason`). Returns false when it was
    /// refunded already (a redelivered event or a re-run): one refund per proposal, whichever
    /// closing asked for it.
    pub async fn refund_proposal_connects(
        &self,
        proposal: &Proposal,
        reason: CloseReason,
        cancelled_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let connects = proposal.refundable_connects();
        if connects == 0 {
            return Ok(false);
        }
        let why = match reason {
            CloseReason::Removed => "the job was removed by Worklane",
            _ => "the client cancelled the job before hiring",
        };
        let entry = ConnectsEntry::new(EntryKind::Refund, connects, cancelled_at, why)
            .for_proposal(&proposal.job_id, &proposal.id);
        let tx = credit_op(
            Tx::new(),
            &proposal.freelancer_id,
            connects,
            &entry,
            &format!("refund:{}", proposal.id),
            OWN,
        )
        .update(
            Label::Proposal,
            as_key(keys::proposal(&proposal.id)),
            Cond::new("SET connects_refunded = :yes, version = version + :one")
                .value(":yes", true)
                .value(":one", 1),
            Some(Cond::new("connects_refunded = :no").value(":no", false)),
        );
        match self.transact(tx).await {
            Ok(()) => Ok(true),
            Err(TxError::ConditionFailed { .. }) => Ok(false),
            Err(TxError::Store(err)) => Err(err),
        }
    }

    /// Proposals of a job in arrival order (the client's list), one page at a time.
    pub async fn job_proposals(
        &self,
        job: &JobId,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<Proposal>, Option<Item>), StoreError> {
        let (items, next) = self
            .query_prefix(
                Some("gsi1"),
                &keys::job_proposals(job),
                "",
                false,
                limit,
                start,
            )
            .await?;
        Ok((decode_proposals(items)?, next))
    }

    /// A freelancer's proposals, newest first.
    pub async fn freelancer_proposals(
        &self,
        freelancer: &UserId,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<Proposal>, Option<Item>), StoreError> {
        let (items, next) = self
            .query_prefix(
                Some("gsi2"),
                &keys::freelancer_proposals(freelancer),
                "",
                true,
                limit,
                start,
            )
            .await?;
        Ok((decode_proposals(items)?, next))
    }

    pub async fn proposals(&self, ids: &[ProposalId]) -> Result<Vec<Proposal>, StoreError> {
        let keys: Vec<_> = ids.iter().map(|id| as_key(keys::proposal(id))).collect();
        decode_proposals(self.get_many(&keys).await?.into_iter().flatten().collect())
    }

    pub async fn invitation(&self, id: &InvitationId) -> Result<Option<Invitation>, StoreError> {
        Ok(self
            .get::<InvitationRecord>(&as_key(keys::invitation(id)))
            .await?
            .map(|r| r.invitation))
    }

    /// Whether `freelancer` was invited to `job` (what lets them see an invite-only job).
    pub async fn is_invited(&self, job: &JobId, freelancer: &UserId) -> Result<bool, StoreError> {
        Ok(self
            .get::<GuardRecord>(&as_key(keys::invited(job, freelancer)))
            .await?
            .is_some())
    }

    /// Invites a freelancer to an open job: once per freelancer per job.
    pub async fn create_invitation(
        &self,
        invitation: &Invitation,
        job: &Job,
        now: DateTime<Utc>,
    ) -> Result<(), ProposalStoreError> {
        let (pk, sk) = keys::invitation(&invitation.id);
        let record = InvitationRecord {
            pk,
            sk,
            gsi1pk: keys::freelancer_invitations(&invitation.freelancer_id),
            gsi1sk: format!(
                "{}#{}",
                invitation.created_at.timestamp_millis(),
                invitation.id
            ),
            invitation: invitation.clone(),
        };
        let event = DomainEvent::new(
            EventPayload::InvitationSent {
                invitation_id: invitation.id.clone(),
                job_id: invitation.job_id.clone(),
                freelancer_id: invitation.freelancer_id.clone(),
                client_id: invitation.client_id.clone(),
            },
            now,
        );
        let mut tx = Tx::new()
            .put(Label::Invitation, &record, Some(Cond::absent()))
            .put(
                Label::Invited,
                &guard(
                    keys::invited(&invitation.job_id, &invitation.freelancer_id),
                    invitation.id.as_str(),
                ),
                Some(Cond::absent()),
            )
            .check(
                Label::Job,
                as_key(keys::job(&invitation.job_id)),
                job_open_at(now),
            )
            .emit(&event);
        // An invite-only job's files are for the people invited to it.
        if job.visibility == crate::domain::job::Visibility::InviteOnly {
            for file in &job.attachments {
                tx = super::files::share_file_op(
                    tx,
                    file,
                    &job.client_id,
                    &invitation.freelancer_id,
                );
            }
        }
        self.transact(tx).await.map_err(|err| match err {
            TxError::ConditionFailed {
                label: Label::Invited,
                ..
            } => ProposalStoreError::AlreadyInvited,
            TxError::ConditionFailed {
                label: Label::Job, ..
            } => ProposalStoreError::JobClosed,
            TxError::ConditionFailed { .. } => ProposalStoreError::Stale,
            TxError::Store(err) => ProposalStoreError::Store(err),
        })
    }

    pub async fn decline_invitation(
        &self,
        invitation: &Invitation,
        now: DateTime<Utc>,
    ) -> Result<(), ProposalStoreError> {
        let tx = Tx::new().update(
            Label::Invitation,
            as_key(keys::invitation(&invitation.id)),
            Cond::new("SET #state = :declined, updated_at = :now")
                .name("#state", "state")
                .value(":declined", InvitationState::Declined)
                .value(":now", now),
            Some(Cond::new("#state = :pending").value(":pending", InvitationState::Pending)),
        );
        self.transact(tx).await.map_err(|err| match err {
            TxError::ConditionFailed { .. } => ProposalStoreError::InvitationAnswered,
            TxError::Store(err) => ProposalStoreError::Store(err),
        })
    }

    /// A freelancer's invitations, newest first.
    pub async fn freelancer_invitations(
        &self,
        freelancer: &UserId,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<Invitation>, Option<Item>), StoreError> {
        let (items, next) = self
            .query_prefix(
                Some("gsi1"),
                &keys::freelancer_invitations(freelancer),
                "",
                true,
                limit,
                start,
            )
            .await?;
        let invitations = items
            .into_iter()
            .map(|item| from_item::<InvitationRecord>(item).map(|r| r.invitation))
            .collect::<Result<_, _>>()?;
        Ok((invitations, next))
    }
}

const OUTBID: Labels = Labels {
    balance: Label::OutbidBalance,
    entry: Label::OutbidEntry,
};

/// The displaced boost's Connects go back at once (§4.3), and its proposal says so.
fn outbid_op(tx: Tx, slot: &BoostSlot, job: &JobId, now: DateTime<Utc>) -> Tx {
    let entry = ConnectsEntry::new(
        EntryKind::Refund,
        slot.connects,
        now,
        "outbid for a boosted slot",
    )
    .for_proposal(job, &slot.proposal_id);
    credit_op(
        tx,
        &slot.freelancer_id,
        slot.connects,
        &entry,
        &format!(
            "boost-refund:{}:{}",
            slot.proposal_id,
            slot.placed_at.timestamp_millis()
        ),
        OUTBID,
    )
    .update(
        Label::OutbidProposal,
        as_key(keys::proposal(&slot.proposal_id)),
        Cond::new("SET boost.#boost_state = :outbid, version = version + :one")
            .name("#boost_state", "state")
            .value(":outbid", crate::domain::proposal::BoostState::Outbid)
            .value(":one", 1),
        Some(Cond::new("attribute_exists(boost)")),
    )
}

fn guard((pk, sk): (String, String), id: &str) -> GuardRecord {
    GuardRecord {
        pk,
        sk,
        id: id.to_string(),
    }
}

fn decode_proposals(items: Vec<Item>) -> Result<Vec<Proposal>, StoreError> {
    items
        .into_iter()
        .map(|item| from_item::<ProposalRecord>(item).map(|r| r.proposal))
        .collect()
}
