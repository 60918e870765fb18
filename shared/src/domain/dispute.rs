//! Disputes (PRODUCT §13), pure: who may open one on what, who answers by when, what silence
//! decides, and how an outcome splits the frozen money. The store moves the money in the same
//! transaction as the dispute's next version.
//!
//! Three kinds: a client's escrow refund request on a funded milestone, a freelancer's
//! dispute of a milestone the client has not approved, and a client's dispute of a week of
//! hourly work during its review. The other side answers by the deadline — accepting settles
//! it the opener's way at once, contesting sends it to an admin — and silence decides for the
//! opener (§13.2). Hourly protection (§8.6) holds in every outcome of an hourly dispute but
//! the freelancer's own acceptance: protected hours are paid.

use super::arbitration::{fee_returned, ArbitrationFeeSchedule};
use super::card_refund::{CardCharge, RefundTo};
use super::contract::{Milestone, MilestoneState};
use super::fees::round_cents;
use super::hourly::{Timesheet, TimesheetId, HOURLY_DISPUTE_RESPONSE, SEGMENTS_PER_HOUR};
use super::ids::{ContractId, DisputeId, MilestoneId, UserId};
use super::money::{Money, MoneyInput};
use super::offer::Side;
use super::rules::{AmountRule, TextRule};
use super::Violations;
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The other side of a fixed-price dispute answers within this long (§13.2).
pub const FIXED_DISPUTE_RESPONSE: Duration = Duration::days(7);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "subject", rename_all = "snake_case")]
pub enum DisputeSubject {
    /// A week of hourly work, disputed by the client during its review (§8.5).
    HourlyWeek { timesheet_id: TimesheetId },
    /// A funded fixed-price milestone.
    Milestone { milestone_id: MilestoneId },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisputeKind {
    /// The client asks for the milestone's escrow back; silence refunds.
    RefundRequest,
    /// The freelancer disputes a submitted milestone the client does not approve (or a
    /// refund the client wants); silence releases.
    NonApproval,
    /// The client disputes a week's hours; silence refunds what hourly protection does not
    /// cover.
    HourlyHours,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisputeState {
    /// Waiting for the other side's answer (until `respond_by`).
    Open,
    /// The other side contested: an admin decides.
    InMediation,
    Resolved,
    /// The opener dropped the claim before a decision: the money went back to where it was
    /// and its clocks run again (see `Dispute::withdraw`).
    Withdrawn,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Everything frozen goes to the freelancer.
    Release,
    /// Everything frozen goes back to the client (hourly: all but the protected hours).
    Refund,
    /// The freelancer gets `freelancer_amount`, the client the rest.
    Split,
}

/// Who settled a dispute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecidedBy {
    /// The other side accepted the opener's claim.
    Acceptance,
    /// Nobody answered by `respond_by`: the opener's claim stands (§13.2).
    Deadline,
    /// An admin's mediation (§13.3).
    Mediation,
}

/// How a settled dispute divided the frozen money.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Settlement {
    /// Paid to the freelancer (the service fee comes off it as for any payment).
    pub to_freelancer: Money,
    /// Back to the client's balance (with its share of the client fee).
    pub to_client: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Resolution {
    pub outcome: Outcome,
    #[serde(flatten)]
    pub settlement: Settlement,
    pub decided_by: DecidedBy,
    /// The admin who mediated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    pub at: DateTime<Utc>,
}

impl Resolution {
    /// Decided against the freelancer: the client got more back than the freelancer was paid,
    /// by the deadline or by an admin (a freelancer who accepts a refund request lost
    /// nothing). Counts as a negative outcome in the Job Success Score (§11.3).
    pub fn against_freelancer(&self) -> bool {
        self.decided_by != DecidedBy::Acceptance
            && self.settlement.to_client.amount > self.settlement.to_freelancer.amount
    }
}

/// The arbitration fee of a dispute (`domain::arbitration`): priced by the schedule in force
/// when it opened, paid by the side that contests, returned by the outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ArbitrationFee {
    /// What contesting costs (shown to the other side before it answers).
    pub amount: Money,
    /// The arbitration schedule that priced it.
    pub schedule: String,
    /// The side that contested and paid it (held until the dispute ends).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_by: Option<Side>,
    /// What went back to the payer when the dispute ended; the platform kept the rest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned: Option<Money>,
}

/// The other side's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Answer {
    pub by: Side,
    pub accepted: bool,
    pub message: String,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Dispute {
    pub id: DisputeId,
    #[serde(flatten)]
    pub subject: DisputeSubject,
    pub kind: DisputeKind,
    pub contract_id: ContractId,
    pub client_id: UserId,
    pub freelancer_id: UserId,
    pub opened_by: Side,
    pub reason: String,
    /// The money frozen by the dispute.
    pub amount: Money,
    /// The part hourly protection pays whatever the outcome (zero for milestones).
    pub protected_amount: Money,
    pub state: DisputeState,
    pub opened_at: DateTime<Utc>,
    /// The other side answers by then (§13.2); silence decides at that instant.
    pub respond_by: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<Answer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
    /// When the opener withdrew it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// What contesting costs, and who paid it (absent on disputes opened before the fee).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arbitration_fee: Option<ArbitrationFee>,
    /// Where what the outcome gives back to the client goes: their balance, or the card that
    /// paid (`GET /v1/me/card-refunds` follows it); the client's choice when opening.
    #[serde(default)]
    pub refund_to: RefundTo,
    pub version: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DisputeRuleViolation {
    #[error("the dispute is {0:?}; that is not possible now")]
    WrongState(DisputeState),
    #[error("the other side answers a dispute, not the side that opened it")]
    NotTheOtherSide,
    #[error("only the side that opened a dispute may withdraw it")]
    NotTheOpener,
    #[error(
        "the deadline to answer has passed; the dispute was decided for the side that opened it"
    )]
    DeadlinePassed,
    #[error("the deadline to answer has not passed yet")]
    NotDue,
    #[error("a milestone that is {0:?} cannot be disputed")]
    MilestoneNotDisputable(MilestoneState),
    #[error("the freelancer disputes a submitted milestone that is not approved; this one was not submitted")]
    NotSubmitted,
    #[error("the amount is in another currency than the dispute")]
    CurrencyMismatch,
    #[error("the freelancer's share is between {min} and {max}")]
    ShareOutOfRange { min: Money, max: Money },
    #[error("a split needs freelancer_amount; release and refund take none")]
    ShareMismatch,
    #[error("where a refund goes is the client's choice; leave refund_to out")]
    RefundChoiceIsTheClients,
    #[error(
        "no card paid for this: it was paid from your Worklane balance, where a refund goes back"
    )]
    NotPaidByCard,
}

/// What a dispute is opened on (`POST /v1/disputes`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DisputeTarget {
    Week(TimesheetId),
    Milestone(MilestoneId),
    /// A well-formed week id that names no billing week (not a Monday): nothing to dispute.
    NoSuchWeek,
}

pub const DISPUTE_REASON: TextRule = TextRule::new(10, 5_000);
pub const ANSWER_MESSAGE: TextRule = TextRule::new(1, 5_000);
pub const DECISION_NOTE: TextRule = TextRule::new(1, 5_000);
/// A split's share for the freelancer: any amount the dispute holds, checked against it later.
pub const SPLIT_SHARE: AmountRule = super::rules::ANY_AMOUNT;

fn timesheet_id_schema(schema: &mut schemars::Schema) {
    schema.insert(
        "pattern".into(),
        format!("^wk_{}_[0-9]{{8}}$", super::ids::ULID_PATTERN).into(),
    );
}

/// Exactly one of the two targets, as the schema says it.
fn one_target_schema(schema: &mut schemars::Schema) {
    schema.insert(
        "oneOf".into(),
        serde_json::json!([
            {"required": ["milestone_id"],
             "properties": {"milestone_id": {"not": {"type": "null"}}, "timesheet_id": {"type": "null"}}},
            {"required": ["timesheet_id"],
             "properties": {"timesheet_id": {"not": {"type": "null"}}, "milestone_id": {"type": "null"}}},
        ]),
    );
}

/// `POST /v1/disputes`: exactly one of `milestone_id` (either party) or `timesheet_id`
/// (the client, during the week's review).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = one_target_schema)]
pub struct DisputeRequest {
    /// A funded milestone: the client asks for a refund, the freelancer disputes the missing
    /// approval.
    #[serde(default)]
    pub milestone_id: Option<MilestoneId>,
    /// A week in review (`wk_…`, from `GET /v1/contracts/{id}/timesheets`).
    #[serde(default)]
    #[schemars(transform = timesheet_id_schema)]
    pub timesheet_id: Option<String>,
    #[schemars(transform = DISPUTE_REASON.schema())]
    pub reason: String,
    /// The client's choice of where what the dispute gives back goes: `balance` (the
    /// default; spent first by the next funding) or `card` (back to the card that paid, up to
    /// what it paid). Only the client chooses.
    #[serde(default)]
    pub refund_to: Option<RefundTo>,
}

impl DisputeRequest {
    /// The target, the reason and where a refund goes.
    pub fn check(&self) -> Result<(DisputeTarget, String, RefundTo), Violations> {
        let mut v = Violations::default();
        let reason = DISPUTE_REASON.check(&mut v, "reason", &self.reason);
        let target = match (&self.milestone_id, &self.timesheet_id) {
            (Some(milestone), None) => Some(DisputeTarget::Milestone(milestone.clone())),
            (None, Some(week)) => {
                let well_formed = week_id_well_formed(week);
                v.check(well_formed, "timesheet_id", "not a timesheet id (wk_…)");
                well_formed.then(|| {
                    TimesheetId::parse(week).map_or(DisputeTarget::NoSuchWeek, DisputeTarget::Week)
                })
            }
            _ => {
                v.push(
                    "milestone_id",
                    "name exactly one of milestone_id or timesheet_id",
                );
                None
            }
        };
        v.into_result()?;
        Ok((
            target.expect("checked"),
            reason,
            self.refund_to.unwrap_or_default(),
        ))
    }
}

/// `POST /v1/disputes/{id}/respond`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// `true`: settle it the opener's way now; `false`: contest, and an admin mediates.
    pub accept: bool,
    #[schemars(transform = ANSWER_MESSAGE.schema())]
    pub message: String,
}

impl AnswerRequest {
    pub fn check(&self) -> Result<(bool, String), Violations> {
        let mut v = Violations::default();
        let message = ANSWER_MESSAGE.check(&mut v, "message", &self.message);
        v.into_result()?;
        Ok((self.accept, message))
    }
}

/// `POST /v1/disputes/{id}/resolve` (admin).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = only_a_split_takes_an_amount)]
pub struct DecisionRequest {
    pub outcome: Outcome,
    /// The freelancer's share of a split, to the cent; the client gets the rest.
    #[serde(default)]
    #[schemars(transform = SPLIT_SHARE.schema())]
    pub freelancer_amount: Option<MoneyInput>,
    /// Why: shown to both parties.
    #[schemars(transform = DECISION_NOTE.schema())]
    pub note: String,
}

/// What `DecisionRequest::check` asks of `freelancer_amount`: a split names it, a release or a
/// refund does not.
fn only_a_split_takes_an_amount(schema: &mut schemars::Schema) {
    use super::rules::when;
    schema.insert(
        "allOf".into(),
        serde_json::json!([
            when("outcome", "split", &["freelancer_amount"], &[]),
            when("outcome", "release", &[], &["freelancer_amount"]),
            when("outcome", "refund", &[], &["freelancer_amount"]),
        ]),
    );
}

/// `wk_<contract ulid>_<8 digits>`: the shape `timesheet_id_schema` states.
fn week_id_well_formed(raw: &str) -> bool {
    raw.strip_prefix("wk_")
        .and_then(|rest| rest.split_once('_'))
        .is_some_and(|(ulid, day)| {
            MilestoneId::parse(&format!("{}_{ulid}", MilestoneId::PREFIX)).is_some()
                && day.len() == 8
                && day.bytes().all(|b| b.is_ascii_digit())
        })
}

/// A checked admin decision.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub outcome: Outcome,
    pub freelancer_amount: Option<Money>,
    pub note: String,
}

impl DecisionRequest {
    pub fn check(&self) -> Result<Decision, Violations> {
        let mut v = Violations::default();
        let note = DECISION_NOTE.check(&mut v, "note", &self.note);
        let freelancer_amount = match (&self.freelancer_amount, self.outcome) {
            (Some(input), Outcome::Split) => SPLIT_SHARE.check(&mut v, "freelancer_amount", input),
            (None, Outcome::Split) => {
                v.push("freelancer_amount", "a split names the freelancer's share");
                None
            }
            (Some(_), _) => {
                v.push(
                    "freelancer_amount",
                    "only a split takes an amount; release and refund move everything",
                );
                None
            }
            (None, _) => None,
        };
        v.into_result()?;
        Ok(Decision {
            outcome: self.outcome,
            freelancer_amount,
            note,
        })
    }
}

/// What hourly protection pays of a disputed week: its protected minutes at the invoice's
/// rate, to the cent (never more than the invoice).
pub fn protected_amount(week: &Timesheet) -> Option<Money> {
    let invoice = week.invoice.as_ref()?;
    let segments = Decimal::from(invoice.protected_minutes / 10);
    let amount =
        round_cents(invoice.hourly_rate.amount * segments / Decimal::from(SEGMENTS_PER_HOUR))
            .min(invoice.amount.amount);
    Some(Money {
        amount,
        currency: invoice.amount.currency,
    })
}

impl Dispute {
    /// The client disputes a week's hours: the freelancer answers within 3 days.
    pub fn hourly(
        id: DisputeId,
        week: &Timesheet,
        amount: Money,
        reason: String,
        now: DateTime<Utc>,
    ) -> Self {
        let protected = protected_amount(week).unwrap_or(Money::zero(amount.currency));
        Self {
            id,
            subject: DisputeSubject::HourlyWeek {
                timesheet_id: week.id.clone(),
            },
            kind: DisputeKind::HourlyHours,
            contract_id: week.contract_id.clone(),
            client_id: week.client_id.clone(),
            freelancer_id: week.freelancer_id.clone(),
            opened_by: Side::Client,
            reason,
            amount,
            protected_amount: protected,
            state: DisputeState::Open,
            opened_at: now,
            respond_by: now + HOURLY_DISPUTE_RESPONSE,
            answer: None,
            resolution: None,
            withdrawn_at: None,
            arbitration_fee: None,
            refund_to: RefundTo::Balance,
            version: 1,
        }
    }

    /// A party disputes a funded milestone: the client asks for a refund (any time while the
    /// money is in escrow), the freelancer disputes a submission the client has not approved.
    pub fn milestone(
        id: DisputeId,
        milestone: &Milestone,
        by: Side,
        reason: String,
        now: DateTime<Utc>,
    ) -> Result<Self, DisputeRuleViolation> {
        let kind = match (by, milestone.state) {
            (
                Side::Client,
                MilestoneState::Funded
                | MilestoneState::Submitted
                | MilestoneState::ChangesRequested,
            ) => DisputeKind::RefundRequest,
            (Side::Freelancer, MilestoneState::Submitted | MilestoneState::ChangesRequested) => {
                DisputeKind::NonApproval
            }
            (Side::Freelancer, MilestoneState::Funded) => {
                return Err(DisputeRuleViolation::NotSubmitted)
            }
            (_, state) => return Err(DisputeRuleViolation::MilestoneNotDisputable(state)),
        };
        Ok(Self {
            id,
            subject: DisputeSubject::Milestone {
                milestone_id: milestone.id.clone(),
            },
            kind,
            contract_id: milestone.contract_id.clone(),
            client_id: milestone.client_id.clone(),
            freelancer_id: milestone.freelancer_id.clone(),
            opened_by: by,
            reason,
            amount: milestone.amount,
            protected_amount: Money::zero(milestone.amount.currency),
            state: DisputeState::Open,
            opened_at: now,
            respond_by: now + FIXED_DISPUTE_RESPONSE,
            answer: None,
            resolution: None,
            withdrawn_at: None,
            arbitration_fee: None,
            refund_to: RefundTo::Balance,
            version: 1,
        })
    }

    /// Where the client wants what comes back: a card only when the client opened it and a
    /// card paid for the subject (`charge`).
    pub fn refunding_to(
        mut self,
        to: RefundTo,
        charge: Option<&CardCharge>,
    ) -> Result<Self, DisputeRuleViolation> {
        if to == RefundTo::Card {
            if self.opened_by != Side::Client {
                return Err(DisputeRuleViolation::RefundChoiceIsTheClients);
            }
            if charge.is_none() {
                return Err(DisputeRuleViolation::NotPaidByCard);
            }
        }
        self.refund_to = to;
        Ok(self)
    }

    /// Prices what contesting this dispute costs (`schedule`: the one in force at opening).
    /// The stake is what an admin can move: the amount less the protected hours.
    pub fn priced_for_arbitration(mut self, schedule: &ArbitrationFeeSchedule) -> Self {
        self.arbitration_fee = Some(ArbitrationFee {
            amount: self.money(schedule.fee(self.stake())),
            schedule: schedule.id.clone(),
            paid_by: None,
            returned: None,
        });
        self
    }

    /// The money an outcome can move either way.
    fn stake(&self) -> Decimal {
        self.amount.amount - self.protected_amount.amount
    }

    /// A paid arbitration fee: who paid it, what was held, and — once the dispute ended — what
    /// the platform keeps.
    pub fn arbitration_paid(&self) -> Option<(Side, Money, Option<Money>)> {
        let fee = self.arbitration_fee.as_ref()?;
        let payer = fee.paid_by?;
        let kept = fee
            .returned
            .map(|back| self.money(fee.amount.amount - back.amount));
        Some((payer, fee.amount, kept))
    }

    /// Settles a paid fee by what its payer won of the stake.
    fn return_arbitration_fee(&mut self, settlement: &Settlement) {
        let stake = self.stake();
        let protected = self.protected_amount.amount;
        let currency = self.amount.currency;
        if let Some(fee) = self.arbitration_fee.as_mut() {
            if let Some(payer) = fee.paid_by {
                let won = match payer {
                    Side::Freelancer => settlement.to_freelancer.amount - protected,
                    Side::Client => settlement.to_client.amount,
                };
                fee.returned = Some(Money {
                    amount: fee_returned(fee.amount.amount, stake, won),
                    currency,
                });
            }
        }
    }

    pub fn is_party(&self, user: &UserId) -> bool {
        &self.client_id == user || &self.freelancer_id == user
    }

    /// The side that answers: the one that did not open it.
    pub fn responder(&self) -> Side {
        match self.opened_by {
            Side::Client => Side::Freelancer,
            Side::Freelancer => Side::Client,
        }
    }

    fn money(&self, amount: Decimal) -> Money {
        Money {
            amount,
            currency: self.amount.currency,
        }
    }

    fn settlement(&self, to_freelancer: Decimal) -> Settlement {
        Settlement {
            to_freelancer: self.money(to_freelancer),
            to_client: self.money(self.amount.amount - to_freelancer),
        }
    }

    /// The opener's claim: a refund request refunds, a freelancer's dispute releases, a
    /// client's hourly dispute refunds all but the protected hours.
    fn claim(&self) -> (Outcome, Settlement) {
        match self.kind {
            DisputeKind::RefundRequest => (Outcome::Refund, self.settlement(Decimal::ZERO)),
            DisputeKind::NonApproval => (Outcome::Release, self.settlement(self.amount.amount)),
            DisputeKind::HourlyHours => (
                Outcome::Refund,
                self.settlement(self.protected_amount.amount),
            ),
        }
    }

    fn resolved(
        &self,
        outcome: Outcome,
        settlement: Settlement,
        decided_by: DecidedBy,
        admin_id: Option<UserId>,
        note: String,
        at: DateTime<Utc>,
    ) -> Dispute {
        let mut next = self.clone();
        next.version += 1;
        next.state = DisputeState::Resolved;
        next.return_arbitration_fee(&settlement);
        next.resolution = Some(Resolution {
            outcome,
            settlement,
            decided_by,
            admin_id,
            note,
            at,
        });
        next
    }

    /// The other side answers before the deadline. Accepting settles the opener's claim now
    /// (a freelancer accepting an hourly dispute gives the whole week back, protected hours
    /// included: protection guards against the client, not against the freelancer's own
    /// choice); contesting hands the dispute to mediation.
    pub fn answer(
        &self,
        by: Side,
        accepted: bool,
        message: String,
        now: DateTime<Utc>,
    ) -> Result<(Dispute, Option<Settlement>), DisputeRuleViolation> {
        if self.state != DisputeState::Open {
            return Err(DisputeRuleViolation::WrongState(self.state));
        }
        if by != self.responder() {
            return Err(DisputeRuleViolation::NotTheOtherSide);
        }
        if now >= self.respond_by {
            return Err(DisputeRuleViolation::DeadlinePassed);
        }
        let answer = Answer {
            by,
            accepted,
            message,
            at: now,
        };
        if !accepted {
            let mut next = self.clone();
            next.version += 1;
            next.state = DisputeState::InMediation;
            // Contesting escalates to arbitration: the contesting side pays (see
            // `domain::arbitration`).
            if let Some(fee) = next.arbitration_fee.as_mut() {
                if fee.amount.amount > Decimal::ZERO {
                    fee.paid_by = Some(by);
                }
            }
            next.answer = Some(answer);
            return Ok((next, None));
        }
        let (outcome, settlement) = match self.kind {
            DisputeKind::HourlyHours => (Outcome::Refund, self.settlement(Decimal::ZERO)),
            _ => self.claim(),
        };
        let mut next = self.resolved(
            outcome,
            settlement,
            DecidedBy::Acceptance,
            None,
            String::new(),
            now,
        );
        next.answer = Some(answer);
        Ok((next, Some(settlement)))
    }

    /// The opener drops the claim before anything decided it: while the other side may still
    /// answer, or while an admin has not ruled. Once the answer deadline has passed the
    /// silence already decided for the opener, so there is nothing left to withdraw. What the
    /// money and its clocks do is the subject's business (`Milestone::withdraw_dispute`,
    /// `Timesheet::withdraw_dispute`); no money changes hands.
    pub fn withdraw(&self, by: Side, now: DateTime<Utc>) -> Result<Dispute, DisputeRuleViolation> {
        if !matches!(self.state, DisputeState::Open | DisputeState::InMediation) {
            return Err(DisputeRuleViolation::WrongState(self.state));
        }
        if by != self.opened_by {
            return Err(DisputeRuleViolation::NotTheOpener);
        }
        if self.state == DisputeState::Open && now >= self.respond_by {
            return Err(DisputeRuleViolation::DeadlinePassed);
        }
        let mut next = self.clone();
        next.version += 1;
        next.state = DisputeState::Withdrawn;
        next.withdrawn_at = Some(now);
        // The claim the payer contested is dropped: the payer won it all.
        if let Some(fee) = next.arbitration_fee.as_mut() {
            if fee.paid_by.is_some() {
                fee.returned = Some(fee.amount);
            }
        }
        Ok(next)
    }

    /// The schedule at `at`: an unanswered dispute whose deadline has come is settled for the
    /// side that opened it (§13.2).
    pub fn lapse(&self, at: DateTime<Utc>) -> Result<(Dispute, Settlement), DisputeRuleViolation> {
        if self.state != DisputeState::Open {
            return Err(DisputeRuleViolation::WrongState(self.state));
        }
        if at < self.respond_by {
            return Err(DisputeRuleViolation::NotDue);
        }
        let (outcome, settlement) = self.claim();
        Ok((
            self.resolved(
                outcome,
                settlement,
                DecidedBy::Deadline,
                None,
                String::new(),
                at,
            ),
            settlement,
        ))
    }

    /// An admin's decision (§13.3), at any point before the dispute is settled. Hourly: the
    /// freelancer's share is never below the protected amount — a refund pays the protected
    /// hours and refunds the rest.
    pub fn resolve(
        &self,
        admin: &UserId,
        decision: Decision,
        now: DateTime<Utc>,
    ) -> Result<(Dispute, Settlement), DisputeRuleViolation> {
        if matches!(self.state, DisputeState::Resolved | DisputeState::Withdrawn) {
            return Err(DisputeRuleViolation::WrongState(self.state));
        }
        let floor = self.protected_amount.amount;
        let to_freelancer = match (decision.outcome, decision.freelancer_amount) {
            (Outcome::Release, None) => self.amount.amount,
            (Outcome::Refund, None) => floor,
            (Outcome::Split, Some(share)) => {
                if share.currency != self.amount.currency {
                    return Err(DisputeRuleViolation::CurrencyMismatch);
                }
                if share.amount < floor || share.amount > self.amount.amount {
                    return Err(DisputeRuleViolation::ShareOutOfRange {
                        min: self.money(floor),
                        max: self.amount,
                    });
                }
                share.amount
            }
            _ => return Err(DisputeRuleViolation::ShareMismatch),
        };
        let settlement = self.settlement(to_freelancer);
        Ok((
            self.resolved(
                decision.outcome,
                settlement,
                DecidedBy::Mediation,
                Some(admin.clone()),
                decision.note,
                now,
            ),
            settlement,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::contract::{ContractRef, MilestoneDraft};
    use crate::domain::ids::TransferId;

    fn t(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    fn usd(raw: &str) -> Money {
        Money::usd(raw).unwrap()
    }

    fn milestone(state: MilestoneState) -> Milestone {
        let now = t("2026-12-01T10:00:00Z");
        let contract = ContractRef {
            id: ContractId::generate(now),
            client_id: UserId::generate(now),
            freelancer_id: UserId::generate(now),
            fee_schedule: "standard".into(),
        };
        let draft = MilestoneDraft {
            description: "Design".into(),
            amount: usd("300.00"),
            due_date: None,
        };
        let mut m = Milestone::new(MilestoneId::generate(now), &contract, draft, now).unwrap();
        if state != MilestoneState::Unfunded {
            m = m
                .fund(TransferId::generate(now), usd("15.00"), now)
                .unwrap();
        }
        if matches!(
            state,
            MilestoneState::Submitted | MilestoneState::ChangesRequested
        ) {
            m = m.submit("done".into(), vec![], now).unwrap();
        }
        if state == MilestoneState::ChangesRequested {
            m = m.request_changes().unwrap();
        }
        m
    }

    fn open(by: Side, state: MilestoneState) -> Dispute {
        let m = milestone(state);
        Dispute::milestone(
            DisputeId::generate(t("2026-12-02T00:00:00Z")),
            &m,
            by,
            "not what we agreed".into(),
            t("2026-12-02T00:00:00Z"),
        )
        .unwrap()
    }

    fn hourly(protected: &str) -> Dispute {
        let mut d = open(Side::Client, MilestoneState::Funded);
        d.kind = DisputeKind::HourlyHours;
        d.amount = usd("90.00");
        d.protected_amount = usd(protected);
        d.respond_by = d.opened_at + HOURLY_DISPUTE_RESPONSE;
        d
    }

    fn decision(outcome: Outcome, share: Option<&str>) -> Decision {
        Decision {
            outcome,
            freelancer_amount: share.map(usd),
            note: "looked at the diary".into(),
        }
    }

    #[test]
    fn who_may_dispute_which_milestone() {
        for state in [
            MilestoneState::Funded,
            MilestoneState::Submitted,
            MilestoneState::ChangesRequested,
        ] {
            let d = open(Side::Client, state);
            assert_eq!(d.kind, DisputeKind::RefundRequest);
            assert_eq!(d.respond_by, t("2026-12-09T00:00:00Z"));
            assert_eq!(d.responder(), Side::Freelancer);
        }
        assert_eq!(
            open(Side::Freelancer, MilestoneState::Submitted).kind,
            DisputeKind::NonApproval
        );
        let now = t("2026-12-02T00:00:00Z");
        let id = DisputeId::generate(now);
        let funded = milestone(MilestoneState::Funded);
        assert_eq!(
            Dispute::milestone(id.clone(), &funded, Side::Freelancer, "x".into(), now),
            Err(DisputeRuleViolation::NotSubmitted)
        );
        let unfunded = milestone(MilestoneState::Unfunded);
        assert_eq!(
            Dispute::milestone(id, &unfunded, Side::Client, "x".into(), now),
            Err(DisputeRuleViolation::MilestoneNotDisputable(
                MilestoneState::Unfunded
            ))
        );
    }

    #[test]
    fn silence_decides_for_the_opener_at_the_deadline_and_not_before() {
        let refund = open(Side::Client, MilestoneState::Submitted);
        let edge = refund.respond_by;
        assert_eq!(
            refund.lapse(edge - Duration::seconds(1)).unwrap_err(),
            DisputeRuleViolation::NotDue
        );
        let (after, settlement) = refund.lapse(edge).unwrap();
        assert_eq!(after.state, DisputeState::Resolved);
        assert_eq!(settlement.to_freelancer, usd("0.00"));
        assert_eq!(settlement.to_client, usd("300.00"));
        let resolution = after.resolution.unwrap();
        assert_eq!(resolution.decided_by, DecidedBy::Deadline);
        assert_eq!(resolution.outcome, Outcome::Refund);

        let (_, settlement) = open(Side::Freelancer, MilestoneState::Submitted)
            .lapse(edge)
            .unwrap();
        assert_eq!(settlement.to_freelancer, usd("300.00"));
        assert_eq!(settlement.to_client, usd("0.00"));

        // Hourly silence refunds the client, but protection pays the protected hours.
        let week = hourly("30.00");
        let (_, settlement) = week.lapse(week.respond_by).unwrap();
        assert_eq!(settlement.to_freelancer, usd("30.00"));
        assert_eq!(settlement.to_client, usd("60.00"));
    }

    #[test]
    fn answers_come_from_the_other_side_before_the_deadline() {
        let d = open(Side::Client, MilestoneState::Funded);
        let before = d.respond_by - Duration::seconds(1);
        assert_eq!(
            d.answer(Side::Client, true, "ok".into(), before)
                .unwrap_err(),
            DisputeRuleViolation::NotTheOtherSide
        );
        assert_eq!(
            d.answer(Side::Freelancer, true, "ok".into(), d.respond_by)
                .unwrap_err(),
            DisputeRuleViolation::DeadlinePassed
        );
        let (accepted, settlement) = d
            .answer(Side::Freelancer, true, "fair".into(), before)
            .unwrap();
        assert_eq!(accepted.state, DisputeState::Resolved);
        assert_eq!(settlement.unwrap().to_client, usd("300.00"));
        let (contested, settlement) = d
            .answer(Side::Freelancer, false, "I delivered".into(), before)
            .unwrap();
        assert_eq!(contested.state, DisputeState::InMediation);
        assert!(settlement.is_none());
        // Contested disputes no longer lapse: an admin decides.
        assert_eq!(
            contested.lapse(d.respond_by).unwrap_err(),
            DisputeRuleViolation::WrongState(DisputeState::InMediation)
        );
        assert!(contested
            .answer(Side::Freelancer, true, "again".into(), before)
            .is_err());

        // A freelancer accepting an hourly dispute gives the whole week back.
        let week = hourly("30.00");
        let (_, settlement) = week
            .answer(
                Side::Freelancer,
                true,
                "sorry".into(),
                week.respond_by - Duration::seconds(1),
            )
            .unwrap();
        assert_eq!(settlement.unwrap().to_client, usd("90.00"));
    }

    #[test]
    fn mediation_splits_to_the_cent_and_protection_is_a_floor() {
        let admin = UserId::generate(t("2026-12-01T00:00:00Z"));
        let now = t("2026-12-05T00:00:00Z");
        let d = open(Side::Client, MilestoneState::Submitted);
        let (after, s) = d
            .resolve(&admin, decision(Outcome::Split, Some("120.01")), now)
            .unwrap();
        assert_eq!(
            (s.to_freelancer, s.to_client),
            (usd("120.01"), usd("179.99"))
        );
        assert_eq!(
            after.resolution.as_ref().unwrap().admin_id,
            Some(admin.clone())
        );
        assert!(after
            .resolve(&admin, decision(Outcome::Refund, None), now)
            .is_err());
        assert!(matches!(
            d.resolve(&admin, decision(Outcome::Split, Some("300.01")), now),
            Err(DisputeRuleViolation::ShareOutOfRange { .. })
        ));
        assert_eq!(
            d.resolve(&admin, decision(Outcome::Release, Some("1.00")), now),
            Err(DisputeRuleViolation::ShareMismatch)
        );
        let (_, s) = d
            .resolve(&admin, decision(Outcome::Release, None), now)
            .unwrap();
        assert_eq!(s.to_freelancer, usd("300.00"));

        let week = hourly("30.00");
        let (_, s) = week
            .resolve(&admin, decision(Outcome::Refund, None), now)
            .unwrap();
        assert_eq!((s.to_freelancer, s.to_client), (usd("30.00"), usd("60.00")));
        assert_eq!(
            week.resolve(&admin, decision(Outcome::Split, Some("29.99")), now),
            Err(DisputeRuleViolation::ShareOutOfRange {
                min: usd("30.00"),
                max: usd("90.00")
            })
        );
    }

    #[test]
    fn only_the_opener_withdraws_and_only_before_a_decision() {
        let d = open(Side::Client, MilestoneState::Submitted);
        let before = d.respond_by - Duration::seconds(1);
        assert_eq!(
            d.withdraw(Side::Freelancer, before),
            Err(DisputeRuleViolation::NotTheOpener)
        );
        // Silence already decided at the deadline, even before the sweep ran.
        assert_eq!(
            d.withdraw(Side::Client, d.respond_by),
            Err(DisputeRuleViolation::DeadlinePassed)
        );
        let withdrawn = d.withdraw(Side::Client, before).unwrap();
        assert_eq!(withdrawn.state, DisputeState::Withdrawn);
        assert_eq!(withdrawn.withdrawn_at, Some(before));
        assert_eq!(withdrawn.version, d.version + 1);
        assert!(withdrawn.lapse(d.respond_by).is_err());
        assert!(withdrawn
            .answer(Side::Freelancer, true, "ok".into(), before)
            .is_err());
        let admin = UserId::generate(t("2026-12-01T00:00:00Z"));
        assert_eq!(
            withdrawn.resolve(&admin, decision(Outcome::Refund, None), before),
            Err(DisputeRuleViolation::WrongState(DisputeState::Withdrawn))
        );
        // In mediation the deadline no longer matters: withdrawing is open until the ruling.
        let (contested, _) = d
            .answer(Side::Freelancer, false, "delivered".into(), before)
            .unwrap();
        let late = d.respond_by + Duration::days(30);
        assert_eq!(
            contested.withdraw(Side::Client, late).unwrap().state,
            DisputeState::Withdrawn
        );
        let (ruled, _) = contested
            .resolve(&admin, decision(Outcome::Release, None), late)
            .unwrap();
        assert_eq!(
            ruled.withdraw(Side::Client, late),
            Err(DisputeRuleViolation::WrongState(DisputeState::Resolved))
        );
    }

    #[test]
    fn a_withdrawal_puts_the_milestone_back_with_its_clock_and_it_cannot_be_disputed_again() {
        let submitted = milestone(MilestoneState::Submitted);
        let due = submitted.auto_release_at;
        assert!(due.is_some());
        let id = DisputeId::generate(t("2026-12-02T00:00:00Z"));
        let frozen = submitted.dispute(id.clone()).unwrap();
        assert_eq!(frozen.auto_release_at, None);
        let back = frozen.withdraw_dispute().unwrap();
        assert_eq!(
            (back.state, back.auto_release_at, back.dispute_id.clone()),
            (MilestoneState::Submitted, due, Some(id.clone()))
        );
        assert_eq!(
            back.dispute(id.clone()),
            Err(crate::domain::contract::MilestoneRuleViolation::AlreadyDisputed)
        );
        let changes = milestone(MilestoneState::ChangesRequested);
        let back = changes.dispute(id).unwrap().withdraw_dispute().unwrap();
        assert_eq!(
            (back.state, back.auto_release_at),
            (MilestoneState::ChangesRequested, None)
        );
        assert!(back.withdraw_dispute().is_err());
    }

    #[test]
    fn only_the_client_sends_a_refund_to_the_card_that_paid() {
        let m = milestone(MilestoneState::Submitted);
        let now = t("2026-12-02T10:00:00Z");
        let open = |by| {
            Dispute::milestone(DisputeId::generate(now), &m, by, "reason".into(), now).unwrap()
        };
        let card = CardCharge {
            charge_id: "ch_sbx_1".into(),
            amount: usd("315.00"),
            method: "visa •••• 4242".into(),
        };
        let chosen = open(Side::Client)
            .refunding_to(RefundTo::Card, Some(&card))
            .unwrap();
        assert_eq!(chosen.refund_to, RefundTo::Card);
        assert_eq!(
            open(Side::Client).refunding_to(RefundTo::Card, None),
            Err(DisputeRuleViolation::NotPaidByCard)
        );
        assert_eq!(
            open(Side::Freelancer).refunding_to(RefundTo::Card, Some(&card)),
            Err(DisputeRuleViolation::RefundChoiceIsTheClients)
        );
        // The default needs no card and is anyone's.
        let default = open(Side::Freelancer)
            .refunding_to(RefundTo::Balance, None)
            .unwrap();
        assert_eq!(default.refund_to, RefundTo::Balance);
    }

    #[test]
    fn requests_name_exactly_one_subject() {
        let request = |milestone: Option<&str>, week: Option<&str>| DisputeRequest {
            milestone_id: milestone.and_then(MilestoneId::parse),
            timesheet_id: week.map(String::from),
            reason: "the work was not delivered".into(),
            refund_to: None,
        };
        let id = MilestoneId::generate(t("2026-12-01T00:00:00Z"));
        assert!(request(None, None).check().is_err());
        assert!(request(Some(id.as_str()), Some("y")).check().is_err());
        assert!(request(None, Some("nope")).check().is_err());
        let ulid = &id.as_str()[4..];
        assert_eq!(
            request(None, Some(&format!("wk_{ulid}_20261202")))
                .check()
                .unwrap()
                .0,
            DisputeTarget::NoSuchWeek,
            "a Wednesday starts no billing week"
        );
        assert_eq!(
            request(Some(&id.to_string()), None).check().unwrap().0,
            DisputeTarget::Milestone(id)
        );
        let split = DecisionRequest {
            outcome: Outcome::Split,
            freelancer_amount: None,
            note: "n".into(),
        };
        assert!(split.check().is_err());
    }
}
