//! Offers and contracts (PRODUCT §6, §7.2, §8.7), pure: what a client may offer, what each
//! side may do with an offer or a contract and when, and how amendments change a contract
//! whose accepted terms never change. The store writes each transition in one transaction.

use super::contract::{
    ContractRef, ContractState, Milestone, MilestoneDraft, MilestoneRuleViolation, Parties,
    MAX_MILESTONES, OFFER_LIFETIME,
};
use super::ids::{ContractId, DisputeId, MilestoneId, OfferId, UserId};
use super::job::JobType;
use super::money::{Currency, Money, MoneyInput};
use super::proposal::ProposalState;
use super::rules::{AmountRule, TextRule};
use super::Violations;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Hourly rates an offer may name; the same bounds as a job's rate range.
pub const HOURLY_RATE: AmountRule = super::job::HOURLY_RATE;
/// A milestone's amount: at least $5 (as a fixed-price job's budget).
pub const MILESTONE_AMOUNT: AmountRule =
    AmountRule::units(super::contract::MIN_MILESTONE_UNITS as u64, 1_000_000_000);
pub const MILESTONE_DESCRIPTION: TextRule = TextRule::new(1, 1_000);
pub const OFFER_MESSAGE: TextRule = TextRule::new(0, 5_000);
pub const MIN_WEEKLY_LIMIT_HOURS: u32 = 1;
/// A week has 168 hours; 80 is what a person can bill in one (§8.3).
pub const MAX_WEEKLY_LIMIT_HOURS: u32 = 80;
/// Bounds the contract item (DynamoDB items are at most 400 KB) whatever the contract's age.
pub const MAX_AMENDMENTS: usize = 200;

/// Which side of a deal a user is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Client,
    Freelancer,
}

impl Side {
    /// `None` for anyone who is not a party.
    pub fn of(parties: &Parties, user: &UserId) -> Option<Side> {
        if &parties.client_id == user {
            Some(Side::Client)
        } else if &parties.freelancer_id == user {
            Some(Side::Freelancer)
        } else {
            None
        }
    }

    fn require(self, needed: Side) -> Result<(), Side> {
        if self == needed {
            Ok(())
        } else {
            Err(needed)
        }
    }
}

/// A proposal from which a client may still hire (an archived one may be reopened, §5.2).
pub fn proposal_hireable(state: ProposalState) -> bool {
    matches!(
        state,
        ProposalState::Submitted | ProposalState::Shortlisted | ProposalState::Archived
    )
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MilestoneTerms {
    pub description: String,
    pub amount: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<NaiveDate>,
}

impl From<&MilestoneTerms> for MilestoneDraft {
    fn from(terms: &MilestoneTerms) -> Self {
        MilestoneDraft {
            description: terms.description.clone(),
            amount: terms.amount,
            due_date: terms.due_date,
        }
    }
}

/// What the client offers and the freelancer accepts; a contract keeps it unchanged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContractTerms {
    Fixed {
        milestones: Vec<MilestoneTerms>,
    },
    Hourly {
        hourly_rate: Money,
        weekly_limit_hours: u32,
        manual_time_allowed: bool,
    },
}

impl ContractTerms {
    pub fn contract_type(&self) -> JobType {
        match self {
            ContractTerms::Fixed { .. } => JobType::Fixed,
            ContractTerms::Hourly { .. } => JobType::Hourly,
        }
    }

    pub fn currency(&self) -> Currency {
        match self {
            ContractTerms::Fixed { milestones } => milestones
                .first()
                .map(|m| m.amount.currency)
                .unwrap_or(Currency::USD),
            ContractTerms::Hourly { hourly_rate, .. } => hourly_rate.currency,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OfferState {
    Pending,
    Accepted,
    Declined,
    Withdrawn,
    Expired,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Offer {
    pub id: OfferId,
    #[serde(flatten)]
    pub parties: Parties,
    #[serde(flatten)]
    pub terms: ContractTerms,
    pub message: String,
    pub state: OfferState,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_id: Option<ContractId>,
    pub version: u64,
}

/// `POST /v1/offers` as it arrives; `check` turns it into terms or every violation at once.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = offer_terms_schema)]
pub struct OfferDraft {
    #[serde(default)]
    pub proposal_id: Option<super::ids::ProposalId>,
    pub job_id: super::ids::JobId,
    pub freelancer_id: UserId,
    #[serde(rename = "type")]
    pub contract_type: JobType,
    /// Fixed price (and only it): one or more milestones.
    #[serde(default)]
    #[schemars(length(min = 1, max = MAX_MILESTONES))]
    pub milestones: Option<Vec<MilestoneInput>>,
    /// Hourly (and only it): the rate, the weekly limit and whether manual time is allowed.
    #[serde(default)]
    #[schemars(transform = HOURLY_RATE.schema())]
    pub hourly_rate: Option<MoneyInput>,
    #[serde(default)]
    #[schemars(range(min = MIN_WEEKLY_LIMIT_HOURS, max = MAX_WEEKLY_LIMIT_HOURS))]
    pub weekly_limit_hours: Option<u32>,
    #[serde(default)]
    pub manual_time_allowed: Option<bool>,
    #[serde(default)]
    #[schemars(transform = OFFER_MESSAGE.schema())]
    pub message: String,
}

/// Fixed: milestones and no hourly terms; hourly: a rate and a weekly limit, no milestones.
fn offer_terms_schema(schema: &mut schemars::Schema) {
    use super::rules::when;
    schema.insert(
        "allOf".into(),
        serde_json::json!([
            when(
                "type",
                "fixed",
                &["milestones"],
                &["hourly_rate", "weekly_limit_hours", "manual_time_allowed"]
            ),
            when(
                "type",
                "hourly",
                &["hourly_rate", "weekly_limit_hours"],
                &["milestones"]
            ),
        ]),
    );
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneInput {
    #[schemars(transform = MILESTONE_DESCRIPTION.schema())]
    pub description: String,
    #[schemars(transform = MILESTONE_AMOUNT.schema())]
    pub amount: MoneyInput,
    /// Today or later (UTC).
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
}

/// A draft's checked content.
#[derive(Clone, Debug, PartialEq)]
pub struct OfferContent {
    pub terms: ContractTerms,
    pub message: String,
}

impl MilestoneInput {
    /// One milestone's terms, its violations named under `field` (e.g. `milestones[1]`; empty
    /// for a milestone sent on its own).
    pub fn check(
        &self,
        v: &mut Violations,
        field: &str,
        now: DateTime<Utc>,
    ) -> Option<MilestoneTerms> {
        let name = |n: &str| match field {
            "" => n.to_string(),
            _ => format!("{field}.{n}"),
        };
        let description = MILESTONE_DESCRIPTION.check(v, &name("description"), &self.description);
        if let Some(due) = self.due_date {
            v.check(
                due >= now.date_naive(),
                &name("due_date"),
                "must not be in the past",
            );
        }
        MILESTONE_AMOUNT
            .check(v, &name("amount"), &self.amount)
            .map(|amount| MilestoneTerms {
                description,
                amount,
                due_date: self.due_date,
            })
    }
}

fn check_weekly_limit(v: &mut Violations, hours: u32) {
    v.check(
        (MIN_WEEKLY_LIMIT_HOURS..=MAX_WEEKLY_LIMIT_HOURS).contains(&hours),
        "weekly_limit_hours",
        format!("between {MIN_WEEKLY_LIMIT_HOURS} and {MAX_WEEKLY_LIMIT_HOURS}"),
    );
}

impl OfferDraft {
    pub fn check(&self, now: DateTime<Utc>) -> Result<OfferContent, Violations> {
        let mut v = Violations::default();
        let message = OFFER_MESSAGE.check(&mut v, "message", &self.message);
        let terms = match self.contract_type {
            JobType::Fixed => self.fixed_terms(&mut v, now),
            JobType::Hourly => self.hourly_terms(&mut v),
        };
        v.into_result()?;
        Ok(OfferContent {
            terms: terms.expect("terms are valid when there are no violations"),
            message,
        })
    }

    fn fixed_terms(&self, v: &mut Violations, now: DateTime<Utc>) -> Option<ContractTerms> {
        v.check(
            self.hourly_rate.is_none()
                && self.weekly_limit_hours.is_none()
                && self.manual_time_allowed.is_none(),
            "hourly_rate",
            "a fixed-price offer has milestones, not hourly terms",
        );
        let inputs = self.milestones.as_deref().unwrap_or_default();
        if inputs.is_empty() || inputs.len() > MAX_MILESTONES {
            v.push(
                "milestones",
                format!("a fixed-price offer has 1 to {MAX_MILESTONES} milestones"),
            );
            return None;
        }
        let milestones: Vec<Option<MilestoneTerms>> = inputs
            .iter()
            .enumerate()
            .map(|(i, m)| m.check(v, &format!("milestones[{i}]"), now))
            .collect();
        let milestones: Vec<MilestoneTerms> = milestones.into_iter().collect::<Option<_>>()?;
        let currency = milestones[0].amount.currency;
        if milestones.iter().any(|m| m.amount.currency != currency) {
            v.push("milestones", "every milestone is in the same currency");
            return None;
        }
        let total = milestones
            .iter()
            .try_fold(Money::zero(currency), |sum, m| sum.checked_add(m.amount));
        if let Err(err) = total {
            v.push("milestones", err.to_string());
            return None;
        }
        Some(ContractTerms::Fixed { milestones })
    }

    fn hourly_terms(&self, v: &mut Violations) -> Option<ContractTerms> {
        v.check(
            self.milestones.is_none(),
            "milestones",
            "an hourly offer has a rate, not milestones",
        );
        let weekly_limit_hours = match self.weekly_limit_hours {
            Some(hours) => {
                check_weekly_limit(v, hours);
                hours
            }
            None => {
                v.push("weekly_limit_hours", "an hourly offer needs a weekly limit");
                0
            }
        };
        let Some(rate) = &self.hourly_rate else {
            v.push("hourly_rate", "an hourly offer needs an hourly rate");
            return None;
        };
        HOURLY_RATE
            .check(v, "hourly_rate", rate)
            .map(|hourly_rate| ContractTerms::Hourly {
                hourly_rate,
                weekly_limit_hours,
                manual_time_allowed: self.manual_time_allowed.unwrap_or(false),
            })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OfferRuleViolation {
    #[error("the offer is {0:?} and can no longer change")]
    NotPending(OfferState),
    #[error("the offer expired")]
    Expired,
    #[error("only the offer's {0:?} may do this")]
    WrongSide(Side),
}

impl Offer {
    pub fn new(id: OfferId, parties: Parties, content: OfferContent, now: DateTime<Utc>) -> Offer {
        Offer {
            id,
            parties,
            terms: content.terms,
            message: content.message,
            state: OfferState::Pending,
            created_at: now,
            expires_at: now + OFFER_LIFETIME,
            updated_at: now,
            contract_id: None,
            version: 1,
        }
    }

    /// A pending offer past its lifetime reads as expired without a write, so expiry needs
    /// no sweep and every reader agrees for the same `now`.
    pub fn effective(mut self, now: DateTime<Utc>) -> Offer {
        if self.state == OfferState::Pending && now >= self.expires_at {
            self.state = OfferState::Expired;
        }
        self
    }

    fn answer(
        &self,
        side: Side,
        needed: Side,
        state: OfferState,
        now: DateTime<Utc>,
    ) -> Result<Offer, OfferRuleViolation> {
        side.require(needed)
            .map_err(OfferRuleViolation::WrongSide)?;
        match self.clone().effective(now).state {
            OfferState::Pending => {}
            OfferState::Expired => return Err(OfferRuleViolation::Expired),
            other => return Err(OfferRuleViolation::NotPending(other)),
        }
        let mut next = self.clone();
        next.state = state;
        next.updated_at = now;
        next.version += 1;
        Ok(next)
    }

    /// The freelancer accepts: the offer names the contract it became.
    pub fn accept(
        &self,
        side: Side,
        contract_id: ContractId,
        now: DateTime<Utc>,
    ) -> Result<Offer, OfferRuleViolation> {
        let mut next = self.answer(side, Side::Freelancer, OfferState::Accepted, now)?;
        next.contract_id = Some(contract_id);
        Ok(next)
    }

    pub fn decline(&self, side: Side, now: DateTime<Utc>) -> Result<Offer, OfferRuleViolation> {
        self.answer(side, Side::Freelancer, OfferState::Declined, now)
    }

    pub fn withdraw(&self, side: Side, now: DateTime<Utc>) -> Result<Offer, OfferRuleViolation> {
        self.answer(side, Side::Client, OfferState::Withdrawn, now)
    }

    /// The contract's id, the same for every attempt to accept this offer: two accepts that
    /// race both try to create this one item, and only one can.
    pub fn contract_id(&self) -> ContractId {
        ContractId::derived(self.created_at, &format!("contract:{}", self.id))
    }

    /// The id of the accepted terms' `index`th milestone: derived like the contract's, and a
    /// millisecond apart so that ids (and the contract's milestone list) keep the offer's order.
    pub fn milestone_id(&self, index: usize) -> MilestoneId {
        let at = self.created_at + Duration::milliseconds(index as i64);
        MilestoneId::derived(at, &format!("milestone:{}:{index}", self.id))
    }
}

/// One recorded change of a running contract (§6.3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Amendment {
    #[serde(flatten)]
    pub change: AmendmentChange,
    pub at: DateTime<Utc>,
    pub by: UserId,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum AmendmentChange {
    MilestoneAdded {
        milestone_id: MilestoneId,
        description: String,
        amount: Money,
    },
    /// An unfunded milestone changed (§7.2); the values after the change.
    MilestoneEdited {
        milestone_id: MilestoneId,
        description: String,
        amount: Money,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due_date: Option<NaiveDate>,
    },
    MilestoneDeleted {
        milestone_id: MilestoneId,
        amount: Money,
    },
    /// An increase applies at once; a decrease from the next Monday 00:00 UTC (§8.7).
    WeeklyLimitChanged {
        from: u32,
        to: u32,
        effective_from: DateTime<Utc>,
    },
    ManualTimeChanged {
        allowed: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Contract {
    pub id: ContractId,
    #[serde(flatten)]
    pub parties: Parties,
    pub offer_id: OfferId,
    #[serde(rename = "type")]
    pub contract_type: JobType,
    /// As accepted; never changes. What changed since is in `amendments`.
    pub terms: ContractTerms,
    pub state: ContractState,
    /// The fee schedule in force when the contract started (§10.3).
    pub fee_schedule: String,
    pub started_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_by: Option<Side>,
    #[serde(default)]
    pub amendments: Vec<Amendment>,
    /// Set while hourly disputes hold the contract paused (§13.1): what to put back when the
    /// last of them is settled or withdrawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispute_pause: Option<DisputePause>,
    pub version: u64,
}

/// What hourly disputes changed on a contract, to undo when the last one ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DisputePause {
    /// The disputes still running; the contract resumes when none is left.
    pub disputes: Vec<DisputeId>,
    /// The weekly limit the first dispute set to zero.
    pub weekly_limit_hours: u32,
    /// The client had paused the contract himself before: it stays paused.
    pub client_paused: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContractRuleViolation {
    #[error("only the contract's {0:?} may do this")]
    WrongSide(Side),
    #[error("the contract is {0:?}; that is not possible now")]
    WrongState(ContractState),
    #[error("only a fixed-price contract has milestones")]
    NotFixed,
    #[error("only an hourly contract has a weekly limit and manual time")]
    NotHourly,
    #[error("the amount is in another currency than the contract")]
    CurrencyMismatch,
    #[error("the contract has reached {MAX_AMENDMENTS} amendments")]
    TooManyAmendments,
    #[error("bonuses are paid while a contract runs and up to 365 days after it ended")]
    BonusClosed,
    #[error(transparent)]
    Milestone(#[from] MilestoneRuleViolation),
}

/// The hourly settings in force at some time, after the amendments made until then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct HourlySettings {
    pub weekly_limit_hours: u32,
    pub manual_time_allowed: bool,
    /// A decrease waiting for its Monday.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_weekly_limit: Option<ScheduledLimit>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ScheduledLimit {
    pub weekly_limit_hours: u32,
    pub effective_from: DateTime<Utc>,
}

/// The first Monday 00:00 UTC strictly after `now` (a decrease made on a Monday waits a week).
pub fn next_monday(now: DateTime<Utc>) -> DateTime<Utc> {
    let days = 7 - i64::from(now.weekday().num_days_from_monday());
    let date = now.date_naive() + Duration::days(days);
    date.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
}

/// A client may pay a bonus this long after a contract ended (§7.5).
pub const BONUS_WINDOW_AFTER_END: Duration = Duration::days(365);
/// Bonus bounds: at least a dollar, at most what one payment may reasonably carry.
pub const BONUS: AmountRule = AmountRule::units(1, 50_000);
pub const BONUS_MESSAGE: TextRule = TextRule::new(0, 2_000);

impl Contract {
    /// Whether the client may pay a bonus at `now`: while the contract runs (or is paused),
    /// and for a year after it ended.
    pub fn accepts_bonus(&self, now: DateTime<Utc>) -> bool {
        match self.state {
            ContractState::Active | ContractState::Paused => true,
            ContractState::Ended => self
                .ended_at
                .is_some_and(|ended| now <= ended + BONUS_WINDOW_AFTER_END),
            ContractState::Pending => false,
        }
    }

    /// The contract an accepted offer starts, locking the fee schedule in force.
    pub fn start(offer: &Offer, fee_schedule: impl Into<String>, now: DateTime<Utc>) -> Contract {
        Contract {
            id: offer.contract_id(),
            parties: offer.parties.clone(),
            offer_id: offer.id.clone(),
            contract_type: offer.terms.contract_type(),
            terms: offer.terms.clone(),
            state: ContractState::Active,
            fee_schedule: fee_schedule.into(),
            started_at: now,
            paused_at: None,
            dispute_pause: None,
            ended_at: None,
            ended_by: None,
            amendments: Vec::new(),
            version: 1,
        }
    }

    pub fn reference(&self) -> ContractRef {
        ContractRef {
            id: self.id.clone(),
            client_id: self.parties.client_id.clone(),
            freelancer_id: self.parties.freelancer_id.clone(),
            fee_schedule: self.fee_schedule.clone(),
        }
    }

    /// The unfunded milestones of the accepted terms, with ids derived from the offer.
    pub fn initial_milestones(
        &self,
        offer: &Offer,
        now: DateTime<Utc>,
    ) -> Result<Vec<Milestone>, MilestoneRuleViolation> {
        let ContractTerms::Fixed { milestones } = &self.terms else {
            return Ok(Vec::new());
        };
        let reference = self.reference();
        milestones
            .iter()
            .enumerate()
            .map(|(i, terms)| Milestone::new(offer.milestone_id(i), &reference, terms.into(), now))
            .collect()
    }

    fn expect(&self, allowed: &[ContractState]) -> Result<(), ContractRuleViolation> {
        if allowed.contains(&self.state) {
            Ok(())
        } else {
            Err(ContractRuleViolation::WrongState(self.state))
        }
    }

    fn next(&self) -> Contract {
        let mut next = self.clone();
        next.version += 1;
        next
    }

    fn client(side: Side) -> Result<(), ContractRuleViolation> {
        side.require(Side::Client)
            .map_err(ContractRuleViolation::WrongSide)
    }

    pub fn pause(&self, side: Side, now: DateTime<Utc>) -> Result<Contract, ContractRuleViolation> {
        Self::client(side)?;
        self.expect(&[ContractState::Active])?;
        let mut next = self.next();
        next.state = ContractState::Paused;
        next.paused_at = Some(now);
        Ok(next)
    }

    pub fn resume(&self, side: Side) -> Result<Contract, ContractRuleViolation> {
        Self::client(side)?;
        self.expect(&[ContractState::Paused])?;
        let mut next = self.next();
        next.state = ContractState::Active;
        next.paused_at = None;
        Ok(next)
    }

    /// A client disputes a week of hourly work (§8.5, §13.1): the contract pauses and the
    /// weekly limit drops to zero at once, so no more billable time accrues while the dispute
    /// runs. An ended contract stays ended; a paused one stays paused. The first dispute
    /// records what it changed (`dispute_pause`) for `hourly_dispute_closed`.
    pub fn hourly_dispute_opened(
        &self,
        dispute: &DisputeId,
        now: DateTime<Utc>,
    ) -> Result<Contract, ContractRuleViolation> {
        let current = self
            .hourly_at(now)
            .ok_or(ContractRuleViolation::NotHourly)?;
        let mut next = if current.weekly_limit_hours > 0 || current.scheduled_weekly_limit.is_some()
        {
            self.amended(
                vec![AmendmentChange::WeeklyLimitChanged {
                    from: current.weekly_limit_hours,
                    to: 0,
                    effective_from: now,
                }],
                now,
            )?
        } else {
            self.next()
        };
        let pause = next.dispute_pause.get_or_insert_with(|| DisputePause {
            disputes: Vec::new(),
            weekly_limit_hours: current.weekly_limit_hours,
            client_paused: self.state == ContractState::Paused,
        });
        if !pause.disputes.contains(dispute) {
            pause.disputes.push(dispute.clone());
        }
        if next.state == ContractState::Active {
            next.state = ContractState::Paused;
            next.paused_at = Some(now);
        }
        Ok(next)
    }

    /// An hourly dispute was settled or withdrawn. When it was the last one holding the
    /// contract, what the disputes changed is undone: the weekly limit comes back (unless the
    /// client set another meanwhile) and the contract resumes — unless the client had paused
    /// it himself, or it ended. `None`: this dispute holds nothing here (nothing to write).
    pub fn hourly_dispute_closed(
        &self,
        dispute: &DisputeId,
        now: DateTime<Utc>,
    ) -> Option<Contract> {
        let pause = self.dispute_pause.as_ref()?;
        if !pause.disputes.contains(dispute) {
            return None;
        }
        let others: Vec<DisputeId> = pause
            .disputes
            .iter()
            .filter(|d| *d != dispute)
            .cloned()
            .collect();
        if !others.is_empty() {
            let mut next = self.next();
            next.dispute_pause = Some(DisputePause {
                disputes: others,
                ..pause.clone()
            });
            return Some(next);
        }
        let zeroed = self
            .hourly_at(now)
            .is_some_and(|h| h.weekly_limit_hours == 0 && h.scheduled_weekly_limit.is_none());
        let restore = zeroed && pause.weekly_limit_hours > 0 && self.state != ContractState::Ended;
        let restored = restore
            .then(|| {
                self.amended(
                    vec![AmendmentChange::WeeklyLimitChanged {
                        from: 0,
                        to: pause.weekly_limit_hours,
                        effective_from: now,
                    }],
                    now,
                )
                .ok()
            })
            .flatten();
        // A contract at its amendment limit still resumes, with the limit left at zero.
        let mut next = restored.unwrap_or_else(|| self.next());
        next.dispute_pause = None;
        if next.state == ContractState::Paused && !pause.client_paused {
            next.state = ContractState::Active;
            next.paused_at = None;
        }
        Some(next)
    }

    /// Either side ends the contract; ending opens the feedback window (§6.2, §11.1).
    pub fn end(&self, side: Side, now: DateTime<Utc>) -> Result<Contract, ContractRuleViolation> {
        self.expect(&[ContractState::Active, ContractState::Paused])?;
        let mut next = self.next();
        next.state = ContractState::Ended;
        next.ended_at = Some(now);
        next.ended_by = Some(side);
        next.paused_at = None;
        Ok(next)
    }

    /// The client changes a fixed-price contract's milestones (not after it ended).
    fn milestone_change(
        &self,
        side: Side,
        change: AmendmentChange,
        now: DateTime<Utc>,
    ) -> Result<Contract, ContractRuleViolation> {
        Self::client(side)?;
        if !matches!(self.terms, ContractTerms::Fixed { .. }) {
            return Err(ContractRuleViolation::NotFixed);
        }
        self.expect(&[ContractState::Active, ContractState::Paused])?;
        self.amended(vec![change], now)
    }

    fn amended(
        &self,
        changes: Vec<AmendmentChange>,
        now: DateTime<Utc>,
    ) -> Result<Contract, ContractRuleViolation> {
        if self.amendments.len() + changes.len() > MAX_AMENDMENTS {
            return Err(ContractRuleViolation::TooManyAmendments);
        }
        let mut next = self.next();
        let by = self.parties.client_id.clone();
        next.amendments
            .extend(changes.into_iter().map(|change| Amendment {
                change,
                at: now,
                by: by.clone(),
            }));
        Ok(next)
    }

    fn same_currency(&self, amount: &Money) -> Result<(), ContractRuleViolation> {
        if amount.currency == self.terms.currency() {
            Ok(())
        } else {
            Err(ContractRuleViolation::CurrencyMismatch)
        }
    }

    /// A new unfunded milestone, recorded as an amendment.
    pub fn add_milestone(
        &self,
        side: Side,
        id: MilestoneId,
        draft: MilestoneDraft,
        now: DateTime<Utc>,
    ) -> Result<(Contract, Milestone), ContractRuleViolation> {
        self.same_currency(&draft.amount)?;
        let milestone = Milestone::new(id, &self.reference(), draft, now)?;
        let next = self.milestone_change(
            side,
            AmendmentChange::MilestoneAdded {
                milestone_id: milestone.id.clone(),
                description: milestone.description.clone(),
                amount: milestone.amount,
            },
            now,
        )?;
        Ok((next, milestone))
    }

    /// Changes an unfunded milestone of this contract (§7.2).
    pub fn edit_milestone(
        &self,
        side: Side,
        milestone: &Milestone,
        description: Option<String>,
        amount: Option<Money>,
        due_date: Option<NaiveDate>,
        now: DateTime<Utc>,
    ) -> Result<(Contract, Milestone), ContractRuleViolation> {
        if let Some(amount) = &amount {
            self.same_currency(amount)?;
        }
        Self::client(side)?;
        let edited = milestone.edit(description, amount, due_date)?;
        let next = self.milestone_change(
            side,
            AmendmentChange::MilestoneEdited {
                milestone_id: edited.id.clone(),
                description: edited.description.clone(),
                amount: edited.amount,
                due_date: edited.due_date,
            },
            now,
        )?;
        Ok((next, edited))
    }

    pub fn delete_milestone(
        &self,
        side: Side,
        milestone: &Milestone,
        now: DateTime<Utc>,
    ) -> Result<Contract, ContractRuleViolation> {
        Self::client(side)?;
        milestone.can_delete()?;
        self.milestone_change(
            side,
            AmendmentChange::MilestoneDeleted {
                milestone_id: milestone.id.clone(),
                amount: milestone.amount,
            },
            now,
        )
    }

    /// The hourly settings in force at `at`: the accepted terms, then every amendment made
    /// by then in the order made. A later change replaces a decrease still waiting for its
    /// Monday, so "decrease, then raise again before Monday" ends at the raise.
    pub fn hourly_at(&self, at: DateTime<Utc>) -> Option<HourlySettings> {
        let ContractTerms::Hourly {
            weekly_limit_hours,
            manual_time_allowed,
            ..
        } = &self.terms
        else {
            return None;
        };
        let mut limit = *weekly_limit_hours;
        let mut manual = *manual_time_allowed;
        let mut pending: Option<ScheduledLimit> = None;
        let settle = |limit: &mut u32, pending: &mut Option<ScheduledLimit>, t: DateTime<Utc>| {
            if let Some(p) = pending.take_if(|p| p.effective_from <= t) {
                *limit = p.weekly_limit_hours;
            }
        };
        for amendment in self.amendments.iter().filter(|a| a.at <= at) {
            settle(&mut limit, &mut pending, amendment.at);
            match &amendment.change {
                AmendmentChange::WeeklyLimitChanged {
                    to, effective_from, ..
                } => {
                    if *effective_from <= amendment.at {
                        limit = *to;
                        pending = None;
                    } else {
                        pending = Some(ScheduledLimit {
                            weekly_limit_hours: *to,
                            effective_from: *effective_from,
                        });
                    }
                }
                AmendmentChange::ManualTimeChanged { allowed } => manual = *allowed,
                _ => {}
            }
        }
        settle(&mut limit, &mut pending, at);
        Some(HourlySettings {
            weekly_limit_hours: limit,
            manual_time_allowed: manual,
            scheduled_weekly_limit: pending,
        })
    }

    /// The client changes the weekly limit and/or manual time (§8.7). Values equal to what
    /// is in force change nothing; the contract comes back unchanged (same version).
    pub fn change_hourly(
        &self,
        side: Side,
        change: &HourlyChange,
        now: DateTime<Utc>,
    ) -> Result<Contract, ContractRuleViolation> {
        Self::client(side)?;
        let current = self
            .hourly_at(now)
            .ok_or(ContractRuleViolation::NotHourly)?;
        self.expect(&[ContractState::Active, ContractState::Paused])?;
        let mut changes = Vec::new();
        if let Some(to) = change.weekly_limit_hours {
            let from = current.weekly_limit_hours;
            let waiting = current.scheduled_weekly_limit.is_some();
            if to < from {
                changes.push(AmendmentChange::WeeklyLimitChanged {
                    from,
                    to,
                    effective_from: next_monday(now),
                });
            } else if to > from || waiting {
                changes.push(AmendmentChange::WeeklyLimitChanged {
                    from,
                    to,
                    effective_from: now,
                });
            }
        }
        if let Some(allowed) = change.manual_time_allowed {
            if allowed != current.manual_time_allowed {
                changes.push(AmendmentChange::ManualTimeChanged { allowed });
            }
        }
        if changes.is_empty() {
            return Ok(self.clone());
        }
        self.amended(changes, now)
    }
}

/// `PATCH /v1/contracts/{id}`: the hourly settings the client may change.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = super::rules::at_least_one_of(&["weekly_limit_hours", "manual_time_allowed"]))]
pub struct HourlyChange {
    #[schemars(range(min = MIN_WEEKLY_LIMIT_HOURS, max = MAX_WEEKLY_LIMIT_HOURS))]
    pub weekly_limit_hours: Option<u32>,
    pub manual_time_allowed: Option<bool>,
}

impl HourlyChange {
    pub fn check(&self) -> Result<(), Violations> {
        let mut v = Violations::default();
        if self.weekly_limit_hours.is_none() && self.manual_time_allowed.is_none() {
            v.push(
                "weekly_limit_hours",
                "send weekly_limit_hours and/or manual_time_allowed",
            );
        }
        if let Some(hours) = self.weekly_limit_hours {
            check_weekly_limit(&mut v, hours);
        }
        v.into_result()
    }
}

/// `PATCH /v1/milestones/{id}`: what an unfunded milestone may change.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = super::rules::at_least_one_of(&["description", "amount", "due_date"]))]
pub struct MilestoneEdit {
    #[schemars(transform = MILESTONE_DESCRIPTION.schema())]
    pub description: Option<String>,
    #[schemars(transform = MILESTONE_AMOUNT.schema())]
    pub amount: Option<MoneyInput>,
    pub due_date: Option<NaiveDate>,
}

/// A checked `MilestoneEdit`.
pub struct MilestonePatch {
    pub description: Option<String>,
    pub amount: Option<Money>,
    pub due_date: Option<NaiveDate>,
}

impl MilestoneEdit {
    /// The same rules as a milestone in an offer, for the fields sent.
    pub fn check(&self, now: DateTime<Utc>) -> Result<MilestonePatch, Violations> {
        let mut v = Violations::default();
        if self.description.is_none() && self.amount.is_none() && self.due_date.is_none() {
            v.push("description", "send description, amount and/or due_date");
        }
        let description = self
            .description
            .as_deref()
            .map(|d| MILESTONE_DESCRIPTION.check(&mut v, "description", d));
        let amount = self
            .amount
            .as_ref()
            .and_then(|input| MILESTONE_AMOUNT.check(&mut v, "amount", input));
        if let Some(due) = self.due_date {
            v.check(
                due >= now.date_naive(),
                "due_date",
                "must not be in the past",
            );
        }
        v.into_result()?;
        Ok(MilestonePatch {
            description,
            amount,
            due_date: self.due_date,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::contract::MilestoneState;
    use crate::domain::ids::{JobId, TransferId};
    use serde_json::json;

    /// A Tuesday.
    fn at(day: i64) -> DateTime<Utc> {
        "2026-12-01T09:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::days(day)
    }

    fn parties() -> Parties {
        Parties {
            job_id: JobId::generate(at(0)),
            proposal_id: None,
            client_id: UserId::generate(at(0)),
            freelancer_id: UserId::generate(at(0)),
        }
    }

    fn draft(body: serde_json::Value) -> OfferDraft {
        let mut base =
            json!({"job_id": JobId::generate(at(0)), "freelancer_id": UserId::generate(at(0))});
        base.as_object_mut()
            .unwrap()
            .extend(body.as_object().unwrap().clone());
        serde_json::from_value(base).unwrap()
    }

    fn fixed() -> OfferDraft {
        draft(json!({"type": "fixed", "milestones": [
            {"description": "Design", "amount": {"amount": "300.00", "currency": "USD"}, "due_date": "2026-12-20"},
            {"description": "Build", "amount": {"amount": "700", "currency": "USD"}}
        ]}))
    }

    fn hourly(limit: u32, manual: bool) -> OfferDraft {
        draft(
            json!({"type": "hourly", "hourly_rate": {"amount": "40.00", "currency": "USD"},
            "weekly_limit_hours": limit, "manual_time_allowed": manual}),
        )
    }

    fn offer(d: OfferDraft) -> Offer {
        Offer::new(
            OfferId::generate(at(0)),
            parties(),
            d.check(at(0)).unwrap(),
            at(0),
        )
    }

    fn fields(d: OfferDraft) -> Vec<String> {
        d.check(at(0))
            .unwrap_err()
            .0
            .into_iter()
            .map(|v| v.field)
            .collect()
    }

    #[test]
    fn drafts_report_every_violation() {
        let bad = draft(
            json!({"type": "fixed", "hourly_rate": {"amount": "40", "currency": "USD"},
                "message": "\u{0007}", "milestones": [
                {"description": "", "amount": {"amount": "4.99", "currency": "USD"}, "due_date": "2026-11-30"},
                {"description": "ok", "amount": {"amount": "1.001", "currency": "USD"}}
            ]}),
        );
        assert_eq!(
            fields(bad),
            [
                "message",
                "hourly_rate",
                "milestones[0].description",
                "milestones[0].due_date",
                "milestones[0].amount",
                "milestones[1].amount"
            ]
        );
        assert_eq!(
            fields(draft(json!({"type": "fixed", "milestones": []}))),
            ["milestones"]
        );
        let too_many: Vec<_> = (0..=MAX_MILESTONES)
            .map(|_| json!({"description": "x", "amount": {"amount": "5", "currency": "USD"}}))
            .collect();
        assert_eq!(
            fields(draft(json!({"type": "fixed", "milestones": too_many}))),
            ["milestones"]
        );
        assert_eq!(
            fields(draft(json!({"type": "hourly", "weekly_limit_hours": 81,
                "hourly_rate": {"amount": "1000", "currency": "USD"}, "milestones": []}))),
            ["milestones", "weekly_limit_hours", "hourly_rate"]
        );
        assert_eq!(
            fields(draft(json!({"type": "hourly"}))),
            ["weekly_limit_hours", "hourly_rate"]
        );
    }

    #[test]
    fn ids_must_be_well_formed() {
        // Typed ids refuse malformed and other kinds' ids while the body is parsed.
        let body = |job: &str, freelancer: &str| {
            json!({"job_id": job, "freelancer_id": freelancer, "type": "hourly",
                   "hourly_rate": {"amount": "40", "currency": "USD"}, "weekly_limit_hours": 10})
        };
        let (job, user) = (JobId::generate(at(0)), UserId::generate(at(0)));
        assert!(serde_json::from_value::<OfferDraft>(body(job.as_str(), user.as_str())).is_ok());
        assert!(serde_json::from_value::<OfferDraft>(body("job_x", user.as_str())).is_err());
        assert!(
            serde_json::from_value::<OfferDraft>(body(job.as_str(), &"x".repeat(5000))).is_err()
        );
        assert!(serde_json::from_value::<OfferDraft>(body(user.as_str(), job.as_str())).is_err());
    }

    #[test]
    fn unknown_fields_are_refused() {
        let mut body = json!({"job_id": JobId::generate(at(0)), "freelancer_id": UserId::generate(at(0)),
            "type": "hourly", "hourly_rate": {"amount": "40", "currency": "USD"}, "weekly_limit_hours": 10});
        assert!(serde_json::from_value::<OfferDraft>(body.clone()).is_ok());
        body["state"] = json!("accepted");
        assert!(serde_json::from_value::<OfferDraft>(body).is_err());
    }

    #[test]
    fn offers_expire_lazily_and_are_answered_once_by_the_right_side() {
        let offer = offer(fixed());
        assert_eq!(offer.expires_at, at(7));
        assert_eq!(offer.clone().effective(at(7)).state, OfferState::Expired);
        assert_eq!(
            offer.accept(Side::Freelancer, offer.contract_id(), at(7)),
            Err(OfferRuleViolation::Expired)
        );
        assert_eq!(
            offer.accept(Side::Client, offer.contract_id(), at(1)),
            Err(OfferRuleViolation::WrongSide(Side::Freelancer))
        );
        assert_eq!(
            offer.withdraw(Side::Freelancer, at(1)),
            Err(OfferRuleViolation::WrongSide(Side::Client))
        );
        let accepted = offer
            .accept(Side::Freelancer, offer.contract_id(), at(1))
            .unwrap();
        assert_eq!(accepted.state, OfferState::Accepted);
        assert_eq!(accepted.version, 2);
        assert_eq!(accepted.contract_id, Some(offer.contract_id()));
        assert_eq!(
            accepted.decline(Side::Freelancer, at(2)),
            Err(OfferRuleViolation::NotPending(OfferState::Accepted))
        );
        assert_eq!(
            accepted.clone().effective(at(30)).state,
            OfferState::Accepted,
            "only pending offers expire"
        );
        let withdrawn = offer.withdraw(Side::Client, at(1)).unwrap();
        assert_eq!(withdrawn.state, OfferState::Withdrawn);
    }

    #[test]
    fn accepting_starts_a_contract_with_unfunded_milestones() {
        let offer = offer(fixed());
        let contract = Contract::start(&offer, "2020-01-sliding", at(1));
        assert_eq!(
            contract.id,
            offer.contract_id(),
            "derived: a race makes one"
        );
        assert_eq!(contract.state, ContractState::Active);
        let milestones = contract.initial_milestones(&offer, at(1)).unwrap();
        assert_eq!(milestones.len(), 2);
        assert!(milestones
            .iter()
            .all(|m| m.state == MilestoneState::Unfunded && m.contract_id == contract.id));
        assert_eq!(milestones[1].amount, Money::usd("700").unwrap());
        assert_eq!(milestones[0].id, offer.milestone_id(0));
        let json = serde_json::to_value(&contract).unwrap();
        assert_eq!(json["type"], "fixed");
        assert_eq!(json["terms"]["milestones"][0]["amount"]["amount"], "300.00");
        assert_eq!(json["client_id"], json!(contract.parties.client_id));
        let back: Contract = serde_json::from_value(json).unwrap();
        assert_eq!(back, contract);
        let offer_json = serde_json::to_value(&offer).unwrap();
        assert_eq!(
            (&offer_json["type"], &offer_json["state"]),
            (&json!("fixed"), &json!("pending"))
        );
        assert_eq!(serde_json::from_value::<Offer>(offer_json).unwrap(), offer);
    }

    #[test]
    fn an_hourly_dispute_pause_is_undone_when_the_last_dispute_ends() {
        let c = Contract::start(&offer(hourly(10, false)), "s", at(1));
        let (first, second) = (DisputeId::generate(at(2)), DisputeId::generate(at(3)));
        let limit = |c: &Contract, day| c.hourly_at(at(day)).unwrap().weekly_limit_hours;
        let paused = c.hourly_dispute_opened(&first, at(2)).unwrap();
        assert_eq!(
            (paused.state, limit(&paused, 2)),
            (ContractState::Paused, 0)
        );
        let both = paused.hourly_dispute_opened(&second, at(3)).unwrap();
        // The first one ending leaves the contract held by the second.
        let one_left = both.hourly_dispute_closed(&first, at(4)).unwrap();
        assert_eq!(
            (one_left.state, limit(&one_left, 4)),
            (ContractState::Paused, 0)
        );
        assert_eq!(one_left.hourly_dispute_closed(&first, at(4)), None);
        let resumed = one_left.hourly_dispute_closed(&second, at(5)).unwrap();
        assert_eq!(
            (resumed.state, resumed.paused_at, limit(&resumed, 5)),
            (ContractState::Active, None, 10)
        );
        assert_eq!(resumed.dispute_pause, None);
        // A dispute that paused nothing here has nothing to undo.
        assert_eq!(resumed.hourly_dispute_closed(&second, at(6)), None);

        // The client had paused it himself: the limit comes back, the pause stays his.
        let own = c.pause(Side::Client, at(2)).unwrap();
        let disputed = own.hourly_dispute_opened(&first, at(3)).unwrap();
        let after = disputed.hourly_dispute_closed(&first, at(4)).unwrap();
        assert_eq!((after.state, limit(&after, 4)), (ContractState::Paused, 10));
        // A contract that ended meanwhile stays ended.
        let ended = paused.end(Side::Client, at(3)).unwrap();
        let after = ended.hourly_dispute_closed(&first, at(4)).unwrap();
        assert_eq!(after.state, ContractState::Ended);
    }

    #[test]
    fn pause_resume_end_follow_the_sides() {
        let offer = offer(fixed());
        let c = Contract::start(&offer, "s", at(1));
        assert_eq!(
            c.pause(Side::Freelancer, at(2)),
            Err(ContractRuleViolation::WrongSide(Side::Client))
        );
        let paused = c.pause(Side::Client, at(2)).unwrap();
        assert_eq!(
            (paused.state, paused.version, paused.paused_at),
            (ContractState::Paused, 2, Some(at(2)))
        );
        assert_eq!(
            paused.pause(Side::Client, at(3)),
            Err(ContractRuleViolation::WrongState(ContractState::Paused))
        );
        let resumed = paused.resume(Side::Client).unwrap();
        assert_eq!(resumed.state, ContractState::Active);
        let ended = resumed.end(Side::Freelancer, at(4)).unwrap();
        assert_eq!(
            (ended.state, ended.ended_by, ended.version),
            (ContractState::Ended, Some(Side::Freelancer), 4)
        );
        assert!(ended.end(Side::Client, at(5)).is_err());
        assert!(ended.resume(Side::Client).is_err());
    }

    #[test]
    fn milestone_amendments_are_recorded_and_funded_milestones_frozen() {
        let offer = offer(fixed());
        let c = Contract::start(&offer, "s", at(1));
        let draft = MilestoneDraft {
            description: "Extra".into(),
            amount: Money::usd("50").unwrap(),
            due_date: None,
        };
        let id = MilestoneId::generate(at(2));
        assert_eq!(
            c.add_milestone(Side::Freelancer, id.clone(), draft.clone(), at(2)),
            Err(ContractRuleViolation::WrongSide(Side::Client))
        );
        let (amended, m) = c
            .add_milestone(Side::Client, id.clone(), draft.clone(), at(2))
            .unwrap();
        assert_eq!(amended.version, 2);
        assert_eq!(amended.terms, c.terms, "terms never change");
        assert_eq!(amended.amendments.len(), 1);
        assert!(matches!(
            &amended.amendments[0].change,
            AmendmentChange::MilestoneAdded { milestone_id, .. } if milestone_id == &id
        ));
        let json = serde_json::to_value(&amended.amendments[0]).unwrap();
        assert_eq!(json["kind"], "milestone_added");
        assert_eq!(json["detail"]["amount"]["amount"], "50.00");
        assert_eq!(
            serde_json::from_value::<Amendment>(json).unwrap(),
            amended.amendments[0]
        );
        let (edited, m2) = amended
            .edit_milestone(
                Side::Client,
                &m,
                None,
                Some(Money::usd("80").unwrap()),
                None,
                at(3),
            )
            .unwrap();
        assert_eq!(
            (m2.amount, edited.amendments.len()),
            (Money::usd("80").unwrap(), 2)
        );
        let funded = m2
            .fund(TransferId::generate(at(3)), Money::usd("4").unwrap(), at(3))
            .unwrap();
        assert_eq!(
            edited.delete_milestone(Side::Client, &funded, at(4)),
            Err(ContractRuleViolation::Milestone(
                MilestoneRuleViolation::AlreadyFunded
            ))
        );
        assert!(edited.delete_milestone(Side::Client, &m2, at(4)).is_ok());
        let ended = edited.end(Side::Client, at(5)).unwrap();
        assert_eq!(
            ended.add_milestone(Side::Client, id, draft, at(6)),
            Err(ContractRuleViolation::WrongState(ContractState::Ended))
        );
        let hourly = Contract::start(&self::offer(hourly(10, false)), "s", at(1));
        assert!(matches!(
            hourly.add_milestone(
                Side::Client,
                MilestoneId::generate(at(2)),
                MilestoneDraft {
                    description: "x".into(),
                    amount: Money::usd("5").unwrap(),
                    due_date: None
                },
                at(2)
            ),
            Err(ContractRuleViolation::NotFixed)
        ));
    }

    #[test]
    fn weekly_limit_increases_now_and_decreases_next_monday() {
        assert_eq!(next_monday(at(0)), at(6) - Duration::hours(9));
        let monday = at(6) - Duration::hours(9);
        assert_eq!(next_monday(monday), monday + Duration::days(7));
        let c = Contract::start(&offer(hourly(40, false)), "s", at(0));
        let change = |hours: Option<u32>, manual: Option<bool>| HourlyChange {
            weekly_limit_hours: hours,
            manual_time_allowed: manual,
        };
        assert_eq!(
            c.change_hourly(Side::Freelancer, &change(Some(50), None), at(1)),
            Err(ContractRuleViolation::WrongSide(Side::Client))
        );
        // Same values: nothing to record.
        let same = c
            .change_hourly(Side::Client, &change(Some(40), Some(false)), at(1))
            .unwrap();
        assert_eq!(same, c);
        let down = c
            .change_hourly(Side::Client, &change(Some(10), Some(true)), at(1))
            .unwrap();
        assert_eq!(down.amendments.len(), 2);
        let now = down.hourly_at(at(1)).unwrap();
        assert_eq!(
            now,
            HourlySettings {
                weekly_limit_hours: 40,
                manual_time_allowed: true,
                scheduled_weekly_limit: Some(ScheduledLimit {
                    weekly_limit_hours: 10,
                    effective_from: monday
                }),
            }
        );
        assert_eq!(down.hourly_at(monday).unwrap().weekly_limit_hours, 10);
        assert!(
            !down.hourly_at(at(0)).unwrap().manual_time_allowed,
            "history is kept: before the change, the old settings"
        );
        // Raised again before Monday: the waiting decrease is gone.
        let up = down
            .change_hourly(Side::Client, &change(Some(45), None), at(2))
            .unwrap();
        assert_eq!(up.hourly_at(at(2)).unwrap().weekly_limit_hours, 45);
        assert_eq!(
            up.hourly_at(monday + Duration::days(1))
                .unwrap()
                .weekly_limit_hours,
            45
        );
        assert_eq!(up.hourly_at(at(2)).unwrap().scheduled_weekly_limit, None);
        let fixed = Contract::start(&offer(fixed()), "s", at(0));
        assert_eq!(
            fixed.change_hourly(Side::Client, &change(Some(5), None), at(1)),
            Err(ContractRuleViolation::NotHourly)
        );
        assert!(change(None, None).check().is_err());
        assert!(change(Some(0), None).check().is_err());
        assert!(change(Some(80), None).check().is_ok());
    }
}
