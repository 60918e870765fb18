//! Fees (PRODUCT §10): the freelancer's service fee, sliding by lifetime billings with one
//! client, and the client's marketplace fee, both priced by effective-dated schedules.
//!
//! Rounding, stated once for all money this module produces: half-up (away from zero) to
//! cents, applied to each band's fee separately; the net is what is left of the payment, so
//! `fee + net == payment` holds exactly, never within a tolerance.
//!
//! Amounts here are bare `Decimal`s in USD with cent precision (the callers hold `Money`);
//! the functions never fail and never panic: negative inputs count as zero.

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// The one rounding rule of fees: half-up to cents.
pub fn round_cents(amount: Decimal) -> Decimal {
    let mut cents = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    // Always two places, so "10.00" reads and compares like every other amount.
    cents.rescale(2);
    cents
}

/// A slice of lifetime billings priced at one rate: from the previous band's `up_to`
/// (exclusive) to this one's (inclusive); `None` is the unbounded top band.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Band {
    pub up_to: Option<Decimal>,
    pub rate: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "bands_or_rate", rename_all = "snake_case")]
pub enum FreelancerFee {
    /// Marginal rates by lifetime billings with the same client, lowest band first.
    Sliding(Vec<Band>),
    Flat(Decimal),
}

/// One version of the fee rules, in force from `effective_from` until the next one.
/// Contracts lock the schedule in force when they start and every transfer names it by `id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeSchedule {
    pub id: String,
    pub effective_from: DateTime<Utc>,
    pub freelancer_fee: FreelancerFee,
    /// Marketplace fee on each funding or invoice, charged to the client on top.
    pub client_fee_rate: Decimal,
}

fn pct(percent: i64) -> Decimal {
    Decimal::new(percent, 2)
}

impl FeeSchedule {
    /// §10.1–10.2: 20% of the first $500, 10% up to $10,000, 5% above; 5% client fee.
    pub fn sliding_2020() -> Self {
        Self {
            id: "2020-01-sliding".into(),
            effective_from: Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap(),
            freelancer_fee: FreelancerFee::Sliding(vec![
                Band {
                    up_to: Some(Decimal::from(500)),
                    rate: pct(20),
                },
                Band {
                    up_to: Some(Decimal::from(10_000)),
                    rate: pct(10),
                },
                Band {
                    up_to: None,
                    rate: pct(5),
                },
            ]),
            client_fee_rate: pct(5),
        }
    }

    /// The highest rate the freelancer can pay under this schedule.
    pub fn max_freelancer_rate(&self) -> Decimal {
        match &self.freelancer_fee {
            FreelancerFee::Flat(rate) => *rate,
            FreelancerFee::Sliding(bands) => {
                bands.iter().map(|b| b.rate).max().unwrap_or(Decimal::ZERO)
            }
        }
    }

    /// Problems that make a schedule unusable; empty when it is sound.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let rate_ok = |rate: Decimal| rate >= Decimal::ZERO && rate < Decimal::ONE;
        if self.id.trim().is_empty() {
            problems.push("a schedule needs an id".to_string());
        }
        if !rate_ok(self.client_fee_rate) {
            problems.push(format!("{}: client fee rate out of [0, 1)", self.id));
        }
        match &self.freelancer_fee {
            FreelancerFee::Flat(rate) if !rate_ok(*rate) => {
                problems.push(format!("{}: flat rate out of [0, 1)", self.id))
            }
            FreelancerFee::Flat(_) => {}
            FreelancerFee::Sliding(bands) => {
                let mut floor = Decimal::ZERO;
                for (i, band) in bands.iter().enumerate() {
                    let last = i + 1 == bands.len();
                    if !rate_ok(band.rate) {
                        problems.push(format!("{}: band {i} rate out of [0, 1)", self.id));
                    }
                    match band.up_to {
                        None if !last => {
                            problems.push(format!("{}: only the last band is unbounded", self.id))
                        }
                        Some(_) if last => {
                            problems.push(format!("{}: the last band must be unbounded", self.id))
                        }
                        Some(up_to) if up_to <= floor || up_to.normalize().scale() > 2 => problems
                            .push(format!(
                                "{}: band bounds must rise, in whole cents",
                                self.id
                            )),
                        Some(up_to) => floor = up_to,
                        None => {}
                    }
                }
                if bands.is_empty() {
                    problems.push(format!("{}: a sliding fee needs bands", self.id));
                }
            }
        }
        problems
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fee configuration: {}", .0.join("; "))]
pub struct FeeConfigError(pub Vec<String>);

/// The configured schedules, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeCatalogue {
    schedules: Vec<FeeSchedule>,
}

impl FeeCatalogue {
    /// Checks every schedule once, here, so pricing never meets a malformed one.
    pub fn new(mut schedules: Vec<FeeSchedule>) -> Result<Self, FeeConfigError> {
        let mut problems: Vec<String> = schedules.iter().flat_map(FeeSchedule::problems).collect();
        if schedules.is_empty() {
            problems.push("at least one schedule is needed".into());
        }
        schedules.sort_by_key(|s| s.effective_from);
        for (i, schedule) in schedules.iter().enumerate() {
            if schedules[..i].iter().any(|s| s.id == schedule.id) {
                problems.push(format!("duplicate schedule id {}", schedule.id));
            }
            if i > 0 && schedules[i - 1].effective_from == schedule.effective_from {
                problems.push(format!(
                    "{} and {} take effect at the same time",
                    schedules[i - 1].id,
                    schedule.id
                ));
            }
        }
        if problems.is_empty() {
            Ok(Self { schedules })
        } else {
            Err(FeeConfigError(problems))
        }
    }

    /// What Worklane charges today (§10).
    pub fn standard() -> Self {
        Self::new(vec![FeeSchedule::sliding_2020()]).expect("the standard schedule is sound")
    }

    /// The schedule in force at `at`: the latest to take effect at or before it. Times before
    /// the first schedule get the first one, so pricing always has an answer.
    pub fn in_force(&self, at: DateTime<Utc>) -> &FeeSchedule {
        latest_in_force(&self.schedules, at, |s| s.effective_from)
    }

    /// A schedule a contract locked or a transfer names.
    pub fn by_id(&self, id: &str) -> Option<&FeeSchedule> {
        self.schedules.iter().find(|s| s.id == id)
    }

    /// The schedule a contract locked (by id) in the standard catalogue.
    pub fn locked(id: &str) -> Option<FeeSchedule> {
        Self::standard().by_id(id).cloned()
    }

    pub fn schedules(&self) -> &[FeeSchedule] {
        &self.schedules
    }
}

/// Checks a set of dated schedules (`what` names them) and orders them oldest first: each
/// one's own problems, at least one, no two taking effect at once or sharing an id.
pub(crate) fn dated_schedules<T>(
    mut schedules: Vec<T>,
    what: &str,
    problems: impl Fn(&T) -> Vec<String>,
    effective_from: impl Fn(&T) -> DateTime<Utc>,
    id: impl Fn(&T) -> &str,
) -> Result<Vec<T>, FeeConfigError> {
    let mut found: Vec<String> = schedules.iter().flat_map(&problems).collect();
    if schedules.is_empty() {
        found.push(format!("at least one {what} is needed"));
    }
    schedules.sort_by_key(&effective_from);
    for pair in schedules.windows(2) {
        if effective_from(&pair[0]) == effective_from(&pair[1]) || id(&pair[0]) == id(&pair[1]) {
            found.push(format!("{} and {} collide", id(&pair[0]), id(&pair[1])));
        }
    }
    if found.is_empty() {
        Ok(schedules)
    } else {
        Err(FeeConfigError(found))
    }
}

/// The schedule in force at `at` and the ones announced after it, so an app shows today's
/// price and what changes when.
pub(crate) fn in_force_and_announced<T: Clone>(
    schedules: &[T],
    at: DateTime<Utc>,
    effective_from: impl Fn(&T) -> DateTime<Utc>,
    id: impl Fn(&T) -> &str,
) -> Vec<T> {
    let current = id(latest_in_force(schedules, at, &effective_from));
    schedules
        .iter()
        .filter(|s| id(s) == current || effective_from(s) > at)
        .cloned()
        .collect()
}

/// Of `schedules` (oldest first, not empty), the latest to take effect at or before `at`;
/// times before the first get the first one, so pricing always has an answer.
pub(crate) fn latest_in_force<T>(
    schedules: &[T],
    at: DateTime<Utc>,
    effective_from: impl Fn(&T) -> DateTime<Utc>,
) -> &T {
    schedules
        .iter()
        .rev()
        .find(|s| effective_from(s) <= at)
        .unwrap_or(&schedules[0])
}

/// How one payment's service fee came about, band by band.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeBreakdown {
    pub fee: Decimal,
    /// What the freelancer receives: `payment - fee`, exactly.
    pub net: Decimal,
    /// `(rate, amount in the band, fee of that amount)`, lowest band first; bands the
    /// payment does not touch are left out.
    pub per_band: Vec<(Decimal, Decimal, Decimal)>,
}

fn non_negative(amount: Decimal) -> Decimal {
    amount.max(Decimal::ZERO)
}

/// The freelancer's fee on `payment` when `lifetime_billed_before` was already billed to the
/// same client (§10.1): each band's rate applies to the part of the payment that falls in
/// it, so a payment crossing a boundary is split.
pub fn freelancer_fee(
    schedule: &FeeSchedule,
    lifetime_billed_before: Decimal,
    payment: Decimal,
) -> FeeBreakdown {
    let start = non_negative(lifetime_billed_before);
    let payment = non_negative(payment);
    let end = start.saturating_add(payment);
    let per_band: Vec<_> = match &schedule.freelancer_fee {
        FreelancerFee::Flat(rate) => vec![(*rate, payment)],
        FreelancerFee::Sliding(bands) => {
            let mut lower = Decimal::ZERO;
            let mut slices = Vec::with_capacity(bands.len());
            for band in bands {
                let upper = band.up_to.unwrap_or(Decimal::MAX);
                let amount = non_negative(end.min(upper) - start.max(lower));
                slices.push((band.rate, amount));
                lower = upper;
            }
            slices
        }
    }
    .into_iter()
    .filter(|(_, amount)| !amount.is_zero())
    .map(|(rate, amount)| (rate, amount, round_cents(amount * rate)))
    .collect();
    let fee = round_cents(per_band.iter().map(|(_, _, fee)| *fee).sum());
    FeeBreakdown {
        fee,
        net: payment - fee,
        per_band,
    }
}

/// The fee given back when `refunded` of what was billed is returned to the client, with
/// `lifetime_billed` billed before the refund. A refund undoes the most recent billings, so it
/// is priced on the top slice of lifetime billings: exactly the fee that billing the same
/// amount again will cost, which keeps refund-then-rebill consistent.
pub fn freelancer_fee_refund(
    schedule: &FeeSchedule,
    lifetime_billed: Decimal,
    refunded: Decimal,
) -> FeeBreakdown {
    let refunded = non_negative(refunded).min(non_negative(lifetime_billed));
    freelancer_fee(
        schedule,
        lifetime_after_refund(lifetime_billed, refunded),
        refunded,
    )
}

/// Lifetime billings with a client after `refunded` went back to them (§10.3): refunds lower
/// them, never below zero.
pub fn lifetime_after_refund(lifetime_billed: Decimal, refunded: Decimal) -> Decimal {
    non_negative(non_negative(lifetime_billed) - non_negative(refunded))
}

/// The client's marketplace fee on a funding or an invoice of `amount` (§10.2).
pub fn client_fee(schedule: &FeeSchedule, amount: Decimal) -> Decimal {
    round_cents(non_negative(amount) * schedule.client_fee_rate)
}

/// The part of `original_fee` (charged on `original_amount`) to give back when
/// `refunded_now` more of that amount is refunded, after `refunded_before` already was.
/// Computed as the difference of cumulative proportional refunds, so that any number of
/// partial refunds adds up to exactly the original fee when all of the amount is back, and
/// never more.
pub fn client_fee_refund(
    original_fee: Decimal,
    original_amount: Decimal,
    refunded_before: Decimal,
    refunded_now: Decimal,
) -> Decimal {
    let original_fee = non_negative(original_fee);
    let original_amount = non_negative(original_amount);
    if original_amount.is_zero() {
        return Decimal::ZERO;
    }
    let cumulative = |refunded: Decimal| {
        let refunded = non_negative(refunded).min(original_amount);
        if refunded == original_amount {
            original_fee
        } else {
            let share = original_fee
                .checked_mul(refunded)
                .map(|product| product / original_amount)
                .unwrap_or_else(|| original_fee * (refunded / original_amount));
            round_cents(share)
        }
    };
    let before = non_negative(refunded_before);
    cumulative(before.saturating_add(non_negative(refunded_now))) - cumulative(before)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn usd(raw: &str) -> Decimal {
        raw.parse().unwrap()
    }

    fn standard() -> FeeSchedule {
        FeeSchedule::sliding_2020()
    }

    fn flat_2027() -> FeeSchedule {
        FeeSchedule {
            id: "2027-01-flat".into(),
            effective_from: Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap(),
            freelancer_fee: FreelancerFee::Flat(pct(10)),
            client_fee_rate: pct(3),
        }
    }

    #[test]
    fn a_first_600_dollar_payment_nets_490() {
        let b = freelancer_fee(&standard(), Decimal::ZERO, usd("600.00"));
        assert_eq!((b.fee, b.net), (usd("110.00"), usd("490.00")));
        assert_eq!(
            b.per_band,
            vec![
                (pct(20), usd("500.00"), usd("100.00")),
                (pct(10), usd("100.00"), usd("10.00")),
            ]
        );
    }

    #[test]
    fn two_payments_cost_what_one_does() {
        let first = freelancer_fee(&standard(), Decimal::ZERO, usd("500.00"));
        let second = freelancer_fee(&standard(), usd("500.00"), usd("100.00"));
        assert_eq!(first.fee + second.fee, usd("110.00"));
        assert_eq!(
            second.per_band,
            vec![(pct(10), usd("100.00"), usd("10.00"))]
        );
    }

    #[test]
    fn a_payment_can_span_all_three_bands() {
        let b = freelancer_fee(&standard(), Decimal::ZERO, usd("10000.01"));
        let amounts: Vec<_> = b.per_band.iter().map(|(_, a, _)| *a).collect();
        assert_eq!(amounts, vec![usd("500"), usd("9500"), usd("0.01")]);
        // 5% of one cent is half a cent's tenth: rounds to nothing.
        assert_eq!(b.fee, usd("1050.00"));
        assert_eq!(b.net, usd("8950.01"));
        let big = freelancer_fee(&standard(), usd("20000.00"), usd("1000.00"));
        assert_eq!(big.fee, usd("50.00"));
    }

    #[test]
    fn rounding_is_half_up_per_band() {
        // 20% of 0.03 = 0.006 → 0.01; 10% of 0.05 = 0.005 → 0.01 (half-up, not banker's).
        assert_eq!(
            freelancer_fee(&standard(), Decimal::ZERO, usd("0.03")).fee,
            usd("0.01")
        );
        let b = freelancer_fee(&standard(), usd("500.00"), usd("0.05"));
        assert_eq!(b.fee, usd("0.01"));
        assert_eq!(round_cents(usd("0.125")), usd("0.13"));
        assert_eq!(round_cents(usd("0.135")), usd("0.14"));
    }

    #[test]
    fn flat_schedules_take_effect_on_their_date() {
        let catalogue = FeeCatalogue::new(vec![flat_2027(), standard()]).unwrap();
        let before = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap();
        let after = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(catalogue.in_force(before).id, "2020-01-sliding");
        assert_eq!(catalogue.in_force(after).id, "2027-01-flat");
        let ancient = Utc.with_ymd_and_hms(2001, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(catalogue.in_force(ancient).id, "2020-01-sliding");
        // A contract started under the sliding schedule is still priced by it after 2027.
        let locked = catalogue.by_id("2020-01-sliding").unwrap();
        assert_eq!(
            freelancer_fee(locked, Decimal::ZERO, usd("600")).fee,
            usd("110.00")
        );
        let flat = catalogue.in_force(after);
        let b = freelancer_fee(flat, Decimal::ZERO, usd("600"));
        assert_eq!((b.fee, b.per_band.len()), (usd("60.00"), 1));
        assert_eq!(client_fee(flat, usd("100")), usd("3.00"));
        assert!(catalogue.by_id("nope").is_none());
    }

    #[test]
    fn malformed_catalogues_are_refused() {
        assert!(FeeCatalogue::new(vec![]).is_err());
        assert!(FeeCatalogue::new(vec![standard(), standard()]).is_err());
        let mut unbounded_middle = standard();
        if let FreelancerFee::Sliding(bands) = &mut unbounded_middle.freelancer_fee {
            bands[1].up_to = None;
        }
        assert!(FeeCatalogue::new(vec![unbounded_middle]).is_err());
        let mut falling = standard();
        if let FreelancerFee::Sliding(bands) = &mut falling.freelancer_fee {
            bands[1].up_to = Some(usd("100"));
        }
        assert!(FeeCatalogue::new(vec![falling]).is_err());
        let mut greedy = flat_2027();
        greedy.freelancer_fee = FreelancerFee::Flat(Decimal::ONE);
        assert!(FeeCatalogue::new(vec![greedy]).is_err());
    }

    #[test]
    fn client_fees_and_their_refunds() {
        assert_eq!(client_fee(&standard(), usd("500.00")), usd("25.00"));
        assert_eq!(client_fee(&standard(), usd("0.10")), usd("0.01"));
        let fee = usd("25.00");
        assert_eq!(
            client_fee_refund(fee, usd("500"), Decimal::ZERO, usd("200")),
            usd("10.00")
        );
        assert_eq!(
            client_fee_refund(fee, usd("500"), usd("200"), usd("300")),
            usd("15.00")
        );
        // Refunding more than was charged gives back the fee, not more.
        assert_eq!(
            client_fee_refund(fee, usd("500"), Decimal::ZERO, usd("900")),
            fee
        );
        assert_eq!(
            client_fee_refund(fee, Decimal::ZERO, Decimal::ZERO, usd("1")),
            Decimal::ZERO
        );
    }

    #[test]
    fn refunds_lower_lifetime_billings() {
        assert_eq!(lifetime_after_refund(usd("600"), usd("100")), usd("500"));
        assert_eq!(lifetime_after_refund(usd("600"), usd("900")), Decimal::ZERO);
        // $600 billed, $100 refunded: the refund gives back the 10% slice's fee.
        let back = freelancer_fee_refund(&standard(), usd("600"), usd("100"));
        assert_eq!(back.fee, usd("10.00"));
        let back = freelancer_fee_refund(&standard(), usd("600"), usd("300"));
        assert_eq!(back.fee, usd("50.00"));
    }

    #[test]
    fn negative_inputs_count_as_zero() {
        let b = freelancer_fee(&standard(), usd("-50"), usd("-1"));
        assert_eq!(
            (b.fee, b.net, b.per_band.len()),
            (Decimal::ZERO, Decimal::ZERO, 0)
        );
        assert_eq!(client_fee(&standard(), usd("-5")), Decimal::ZERO);
    }

    /// Cents from 0 to $50,000: enough to cross every band many times over.
    fn cents() -> impl Strategy<Value = Decimal> {
        (0i64..5_000_000).prop_map(|c| Decimal::new(c, 2))
    }

    fn schedules() -> impl Strategy<Value = FeeSchedule> {
        prop_oneof![Just(standard()), Just(flat_2027())]
    }

    proptest! {
        #[test]
        fn fee_plus_net_is_the_payment(s in schedules(), before in cents(), payment in cents()) {
            let b = freelancer_fee(&s, before, payment);
            prop_assert_eq!(b.fee + b.net, payment);
            prop_assert_eq!(b.per_band.iter().map(|(_, a, _)| *a).sum::<Decimal>(), payment);
            prop_assert_eq!(b.fee.scale(), 2);
        }

        #[test]
        fn fee_is_never_negative_nor_above_the_top_rate(s in schedules(), before in cents(), payment in cents()) {
            let b = freelancer_fee(&s, before, payment);
            prop_assert!(b.fee >= Decimal::ZERO && b.net >= Decimal::ZERO);
            // Each band's rounding may add at most half a cent.
            let slack = Decimal::new(5, 3) * Decimal::from(b.per_band.len());
            prop_assert!(b.fee <= payment * s.max_freelancer_rate() + slack, "{:?}", b);
            prop_assert!(b.fee <= payment * pct(20) + slack);
        }

        #[test]
        fn fee_is_monotone_in_the_payment(s in schedules(), before in cents(), a in cents(), b in cents()) {
            let (small, large) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(freelancer_fee(&s, before, small).fee <= freelancer_fee(&s, before, large).fee);
        }

        #[test]
        fn splitting_a_payment_moves_the_fee_by_at_most_a_cent(
            s in schedules(), before in cents(), payment in cents(), cut in 0.0f64..1.0
        ) {
            let first = round_cents(payment * Decimal::try_from(cut).unwrap());
            let second = payment - first;
            let whole = freelancer_fee(&s, before, payment).fee;
            let split = freelancer_fee(&s, before, first).fee + freelancer_fee(&s, before + first, second).fee;
            prop_assert!((whole - split).abs() <= usd("0.01"), "{} vs {}", whole, split);
        }

        #[test]
        fn refund_then_rebill_is_consistent(
            s in schedules(), before in cents(), payment in cents(), share in 0.0f64..=1.0
        ) {
            let refunded = round_cents(payment * Decimal::try_from(share).unwrap()).min(payment);
            let billed = before + payment;
            let charged = freelancer_fee(&s, before, payment);
            let given_back = freelancer_fee_refund(&s, billed, refunded);
            let lifetime = lifetime_after_refund(billed, refunded);
            prop_assert_eq!(lifetime, billed - refunded);
            // Billing the refunded amount again costs exactly what the refund gave back...
            let rebilled = freelancer_fee(&s, lifetime, refunded);
            prop_assert_eq!(rebilled.fee, given_back.fee);
            // ...and never more fee is given back than was charged (within a split's cent).
            prop_assert!(given_back.fee <= charged.fee + usd("0.01"));
            let kept = charged.fee - given_back.fee;
            let direct = freelancer_fee(&s, before, payment - refunded).fee;
            prop_assert!((kept - direct).abs() <= usd("0.01"));
        }

        #[test]
        fn partial_client_fee_refunds_add_up_to_the_fee(
            amount in 1i64..5_000_000, parts in proptest::collection::vec(1i64..1_000_000, 1..6)
        ) {
            let amount = Decimal::new(amount, 2);
            let fee = client_fee(&standard(), amount);
            let mut refunded = Decimal::ZERO;
            let mut given = Decimal::ZERO;
            for part in parts {
                let part = Decimal::new(part, 2).min(amount - refunded);
                let back = client_fee_refund(fee, amount, refunded, part);
                prop_assert!(back >= Decimal::ZERO);
                given += back;
                refunded += part;
                prop_assert!(given <= fee);
            }
            let rest = client_fee_refund(fee, amount, refunded, amount - refunded);
            prop_assert_eq!(given + rest, fee);
        }
    }
}
