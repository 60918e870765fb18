//! Refunds to the card that paid (issue 16, PRODUCT §13): a client who asks for their money
//! back chooses, when opening the dispute, whether what the dispute gives back stays as
//! Worklane balance (spent first by the next funding) or goes back to the card the milestone
//! or the week was charged to.
//!
//! A card refund is at most what that card was charged for the subject: money that came from
//! the balance (funding spends it first) goes back to the balance. States: `requested` (the
//! amount left the client's balance for the in-flight payouts account, in the dispute's
//! settlement transaction) → `refunded` (the processor gave it back to the card) or `failed`
//! (the processor refused: the whole amount is back in the balance, in the same step).

use super::ids::{DisputeId, TransferId, UserId};
use super::ledger::{AccountId, Phase, Transfer, TransferCode};
use super::money::Money;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where money a dispute gives back to the client goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefundTo {
    /// The client's Worklane balance, spent first by their next funding.
    #[default]
    Balance,
    /// Back to the card or bank account that paid, through the processor; what the balance
    /// paid stays balance.
    Card,
}

/// The processor charge that paid for a milestone's funding or a week's invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CardCharge {
    /// The processor's id of the charge, which a refund names.
    pub charge_id: String,
    /// What the charge took (the balance may have paid the rest).
    pub amount: Money,
    /// The card or account as its owner knows it, e.g. `visa •••• 4242`.
    pub method: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CardRefundState {
    Requested,
    Refunded,
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CardRefundRuleViolation {
    #[error("the card refund is {0:?}, so this step does not apply")]
    WrongState(CardRefundState),
}

/// One dispute's refund to a card; keyed by the dispute (a dispute settles once).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CardRefund {
    pub dispute_id: DisputeId,
    pub client_id: UserId,
    /// The milestone or week the money came back from.
    pub reference: String,
    pub charge: CardCharge,
    pub amount: Money,
    pub state: CardRefundState,
    pub requested_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processor_refund_id: Option<String>,
    /// What the processor said when it refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    pub version: u64,
}

impl CardRefund {
    /// The refund to `charge` of what a dispute gave back to the client (`back`: escrow and
    /// its client-fee share): at most what the card paid; `None` when nothing is left for the
    /// card (the balance paid it all, or nothing came back).
    pub fn of(
        dispute_id: DisputeId,
        client_id: UserId,
        reference: String,
        charge: &CardCharge,
        back: Money,
        now: DateTime<Utc>,
    ) -> Option<Self> {
        let amount = back.amount.min(charge.amount.amount);
        (amount > Decimal::ZERO).then(|| Self {
            dispute_id,
            client_id,
            reference,
            charge: charge.clone(),
            amount: Money {
                amount,
                currency: back.currency,
            },
            state: CardRefundState::Requested,
            requested_at: now,
            refunded_at: None,
            failed_at: None,
            processor_refund_id: None,
            failure: None,
            version: 1,
        })
    }

    fn step(&self, to: CardRefundState) -> Result<Self, CardRefundRuleViolation> {
        if self.state != CardRefundState::Requested {
            return Err(CardRefundRuleViolation::WrongState(self.state));
        }
        Ok(Self {
            state: to,
            version: self.version + 1,
            ..self.clone()
        })
    }

    pub fn refunded(
        &self,
        processor_refund_id: String,
        now: DateTime<Utc>,
    ) -> Result<Self, CardRefundRuleViolation> {
        let mut next = self.step(CardRefundState::Refunded)?;
        next.refunded_at = Some(now);
        next.processor_refund_id = Some(processor_refund_id);
        Ok(next)
    }

    pub fn failed(
        &self,
        failure: String,
        now: DateTime<Utc>,
    ) -> Result<Self, CardRefundRuleViolation> {
        let mut next = self.step(CardRefundState::Failed)?;
        next.failed_at = Some(now);
        next.failure = Some(failure);
        Ok(next)
    }

    pub fn is_settled(&self) -> bool {
        self.state != CardRefundState::Requested
    }

    /// The processor dedupes refunds on this key: one dispute, one refund to the card.
    pub fn processor_key(&self) -> String {
        format!("card-refund:{}", self.dispute_id)
    }

    fn transfer_id(&self, step: &str) -> TransferId {
        TransferId::derived(
            self.requested_at,
            &format!("card-refund:{}:{step}", self.dispute_id),
        )
    }

    fn transfer(
        &self,
        step: &str,
        debit: AccountId,
        credit: AccountId,
        at: DateTime<Utc>,
    ) -> Transfer {
        let code = if step == "return" {
            TransferCode::CardRefundReturn
        } else {
            TransferCode::CardRefund
        };
        Transfer::new(
            self.transfer_id(step),
            debit,
            credit,
            self.amount,
            Phase::Posted,
            code,
            &self.reference,
            at,
        )
    }

    /// At request: the amount leaves the client's balance for their in-flight refunds account.
    pub fn set_aside(&self) -> Transfer {
        self.transfer(
            "request",
            AccountId::client(&self.client_id),
            AccountId::card_refunds_in_flight(&self.client_id),
            self.requested_at,
        )
    }

    /// Refunded: from in flight to the world (the card).
    pub fn out_transfer(&self, at: DateTime<Utc>) -> Transfer {
        self.transfer(
            "refund",
            AccountId::card_refunds_in_flight(&self.client_id),
            AccountId::world(self.amount.currency),
            at,
        )
    }

    /// Failed: back to the client's balance.
    pub fn return_transfer(&self, at: DateTime<Utc>) -> Transfer {
        self.transfer(
            "return",
            AccountId::card_refunds_in_flight(&self.client_id),
            AccountId::client(&self.client_id),
            at,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ledger::Totals;
    use std::collections::BTreeMap;

    fn usd(raw: &str) -> Money {
        Money::usd(raw).unwrap()
    }

    fn now() -> DateTime<Utc> {
        "2026-12-07T10:00:00Z".parse().unwrap()
    }

    fn charge(amount: &str) -> CardCharge {
        CardCharge {
            charge_id: "ch_sbx_1".into(),
            amount: usd(amount),
            method: "visa •••• 4242".into(),
        }
    }

    fn refund(charged: &str, back: &str) -> Option<CardRefund> {
        let at = now();
        CardRefund::of(
            DisputeId::generate(at),
            UserId::generate(at),
            "ms_x".into(),
            &charge(charged),
            usd(back),
            at,
        )
    }

    #[test]
    fn the_card_gets_back_at_most_what_it_paid() {
        assert_eq!(refund("105.00", "105.00").unwrap().amount, usd("105.00"));
        // Funding spent $60 of balance first: that part stays balance.
        assert_eq!(refund("45.00", "105.00").unwrap().amount, usd("45.00"));
        // A split gives back less than the card paid: all of it goes to the card.
        assert_eq!(refund("105.00", "31.50").unwrap().amount, usd("31.50"));
        assert!(refund("105.00", "0.00").is_none());
        assert!(refund("0.00", "50.00").is_none());
    }

    #[test]
    fn each_end_settles_once_and_leaves_nothing_in_flight() {
        let requested = refund("80.00", "80.00").unwrap();
        let at = now();
        let refunded = requested.refunded("re_1".into(), at).unwrap();
        assert_eq!(refunded.state, CardRefundState::Refunded);
        assert_eq!(
            refunded.failed("late".into(), at),
            Err(CardRefundRuleViolation::WrongState(
                CardRefundState::Refunded
            ))
        );
        for end in [requested.out_transfer(at), requested.return_transfer(at)] {
            let mut accounts: BTreeMap<AccountId, Totals> = BTreeMap::new();
            for transfer in [requested.set_aside(), end] {
                for (account, delta) in transfer.effects(None).unwrap() {
                    accounts.entry(account).or_default().add(&delta);
                }
            }
            let in_flight = &accounts[&AccountId::card_refunds_in_flight(&requested.client_id)];
            assert_eq!(in_flight.posted_balance(), Decimal::ZERO);
        }
        // Ids derive from the dispute and the step: a retried step collides with itself.
        assert_eq!(requested.set_aside().id, requested.set_aside().id);
        assert_ne!(requested.set_aside().id, requested.out_transfer(at).id);
    }
}
