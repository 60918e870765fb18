//! Job Success Score and badges (PRODUCT §11.3–11.4), pure. The formula, thresholds and a
//! worked example are in docs/reputation.md; the tests below are that example.
//!
//! Each ended contract of a freelancer is one outcome — successful, neutral or negative —
//! weighted by what the freelancer earned on it. For a window of 6, 12 or 24 months (by the
//! contract's end), JSS = (Σ successful weight − Σ negative weight) / Σ all weight, as a
//! percentage rounded down and never below zero. The best of the three windows is shown, and
//! only once the freelancer has at least 2 counted contracts with at least 2 clients.

use super::ids::{ContractId, UserId};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A contract ended at least this long counts as long-term (§11.3).
pub const LONG_TERM: Duration = Duration::days(90);
/// Windows, in months, the score is computed over; the best is shown.
pub const WINDOWS_MONTHS: [u32; 3] = [6, 12, 24];
pub const MIN_CONTRACTS: usize = 2;
pub const MIN_CLIENTS: usize = 2;

/// What the reputation of a freelancer is computed from, per ended contract.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndedContract {
    pub contract_id: ContractId,
    pub client_id: UserId,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    /// Gross paid to the freelancer on this contract (milestones, hourly weeks, bonuses).
    pub earnings: Decimal,
    /// The client's revealed feedback: overall (1–5) and private recommendation (0–10).
    pub client_feedback: Option<(Decimal, u8)>,
    /// The contract ended in a dispute decided against the freelancer.
    pub lost_dispute: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Successful,
    Neutral,
    Negative,
}

/// The outcome of one contract (docs/reputation.md, "Outcomes"). `repeat` says whether the
/// client hired the freelancer on another contract too.
pub fn outcome(contract: &EndedContract, repeat: bool) -> Outcome {
    if contract.lost_dispute {
        return Outcome::Negative;
    }
    let long_term = contract.ended_at - contract.started_at >= LONG_TERM;
    match contract.client_feedback {
        Some((overall, recommend)) if overall < Decimal::from(3) || recommend <= 4 => {
            Outcome::Negative
        }
        Some((overall, recommend)) if overall >= Decimal::new(45, 1) && recommend >= 8 => {
            Outcome::Successful
        }
        // Without strong feedback either way, a client who stays or comes back is a success.
        _ if long_term || repeat => Outcome::Successful,
        _ => Outcome::Neutral,
    }
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Badge {
    RisingTalent,
    TopRated,
    TopRatedPlus,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WindowScore {
    pub months: u32,
    pub contracts: usize,
    /// `None` when no contract with earnings ended in the window.
    pub score: Option<u8>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Reputation {
    /// The best window's score; `None` until 2 contracts with 2 clients count.
    pub job_success_score: Option<u8>,
    pub windows: Vec<WindowScore>,
    pub badges: Vec<Badge>,
    /// Gross earnings of contracts ended in the last 12 months.
    #[schemars(with = "String")]
    pub earnings_12_months: Decimal,
    pub counted_contracts: usize,
    pub computed_at: DateTime<Utc>,
}

/// Badge thresholds (docs/reputation.md, "Badges").
pub const TOP_RATED_MIN_JSS: u8 = 90;
pub const TOP_RATED_MIN_EARNINGS: Decimal = Decimal::from_parts(1_000, 0, 0, false, 0);
pub const TOP_RATED_PLUS_MIN_EARNINGS: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);
/// Top Rated needs recent activity: a contract ended within this long (or one running).
pub const ACTIVITY: Duration = Duration::days(90);

fn months_ago(now: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    now.checked_sub_months(chrono::Months::new(months))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The reputation of a freelancer from their ended contracts, as of `now`; `active` says
/// whether a contract of theirs is running.
pub fn reputation(contracts: &[EndedContract], active: bool, now: DateTime<Utc>) -> Reputation {
    let mut per_client: BTreeMap<&UserId, usize> = BTreeMap::new();
    for c in contracts {
        *per_client.entry(&c.client_id).or_default() += 1;
    }
    // Contracts without earnings carry no weight: they neither help nor hurt.
    let counted: Vec<(&EndedContract, Outcome)> = contracts
        .iter()
        .filter(|c| c.earnings > Decimal::ZERO)
        .map(|c| (c, outcome(c, per_client[&c.client_id] > 1)))
        .collect();
    let windows: Vec<WindowScore> = WINDOWS_MONTHS
        .iter()
        .map(|&months| {
            let since = months_ago(now, months);
            let inside: Vec<_> = counted.iter().filter(|(c, _)| c.ended_at > since).collect();
            let weight = |o: Option<Outcome>| -> Decimal {
                inside
                    .iter()
                    .filter(|(_, outcome)| o.is_none_or(|o| *outcome == o))
                    .map(|(c, _)| c.earnings)
                    .sum()
            };
            let all = weight(None);
            let score = (all > Decimal::ZERO).then(|| {
                let net = weight(Some(Outcome::Successful)) - weight(Some(Outcome::Negative));
                (net * Decimal::from(100) / all)
                    .floor()
                    .max(Decimal::ZERO)
                    .to_u8()
                    .unwrap_or(0)
            });
            WindowScore {
                months,
                contracts: inside.len(),
                score,
            }
        })
        .collect();
    let clients: BTreeSet<&UserId> = counted.iter().map(|(c, _)| &c.client_id).collect();
    let shown = counted.len() >= MIN_CONTRACTS && clients.len() >= MIN_CLIENTS;
    let jss = shown
        .then(|| windows.iter().filter_map(|w| w.score).max())
        .flatten();
    let year = months_ago(now, 12);
    let earnings_12_months: Decimal = counted
        .iter()
        .filter(|(c, _)| c.ended_at > year)
        .map(|(c, _)| c.earnings)
        .sum();
    let recent = active || contracts.iter().any(|c| c.ended_at > now - ACTIVITY);
    let mut badges = Vec::new();
    match jss {
        Some(score)
            if score >= TOP_RATED_MIN_JSS
                && recent
                && earnings_12_months >= TOP_RATED_MIN_EARNINGS =>
        {
            badges.push(if earnings_12_months >= TOP_RATED_PLUS_MIN_EARNINGS {
                Badge::TopRatedPlus
            } else {
                Badge::TopRated
            });
        }
        _ => {
            // Rising Talent: a promising start — a success in the last 90 days and nothing
            // negative in the last year, while not (yet) Top Rated.
            let promising = counted
                .iter()
                .any(|(c, o)| *o == Outcome::Successful && c.ended_at > now - ACTIVITY)
                && !counted
                    .iter()
                    .any(|(c, o)| *o == Outcome::Negative && c.ended_at > year);
            if promising {
                badges.push(Badge::RisingTalent);
            }
        }
    }
    Reputation {
        job_success_score: jss,
        windows,
        badges,
        earnings_12_months,
        counted_contracts: counted.len(),
        computed_at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    fn ended(
        client: &UserId,
        ended: &str,
        days: i64,
        earnings: i64,
        feedback: Option<(&str, u8)>,
    ) -> EndedContract {
        EndedContract {
            contract_id: ContractId::generate(t(ended)),
            client_id: client.clone(),
            started_at: t(ended) - Duration::days(days),
            ended_at: t(ended),
            earnings: Decimal::from(earnings),
            client_feedback: feedback.map(|(o, r)| (o.parse().unwrap(), r)),
            lost_dispute: false,
        }
    }

    #[test]
    fn outcomes() {
        let now = t("2026-12-01T00:00:00Z");
        let a = UserId::generate(now);
        let great = ended(&a, "2026-11-01T00:00:00Z", 10, 100, Some(("4.85", 9)));
        assert_eq!(outcome(&great, false), Outcome::Successful);
        let poor = ended(&a, "2026-11-01T00:00:00Z", 10, 100, Some(("2.50", 9)));
        assert_eq!(outcome(&poor, false), Outcome::Negative);
        let unhappy_privately = ended(&a, "2026-11-01T00:00:00Z", 10, 100, Some(("5.00", 3)));
        assert_eq!(outcome(&unhappy_privately, false), Outcome::Negative);
        let silent = ended(&a, "2026-11-01T00:00:00Z", 10, 100, None);
        assert_eq!(outcome(&silent, false), Outcome::Neutral);
        assert_eq!(outcome(&silent, true), Outcome::Successful, "repeat client");
        let long = ended(&a, "2026-11-01T00:00:00Z", 120, 100, None);
        assert_eq!(outcome(&long, false), Outcome::Successful, "long-term");
        let mut disputed = great.clone();
        disputed.lost_dispute = true;
        assert_eq!(outcome(&disputed, false), Outcome::Negative);
    }

    /// The worked example of docs/reputation.md.
    #[test]
    fn the_worked_example() {
        let now = t("2026-12-01T00:00:00Z");
        let (a, b, c) = (
            UserId::generate(now),
            UserId::generate(now - Duration::seconds(1)),
            UserId::generate(now - Duration::seconds(2)),
        );
        let one = ended(&a, "2026-11-10T00:00:00Z", 30, 2_000, Some(("4.85", 9)));
        // Alone it shows no score: one contract, one client.
        let first = reputation(std::slice::from_ref(&one), false, now);
        assert_eq!(first.job_success_score, None);
        assert_eq!(first.windows[0].score, Some(100));
        assert_eq!(first.badges, vec![Badge::RisingTalent]);

        let two = ended(&b, "2026-10-01T00:00:00Z", 20, 1_000, None);
        let three = ended(&c, "2026-03-01T00:00:00Z", 20, 1_000, Some(("2.00", 2)));
        let all = [one.clone(), two.clone(), three.clone()];
        let rep = reputation(&all, false, now);
        // 6 months: one (success, 2000) + two (neutral, 1000) → (2000 − 0) / 3000 = 66.6 → 66
        // 12 months: + three (negative, 1000) → (2000 − 1000) / 4000 = 25
        assert_eq!(rep.windows[0].score, Some(66));
        assert_eq!(rep.windows[1].score, Some(25));
        assert_eq!(rep.windows[2].score, Some(25));
        assert_eq!(rep.job_success_score, Some(66), "the best window is shown");
        assert_eq!(rep.earnings_12_months, Decimal::from(4_000));
        // A negative outcome this year: no Rising Talent; 66 < 90: not Top Rated.
        assert!(rep.badges.is_empty());

        // The client of `two` leaves strong feedback after all: 6 months → 100, Top Rated.
        let mut two_praised = two.clone();
        two_praised.client_feedback = Some(("5.00".parse().unwrap(), 10));
        let rep = reputation(
            &[one.clone(), two_praised.clone(), three.clone()],
            false,
            now,
        );
        assert_eq!(rep.job_success_score, Some(100));
        assert_eq!(rep.badges, vec![Badge::TopRated]);
        // And with $10,000 earned in the year: Top Rated Plus.
        let mut big = one.clone();
        big.earnings = Decimal::from(8_000);
        let rep = reputation(&[big, two_praised, three], false, now);
        assert_eq!(rep.badges, vec![Badge::TopRatedPlus]);
    }

    #[test]
    fn contracts_without_earnings_do_not_count() {
        let now = t("2026-12-01T00:00:00Z");
        let (a, b) = (
            UserId::generate(now),
            UserId::generate(now - Duration::seconds(1)),
        );
        let free = ended(&a, "2026-11-10T00:00:00Z", 5, 0, Some(("1.00", 0)));
        let paid = ended(&b, "2026-11-10T00:00:00Z", 5, 500, Some(("5.00", 10)));
        let rep = reputation(&[free, paid], false, now);
        assert_eq!(rep.counted_contracts, 1);
        assert_eq!(
            rep.job_success_score, None,
            "one counted contract is not enough"
        );
        assert_eq!(rep.windows[0].score, Some(100));
    }
}
