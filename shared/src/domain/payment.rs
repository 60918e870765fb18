//! The figures of money moving between a client and a freelancer (PRODUCT §7, §9, §10):
//! what funding, a release, a refund or a bonus costs the client and pays the freelancer.
//! Decided here, exactly, once; `store::escrow` only turns decided figures into transfers,
//! and handlers only ask for them. Rounding is `fees`' (half-up to cents, per fee).

use super::contract::{Milestone, Payout};
use super::fees::{client_fee, client_fee_refund, freelancer_fee, FeeSchedule};
use super::money::Money;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An amount the client pays with the marketplace fee on top (§10.2): a funding, a bonus, or
/// the part of an approval above the milestone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientCharge {
    pub amount: Money,
    pub client_fee: Money,
}

impl ClientCharge {
    pub fn on(schedule: &FeeSchedule, amount: Money) -> Self {
        Self {
            amount,
            client_fee: Money {
                amount: client_fee(schedule, amount.amount),
                currency: amount.currency,
            },
        }
    }

    /// What the client pays in all.
    pub fn total(&self) -> Money {
        Money {
            amount: self.amount.amount + self.client_fee.amount,
            currency: self.amount.currency,
        }
    }
}

/// What funding a milestone costs and how it is paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Funding {
    /// The milestone amount (held in escrow) and its client fee (to the platform).
    pub cost: ClientCharge,
    /// What the processor is charged: the total less what the client's balance covers (money
    /// returned from earlier escrow is spent first, so it is never stranded).
    pub to_charge: Money,
}

impl Funding {
    /// Funding `milestone` for a client whose balance has `available`.
    pub fn of(milestone: &Milestone, schedule: &FeeSchedule, available: Decimal) -> Self {
        let cost = ClientCharge::on(schedule, milestone.amount);
        let total = cost.total();
        let from_balance = available.max(Decimal::ZERO).min(total.amount);
        Self {
            cost,
            to_charge: Money {
                amount: total.amount - from_balance,
                currency: total.currency,
            },
        }
    }
}

/// What a release moves, before the freelancer's side (which needs the pair's lifetime
/// billings: `Payment::priced`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Release {
    pub payout: Payout,
    /// The share of the milestone's client fee that goes back with `payout.back_to_client`.
    pub client_fee_back: Money,
    /// Charged on top when the client pays more than the milestone.
    pub bonus: Option<ClientCharge>,
}

impl Release {
    pub fn of(milestone: &Milestone, payout: Payout, schedule: &FeeSchedule) -> Self {
        let currency = milestone.amount.currency;
        let fee_back = match milestone.client_fee {
            Some(fee) if payout.back_to_client.amount > Decimal::ZERO => client_fee_refund(
                fee.amount,
                milestone.amount.amount,
                Decimal::ZERO,
                payout.back_to_client.amount,
            ),
            _ => Decimal::ZERO,
        };
        Self {
            payout,
            client_fee_back: Money {
                amount: fee_back,
                currency,
            },
            bonus: (payout.bonus.amount > Decimal::ZERO)
                .then(|| ClientCharge::on(schedule, payout.bonus)),
        }
    }

    /// What the freelancer is paid before the service fee.
    pub fn gross(&self) -> Money {
        Money {
            amount: self.payout.from_escrow.amount + self.payout.bonus.amount,
            currency: self.payout.from_escrow.currency,
        }
    }
}

/// A refund by the freelancer gives back the whole client fee with the escrow.
pub fn refunded_client_fee(milestone: &Milestone) -> Option<Money> {
    milestone
        .client_fee
        .filter(|fee| fee.amount > Decimal::ZERO)
}

/// What a payment paid the freelancer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Payment {
    pub gross: Money,
    pub service_fee: Money,
    pub net: Money,
}

impl Payment {
    /// What paying `gross` costs the freelancer: the service fee at the pair's marginal
    /// rates after `lifetime_billed` (§10.1).
    pub fn priced(schedule: &FeeSchedule, lifetime_billed: Decimal, gross: Money) -> Payment {
        let fee = freelancer_fee(schedule, lifetime_billed, gross.amount);
        let money = |amount| Money {
            amount,
            currency: gross.currency,
        };
        Payment {
            gross,
            service_fee: money(fee.fee),
            net: money(fee.net),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::contract::{ContractRef, MilestoneDraft};
    use crate::domain::ids::{ContractId, MilestoneId, TransferId, UserId};
    use crate::domain::money::Currency;
    use chrono::{TimeZone, Utc};

    fn usd(raw: &str) -> Money {
        Money::parse(raw, Currency::USD).unwrap()
    }

    fn schedule() -> FeeSchedule {
        FeeSchedule::sliding_2020()
    }

    fn funded(amount: &str) -> Milestone {
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let contract = ContractRef {
            id: ContractId::generate(now),
            client_id: UserId::generate(now),
            freelancer_id: UserId::generate(now),
            fee_schedule: schedule().id,
        };
        let draft = MilestoneDraft {
            description: "Work".into(),
            amount: usd(amount),
            due_date: None,
        };
        let milestone = Milestone::new(MilestoneId::generate(now), &contract, draft, now).unwrap();
        let fee = ClientCharge::on(&schedule(), milestone.amount).client_fee;
        milestone.fund(TransferId::generate(now), fee, now).unwrap()
    }

    #[test]
    fn a_charge_carries_its_client_fee_on_top_rounded_half_up() {
        let charge = ClientCharge::on(&schedule(), usd("100.10"));
        assert_eq!(charge.client_fee, usd("5.01"));
        assert_eq!(charge.total(), usd("105.11"));
        // 5 % of 0.30 is 0.015: half-up to 0.02.
        assert_eq!(
            ClientCharge::on(&schedule(), usd("0.30")).client_fee,
            usd("0.02")
        );
    }

    #[test]
    fn funding_spends_the_balance_first_and_charges_the_rest() {
        let milestone = funded("200.00");
        let none = Funding::of(&milestone, &schedule(), Decimal::ZERO);
        assert_eq!(
            (none.cost.amount, none.cost.client_fee, none.to_charge),
            (usd("200.00"), usd("10.00"), usd("210.00"))
        );
        let part = Funding::of(&milestone, &schedule(), "60.50".parse().unwrap());
        assert_eq!(part.to_charge, usd("149.50"));
        let covered = Funding::of(&milestone, &schedule(), "999.00".parse().unwrap());
        assert_eq!(covered.to_charge, usd("0.00"));
        // A negative balance (never expected) charges everything rather than more.
        let negative = Funding::of(&milestone, &schedule(), "-5".parse().unwrap());
        assert_eq!(negative.to_charge, usd("210.00"));
    }

    #[test]
    fn a_partial_approval_returns_its_share_of_the_client_fee() {
        let milestone = funded("250.00");
        let (_, payout) = milestone
            .approve(Some(usd("100.00")), milestone.created_at)
            .unwrap();
        let release = Release::of(&milestone, payout, &schedule());
        assert_eq!(release.payout.back_to_client, usd("150.00"));
        // 150/250 of the $12.50 fee.
        assert_eq!(release.client_fee_back, usd("7.50"));
        assert_eq!(release.bonus, None);
        assert_eq!(release.gross(), usd("100.00"));
    }

    #[test]
    fn approving_more_charges_the_difference_with_its_fee() {
        let milestone = funded("250.00");
        let (_, payout) = milestone
            .approve(Some(usd("300.00")), milestone.created_at)
            .unwrap();
        let release = Release::of(&milestone, payout, &schedule());
        assert_eq!(release.client_fee_back, usd("0.00"));
        let bonus = release.bonus.expect("paying more is a bonus");
        assert_eq!((bonus.amount, bonus.total()), (usd("50.00"), usd("52.50")));
        assert_eq!(release.gross(), usd("300.00"));
    }

    #[test]
    fn the_whole_fee_comes_back_with_a_refund() {
        let milestone = funded("80.00");
        assert_eq!(refunded_client_fee(&milestone), Some(usd("4.00")));
    }

    #[test]
    fn a_payment_across_a_band_is_priced_at_both_rates_and_nets_exactly() {
        // $100 after $450 billed: $50 at 20 % + $50 at 10 %.
        let paid = Payment::priced(&schedule(), "450".parse().unwrap(), usd("100.00"));
        assert_eq!((paid.service_fee, paid.net), (usd("15.00"), usd("85.00")));
        assert_eq!(paid.service_fee.amount + paid.net.amount, paid.gross.amount);
    }
}
