//! What taking a dispute to arbitration costs. Where Upwork charges a flat fee, Worklane's
//! scales with the stake: a percentage of the amount in dispute, never below a floor nor above
//! a cap — and never above the stake itself, so arbitrating a $5 milestone cannot cost $10.
//! Schedules are effective-dated like the service fees (§10.3): a dispute is priced by the
//! schedule in force when it opens, and names it.
//!
//! Who pays: the party that escalates. In Worklane's flow the opener's claim wins by itself
//! (acceptance or silence, §13.2); it is the other side's *contest* that sends the dispute to
//! an admin, so the contesting party pays, when contesting, from its Worklane balance. The fee
//! is held, not spent, until the ruling: it follows the outcome — returned in proportion to
//! what the payer won of the stake (all of it back on a full win, none on a full loss), the
//! rest earned by the platform. A withdrawn dispute returns it whole: the opener dropped the
//! claim the payer contested.
//!
//! Rounding: half-up to cents, as every fee (`fees::round_cents`).

use super::fees::{
    dated_schedules, in_force_and_announced, latest_in_force, round_cents, FeeConfigError,
};
use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One version of the arbitration fee, in force from `effective_from` until the next one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ArbitrationFeeSchedule {
    pub id: String,
    pub effective_from: DateTime<Utc>,
    /// Share of the amount in dispute, e.g. `0.05`.
    #[schemars(with = "String")]
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    /// The least arbitration costs (unless the stake itself is smaller).
    #[schemars(with = "String")]
    #[serde(with = "rust_decimal::serde::str")]
    pub floor: Decimal,
    /// The most arbitration costs.
    #[schemars(with = "String")]
    #[serde(with = "rust_decimal::serde::str")]
    pub cap: Decimal,
}

impl ArbitrationFeeSchedule {
    /// 5 % of the stake, at least $15.00, at most $300.00.
    pub fn standard_2026() -> Self {
        Self {
            id: "2026-12-arbitration".into(),
            effective_from: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            rate: Decimal::new(5, 2),
            floor: Decimal::new(1500, 2),
            cap: Decimal::new(30000, 2),
        }
    }

    /// What escalating a dispute over `stake` costs.
    pub fn fee(&self, stake: Decimal) -> Decimal {
        let stake = stake.max(Decimal::ZERO);
        round_cents(
            round_cents(stake * self.rate)
                .max(self.floor)
                .min(self.cap)
                .min(stake),
        )
    }

    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let cents = |d: Decimal| d >= Decimal::ZERO && d.normalize().scale() <= 2;
        if self.id.trim().is_empty() {
            problems.push("an arbitration schedule needs an id".to_string());
        }
        if self.rate < Decimal::ZERO || self.rate >= Decimal::ONE {
            problems.push(format!("{}: rate out of [0, 1)", self.id));
        }
        if !cents(self.floor) || !cents(self.cap) || self.floor > self.cap {
            problems.push(format!(
                "{}: floor and cap are whole cents with floor <= cap",
                self.id
            ));
        }
        problems
    }
}

/// The published arbitration schedules, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArbitrationCatalogue {
    schedules: Vec<ArbitrationFeeSchedule>,
}

impl ArbitrationCatalogue {
    pub fn new(schedules: Vec<ArbitrationFeeSchedule>) -> Result<Self, FeeConfigError> {
        let schedules = dated_schedules(
            schedules,
            "arbitration schedule",
            ArbitrationFeeSchedule::problems,
            |s| s.effective_from,
            |s| s.id.as_str(),
        )?;
        Ok(Self { schedules })
    }

    pub fn standard() -> Self {
        Self::new(vec![ArbitrationFeeSchedule::standard_2026()])
            .expect("the standard arbitration schedule is sound")
    }

    pub fn in_force(&self, at: DateTime<Utc>) -> &ArbitrationFeeSchedule {
        latest_in_force(&self.schedules, at, |s| s.effective_from)
    }

    /// The schedule in force at `at` and the ones announced after it, so an app shows today's
    /// price and what changes when.
    pub fn from(&self, at: DateTime<Utc>) -> Vec<ArbitrationFeeSchedule> {
        in_force_and_announced(&self.schedules, at, |s| s.effective_from, |s| s.id.as_str())
    }
}

/// The part of a paid `fee` returned to its payer, who won `won` of `stake`: in proportion,
/// the whole fee for a full win, nothing for a full loss. The platform keeps the rest.
pub fn fee_returned(fee: Decimal, stake: Decimal, won: Decimal) -> Decimal {
    let fee = fee.max(Decimal::ZERO);
    if stake <= Decimal::ZERO || won >= stake {
        return fee;
    }
    if won <= Decimal::ZERO {
        return round_cents(Decimal::ZERO);
    }
    round_cents(fee * won / stake).min(fee)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(raw: &str) -> Decimal {
        raw.parse().unwrap()
    }

    fn t(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    #[test]
    fn the_fee_scales_with_the_stake_between_floor_and_cap() {
        let s = ArbitrationFeeSchedule::standard_2026();
        // The floor, up to $300.00 at 5 %.
        assert_eq!(s.fee(d("100.00")), d("15.00"));
        assert_eq!(s.fee(d("300.00")), d("15.00"));
        assert_eq!(s.fee(d("300.20")), d("15.01"));
        assert_eq!(s.fee(d("1000.00")), d("50.00"));
        // The cap from $6,000.00.
        assert_eq!(s.fee(d("6000.00")), d("300.00"));
        assert_eq!(s.fee(d("250000.00")), d("300.00"));
        // Never more than the stake itself.
        assert_eq!(s.fee(d("9.99")), d("9.99"));
        assert_eq!(s.fee(d("0")), d("0.00"));
        assert_eq!(s.fee(d("-5")), d("0.00"));
        // Half-up to cents: 5 % of $400.10 is $20.005.
        assert_eq!(s.fee(d("400.10")), d("20.01"));
        assert_eq!(s.fee(d("400.10")).to_string(), "20.01");
        assert_eq!(s.fee(d("100")).to_string(), "15.00");
    }

    #[test]
    fn the_schedule_in_force_is_the_latest_effective_one() {
        let next = ArbitrationFeeSchedule {
            id: "2027-07-arbitration".into(),
            effective_from: t("2027-07-01T00:00:00Z"),
            rate: d("0.04"),
            floor: d("20.00"),
            cap: d("250.00"),
        };
        let catalogue =
            ArbitrationCatalogue::new(vec![next.clone(), ArbitrationFeeSchedule::standard_2026()])
                .unwrap();
        let edge = t("2027-07-01T00:00:00Z");
        assert_eq!(
            catalogue.in_force(edge - chrono::Duration::seconds(1)).id,
            "2026-12-arbitration"
        );
        assert_eq!(catalogue.in_force(edge).id, "2027-07-arbitration");
        // Before the first schedule, the first one prices.
        assert_eq!(
            catalogue.in_force(t("2020-01-01T00:00:00Z")).id,
            "2026-12-arbitration"
        );
        assert_eq!(catalogue.in_force(edge).fee(d("10000.00")), d("250.00"));
        // Today's price and the announced change; after it, only the new one.
        assert_eq!(catalogue.from(t("2027-01-01T00:00:00Z")).len(), 2);
        assert_eq!(catalogue.from(edge), vec![next.clone()]);

        let mut broken = next;
        broken.floor = d("300.00");
        broken.cap = d("200.00");
        assert!(ArbitrationCatalogue::new(vec![broken]).is_err());
        assert!(ArbitrationCatalogue::new(vec![]).is_err());
    }

    #[test]
    fn the_fee_follows_the_outcome() {
        assert_eq!(
            fee_returned(d("30.00"), d("600.00"), d("600.00")),
            d("30.00")
        );
        assert_eq!(fee_returned(d("30.00"), d("600.00"), d("0")), d("0"));
        // Won $250.00 of $600.00: 250/600 of $30.00.
        assert_eq!(
            fee_returned(d("30.00"), d("600.00"), d("250.00")),
            d("12.50")
        );
        // Half-up: 1/3 of $15.00 is $5.00; 1/7 of $15.00 is $2.142… → $2.14.
        assert_eq!(
            fee_returned(d("15.00"), d("300.00"), d("100.00")),
            d("5.00")
        );
        assert_eq!(fee_returned(d("15.00"), d("70.00"), d("10.00")), d("2.14"));
    }
}
