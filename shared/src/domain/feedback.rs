//! Feedback (PRODUCT §11.1–11.2), pure: what each side may leave after a contract ends, the
//! weighted overall score, and the double-blind rule — neither side sees the other's
//! feedback until both have left theirs or the 14-day window closes.

use super::ids::{ContractId, UserId};
use super::offer::{Contract, Side};
use super::rules::TextRule;
use super::Violations;
use crate::domain::contract::ContractState;
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Each side may leave feedback this long after the contract ended (§11.1).
pub const FEEDBACK_WINDOW: Duration = Duration::days(14);
pub const MAX_COMMENT: usize = 5_000;
pub const COMMENT: TextRule = TextRule::new(0, MAX_COMMENT);
/// The private note to the platform.
pub const NOTE: TextRule = TextRule::new(0, 2_000);
pub const MIN_STARS: u8 = 1;
pub const MAX_STARS: u8 = 5;
/// The likelihood to recommend is 0 to this.
pub const MAX_RECOMMEND: u8 = 10;

/// Star ratings, 1 to 5 each. Both sides rate on the same criteria.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ratings {
    #[schemars(range(min = MIN_STARS, max = MAX_STARS))]
    pub skills: u8,
    #[schemars(range(min = MIN_STARS, max = MAX_STARS))]
    pub quality: u8,
    #[schemars(range(min = MIN_STARS, max = MAX_STARS))]
    pub availability: u8,
    #[schemars(range(min = MIN_STARS, max = MAX_STARS))]
    pub deadlines: u8,
    #[schemars(range(min = MIN_STARS, max = MAX_STARS))]
    pub communication: u8,
    #[schemars(range(min = MIN_STARS, max = MAX_STARS))]
    pub cooperation: u8,
}

/// The weights of the overall score, in percent (they sum to 100; see docs/reputation.md).
pub const WEIGHTS: [(&str, u32); 6] = [
    ("skills", 20),
    ("quality", 20),
    ("availability", 15),
    ("deadlines", 15),
    ("communication", 15),
    ("cooperation", 15),
];

impl Ratings {
    fn values(&self) -> [u8; 6] {
        [
            self.skills,
            self.quality,
            self.availability,
            self.deadlines,
            self.communication,
            self.cooperation,
        ]
    }

    /// Σ weight × stars / 100, to two decimals (1.00 – 5.00).
    pub fn overall(&self) -> Decimal {
        let weighted: u32 = self
            .values()
            .iter()
            .zip(WEIGHTS)
            .map(|(stars, (_, weight))| u32::from(*stars) * weight)
            .sum();
        let mut overall = Decimal::from(weighted) / Decimal::from(100);
        overall.rescale(2);
        overall
    }

    fn check(&self, v: &mut Violations) {
        for (stars, (name, _)) in self.values().iter().zip(WEIGHTS) {
            v.check(
                (MIN_STARS..=MAX_STARS).contains(stars),
                &format!("ratings.{name}"),
                format!("{MIN_STARS} to {MAX_STARS} stars"),
            );
        }
    }
}

/// What only the platform sees (§11.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivateFeedback {
    /// How likely the author is to recommend the other side, 0–10.
    #[schemars(range(max = MAX_RECOMMEND))]
    pub recommend: u8,
    #[serde(default)]
    #[schemars(transform = NOTE.schema())]
    pub note: String,
}

/// `POST /v1/contracts/{id}/feedback`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    pub ratings: Ratings,
    #[serde(default)]
    #[schemars(transform = COMMENT.schema())]
    pub comment: String,
    pub private: PrivateFeedback,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Feedback {
    pub contract_id: ContractId,
    pub from: UserId,
    pub to: UserId,
    pub from_side: Side,
    pub ratings: Ratings,
    #[schemars(with = "String")]
    pub overall: Decimal,
    pub comment: String,
    pub private: PrivateFeedback,
    pub submitted_at: DateTime<Utc>,
    /// Set when both sides have left feedback or the window closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revealed_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FeedbackRuleViolation {
    #[error("feedback opens when the contract ends")]
    NotEnded,
    #[error("the 14-day feedback window closed on {0}")]
    WindowClosed(DateTime<Utc>),
    #[error("you already left feedback on this contract")]
    AlreadyGiven,
}

/// When the window of an ended contract closes.
pub fn window_closes_at(contract: &Contract) -> Option<DateTime<Utc>> {
    contract.ended_at.map(|ended| ended + FEEDBACK_WINDOW)
}

impl FeedbackRequest {
    /// The feedback `side` leaves on `contract` at `now`, or why it cannot.
    pub fn check(
        &self,
        contract: &Contract,
        side: Side,
        now: DateTime<Utc>,
    ) -> Result<Feedback, FeedbackError> {
        if contract.state != ContractState::Ended {
            return Err(FeedbackError::Rule(FeedbackRuleViolation::NotEnded));
        }
        let closes = window_closes_at(contract).expect("an ended contract has its end");
        if now >= closes {
            return Err(FeedbackError::Rule(FeedbackRuleViolation::WindowClosed(
                closes,
            )));
        }
        let mut v = Violations::default();
        self.ratings.check(&mut v);
        v.check(
            self.private.recommend <= MAX_RECOMMEND,
            "private.recommend",
            format!("0 to {MAX_RECOMMEND}"),
        );
        let comment = COMMENT.check(&mut v, "comment", &self.comment);
        let note = NOTE.check(&mut v, "private.note", &self.private.note);
        v.into_result().map_err(FeedbackError::Invalid)?;
        let (from, to) = match side {
            Side::Client => (&contract.parties.client_id, &contract.parties.freelancer_id),
            Side::Freelancer => (&contract.parties.freelancer_id, &contract.parties.client_id),
        };
        Ok(Feedback {
            contract_id: contract.id.clone(),
            from: from.clone(),
            to: to.clone(),
            from_side: side,
            ratings: self.ratings,
            overall: self.ratings.overall(),
            comment,
            private: PrivateFeedback {
                recommend: self.private.recommend,
                note,
            },
            submitted_at: now,
            revealed_at: None,
        })
    }
}

#[derive(Debug)]
pub enum FeedbackError {
    Rule(FeedbackRuleViolation),
    Invalid(Violations),
}

/// Feedback as others may see it: never the private part.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct PublicFeedback {
    pub contract_id: ContractId,
    pub from: UserId,
    pub to: UserId,
    pub from_side: Side,
    pub ratings: Ratings,
    #[schemars(with = "String")]
    pub overall: Decimal,
    pub comment: String,
    pub revealed_at: Option<DateTime<Utc>>,
}

impl From<&Feedback> for PublicFeedback {
    fn from(f: &Feedback) -> Self {
        Self {
            contract_id: f.contract_id.clone(),
            from: f.from.clone(),
            to: f.to.clone(),
            from_side: f.from_side,
            ratings: f.ratings,
            overall: f.overall,
            comment: f.comment.clone(),
            revealed_at: f.revealed_at,
        }
    }
}

/// Whether the other side's feedback may be shown at `now` (§11.2): once revealed, or once
/// the window has closed (the reveal schedule writes that down; readers need not wait for it).
pub fn visible(feedback: &Feedback, contract: &Contract, now: DateTime<Utc>) -> bool {
    feedback.revealed_at.is_some() || window_closes_at(contract).is_some_and(|closes| now >= closes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ratings(stars: [u8; 6]) -> Ratings {
        Ratings {
            skills: stars[0],
            quality: stars[1],
            availability: stars[2],
            deadlines: stars[3],
            communication: stars[4],
            cooperation: stars[5],
        }
    }

    #[test]
    fn the_overall_score_weighs_skills_and_quality_most() {
        assert_eq!(ratings([5; 6]).overall().to_string(), "5.00");
        // 5·20 + 5·20 + 4·15 + 5·15 + 5·15 + 5·15 = 485 → 4.85
        assert_eq!(ratings([5, 5, 4, 5, 5, 5]).overall().to_string(), "4.85");
        // A weak skills rating costs more than a weak availability rating.
        assert!(ratings([3, 5, 5, 5, 5, 5]).overall() < ratings([5, 5, 3, 5, 5, 5]).overall());
        let weights: u32 = WEIGHTS.iter().map(|(_, w)| w).sum();
        assert_eq!(weights, 100);
    }

    #[test]
    fn stars_and_recommendation_are_bounded() {
        let mut v = Violations::default();
        ratings([0, 6, 5, 5, 5, 5]).check(&mut v);
        let fields: Vec<_> = v.0.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, vec!["ratings.skills", "ratings.quality"]);
    }

    #[test]
    fn the_schema_states_the_same_bounds() {
        let schema = serde_json::to_value(schemars::schema_for!(FeedbackRequest)).unwrap();
        let ratings = &schema["$defs"]["Ratings"]["properties"];
        for (name, _) in WEIGHTS {
            assert_eq!(
                ratings[name]["minimum"],
                serde_json::json!(MIN_STARS),
                "{name}"
            );
            assert_eq!(
                ratings[name]["maximum"],
                serde_json::json!(MAX_STARS),
                "{name}"
            );
        }
        let private = &schema["$defs"]["PrivateFeedback"]["properties"];
        assert_eq!(
            private["recommend"]["maximum"],
            serde_json::json!(MAX_RECOMMEND)
        );
        assert_eq!(private["note"]["maxLength"], serde_json::json!(NOTE.max));
        assert_eq!(
            schema["properties"]["comment"]["maxLength"],
            serde_json::json!(MAX_COMMENT)
        );
    }
}
