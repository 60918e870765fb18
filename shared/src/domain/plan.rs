//! Membership plans (docs/plans.md): Basic is free with 10 Connects a month; Plus costs a
//! monthly price and grants 100 Connects a month, unused Connects rolling over up to a cap.
//!
//! Periods are UTC calendar months, so every Plus subscription renews at the same instant
//! (the first of the month, 00:00 UTC) and the monthly Connects grant and the renewal meet
//! on the same edge. Subscribing mid-month pays for the rest of the month by days.
//!
//! Prices and grants are effective-dated schedules like the service fees (§10.3): a period is
//! priced by the schedule in force when it starts (a subscription mid-month by the one in
//! force at that moment), and the subscription names it.
//!
//! Rounding: half-up to cents, as every fee (`fees::round_cents`).

use super::fees::{
    dated_schedules, in_force_and_announced, latest_in_force, round_cents, FeeConfigError,
};
use super::ids::UserId;
use super::money::{Currency, Money};
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanId {
    Basic,
    Plus,
}

impl PlanId {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanId::Basic => "basic",
            PlanId::Plus => "plus",
        }
    }
}

/// What one plan costs and gives, in one schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanTerms {
    pub plan: PlanId,
    /// The price of a whole month.
    pub monthly_price: Money,
    /// Connects granted at the start of every month.
    pub monthly_connects: u32,
    /// Unused Connects carried into a month on top of its grant: the grant never lifts the
    /// balance above `monthly_connects + rollover_cap`. `None`: no cap (the grant is whole).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollover_cap: Option<u32>,
    /// The Plus badge on the freelancer's public profile.
    pub badge: bool,
    /// Sees the low, average and high bid of the other proposals on a job.
    pub competing_bids: bool,
}

impl PlanTerms {
    /// Connects a month's grant gives to a balance of `balance`: the allowance, less whatever
    /// would lift the balance over the rollover cap (never negative).
    pub fn grant_for(&self, balance: i64) -> u32 {
        self.grant_up_to(self.monthly_connects, balance)
    }

    /// `connects` granted under this plan's cap.
    pub fn grant_up_to(&self, connects: u32, balance: i64) -> u32 {
        match self.rollover_cap {
            None => connects,
            Some(cap) => {
                let ceiling = i64::from(self.monthly_connects) + i64::from(cap);
                let room = (ceiling - balance).max(0);
                u32::try_from(room.min(i64::from(connects))).unwrap_or(0)
            }
        }
    }
}

/// One version of the plans' prices and grants, in force from `effective_from` until the next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanSchedule {
    pub id: String,
    pub effective_from: DateTime<Utc>,
    pub basic: PlanTerms,
    pub plus: PlanTerms,
}

impl PlanSchedule {
    /// Basic: free, 10 Connects. Plus: $19.99 a month, 100 Connects, up to 200 unused
    /// Connects roll over.
    pub fn standard_2026() -> Self {
        Self {
            id: "2026-12-plans".into(),
            effective_from: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            basic: PlanTerms {
                plan: PlanId::Basic,
                monthly_price: Money::zero(Currency::USD),
                monthly_connects: super::connects::MONTHLY_GRANT,
                rollover_cap: None,
                badge: false,
                competing_bids: false,
            },
            plus: PlanTerms {
                plan: PlanId::Plus,
                monthly_price: Money {
                    amount: Decimal::new(1999, 2),
                    currency: Currency::USD,
                },
                monthly_connects: 100,
                rollover_cap: Some(200),
                badge: true,
                competing_bids: true,
            },
        }
    }

    pub fn terms(&self, plan: PlanId) -> &PlanTerms {
        match plan {
            PlanId::Basic => &self.basic,
            PlanId::Plus => &self.plus,
        }
    }

    /// What subscribing to Plus at `at` costs: the month's price times the days left in the
    /// month (the day of `at` included) over the days of the month, half-up to the cent.
    pub fn prorated_plus(&self, at: DateTime<Utc>) -> Money {
        let month = Period::of(at);
        let days = Decimal::from(month.days());
        let left = Decimal::from(month.days() - at.day() + 1);
        let price = self.plus.monthly_price;
        Money {
            amount: round_cents(price.amount * left / days),
            currency: price.currency,
        }
    }

    /// Connects granted on subscribing mid-month: what Plus gives over what Basic gave this
    /// month already, under Plus's cap.
    pub fn upgrade_connects(&self, balance: i64) -> u32 {
        let extra = self
            .plus
            .monthly_connects
            .saturating_sub(self.basic.monthly_connects);
        self.plus.grant_up_to(extra, balance)
    }

    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.id.trim().is_empty() {
            problems.push("a plan schedule needs an id".to_string());
        }
        if self.basic.plan != PlanId::Basic || self.plus.plan != PlanId::Plus {
            problems.push(format!("{}: basic and plus terms are swapped", self.id));
        }
        if !self.basic.monthly_price.amount.is_zero() {
            problems.push(format!("{}: Basic is free", self.id));
        }
        if self.plus.monthly_price.amount <= Decimal::ZERO {
            problems.push(format!("{}: Plus has a price", self.id));
        }
        if self.plus.monthly_connects < self.basic.monthly_connects {
            problems.push(format!(
                "{}: Plus grants at least Basic's Connects",
                self.id
            ));
        }
        problems
    }
}

/// The published plan schedules, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanCatalogue {
    schedules: Vec<PlanSchedule>,
}

impl PlanCatalogue {
    pub fn new(schedules: Vec<PlanSchedule>) -> Result<Self, FeeConfigError> {
        let schedules = dated_schedules(
            schedules,
            "plan schedule",
            PlanSchedule::problems,
            |s| s.effective_from,
            |s| s.id.as_str(),
        )?;
        Ok(Self { schedules })
    }

    pub fn standard() -> Self {
        Self::new(vec![PlanSchedule::standard_2026()]).expect("the standard plans are sound")
    }

    pub fn in_force(&self, at: DateTime<Utc>) -> &PlanSchedule {
        latest_in_force(&self.schedules, at, |s| s.effective_from)
    }

    /// The schedule in force at `at` and the ones announced after it.
    pub fn from(&self, at: DateTime<Utc>) -> Vec<PlanSchedule> {
        in_force_and_announced(&self.schedules, at, |s| s.effective_from, |s| s.id.as_str())
    }
}

/// A UTC calendar month, `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Period {
    /// The month `at` falls in.
    pub fn of(at: DateTime<Utc>) -> Self {
        let start = super::connects::month_start(at);
        let end = super::connects::month_start(start + Duration::days(32));
        Self { start, end }
    }

    /// The month after this one.
    pub fn next(&self) -> Self {
        Self::of(self.end)
    }

    pub fn days(&self) -> u32 {
        u32::try_from((self.end - self.start).num_days()).unwrap_or(31)
    }

    /// `2026-12`: what the period's charge and grant are idempotent over.
    pub fn month(&self) -> String {
        super::connects::grant_month(self.start)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// Basic, or Plus paid for the current period.
    Active,
    /// Plus whose renewal was refused: retried daily until it is paid or attempts run out.
    PastDue,
}

/// Renewal attempts before a subscription falls back to Basic.
pub const MAX_RENEWAL_ATTEMPTS: u32 = 3;

/// How long after a refused renewal it is tried again.
pub fn retry_delay() -> Duration {
    Duration::days(1)
}

/// A refused renewal, waiting for its next attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RenewalFailure {
    /// Attempts refused so far for the period being renewed.
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: String,
}

/// A freelancer's plan. Everyone without a record is on Basic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Subscription {
    pub user_id: UserId,
    pub plan: PlanId,
    pub status: PlanStatus,
    /// The schedule that priced the current period.
    pub schedule_id: String,
    /// The current period (for Plus, the one paid for; when past due, the one that ended).
    pub period: Period,
    /// Plus ends at the period's end instead of renewing.
    pub cancel_at_period_end: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewal: Option<RenewalFailure>,
    /// Bumped by every change; writes are conditioned on the version read.
    pub version: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("the plan is already Plus")]
    AlreadySubscribed,
    #[error(
        "the last renewal was refused: update the billing method, the next attempt will charge it"
    )]
    PastDue,
    #[error("only a Plus subscription can be cancelled")]
    NotSubscribed,
    #[error("the cancelled period has ended and is being closed: subscribe again in a moment")]
    RenewalPending,
}

/// What subscribing does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subscribe {
    /// From Basic: pay `amount` for the rest of the month.
    Charge { after: Subscription, amount: Money },
    /// A cancelled Plus taken back before its end: nothing to pay.
    Resume { after: Subscription },
}

/// What the renewal schedule does with a due subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Renewal {
    /// Charge `amount` for `period` (attempt `attempt`, counting from 1).
    Charge {
        period: Period,
        amount: Money,
        attempt: u32,
    },
    /// Cancelled: back to Basic at the edge, nothing charged.
    End,
}

impl Subscription {
    /// The plan of someone who never subscribed.
    pub fn basic(user: &UserId, schedule: &PlanSchedule, now: DateTime<Utc>) -> Self {
        Self {
            user_id: user.clone(),
            plan: PlanId::Basic,
            status: PlanStatus::Active,
            schedule_id: schedule.id.clone(),
            period: Period::of(now),
            cancel_at_period_end: false,
            renewal: None,
            version: 0,
        }
    }

    /// When the renewal schedule must look at it next: the period's end for Plus, the next
    /// attempt when past due, never for Basic.
    pub fn due_at(&self) -> Option<DateTime<Utc>> {
        match (self.plan, &self.renewal) {
            (PlanId::Basic, _) => None,
            (PlanId::Plus, Some(failure)) => Some(failure.next_attempt_at),
            (PlanId::Plus, None) => Some(self.period.end),
        }
    }

    /// Whether `month`'s Connects are Plus's: paid for (the period covers its start).
    pub fn plus_paid_for(&self, at: DateTime<Utc>) -> bool {
        self.plan == PlanId::Plus && self.period.start <= at && at < self.period.end
    }

    pub fn subscribe(
        &self,
        schedule: &PlanSchedule,
        now: DateTime<Utc>,
    ) -> Result<Subscribe, PlanError> {
        match (self.plan, self.status) {
            (PlanId::Plus, PlanStatus::PastDue) => Err(PlanError::PastDue),
            // Once the period is over the renewal schedule is ending it, and may be holding a
            // charge of the edge it must refund: taking the cancel back now would let a
            // later run charge that refunded key again.
            (PlanId::Plus, _) if self.cancel_at_period_end && now >= self.period.end => {
                Err(PlanError::RenewalPending)
            }
            (PlanId::Plus, _) if self.cancel_at_period_end => Ok(Subscribe::Resume {
                after: Self {
                    cancel_at_period_end: false,
                    version: self.version + 1,
                    ..self.clone()
                },
            }),
            (PlanId::Plus, _) => Err(PlanError::AlreadySubscribed),
            (PlanId::Basic, _) => Ok(Subscribe::Charge {
                after: Self {
                    user_id: self.user_id.clone(),
                    plan: PlanId::Plus,
                    status: PlanStatus::Active,
                    schedule_id: schedule.id.clone(),
                    period: Period::of(now),
                    cancel_at_period_end: false,
                    renewal: None,
                    version: self.version + 1,
                },
                amount: schedule.prorated_plus(now),
            }),
        }
    }

    /// Asks Plus to end at the period's end; `None` when it already will.
    pub fn cancel(&self) -> Result<Option<Self>, PlanError> {
        match self.plan {
            PlanId::Basic => Err(PlanError::NotSubscribed),
            PlanId::Plus if self.cancel_at_period_end => Ok(None),
            PlanId::Plus => Ok(Some(Self {
                cancel_at_period_end: true,
                version: self.version + 1,
                ..self.clone()
            })),
        }
    }

    /// What a renewal run at `time` does; `None` when nothing is due.
    pub fn renewal_at(&self, catalogue: &PlanCatalogue, time: DateTime<Utc>) -> Option<Renewal> {
        if self.due_at()? > time {
            return None;
        }
        if self.cancel_at_period_end {
            return Some(Renewal::End);
        }
        let period = self.period.next();
        Some(Renewal::Charge {
            period,
            amount: catalogue.in_force(period.start).plus.monthly_price,
            attempt: self.renewal.as_ref().map_or(0, |f| f.attempts) + 1,
        })
    }

    /// Paid for `period` under `schedule`.
    pub fn renewed(&self, schedule: &PlanSchedule, period: Period) -> Self {
        Self {
            status: PlanStatus::Active,
            schedule_id: schedule.id.clone(),
            period,
            renewal: None,
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// A refused renewal: tried again a day later, or, after the last attempt, Basic.
    pub fn renewal_refused(
        &self,
        schedule: &PlanSchedule,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Self {
        let attempts = self.renewal.as_ref().map_or(0, |f| f.attempts) + 1;
        if attempts >= MAX_RENEWAL_ATTEMPTS {
            return self.downgraded(schedule, now);
        }
        Self {
            status: PlanStatus::PastDue,
            renewal: Some(RenewalFailure {
                attempts,
                next_attempt_at: now + retry_delay(),
                last_error: reason.to_string(),
            }),
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// Back to Basic from the month of `now`.
    pub fn downgraded(&self, schedule: &PlanSchedule, now: DateTime<Utc>) -> Self {
        Self {
            version: self.version + 1,
            ..Self::basic(&self.user_id, schedule, now)
        }
    }
}

/// One line of a freelancer's plan history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanEventKind {
    /// Basic → Plus, the rest of the month paid.
    Subscribed,
    /// A cancelled Plus taken back before its end.
    Resumed,
    /// Plus asked to end at the period's end.
    CancelRequested,
    /// A month paid at its start.
    Renewed,
    /// A renewal the processor refused (or no usable billing method): tried again later.
    RenewalRefused,
    /// Back to Basic after the last refused renewal.
    Downgraded,
    /// A cancelled Plus ended at its period's end.
    Ended,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanEvent {
    pub at: DateTime<Utc>,
    pub kind: PlanEventKind,
    /// The plan after the event.
    pub plan: PlanId,
    /// The period the event is about (the one paid, refused or ended).
    pub period: Period,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_id: Option<super::ids::TransferId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl PlanEvent {
    pub fn new(
        kind: PlanEventKind,
        after: &Subscription,
        period: Period,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            at,
            kind,
            plan: after.plan,
            period,
            amount: None,
            transfer_id: None,
            reason: None,
        }
    }

    pub fn paid(mut self, amount: Money, transfer: &super::ids::TransferId) -> Self {
        self.amount = Some(amount);
        self.transfer_id = Some(transfer.clone());
        self
    }

    pub fn because(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
}

/// The spread of the other proposals' bids on a job, as Plus members see it (like Upwork's
/// "bid range": low, average, high).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BidRange {
    /// Proposals counted.
    pub count: u32,
    pub low: Money,
    /// Half-up to the cent.
    pub average: Money,
    pub high: Money,
}

/// The range of `bids` (one currency); `None` when there are none.
pub fn bid_range(bids: &[Money]) -> Option<BidRange> {
    let first = bids.first()?;
    let amounts = bids.iter().map(|bid| bid.amount);
    let sum: Decimal = amounts.clone().sum();
    let count = u32::try_from(bids.len()).unwrap_or(u32::MAX);
    let money = |amount: Decimal| Money {
        amount: round_cents(amount),
        currency: first.currency,
    };
    Some(BidRange {
        count,
        low: money(amounts.clone().min()?),
        average: money(sum / Decimal::from(count)),
        high: money(amounts.max()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    fn usd(raw: &str) -> Money {
        Money::usd(raw).unwrap()
    }

    fn user() -> UserId {
        UserId::generate(t("2026-12-01T00:00:00Z"))
    }

    #[test]
    fn the_bid_range_is_low_average_high() {
        assert_eq!(bid_range(&[]), None);
        let range = bid_range(&[usd("100.00"), usd("250.00"), usd("75.50")]).unwrap();
        assert_eq!(range.count, 3);
        assert_eq!(range.low, usd("75.50"));
        assert_eq!(range.high, usd("250.00"));
        // 425.50 / 3 = 141.8333… → 141.83.
        assert_eq!(range.average, usd("141.83"));
        assert_eq!(range.average.amount.to_string(), "141.83");
    }

    #[test]
    fn periods_are_utc_calendar_months() {
        let p = Period::of(t("2026-12-10T15:00:00Z"));
        assert_eq!(p.start, t("2026-12-01T00:00:00Z"));
        assert_eq!(p.end, t("2027-01-01T00:00:00Z"));
        assert_eq!(p.days(), 31);
        assert_eq!(p.month(), "2026-12");
        assert_eq!(p.next().end, t("2027-02-01T00:00:00Z"));
        assert_eq!(Period::of(t("2028-02-29T23:59:59Z")).days(), 29);
        assert_eq!(Period::of(t("2027-01-01T00:00:00Z")).month(), "2027-01");
    }

    #[test]
    fn a_mid_month_subscription_pays_the_days_left_half_up() {
        let s = PlanSchedule::standard_2026();
        // The first of the month: the whole price.
        assert_eq!(s.prorated_plus(t("2026-12-01T00:00:00Z")), usd("19.99"));
        // 22 of 31 days: 19.99 × 22 / 31 = 14.1864… → 14.19.
        assert_eq!(s.prorated_plus(t("2026-12-10T09:00:00Z")), usd("14.19"));
        // The last day: 19.99 / 31 = 0.6448… → 0.64.
        assert_eq!(s.prorated_plus(t("2026-12-31T23:00:00Z")), usd("0.64"));
        // 14 of 28 days: exactly half, 9.995 → 10.00 (half-up).
        assert_eq!(s.prorated_plus(t("2027-02-15T00:00:00Z")), usd("10.00"));
    }

    #[test]
    fn plus_grants_roll_over_up_to_the_cap() {
        let s = PlanSchedule::standard_2026();
        assert_eq!(s.plus.grant_for(0), 100);
        assert_eq!(s.plus.grant_for(200), 100);
        assert_eq!(s.plus.grant_for(250), 50);
        assert_eq!(s.plus.grant_for(300), 0);
        assert_eq!(s.plus.grant_for(420), 0);
        // Basic has no cap.
        assert_eq!(s.basic.grant_for(5000), 10);
        // Upgrading mid-month tops Basic's 10 up to Plus's 100.
        assert_eq!(s.upgrade_connects(10), 90);
        assert_eq!(s.upgrade_connects(280), 20);
    }

    #[test]
    fn the_catalogue_is_effective_dated() {
        let mut next = PlanSchedule::standard_2026();
        next.id = "2027-07-plans".into();
        next.effective_from = t("2027-07-01T00:00:00Z");
        next.plus.monthly_price = usd("24.99");
        let catalogue =
            PlanCatalogue::new(vec![next.clone(), PlanSchedule::standard_2026()]).unwrap();
        assert_eq!(
            catalogue.in_force(t("2027-06-30T23:59:59Z")).id,
            "2026-12-plans"
        );
        assert_eq!(
            catalogue.in_force(t("2027-07-01T00:00:00Z")).id,
            "2027-07-plans"
        );
        assert_eq!(catalogue.from(t("2027-01-01T00:00:00Z")).len(), 2);
        // The July renewal is priced by the schedule in force on July 1.
        let mut sub = Subscription::basic(
            &user(),
            catalogue.in_force(t("2027-06-03T00:00:00Z")),
            t("2027-06-03T00:00:00Z"),
        );
        sub.plan = PlanId::Plus;
        match sub.renewal_at(&catalogue, t("2027-07-01T00:00:00Z")) {
            Some(Renewal::Charge { amount, .. }) => assert_eq!(amount, usd("24.99")),
            other => panic!("{other:?}"),
        }
        let mut broken = next;
        broken.basic.monthly_price = usd("1.00");
        assert!(PlanCatalogue::new(vec![broken]).is_err());
        assert!(PlanCatalogue::new(vec![]).is_err());
    }

    #[test]
    fn subscribe_renew_cancel_and_resume() {
        let catalogue = PlanCatalogue::standard();
        let s = catalogue.in_force(t("2026-12-10T00:00:00Z"));
        let basic = Subscription::basic(&user(), s, t("2026-12-10T00:00:00Z"));
        assert_eq!(basic.due_at(), None);
        assert_eq!(basic.cancel(), Err(PlanError::NotSubscribed));
        let Ok(Subscribe::Charge {
            after: plus,
            amount,
        }) = basic.subscribe(s, t("2026-12-10T00:00:00Z"))
        else {
            panic!("charges");
        };
        assert_eq!(amount, usd("14.19"));
        assert_eq!(plus.due_at(), Some(t("2027-01-01T00:00:00Z")));
        assert!(plus.plus_paid_for(t("2026-12-31T00:00:00Z")));
        assert!(!plus.plus_paid_for(t("2027-01-01T00:00:00Z")));
        assert_eq!(
            plus.subscribe(s, t("2026-12-11T00:00:00Z")),
            Err(PlanError::AlreadySubscribed)
        );
        // Nothing due before the edge.
        assert_eq!(plus.renewal_at(&catalogue, t("2026-12-31T23:59:59Z")), None);
        let Some(Renewal::Charge {
            period,
            amount,
            attempt,
        }) = plus.renewal_at(&catalogue, t("2027-01-01T00:00:00Z"))
        else {
            panic!("renews");
        };
        assert_eq!(
            (period.month(), amount, attempt),
            ("2027-01".into(), usd("19.99"), 1)
        );
        let january = plus.renewed(s, period);
        assert_eq!(january.due_at(), Some(t("2027-02-01T00:00:00Z")));
        // Cancel at the period's end; subscribing again before it undoes the cancel for free.
        let cancelling = january.cancel().unwrap().unwrap();
        assert_eq!(cancelling.cancel(), Ok(None));
        assert_eq!(
            cancelling.subscribe(s, t("2027-01-20T00:00:00Z")),
            Ok(Subscribe::Resume {
                after: Subscription {
                    cancel_at_period_end: false,
                    version: cancelling.version + 1,
                    ..cancelling.clone()
                }
            })
        );
        assert_eq!(
            cancelling.renewal_at(&catalogue, t("2027-02-01T00:00:00Z")),
            Some(Renewal::End)
        );
        // Past the end, the cancel stands: the schedule ends it first.
        assert_eq!(
            cancelling.subscribe(s, t("2027-02-01T00:10:00Z")),
            Err(PlanError::RenewalPending)
        );
    }

    #[test]
    fn a_refused_renewal_is_retried_then_downgraded() {
        let catalogue = PlanCatalogue::standard();
        let s = catalogue.in_force(t("2026-12-10T00:00:00Z"));
        let Ok(Subscribe::Charge { after: plus, .. }) =
            Subscription::basic(&user(), s, t("2026-12-10T00:00:00Z"))
                .subscribe(s, t("2026-12-10T00:00:00Z"))
        else {
            panic!()
        };
        let edge = t("2027-01-01T00:00:00Z");
        let first = plus.renewal_refused(s, "card_declined", edge);
        assert_eq!(first.status, PlanStatus::PastDue);
        assert_eq!(first.plan, PlanId::Plus);
        assert_eq!(first.due_at(), Some(t("2027-01-02T00:00:00Z")));
        // Past due is not paid: January's Connects wait for the outcome.
        assert!(!first.plus_paid_for(edge));
        assert_eq!(first.subscribe(s, edge), Err(PlanError::PastDue));
        assert_eq!(
            first.renewal_at(&catalogue, t("2027-01-01T12:00:00Z")),
            None
        );
        match first.renewal_at(&catalogue, t("2027-01-02T00:00:00Z")) {
            Some(Renewal::Charge {
                period, attempt: 2, ..
            }) => assert_eq!(period.month(), "2027-01"),
            other => panic!("{other:?}"),
        }
        let second = first.renewal_refused(s, "card_declined", t("2027-01-02T00:00:00Z"));
        assert_eq!(second.renewal.as_ref().unwrap().attempts, 2);
        let third = second.renewal_refused(s, "card_declined", t("2027-01-03T00:00:00Z"));
        assert_eq!(third.plan, PlanId::Basic);
        assert_eq!(third.status, PlanStatus::Active);
        assert_eq!(third.period.month(), "2027-01");
        assert_eq!(third.due_at(), None);
        assert_eq!(third.version, plus.version + 3);
    }
}
