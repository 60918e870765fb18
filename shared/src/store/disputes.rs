//! Disputes in the table (`DISPUTE#<id>`), and the transactions that open, contest and settle
//! them. A dispute and the money it froze always move in one transaction: opening freezes the
//! milestone or week with the dispute's first version; settling writes the dispute's last
//! version (conditioned on the one read) together with the ledger movement and the subject's
//! final state, so an answer, the deadline schedule and an admin racing each other settle it
//! exactly once.
//!
//! An open dispute sits in the sparse `due` index under its answer deadline
//! (`DUE#dispute-deadline`), a contested one in gsi1 under `DISPUTES#MEDIATION` (oldest
//! first): the deadline schedule and the admins' queue read only those.

use super::card_refunds;
use super::escrow::{hold_of as milestone_hold, refund_tx, release_tx, Lifetime};
use super::hourly::{settle_week_tx, timesheet_key, timesheet_put_op, TimesheetRecord};
use super::keys;
use super::ledger::Movement;
use super::milestones::{milestone_put_op, MilestoneRecord};
use super::Label;
use super::{from_item, key, Cond, Item, Store, StoreError, Tx};
use crate::domain::card_refund::{CardCharge, CardRefund, RefundTo};
use crate::domain::contract::Milestone;
use crate::domain::dispute::{Dispute, DisputeState, DisputeSubject, Settlement};
use crate::domain::events::{DomainEvent, EventPayload};
use crate::domain::fees::{FeeCatalogue, FeeSchedule};
use crate::domain::hourly::{Payment, Timesheet};
use crate::domain::ids::DisputeId;
use crate::domain::ids::TransferId;
use crate::domain::ledger::{AccountId, Phase, Transfer, TransferCode};
use crate::domain::money::Money;
use crate::domain::offer::{Contract, Side};
use crate::domain::payment::{refunded_client_fee, Release};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The `due` partition of unanswered disputes, by answer deadline.
pub const DEADLINE_DUE: &str = "DUE#dispute-deadline";
/// The gsi1 partition of contested disputes waiting for an admin.
pub const MEDIATION_QUEUE: &str = "DISPUTES#MEDIATION";

pub fn dispute_key(id: &DisputeId) -> Item {
    key(format!("DISPUTE#{id}"), "DISPUTE")
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DisputeRecord {
    pub pk: String,
    pub sk: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duepk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duesk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1sk: Option<String>,
    #[serde(flatten)]
    pub dispute: Dispute,
}

impl DisputeRecord {
    pub fn new(dispute: Dispute) -> Self {
        let due = (dispute.state == DisputeState::Open).then_some(dispute.respond_by);
        let queued = (dispute.state == DisputeState::InMediation).then(|| {
            let since = dispute.answer.as_ref().map_or(dispute.opened_at, |a| a.at);
            format!("{:015}#{}", since.timestamp_millis(), dispute.id)
        });
        Self {
            pk: format!("DISPUTE#{}", dispute.id),
            sk: "DISPUTE".into(),
            duepk: due.map(|_| DEADLINE_DUE.to_string()),
            duesk: due.map(|at| format!("{:015}#{}", at.timestamp_millis(), dispute.id)),
            gsi1pk: queued.as_ref().map(|_| MEDIATION_QUEUE.to_string()),
            gsi1sk: queued,
            dispute,
        }
    }
}

/// A party's copy of a dispute, under their own partition (`GET /v1/me/disputes`), newest
/// first. Rewritten with every version of the dispute, in the same transaction, so the list
/// never shows a state the dispute itself does not have.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DisputeView {
    pub pk: String,
    pub sk: String,
    #[serde(flatten)]
    pub dispute: Dispute,
}

/// The sort key of a dispute in its parties' lists: opening time, then id.
fn view_sort_key(dispute: &Dispute) -> String {
    format!(
        "DISPUTE#{:015}#{}",
        dispute.opened_at.timestamp_millis(),
        dispute.id
    )
}

/// Writes a dispute: new (`before` None: must not exist — one dispute per subject, its id is
/// derived) or its next version (must still be at `before`'s), with both parties' copies.
/// Labels: `dispute`, `dispute_view` (the copies follow the dispute's condition).
pub fn dispute_put_op(tx: Tx, before: Option<&Dispute>, after: &Dispute) -> Tx {
    let condition = match before {
        None => Cond::absent(),
        Some(before) => {
            Cond::new("version = :dispute_version").value(":dispute_version", before.version)
        }
    };
    let mut tx = tx.put(
        Label::Dispute,
        &DisputeRecord::new(after.clone()),
        Some(condition),
    );
    for party in [&after.client_id, &after.freelancer_id] {
        tx = tx.put(
            Label::DisputeView,
            &DisputeView {
                pk: keys::party_disputes(party),
                sk: view_sort_key(after),
                dispute: after.clone(),
            },
            None,
        );
    }
    tx
}

/// The client disputes a week: the week freezes (out of the release index), the contract
/// pauses with a zero limit, and the dispute is recorded.
pub fn open_week_dispute_tx(
    week: (&Timesheet, &Timesheet),
    contract: (&Contract, &Contract),
    dispute: &Dispute,
    now: DateTime<Utc>,
) -> Tx {
    let event = DomainEvent::new(
        EventPayload::WeekDisputed {
            dispute_id: dispute.id.clone(),
            timesheet_id: week.0.id.clone(),
            contract_id: dispute.contract_id.clone(),
            client_id: dispute.client_id.clone(),
            freelancer_id: dispute.freelancer_id.clone(),
            amount: dispute.amount,
        },
        now,
    );
    let mut tx = timesheet_put_op(Tx::new(), week.0, week.1);
    tx = super::contracts::contract_put_op(tx, contract.1, Some(contract.0.version));
    dispute_put_op(tx, None, dispute).emit(&event)
}

/// A party disputes a milestone: its escrow freezes (out of the auto-release index).
pub fn open_milestone_dispute_tx(
    milestone: (&Milestone, &Milestone),
    dispute: &Dispute,
    now: DateTime<Utc>,
) -> Tx {
    let responder = match dispute.responder() {
        crate::domain::offer::Side::Client => &dispute.client_id,
        crate::domain::offer::Side::Freelancer => &dispute.freelancer_id,
    };
    let event = DomainEvent::new(
        EventPayload::DisputeOpened {
            dispute_id: dispute.id.clone(),
            contract_id: dispute.contract_id.clone(),
            milestone_id: milestone.0.id.clone(),
            kind: dispute.kind,
            responder_id: responder.clone(),
            amount: dispute.amount,
            respond_by: dispute.respond_by,
        },
        now,
    );
    let tx = milestone_put_op(Tx::new(), milestone.1, Some(milestone.0.version));
    dispute_put_op(tx, None, dispute).emit(&event)
}

/// The hold of a dispute's paid arbitration fee, rebuilt from the dispute (it is fully
/// determined by it; settling it is conditioned on the stored hold being unsettled): from the
/// payer's spendable money — the client's balance, the freelancer's available earnings — to
/// the platform's arbitration account.
fn arbitration_hold(dispute: &Dispute) -> Option<Transfer> {
    let (payer, fee, _) = dispute.arbitration_paid()?;
    let from = match payer {
        Side::Client => AccountId::client(&dispute.client_id),
        Side::Freelancer => AccountId::available(&dispute.freelancer_id),
    };
    let schedule = dispute.arbitration_fee.as_ref()?.schedule.clone();
    let at = dispute.answer.as_ref().map_or(dispute.opened_at, |a| a.at);
    Some(
        Transfer::new(
            arbitration_transfer_id(dispute, "hold"),
            from,
            AccountId::arbitration_fees(),
            fee,
            Phase::Pending,
            TransferCode::ArbitrationFee,
            dispute.id.to_string(),
            at,
        )
        .priced_by(&schedule),
    )
}

fn arbitration_transfer_id(dispute: &Dispute, what: &str) -> TransferId {
    TransferId::derived(
        dispute.opened_at,
        &format!("arbitration:{}:{what}", dispute.id),
    )
}

/// The end of a paid arbitration fee (`after` settled or withdrawn): the platform's share is
/// posted, the rest of the hold goes back to the payer; nothing kept voids it. Empty when no
/// fee was paid.
fn arbitration_settlement(after: &Dispute, at: DateTime<Utc>) -> Movement {
    let (Some(hold), Some((_, _, Some(kept)))) =
        (arbitration_hold(after), after.arbitration_paid())
    else {
        return Movement::new();
    };
    let posted = (kept.amount > Decimal::ZERO).then_some(kept);
    Movement::new().settle(
        Transfer::settle(
            arbitration_transfer_id(after, "settle"),
            &hold,
            posted,
            TransferCode::ArbitrationFee,
            at,
        ),
        &hold,
    )
}

/// The other side contested: the dispute waits for an admin, and the contesting side's
/// arbitration fee is held from its balance in the same transaction (the account's
/// `available >= fee` condition refuses it when short: label `account`). The hold's id is
/// derived from the dispute, so a retry cannot charge twice.
pub fn contest_tx(before: &Dispute, after: &Dispute, now: DateTime<Utc>) -> Result<Tx, StoreError> {
    let opener = match before.opened_by {
        crate::domain::offer::Side::Client => &before.client_id,
        crate::domain::offer::Side::Freelancer => &before.freelancer_id,
    };
    let event = DomainEvent::new(
        EventPayload::DisputeContested {
            dispute_id: before.id.clone(),
            contract_id: before.contract_id.clone(),
            opener_id: opener.clone(),
        },
        now,
    );
    let tx = dispute_put_op(Tx::new(), Some(before), after).emit(&event);
    match arbitration_hold(after) {
        Some(hold) => Movement::new().transfer(hold).write(tx).map_err(corrupt),
        None => Ok(tx),
    }
}

/// What a withdrawal puts back: the milestone as it stood, or the week back in review with
/// its contract (when the dispute held it paused).
pub enum Unfrozen {
    Milestone {
        before: Milestone,
        after: Milestone,
    },
    Week {
        before: Timesheet,
        after: Timesheet,
        /// Boxed: a contract pair outweighs the milestone variant many times over.
        contract: Option<Box<(Contract, Contract)>>,
    },
}

/// The opener withdrew: the subject unfreezes (the escrow or the week's hold was never
/// touched), a paid arbitration fee goes back whole, and the dispute's last version is
/// written, conditioned on the one read.
pub fn withdraw_tx(
    before: &Dispute,
    after: &Dispute,
    unfrozen: &Unfrozen,
    now: DateTime<Utc>,
) -> Result<Tx, StoreError> {
    let responder = match before.responder() {
        crate::domain::offer::Side::Client => &before.client_id,
        crate::domain::offer::Side::Freelancer => &before.freelancer_id,
    };
    let event = DomainEvent::new(
        EventPayload::DisputeWithdrawn {
            dispute_id: before.id.clone(),
            contract_id: before.contract_id.clone(),
            responder_id: responder.clone(),
        },
        now,
    );
    let tx = match unfrozen {
        Unfrozen::Milestone { before, after } => {
            milestone_put_op(Tx::new(), after, Some(before.version))
        }
        Unfrozen::Week {
            before,
            after,
            contract,
        } => {
            let mut tx = timesheet_put_op(Tx::new(), before, after);
            if let Some((was, now)) = contract.as_deref() {
                tx = super::contracts::contract_put_op(tx, now, Some(was.version));
            }
            tx
        }
    };
    let tx = dispute_put_op(tx, Some(before), after).emit(&event);
    arbitration_settlement(after, now)
        .write(tx)
        .map_err(corrupt)
}

/// What a dispute froze, as it is now.
#[derive(Clone, Debug)]
pub enum Frozen {
    Milestone(Milestone),
    Week(Timesheet),
}

/// Everything settling a dispute needs, read in one round trip after the dispute itself.
pub struct SettlementView {
    pub frozen: Frozen,
    pub lifetime: Lifetime,
    /// The contract of an hourly dispute: it resumes when the dispute ends (§13.1).
    pub contract: Option<Contract>,
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn schedule(id: &str) -> Result<FeeSchedule, StoreError> {
    FeeCatalogue::locked(id).ok_or_else(|| corrupt(format!("fee schedule {id}")))
}

/// Settles a dispute (`before` → `after`, resolved with `settlement`) in one transaction: the
/// frozen milestone or week takes its final state, the money moves (the freelancer's share
/// released like any payment — service fee, lifetime billings, security period — the rest
/// back to the client with its share of the client fee), and the dispute's last version is
/// written, conditioned on the version read.
pub fn settle_tx(
    before: &Dispute,
    after: &Dispute,
    settlement: &Settlement,
    view: &SettlementView,
    now: DateTime<Utc>,
) -> Result<Tx, StoreError> {
    // The fee's end and a refund to the card net with the settlement's own transfers: a
    // client may get a refund and the fee back and send them on to the card, and an account
    // takes one update per transaction.
    let fee = arbitration_settlement(after, now);
    let (tx, card_refund) = match &view.frozen {
        Frozen::Milestone(milestone) => {
            let (settled, payout) = milestone
                .settle_dispute(settlement.to_freelancer, now)
                .map_err(corrupt)?;
            let hold = milestone_hold(milestone)
                .ok_or_else(|| corrupt(format!("{} has no escrow hold", milestone.id)))?;
            let to_card = |back: Money| {
                card_refund_of(
                    after,
                    milestone.id.to_string(),
                    milestone.card_charge.as_ref(),
                    back,
                    now,
                )
            };
            match payout {
                Some(payout) => {
                    let schedule = schedule(&milestone.fee_schedule)?;
                    let release = Release::of(milestone, payout, &schedule);
                    let card_refund = to_card(
                        payout
                            .back_to_client
                            .checked_add(release.client_fee_back)
                            .map_err(corrupt)?,
                    );
                    let tx = release_tx(
                        milestone,
                        &settled,
                        &release,
                        &hold,
                        &schedule,
                        &view.lifetime,
                        false,
                        now,
                        with_set_aside(fee, card_refund.as_ref()),
                    )
                    .map_err(corrupt)?
                    .0;
                    (tx, card_refund)
                }
                None => {
                    let fee_back = refunded_client_fee(milestone)
                        .unwrap_or(Money::zero(milestone.amount.currency));
                    let card_refund =
                        to_card(milestone.amount.checked_add(fee_back).map_err(corrupt)?);
                    let extra = with_set_aside(fee, card_refund.as_ref());
                    let tx = refund_tx(milestone, &settled, &hold, now, extra).map_err(corrupt)?;
                    (tx, card_refund)
                }
            }
        }
        Frozen::Week(week) => {
            let invoice = week
                .invoice
                .as_ref()
                .ok_or_else(|| corrupt(format!("{} has no invoice", week.id)))?;
            let schedule = schedule(&invoice.fee_schedule)?;
            let payment = (settlement.to_freelancer.amount > Decimal::ZERO).then(|| {
                Payment::priced(&schedule, view.lifetime.billed, settlement.to_freelancer)
            });
            let settled = week
                .settle_dispute(payment, settlement.to_client, now)
                .map_err(corrupt)?;
            let back = settlement
                .to_client
                .checked_add(invoice.client_fee_back(settlement.to_client))
                .map_err(corrupt)?;
            let card_refund = card_refund_of(
                after,
                week.id.to_string(),
                week.card_charge.as_ref(),
                back,
                now,
            );
            let extra = with_set_aside(fee, card_refund.as_ref());
            let tx = settle_week_tx(week, &settled, &schedule, &view.lifetime, now, extra)
                .map_err(corrupt)?;
            let tx = match view
                .contract
                .as_ref()
                .and_then(|c| Some((c, c.hourly_dispute_closed(&before.id, now)?)))
            {
                Some((was, resumed)) => {
                    super::contracts::contract_put_op(tx, &resumed, Some(was.version))
                }
                None => tx,
            };
            (tx, card_refund)
        }
    };
    let resolution = after
        .resolution
        .as_ref()
        .ok_or_else(|| corrupt(format!("{} is not resolved", after.id)))?;
    let event = DomainEvent::new(
        EventPayload::DisputeResolved {
            dispute_id: before.id.clone(),
            contract_id: before.contract_id.clone(),
            client_id: before.client_id.clone(),
            freelancer_id: before.freelancer_id.clone(),
            outcome: resolution.outcome,
            decided_by: resolution.decided_by,
            to_freelancer: settlement.to_freelancer,
            to_client: settlement.to_client,
        },
        now,
    );
    let mut tx = dispute_put_op(tx, Some(before), after).emit(&event);
    if resolution.against_freelancer() {
        let (pk, sk) = keys::contract_dispute_lost(&before.contract_id);
        tx = tx.put(
            Label::DisputeLost,
            &DisputeLost {
                pk,
                sk,
                dispute_id: before.id.clone(),
            },
            None,
        );
    }
    if let Some(refund) = &card_refund {
        tx = card_refunds::request(tx, refund);
    }
    Ok(tx)
}

/// The refund to the card of `back` (what the settlement gives the client, fee share
/// included), when the client chose the card and one paid for the subject.
fn card_refund_of(
    dispute: &Dispute,
    reference: String,
    charge: Option<&CardCharge>,
    back: Money,
    now: DateTime<Utc>,
) -> Option<CardRefund> {
    if dispute.refund_to != RefundTo::Card {
        return None;
    }
    CardRefund::of(
        dispute.id.clone(),
        dispute.client_id.clone(),
        reference,
        charge?,
        back,
        now,
    )
}

/// `extra` with the refund's set-aside from the client's balance, when there is one.
fn with_set_aside(extra: Movement, refund: Option<&CardRefund>) -> Movement {
    match refund {
        Some(refund) => extra.transfer(refund.set_aside()),
        None => extra,
    }
}

/// The mark a dispute lost by the freelancer leaves on its contract (read by the reputation).
#[derive(Debug, Serialize)]
struct DisputeLost {
    pk: String,
    sk: String,
    dispute_id: DisputeId,
}

impl Store {
    pub async fn dispute(&self, id: &DisputeId) -> Result<Option<Dispute>, StoreError> {
        Ok(self
            .get::<DisputeRecord>(&dispute_key(id))
            .await?
            .map(|r| r.dispute))
    }

    /// The frozen milestone or week of `dispute` and the pair's lifetime billings (the
    /// freelancer's share is priced on them), in one round trip.
    pub async fn settlement_view(&self, dispute: &Dispute) -> Result<SettlementView, StoreError> {
        let subject = match &dispute.subject {
            DisputeSubject::Milestone { milestone_id } => {
                let (pk, sk) = keys::milestone(milestone_id);
                key(pk, sk)
            }
            DisputeSubject::HourlyWeek { timesheet_id } => timesheet_key(timesheet_id),
        };
        let (lpk, lsk) = keys::lifetime_billings(&dispute.client_id, &dispute.freelancer_id);
        let (cpk, csk) = keys::contract(&dispute.contract_id);
        let hourly = matches!(dispute.subject, DisputeSubject::HourlyWeek { .. });
        let mut wanted = vec![subject, key(lpk, lsk)];
        if hourly {
            wanted.push(key(cpk, csk));
        }
        let mut found = self.get_many(&wanted).await?;
        let contract = match hourly {
            true => found
                .pop()
                .flatten()
                .map(|item| from_item::<super::contracts::ContractRecord>(item).map(|r| r.contract))
                .transpose()?,
            false => None,
        };
        let lifetime = super::escrow::lifetime_of(found.pop().flatten())?;
        let item = found
            .pop()
            .flatten()
            .ok_or_else(|| corrupt(format!("the subject of {} is gone", dispute.id)))?;
        let frozen = match dispute.subject {
            DisputeSubject::Milestone { .. } => {
                Frozen::Milestone(from_item::<MilestoneRecord>(item)?.milestone)
            }
            DisputeSubject::HourlyWeek { .. } => {
                Frozen::Week(from_item::<TimesheetRecord>(item)?.timesheet)
            }
        };
        Ok(SettlementView {
            frozen,
            lifetime,
            contract,
        })
    }

    /// The disputes `user` is a party to, newest first, from `start` (the key the previous
    /// page stopped at).
    pub async fn party_disputes(
        &self,
        user: &crate::domain::ids::UserId,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<Dispute>, Option<Item>), StoreError> {
        let (items, next) = self
            .query_prefix(
                None,
                &keys::party_disputes(user),
                "DISPUTE#",
                true,
                limit,
                start,
            )
            .await?;
        let disputes = items
            .into_iter()
            .map(|item| from_item::<DisputeView>(item).map(|r| r.dispute))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((disputes, next))
    }

    /// Contested disputes waiting for an admin, longest waiting first, from `start` (the
    /// key the previous page stopped at).
    pub async fn mediation_queue(
        &self,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<Dispute>, Option<Item>), StoreError> {
        let (items, next) = self
            .query_prefix(Some("gsi1"), MEDIATION_QUEUE, "", false, limit, start)
            .await?;
        let disputes = items
            .into_iter()
            .map(|item| from_item::<DisputeRecord>(item).map(|r| r.dispute))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((disputes, next))
    }
}
