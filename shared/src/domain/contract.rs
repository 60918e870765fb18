//! Offers, contracts and fixed-price milestones (PRODUCT §6, §7), pure: what each state
//! allows, what each decision changes, and when escrow releases on its own. Money moves in
//! the store (`store::ledger`), in the same transaction as these transitions.

use super::ids::{
    ContractId, DisputeId, FileId, JobId, MilestoneId, ProposalId, TransferId, UserId,
};
use super::money::{Currency, Money};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A submitted milestone the client neither approves nor sends back within this long is
/// released automatically (§7.4).
pub const AUTO_RELEASE_AFTER: Duration = Duration::days(14);
/// Offers not answered within this long expire (§6.1).
pub const OFFER_LIFETIME: Duration = Duration::days(7);
/// Released earnings are held this long before they can be withdrawn (§9.3).
pub const SECURITY_PERIOD: Duration = Duration::days(5);
/// Smallest milestone (§7.2).
pub const MIN_MILESTONE_UNITS: u32 = 5;
pub const MIN_MILESTONE: Decimal = Decimal::from_parts(MIN_MILESTONE_UNITS, 0, 0, false, 0);
pub const MAX_MILESTONES: usize = 20;
/// What a freelancer writes when submitting work, and a client when asking for changes.
pub const SUBMISSION_MESSAGE: super::rules::TextRule = super::rules::TextRule::new(1, 5_000);
pub const CHANGES_MESSAGE: super::rules::TextRule = super::rules::TextRule::new(0, 5_000);
/// Files one submission may carry.
pub const MAX_SUBMISSION_FILES: usize = 20;
/// What a client pays on approval, when not the milestone amount: more than zero.
pub const APPROVED_AMOUNT: super::rules::AmountRule = super::rules::POSITIVE_AMOUNT;

/// The states in which escrow holds a milestone's money and a party may still decide on it.
const ESCROW_HELD: [MilestoneState; 3] = [
    MilestoneState::Funded,
    MilestoneState::Submitted,
    MilestoneState::ChangesRequested,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MilestoneState {
    Unfunded,
    Funded,
    Submitted,
    ChangesRequested,
    Released,
    Refunded,
    Disputed,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Submission {
    pub message: String,
    pub file_ids: Vec<FileId>,
    pub at: DateTime<Utc>,
}

/// A milestone's state and auto-release time when a dispute froze it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DisputedFrom {
    pub state: MilestoneState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_release_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Milestone {
    pub id: MilestoneId,
    pub contract_id: ContractId,
    pub client_id: UserId,
    pub freelancer_id: UserId,
    pub description: String,
    pub amount: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<chrono::NaiveDate>,
    pub state: MilestoneState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funded_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<DateTime<Utc>>,
    /// When escrow releases unless the client acts first; set while submitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_release_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_at: Option<DateTime<Utc>>,
    /// What the freelancer was paid (gross, before the service fee), when released.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_amount: Option<Money>,
    #[serde(default)]
    pub submissions: Vec<Submission>,
    /// The escrow hold (a pending ledger transfer) while funded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escrow_transfer: Option<TransferId>,
    /// The client marketplace fee paid on top when funding (§10.2), refunded with the escrow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_fee: Option<Money>,
    /// The processor charge that paid the funding, when a card paid (part of) it: what a
    /// refund to the card gives back to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_charge: Option<super::card_refund::CardCharge>,
    /// The fee schedule locked by the contract (§10.3).
    pub fee_schedule: String,
    /// The dispute that froze the escrow (§13), kept after it is settled or withdrawn: one
    /// dispute per funding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispute_id: Option<DisputeId>,
    /// Where the milestone stood when the dispute froze it, so a withdrawal puts it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disputed_from: Option<DisputedFrom>,
    pub created_at: DateTime<Utc>,
    pub version: u64,
}

/// A milestone as the client describes it (in an offer or an amendment).
#[derive(Clone, Debug, PartialEq)]
pub struct MilestoneDraft {
    pub description: String,
    pub amount: Money,
    pub due_date: Option<chrono::NaiveDate>,
}

/// What a milestone needs to know about its contract.
#[derive(Clone, Debug, PartialEq)]
pub struct ContractRef {
    pub id: ContractId,
    pub client_id: UserId,
    pub freelancer_id: UserId,
    pub fee_schedule: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MilestoneRuleViolation {
    #[error("a milestone is at least {MIN_MILESTONE}")]
    TooSmall,
    #[error("only an unfunded milestone can be changed or deleted")]
    AlreadyFunded,
    #[error("the milestone is {0:?}; that is not possible now")]
    WrongState(MilestoneState),
    #[error("the amount is in another currency than the milestone")]
    CurrencyMismatch,
    #[error("an approval pays a positive amount")]
    NothingToPay,
    #[error("this funding of the milestone was disputed already; its dispute was withdrawn")]
    AlreadyDisputed,
}

/// What an approval pays against what escrow holds (§7.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Payout {
    /// Posted from the escrow hold to the freelancer.
    pub from_escrow: Money,
    /// Released back to the client (paying less than the milestone).
    pub back_to_client: Money,
    /// Charged on top as a bonus (paying more than the milestone).
    pub bonus: Money,
}

impl Milestone {
    pub fn new(
        id: MilestoneId,
        contract: &ContractRef,
        draft: MilestoneDraft,
        now: DateTime<Utc>,
    ) -> Result<Self, MilestoneRuleViolation> {
        let MilestoneDraft {
            description,
            amount,
            due_date,
        } = draft;
        if amount.amount < MIN_MILESTONE {
            return Err(MilestoneRuleViolation::TooSmall);
        }
        Ok(Self {
            id,
            contract_id: contract.id.clone(),
            client_id: contract.client_id.clone(),
            freelancer_id: contract.freelancer_id.clone(),
            fee_schedule: contract.fee_schedule.clone(),
            escrow_transfer: None,
            card_charge: None,
            client_fee: None,
            dispute_id: None,
            disputed_from: None,
            created_at: now,
            version: 1,
            description,
            amount,
            due_date,
            state: MilestoneState::Unfunded,
            funded_at: None,
            submitted_at: None,
            auto_release_at: None,
            released_at: None,
            released_amount: None,
            submissions: Vec::new(),
        })
    }

    fn expect(&self, allowed: &[MilestoneState]) -> Result<(), MilestoneRuleViolation> {
        if allowed.contains(&self.state) {
            Ok(())
        } else {
            Err(MilestoneRuleViolation::WrongState(self.state))
        }
    }

    pub fn edit(
        &self,
        description: Option<String>,
        amount: Option<Money>,
        due_date: Option<chrono::NaiveDate>,
    ) -> Result<Milestone, MilestoneRuleViolation> {
        if self.state != MilestoneState::Unfunded {
            return Err(MilestoneRuleViolation::AlreadyFunded);
        }
        let mut next = self.clone();
        next.version += 1;
        if let Some(amount) = amount {
            if amount.amount < MIN_MILESTONE {
                return Err(MilestoneRuleViolation::TooSmall);
            }
            next.amount = amount;
        }
        if let Some(description) = description {
            next.description = description;
        }
        if due_date.is_some() {
            next.due_date = due_date;
        }
        Ok(next)
    }

    pub fn can_delete(&self) -> Result<(), MilestoneRuleViolation> {
        if self.state == MilestoneState::Unfunded {
            Ok(())
        } else {
            Err(MilestoneRuleViolation::AlreadyFunded)
        }
    }

    /// Escrow holds the amount (`escrow_transfer`); the client paid `client_fee` on top.
    pub fn fund(
        &self,
        escrow_transfer: TransferId,
        client_fee: Money,
        now: DateTime<Utc>,
    ) -> Result<Milestone, MilestoneRuleViolation> {
        self.expect(&[MilestoneState::Unfunded])?;
        let mut next = self.clone();
        next.version += 1;
        next.state = MilestoneState::Funded;
        next.funded_at = Some(now);
        next.escrow_transfer = Some(escrow_transfer);
        next.client_fee = Some(client_fee);
        Ok(next)
    }

    /// The funding as a card paid it (`fund` first: the card is only charged for a funding
    /// the rules allow).
    pub fn paid_by(mut self, charge: super::card_refund::CardCharge) -> Milestone {
        self.card_charge = Some(charge);
        self
    }

    /// Work handed in; a resubmission after a change request restarts the 14 days.
    pub fn submit(
        &self,
        message: String,
        file_ids: Vec<FileId>,
        now: DateTime<Utc>,
    ) -> Result<Milestone, MilestoneRuleViolation> {
        self.expect(&[MilestoneState::Funded, MilestoneState::ChangesRequested])?;
        let mut next = self.clone();
        next.version += 1;
        next.state = MilestoneState::Submitted;
        next.submitted_at = Some(now);
        next.auto_release_at = Some(now + AUTO_RELEASE_AFTER);
        next.submissions.push(Submission {
            message,
            file_ids,
            at: now,
        });
        Ok(next)
    }

    pub fn request_changes(&self) -> Result<Milestone, MilestoneRuleViolation> {
        self.expect(&[MilestoneState::Submitted])?;
        let mut next = self.clone();
        next.version += 1;
        next.state = MilestoneState::ChangesRequested;
        next.auto_release_at = None;
        Ok(next)
    }

    /// The client pays `amount` (the milestone's when `None`): less sends the rest back,
    /// more charges the difference as a bonus.
    pub fn approve(
        &self,
        amount: Option<Money>,
        now: DateTime<Utc>,
    ) -> Result<(Milestone, Payout), MilestoneRuleViolation> {
        self.expect(&ESCROW_HELD)?;
        let pay = amount.unwrap_or(self.amount);
        if pay.currency != self.amount.currency {
            return Err(MilestoneRuleViolation::CurrencyMismatch);
        }
        if pay.amount <= Decimal::ZERO {
            return Err(MilestoneRuleViolation::NothingToPay);
        }
        let currency = self.amount.currency;
        let money = |amount: Decimal| Money { amount, currency };
        let escrow = self.amount.amount;
        let payout = Payout {
            from_escrow: money(pay.amount.min(escrow)),
            back_to_client: money((escrow - pay.amount).max(Decimal::ZERO)),
            bonus: money((pay.amount - escrow).max(Decimal::ZERO)),
        };
        Ok((self.released(pay, now), payout))
    }

    /// The schedule's release: only a submission whose 14 days are over at `at`.
    pub fn auto_release(
        &self,
        at: DateTime<Utc>,
    ) -> Result<(Milestone, Payout), MilestoneRuleViolation> {
        self.expect(&[MilestoneState::Submitted])?;
        match self.auto_release_at {
            Some(due) if due <= at => Ok((
                self.released(self.amount, at),
                Payout {
                    from_escrow: self.amount,
                    back_to_client: Money::zero(self.amount.currency),
                    bonus: Money::zero(self.amount.currency),
                },
            )),
            _ => Err(MilestoneRuleViolation::WrongState(self.state)),
        }
    }

    /// The freelancer gives the escrow back (§7.5).
    pub fn refund(&self) -> Result<Milestone, MilestoneRuleViolation> {
        self.expect(&ESCROW_HELD)?;
        let mut next = self.clone();
        next.version += 1;
        next.state = MilestoneState::Refunded;
        next.auto_release_at = None;
        Ok(next)
    }

    /// A dispute freezes the escrow (§13.1): no approval, refund or auto-release touches it
    /// until the dispute is settled, so the auto-release time goes too.
    /// One dispute per funding: a withdrawn claim is dropped for good, so opening and
    /// withdrawing cannot freeze the same escrow again and again.
    pub fn dispute(&self, dispute: DisputeId) -> Result<Milestone, MilestoneRuleViolation> {
        self.expect(&ESCROW_HELD)?;
        if self.dispute_id.is_some() {
            return Err(MilestoneRuleViolation::AlreadyDisputed);
        }
        let mut next = self.clone();
        next.version += 1;
        next.state = MilestoneState::Disputed;
        next.disputed_from = Some(DisputedFrom {
            state: self.state,
            auto_release_at: self.auto_release_at,
        });
        next.auto_release_at = None;
        next.dispute_id = Some(dispute);
        Ok(next)
    }

    /// The opener withdrew the dispute: the milestone is back where it stood, with the
    /// auto-release time it had. The dispute held the money, not the clock: a time that
    /// passed meanwhile is due, and the next auto-release run releases it (a client who
    /// drops a refund request after the 14 days has had them).
    pub fn withdraw_dispute(&self) -> Result<Milestone, MilestoneRuleViolation> {
        self.expect(&[MilestoneState::Disputed])?;
        let from = self
            .disputed_from
            .ok_or(MilestoneRuleViolation::WrongState(self.state))?;
        let mut next = self.clone();
        next.version += 1;
        next.state = from.state;
        next.auto_release_at = from.auto_release_at;
        next.disputed_from = None;
        Ok(next)
    }

    /// The dispute's outcome: the freelancer's share is released from escrow (the rest goes
    /// back to the client), or, with no share, the whole escrow is refunded.
    pub fn settle_dispute(
        &self,
        to_freelancer: Money,
        now: DateTime<Utc>,
    ) -> Result<(Milestone, Option<Payout>), MilestoneRuleViolation> {
        self.expect(&[MilestoneState::Disputed])?;
        if to_freelancer.currency != self.amount.currency {
            return Err(MilestoneRuleViolation::CurrencyMismatch);
        }
        if to_freelancer.amount <= Decimal::ZERO {
            let mut next = self.clone();
            next.version += 1;
            next.state = MilestoneState::Refunded;
            return Ok((next, None));
        }
        let currency = self.amount.currency;
        let payout = Payout {
            from_escrow: to_freelancer,
            back_to_client: Money {
                amount: self.amount.amount - to_freelancer.amount,
                currency,
            },
            bonus: Money::zero(currency),
        };
        Ok((self.released(to_freelancer, now), Some(payout)))
    }

    fn released(&self, pay: Money, now: DateTime<Utc>) -> Milestone {
        let mut next = self.clone();
        next.version += 1;
        next.state = MilestoneState::Released;
        next.released_at = Some(now);
        next.released_amount = Some(pay);
        next.auto_release_at = None;
        next
    }

    pub fn currency(&self) -> Currency {
        self.amount.currency
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContractState {
    Pending,
    Active,
    Paused,
    Ended,
}

/// Who the contract is between and about; shared by offers and contracts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Parties {
    pub job_id: JobId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal_id: Option<ProposalId>,
    pub client_id: UserId,
    pub freelancer_id: UserId,
}

impl Parties {
    pub fn includes(&self, user: &UserId) -> bool {
        &self.client_id == user || &self.freelancer_id == user
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: i64) -> DateTime<Utc> {
        "2026-12-01T09:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::days(day)
    }

    fn contract() -> ContractRef {
        ContractRef {
            id: ContractId::generate(at(0)),
            client_id: UserId::generate(at(0)),
            freelancer_id: UserId::generate(at(0)),
            fee_schedule: "standard".into(),
        }
    }

    fn draft(amount: &str) -> MilestoneDraft {
        MilestoneDraft {
            description: "Design".into(),
            amount: Money::usd(amount).unwrap(),
            due_date: None,
        }
    }

    fn fund(m: &Milestone) -> Milestone {
        m.fund(TransferId::generate(at(0)), Money::usd("5").unwrap(), at(0))
            .unwrap()
    }

    fn milestone(amount: &str) -> Milestone {
        Milestone::new(
            MilestoneId::generate(at(0)),
            &contract(),
            draft(amount),
            at(0),
        )
        .unwrap()
    }

    #[test]
    fn the_happy_path_and_its_fourteen_days() {
        let m = fund(&milestone("600"));
        let submitted = m.submit("done".into(), vec![], at(1)).unwrap();
        assert_eq!(submitted.auto_release_at, Some(at(15)));
        let back = submitted.request_changes().unwrap();
        assert_eq!(back.auto_release_at, None);
        let again = back.submit("fixed".into(), vec![], at(3)).unwrap();
        assert_eq!(
            again.auto_release_at,
            Some(at(17)),
            "resubmission restarts the clock"
        );
        assert!(again.auto_release(at(17) - Duration::hours(1)).is_err());
        let (released, payout) = again.auto_release(at(17)).unwrap();
        assert_eq!(released.state, MilestoneState::Released);
        assert_eq!(payout.from_escrow, Money::usd("600").unwrap());
        assert!(released.auto_release(at(30)).is_err(), "released once");
        assert_eq!(released.submissions.len(), 2);
    }

    #[test]
    fn paying_less_returns_the_rest_paying_more_is_a_bonus() {
        let m = fund(&milestone("500"));
        let (_, less) = m.approve(Some(Money::usd("300").unwrap()), at(1)).unwrap();
        assert_eq!(
            (
                less.from_escrow.amount,
                less.back_to_client.amount,
                less.bonus.amount
            ),
            (Decimal::from(300), Decimal::from(200), Decimal::ZERO)
        );
        let (_, more) = m.approve(Some(Money::usd("650").unwrap()), at(1)).unwrap();
        assert_eq!(
            (
                more.from_escrow.amount,
                more.back_to_client.amount,
                more.bonus.amount
            ),
            (Decimal::from(500), Decimal::ZERO, Decimal::from(150))
        );
        assert_eq!(
            m.approve(Some(Money::usd("0").unwrap()), at(1)),
            Err(MilestoneRuleViolation::NothingToPay)
        );
    }

    #[test]
    fn funded_milestones_are_frozen_and_small_ones_refused() {
        assert_eq!(
            Milestone::new(
                MilestoneId::generate(at(0)),
                &contract(),
                draft("4.99"),
                at(0)
            ),
            Err(MilestoneRuleViolation::TooSmall)
        );
        let m = milestone("50");
        assert!(m.edit(None, Some(Money::usd("60").unwrap()), None).is_ok());
        let funded = fund(&m);
        assert_eq!(
            funded.can_delete(),
            Err(MilestoneRuleViolation::AlreadyFunded)
        );
        assert_eq!(
            funded.edit(Some("y".into()), None, None),
            Err(MilestoneRuleViolation::AlreadyFunded)
        );
        assert_eq!(
            funded.fund(TransferId::generate(at(1)), Money::usd("1").unwrap(), at(1)),
            Err(MilestoneRuleViolation::WrongState(MilestoneState::Funded))
        );
        let refunded = funded.refund().unwrap();
        assert!(refunded.approve(None, at(2)).is_err());
    }
}
