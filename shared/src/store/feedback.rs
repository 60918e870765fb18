//! Feedback and reputation in the table. A contract's two feedback items sit in its
//! partition (`FEEDBACK#client`, `FEEDBACK#freelancer`). Hidden feedback waits in the sparse
//! `due` index (`DUE#feedback-reveal`, by window close) for the reveal schedule; revealed
//! feedback is in `gsi1` under `USER#<recipient>#FEEDBACK` — the public list holds nothing
//! else, so the double blind cannot leak through it.

use super::keys::{self, as_key};
use super::Label;
use super::{from_item, key, Cond, Store, StoreError, Tx};
use crate::domain::events::{DomainEvent, EventPayload};
use crate::domain::feedback::{window_closes_at, Feedback};
use crate::domain::ids::{ContractId, UserId};
use crate::domain::offer::{Contract, Side};
use crate::domain::reputation::{EndedContract, Reputation};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub const REVEAL_DUE: &str = "DUE#feedback-reveal";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeedbackRecord {
    pub pk: String,
    pub sk: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1sk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duepk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duesk: Option<String>,
    /// When the window closes: the reveal schedule's due time.
    pub window_closes_at: DateTime<Utc>,
    #[serde(flatten)]
    pub feedback: Feedback,
}

impl FeedbackRecord {
    pub fn new(feedback: Feedback, window_closes_at: DateTime<Utc>) -> Self {
        let (pk, sk) = keys::contract_feedback(&feedback.contract_id, feedback.from_side);
        let revealed = feedback.revealed_at;
        Self {
            pk,
            sk,
            gsi1pk: revealed.map(|_| keys::feedback_received(&feedback.to)),
            gsi1sk: revealed
                .map(|at| format!("{:015}#{}", at.timestamp_millis(), feedback.contract_id)),
            duepk: revealed.is_none().then(|| REVEAL_DUE.to_string()),
            duesk: revealed.is_none().then(|| {
                format!(
                    "{:015}#{}#{:?}",
                    window_closes_at.timestamp_millis(),
                    feedback.contract_id,
                    feedback.from_side
                )
            }),
            window_closes_at,
            feedback,
        }
    }
}

fn revealed_event(feedback: &Feedback, at: DateTime<Utc>) -> DomainEvent {
    DomainEvent::new(
        EventPayload::FeedbackRevealed {
            contract_id: feedback.contract_id.clone(),
            from: feedback.from.clone(),
            to: feedback.to.clone(),
            from_side: feedback.from_side,
        },
        at,
    )
}

/// Reveals a hidden feedback item (label `feedback`: it must still be hidden).
fn reveal_op(tx: Tx, feedback: &Feedback, closes: DateTime<Utc>, at: DateTime<Utc>) -> Tx {
    let mut revealed = feedback.clone();
    revealed.revealed_at = Some(at);
    tx.put(
        Label::Feedback,
        &FeedbackRecord::new(revealed.clone(), closes),
        Some(Cond::new(
            "attribute_exists(pk) AND attribute_not_exists(revealed_at)",
        )),
    )
    .emit(&revealed_event(&revealed, at))
}

/// One side's feedback: new (one per side: `attribute_not_exists`). If the other side's is
/// there, both are revealed now; otherwise the other side's slot must still be empty, so two
/// simultaneous submissions cannot both stay hidden. Labels: `feedback`, `other`.
pub fn submit_tx(
    contract: &Contract,
    mine: &Feedback,
    other: Option<&Feedback>,
    now: DateTime<Utc>,
) -> Result<Tx, StoreError> {
    // The caller checked that the contract ended; an ended contract without its end time
    // is an item that lost an attribute, which must not take the function down.
    let closes = window_closes_at(contract).ok_or_else(|| {
        StoreError::Corrupt(format!("contract {}: ended without ended_at", contract.id))
    })?;
    let submitted = DomainEvent::new(
        EventPayload::FeedbackSubmitted {
            contract_id: contract.id.clone(),
            from: mine.from.clone(),
            to: mine.to.clone(),
        },
        now,
    );
    let other_side = match mine.from_side {
        Side::Client => Side::Freelancer,
        Side::Freelancer => Side::Client,
    };
    Ok(match other {
        Some(other) => {
            let mut revealed = mine.clone();
            revealed.revealed_at = Some(now);
            let tx = Tx::new()
                .put(
                    Label::Feedback,
                    &FeedbackRecord::new(revealed.clone(), closes),
                    Some(Cond::absent()),
                )
                .emit(&submitted)
                .emit(&revealed_event(&revealed, now));
            reveal_op(tx, other, closes, now)
        }
        None => Tx::new()
            .put(
                Label::Feedback,
                &FeedbackRecord::new(mine.clone(), closes),
                Some(Cond::absent()),
            )
            .check(
                Label::Other,
                as_key(keys::contract_feedback(&contract.id, other_side)),
                Cond::absent(),
            )
            .emit(&submitted),
    })
}

/// The reveal schedule's transaction for one hidden item whose window closed.
pub fn reveal_tx(record: &FeedbackRecord, at: DateTime<Utc>) -> Tx {
    reveal_op(Tx::new(), &record.feedback, record.window_closes_at, at)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ReputationRecord {
    pk: String,
    sk: String,
    user_id: UserId,
    #[serde(flatten)]
    reputation: serde_json::Value,
}

impl Store {
    /// A contract and both sides' feedback, in one round trip.
    pub async fn contract_feedback(
        &self,
        contract: &ContractId,
    ) -> Result<(Option<Contract>, Option<Feedback>, Option<Feedback>), StoreError> {
        let wanted = [
            as_key(keys::contract(contract)),
            as_key(keys::contract_feedback(contract, Side::Client)),
            as_key(keys::contract_feedback(contract, Side::Freelancer)),
        ];
        let mut found = self.get_many(&wanted).await?.into_iter();
        let contract = found
            .next()
            .flatten()
            .map(from_item::<super::contracts::ContractRecord>)
            .transpose()?
            .map(|r| r.contract);
        let mut feedback = || -> Result<Option<Feedback>, StoreError> {
            Ok(found
                .next()
                .flatten()
                .map(from_item::<FeedbackRecord>)
                .transpose()?
                .map(|r| r.feedback))
        };
        let client = feedback()?;
        let freelancer = feedback()?;
        Ok((contract, client, freelancer))
    }

    /// Revealed feedback a user received, newest first (`before`: the last sort key shown).
    pub async fn feedback_received(
        &self,
        user: &UserId,
        before: Option<&str>,
        limit: i32,
    ) -> Result<Vec<Feedback>, StoreError> {
        let mut query = self
            .client()
            .query()
            .table_name(self.table())
            .index_name("gsi1")
            .scan_index_forward(false)
            .limit(limit)
            .expression_attribute_values(":pk", AttributeValue::S(keys::feedback_received(user)));
        query = match before {
            Some(sort) => query
                .key_condition_expression("gsi1pk = :pk AND gsi1sk < :before")
                .expression_attribute_values(":before", AttributeValue::S(sort.to_string())),
            None => query.key_condition_expression("gsi1pk = :pk"),
        };
        let output = query.send().await.map_err(StoreError::from_sdk)?;
        output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| from_item::<FeedbackRecord>(item).map(|r| r.feedback))
            .collect()
    }

    /// What a freelancer's reputation is computed from: every ended contract of theirs with
    /// its earnings and the client's revealed feedback. Whether one of theirs is running.
    pub async fn reputation_inputs(
        &self,
        freelancer: &UserId,
    ) -> Result<(Vec<EndedContract>, bool), StoreError> {
        let contracts: Vec<Contract> = self
            .query_all::<super::contracts::ContractRecord>(
                Some("gsi1"),
                &keys::freelancer_contracts(freelancer),
                "",
            )
            .await?
            .into_iter()
            .map(|record| record.contract)
            .collect();
        let active = contracts.iter().any(|c| {
            matches!(
                c.state,
                crate::domain::contract::ContractState::Active
                    | crate::domain::contract::ContractState::Paused
            )
        });
        let ended: Vec<(&Contract, DateTime<Utc>)> = contracts
            .iter()
            .filter_map(|c| Some((c, c.ended_at?)))
            .collect();
        let mut wanted = Vec::with_capacity(ended.len() * 3);
        for (c, _) in &ended {
            wanted.push(as_key(keys::contract_earnings(&c.id)));
            wanted.push(as_key(keys::contract_feedback(&c.id, Side::Client)));
            wanted.push(as_key(keys::contract_dispute_lost(&c.id)));
        }
        let mut found = self.get_many(&wanted).await?.into_iter();
        let mut inputs = Vec::with_capacity(ended.len());
        for (c, ended_at) in ended {
            let earned = match found
                .next()
                .flatten()
                .as_ref()
                .and_then(|i| i.get("earned"))
            {
                Some(AttributeValue::N(n)) => n
                    .parse::<Decimal>()
                    .map_err(|_| StoreError::Corrupt(format!("earned is {n}")))?,
                _ => Decimal::ZERO,
            };
            let feedback = found
                .next()
                .flatten()
                .map(from_item::<FeedbackRecord>)
                .transpose()?
                .map(|r| r.feedback)
                .filter(|f| f.revealed_at.is_some());
            let lost_dispute = found.next().flatten().is_some();
            inputs.push(EndedContract {
                contract_id: c.id.clone(),
                client_id: c.parties.client_id.clone(),
                started_at: c.started_at,
                ended_at,
                earnings: earned,
                client_feedback: feedback.map(|f| (f.overall, f.private.recommend)),
                lost_dispute,
            });
        }
        Ok((inputs, active))
    }

    /// Stores a recomputed reputation unless a later computation is already there.
    pub async fn put_reputation(
        &self,
        user: &UserId,
        reputation: &Reputation,
    ) -> Result<(), StoreError> {
        let (pk, sk) = keys::reputation(user);
        let record = ReputationRecord {
            pk,
            sk,
            user_id: user.clone(),
            reputation: serde_json::to_value(reputation).expect("a reputation serializes"),
        };
        let tx = Tx::new().put(
            Label::Reputation,
            &record,
            Some(
                Cond::new("attribute_not_exists(computed_at) OR computed_at <= :at")
                    .value(":at", reputation.computed_at),
            ),
        );
        match self.transact(tx).await {
            Ok(()) | Err(super::TxError::ConditionFailed { .. }) => Ok(()),
            Err(super::TxError::Store(err)) => Err(err),
        }
    }

    /// The stored reputation (as computed on the last relevant event), if any.
    pub async fn reputation(&self, user: &UserId) -> Result<Option<Reputation>, StoreError> {
        let (pk, sk) = keys::reputation(user);
        let Some(record) = self.get::<ReputationRecord>(&key(pk, sk)).await? else {
            return Ok(None);
        };
        serde_json::from_value(record.reputation)
            .map(Some)
            .map_err(|err| StoreError::Corrupt(format!("reputation of {user}: {err}")))
    }
}
