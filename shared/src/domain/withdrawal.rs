//! Withdrawals (PRODUCT §9.4): a freelancer with a verified identity moves available money to
//! a payout method. States: `requested` (the amount left available for the in-flight payouts
//! account) → `processing` (the processor is being asked) → `paid` (the net reached the
//! payee, the fee the platform), or `returned` (the payout failed and the whole amount, fee
//! included, went back to available — the failure and the return are one step, so money is
//! never stranded in between).

use super::ids::{PayoutMethodId, TransferId, UserId, WithdrawalId};
use super::ledger::{AccountId, Phase, Transfer, TransferCode};
use super::money::Money;
use super::payout::{quote, PayoutKind, PayoutRuleViolation, PayoutTerms};
use super::rules::{AmountRule, POSITIVE_AMOUNT};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A withdrawal's amount: more than zero (every payout method has a minimum above its fee,
/// which is checked against the method chosen).
pub const AMOUNT: AmountRule = POSITIVE_AMOUNT;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawalState {
    Requested,
    Processing,
    Paid,
    Returned,
}

/// The payout method a withdrawal goes to, as it was when requested.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutTarget {
    pub method_id: PayoutMethodId,
    pub kind: PayoutKind,
    /// The masked account or address.
    pub label: String,
    /// The processor's handle for the method; never shown.
    pub processor_token: String,
}

/// Why a payout failed, as the processor said.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PayoutFailure {
    pub code: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Withdrawal {
    pub id: WithdrawalId,
    pub user_id: UserId,
    pub target: PayoutTarget,
    /// What leaves available: `fee` + `net`.
    pub amount: Money,
    pub fee: Money,
    /// What arrives at the payout method.
    pub net: Money,
    pub state: WithdrawalState,
    pub requested_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processor_payout_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<PayoutFailure>,
    pub version: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WithdrawalRuleViolation {
    #[error("the minimum withdrawal by this method is {0} USD")]
    BelowMinimum(Decimal),
    #[error("the available balance is {available} USD")]
    InsufficientFunds { available: Decimal },
    #[error("the withdrawal is {0:?}, so this step does not apply")]
    WrongState(WithdrawalState),
    #[error(
        "withdrawals need a verified identity: submit your ID (POST /v1/me/identity) and wait \
         for its approval"
    )]
    IdentityNotVerified,
    #[error("add a payout method (POST /v1/me/payout-methods) first")]
    NoPayoutMethod,
}

impl Withdrawal {
    /// Prices a withdrawal of `amount` by `terms` against what the freelancer has `available`.
    pub fn request(
        id: WithdrawalId,
        user_id: UserId,
        target: PayoutTarget,
        terms: &PayoutTerms,
        amount: Money,
        available: Decimal,
        now: DateTime<Utc>,
    ) -> Result<Self, WithdrawalRuleViolation> {
        let priced = quote(terms, amount.amount).map_err(|err| match err {
            PayoutRuleViolation::BelowMinimum(minimum) => {
                WithdrawalRuleViolation::BelowMinimum(minimum)
            }
        })?;
        if priced.amount > available {
            return Err(WithdrawalRuleViolation::InsufficientFunds {
                available: available.max(Decimal::ZERO),
            });
        }
        let money = |value: Decimal| Money {
            amount: value,
            currency: amount.currency,
        };
        Ok(Self {
            id,
            user_id,
            target,
            amount: money(priced.amount),
            fee: money(priced.fee),
            net: money(priced.net),
            state: WithdrawalState::Requested,
            requested_at: now,
            processing_at: None,
            paid_at: None,
            returned_at: None,
            processor_payout_id: None,
            failure: None,
            version: 1,
        })
    }

    fn step(
        &self,
        from: WithdrawalState,
        to: WithdrawalState,
    ) -> Result<Self, WithdrawalRuleViolation> {
        if self.state != from {
            return Err(WithdrawalRuleViolation::WrongState(self.state));
        }
        Ok(Self {
            state: to,
            version: self.version + 1,
            ..self.clone()
        })
    }

    /// The processor is about to be asked: a crash from here on is retried with the same key.
    pub fn start_processing(&self, now: DateTime<Utc>) -> Result<Self, WithdrawalRuleViolation> {
        let mut next = self.step(WithdrawalState::Requested, WithdrawalState::Processing)?;
        next.processing_at = Some(now);
        Ok(next)
    }

    pub fn pay(
        &self,
        processor_payout_id: String,
        now: DateTime<Utc>,
    ) -> Result<Self, WithdrawalRuleViolation> {
        let mut next = self.step(WithdrawalState::Processing, WithdrawalState::Paid)?;
        next.paid_at = Some(now);
        next.processor_payout_id = Some(processor_payout_id);
        Ok(next)
    }

    pub fn fail_and_return(
        &self,
        failure: PayoutFailure,
        now: DateTime<Utc>,
    ) -> Result<Self, WithdrawalRuleViolation> {
        let mut next = self.step(WithdrawalState::Processing, WithdrawalState::Returned)?;
        next.returned_at = Some(now);
        next.failure = Some(failure);
        Ok(next)
    }

    pub fn is_settled(&self) -> bool {
        matches!(
            self.state,
            WithdrawalState::Paid | WithdrawalState::Returned
        )
    }

    /// The processor dedupes payouts on this key: however often a message is delivered, one
    /// withdrawal is one payout.
    pub fn payout_key(&self) -> String {
        format!("withdrawal:{}", self.id)
    }

    /// Transfer ids derive from the withdrawal and the step, so a retried step collides with
    /// its own first attempt instead of moving the money again.
    fn transfer_id(&self, step: &str) -> TransferId {
        TransferId::derived(self.requested_at, &format!("withdrawal:{}:{step}", self.id))
    }

    fn transfer(
        &self,
        step: &str,
        debit: AccountId,
        credit: AccountId,
        amount: Money,
        code: TransferCode,
        at: DateTime<Utc>,
    ) -> Transfer {
        Transfer::new(
            self.transfer_id(step),
            debit,
            credit,
            amount,
            Phase::Posted,
            code,
            self.id.to_string(),
            at,
        )
    }

    /// At request: the whole amount from available into the in-flight payouts account.
    pub fn set_aside(&self) -> Transfer {
        self.transfer(
            "request",
            AccountId::available(&self.user_id),
            AccountId::payouts_in_flight(&self.user_id),
            self.amount,
            TransferCode::Withdrawal,
            self.requested_at,
        )
    }

    /// On payment: the net to the world (the payee), the fee to the platform (none when the
    /// method is free).
    pub fn payout_transfers(&self, at: DateTime<Utc>) -> Vec<Transfer> {
        let in_flight = AccountId::payouts_in_flight(&self.user_id);
        let mut transfers = vec![self.transfer(
            "payout",
            in_flight.clone(),
            AccountId::world(self.net.currency),
            self.net,
            TransferCode::Withdrawal,
            at,
        )];
        if self.fee.amount > Decimal::ZERO {
            let id = self.transfer_id("fee");
            transfers.push(self.transfer(
                "fee",
                in_flight,
                AccountId::fees_for(&id),
                self.fee,
                TransferCode::WithdrawalFee,
                at,
            ));
        }
        transfers
    }

    /// On failure: everything back to available, fee included.
    pub fn return_transfer(&self, at: DateTime<Utc>) -> Transfer {
        self.transfer(
            "return",
            AccountId::payouts_in_flight(&self.user_id),
            AccountId::available(&self.user_id),
            self.amount,
            TransferCode::WithdrawalReturn,
            at,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ledger::Totals;
    use crate::domain::payout::PayoutCatalogue;
    use std::collections::BTreeMap;

    fn t(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    fn usd(raw: &str) -> Money {
        Money::usd(raw).unwrap()
    }

    fn dec(raw: &str) -> Decimal {
        raw.parse().unwrap()
    }

    fn paypal_withdrawal(
        amount: &str,
        available: &str,
    ) -> Result<Withdrawal, WithdrawalRuleViolation> {
        let now = t("2027-02-01T10:00:00Z");
        let catalogue = PayoutCatalogue::standard();
        Withdrawal::request(
            WithdrawalId::generate(now),
            UserId::generate(now),
            PayoutTarget {
                method_id: PayoutMethodId::generate(now),
                kind: PayoutKind::Paypal,
                label: "f••@example.com".into(),
                processor_token: "tok".into(),
            },
            catalogue.terms(PayoutKind::Paypal),
            usd(amount),
            dec(available),
            now,
        )
    }

    fn apply(accounts: &mut BTreeMap<AccountId, Totals>, transfers: &[Transfer]) {
        for transfer in transfers {
            for (account, delta) in transfer.effects(None).unwrap() {
                accounts.entry(account).or_default().add(&delta);
            }
        }
    }

    #[test]
    fn priced_by_the_method_and_bounded_by_the_balance() {
        let w = paypal_withdrawal("50.00", "80.00").unwrap();
        assert_eq!(
            (w.amount, w.fee, w.net),
            (usd("50.00"), usd("2.00"), usd("48.00"))
        );
        assert_eq!(w.state, WithdrawalState::Requested);
        assert_eq!(
            paypal_withdrawal("4.99", "80.00"),
            Err(WithdrawalRuleViolation::BelowMinimum(dec("5.00")))
        );
        assert_eq!(
            paypal_withdrawal("80.01", "80.00"),
            Err(WithdrawalRuleViolation::InsufficientFunds {
                available: dec("80.00")
            })
        );
        assert!(paypal_withdrawal("80.00", "80.00").is_ok());
    }

    #[test]
    fn paid_or_returned_the_ledger_balances_and_nothing_stays_in_flight() {
        let w = paypal_withdrawal("50.00", "80.00").unwrap();
        let later = t("2027-02-01T10:01:00Z");
        let processing = w.start_processing(later).unwrap();
        assert_eq!(
            w.pay("po_1".into(), later),
            Err(WithdrawalRuleViolation::WrongState(
                WithdrawalState::Requested
            ))
        );
        let paid = processing.pay("po_1".into(), later).unwrap();
        assert!(paid.is_settled());
        assert_eq!(
            paid.fail_and_return(
                PayoutFailure {
                    code: "x".into(),
                    message: "x".into()
                },
                later
            ),
            Err(WithdrawalRuleViolation::WrongState(WithdrawalState::Paid))
        );

        let in_flight = AccountId::payouts_in_flight(&w.user_id);
        let available = AccountId::available(&w.user_id);
        let mut paid_ledger = BTreeMap::new();
        let mut transfers = vec![w.set_aside()];
        transfers.extend(paid.payout_transfers(later));
        apply(&mut paid_ledger, &transfers);
        assert_eq!(paid_ledger[&available].posted_balance(), dec("-50.00"));
        assert_eq!(paid_ledger[&in_flight].posted_balance(), Decimal::ZERO);
        assert_eq!(
            paid_ledger[&AccountId::world(w.net.currency)].posted_balance(),
            dec("48.00")
        );
        let fee_account = paid_ledger
            .iter()
            .find(|(id, _)| id.as_str().starts_with("fees:"))
            .unwrap();
        assert_eq!(fee_account.1.posted_balance(), dec("2.00"));
        let sum: Decimal = paid_ledger.values().map(|t| t.posted_balance()).sum();
        assert_eq!(sum, Decimal::ZERO);

        let returned = processing
            .fail_and_return(
                PayoutFailure {
                    code: "account_closed".into(),
                    message: "the account is closed".into(),
                },
                later,
            )
            .unwrap();
        let mut returned_ledger = BTreeMap::new();
        apply(
            &mut returned_ledger,
            &[w.set_aside(), returned.return_transfer(later)],
        );
        assert_eq!(returned_ledger[&available].posted_balance(), Decimal::ZERO);
        assert_eq!(returned_ledger[&in_flight].posted_balance(), Decimal::ZERO);
        assert_eq!(
            returned_ledger.len(),
            2,
            "no fee, no world: {returned_ledger:?}"
        );
        // The same step always derives the same transfer ids (a retry collides with itself).
        assert_eq!(processing.payout_transfers(later)[0].id, transfers[1].id);
        assert_eq!(w.payout_key(), paid.payout_key());
    }

    #[test]
    fn free_methods_move_no_fee() {
        let now = t("2027-02-01T10:00:00Z");
        let catalogue = PayoutCatalogue::standard();
        let w = Withdrawal::request(
            WithdrawalId::generate(now),
            UserId::generate(now),
            PayoutTarget {
                method_id: PayoutMethodId::generate(now),
                kind: PayoutKind::UsBank,
                label: "…6789".into(),
                processor_token: "tok".into(),
            },
            catalogue.terms(PayoutKind::UsBank),
            usd("10.00"),
            dec("10.00"),
            now,
        )
        .unwrap();
        assert_eq!(w.fee, usd("0.00"));
        let paid = w
            .start_processing(now)
            .unwrap()
            .pay("po".into(), now)
            .unwrap();
        assert_eq!(paid.payout_transfers(now).len(), 1);
    }
}
