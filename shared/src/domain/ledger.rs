//! The double-entry ledger (PRODUCT §9), pure. Accounts hold four running totals, in the
//! spirit of TigerBeetle: posted and pending debits and credits. A transfer is immutable and
//! moves one amount from a debit account to a credit account, either at once (posted) or as a
//! hold (pending) that is later posted (fully or partly) or voided. Escrow is exactly that:
//! funding a milestone is a pending transfer from the client's account to the freelancer's
//! earnings; approval posts it, a refund voids it.
//!
//! Invariants the store enforces and the audit checks: every transfer changes debits and
//! credits by the same amount, so over all accounts Σ(credits − debits) = 0 per currency,
//! posted and pending alike; no account other than the world's goes below zero available.

use super::ids::{TransferId, UserId};
use super::money::{Currency, Money};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The platform's fee revenue is spread over this many accounts, so that every release in the
/// marketplace does not queue behind one hot item (DynamoDB: ~1,000 writes/s per item).
pub const FEE_SHARDS: u64 = 8;

#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct AccountId(String);

impl AccountId {
    /// Money entering (card charges) and leaving (payouts, refunds to cards): the outside.
    pub fn world(currency: Currency) -> Self {
        Self(format!("world:{currency:?}"))
    }

    /// A client's money in the platform: charged in, held in escrow, paid out.
    pub fn client(user: &UserId) -> Self {
        Self(format!("client:{user}"))
    }

    /// A freelancer's released earnings inside the security period (§9.3).
    pub fn pending_earnings(user: &UserId) -> Self {
        Self(format!("earnings:{user}"))
    }

    /// A freelancer's hourly invoices while the client may still dispute them (§8.5): held
    /// (pending) here from the charge until the release.
    pub fn in_review(user: &UserId) -> Self {
        Self(format!("review:{user}"))
    }

    /// A freelancer's withdrawable money.
    pub fn available(user: &UserId) -> Self {
        Self(format!("available:{user}"))
    }

    /// A freelancer's withdrawals on their way out (§9.4): requested, not yet paid or
    /// returned. Back to zero once every withdrawal is settled.
    pub fn payouts_in_flight(user: &UserId) -> Self {
        Self(format!("payouts:{user}"))
    }

    /// A client's refunds to cards on their way out: requested, not yet refunded or returned
    /// to the balance. Apart from `payouts_in_flight`, which is the same user's as a
    /// freelancer.
    pub fn card_refunds_in_flight(user: &UserId) -> Self {
        Self(format!("refunds:{user}"))
    }

    /// The platform's arbitration fees: held here (pending) from the escalating party while
    /// an admin mediates, posted for the part the platform keeps.
    pub fn arbitration_fees() -> Self {
        Self("arbitration:fees".into())
    }

    pub fn fees_for(transfer: &TransferId) -> Self {
        let shard = crate::security::stable_hash(transfer.as_str()) % FEE_SHARDS;
        Self(format!("fees:{shard:02}"))
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let (kind, rest) = raw.split_once(':')?;
        let ok = match kind {
            "world" => rest == "USD",
            "client" | "earnings" | "available" | "review" | "payouts" | "refunds" => {
                UserId::parse(rest).is_some()
            }
            "fees" => rest.parse::<u64>().is_ok_and(|n| n < FEE_SHARDS),
            "arbitration" => rest == "fees",
            _ => false,
        };
        ok.then(|| Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The world is the only account allowed below zero: it is everyone else's mirror.
    pub fn may_go_negative(&self) -> bool {
        self.0.starts_with("world:")
    }
}

impl std::fmt::Display for AccountId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Moves the amount at once.
    Posted,
    /// Holds the amount: the debit account cannot spend it, the credit account does not
    /// have it yet.
    Pending,
    /// Settles a pending transfer (`pending_id`) for `amount` ≤ its amount; the rest of the
    /// hold is released back to the debit account.
    PostPending,
    /// Releases a pending transfer's whole hold.
    VoidPending,
}

/// What a transfer is for: reports, history and the audit read this.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferCode {
    /// A client's card or bank charged into their account.
    Charge,
    /// The client marketplace fee (§10.2).
    ClientFee,
    /// Money held for a milestone (or an hourly invoice) until it is released.
    Escrow,
    /// Escrow paid to the freelancer.
    Release,
    /// The freelancer service fee on a release (§10.1).
    ServiceFee,
    /// Money given back to a client's card.
    Refund,
    /// A refunded share of the client fee.
    ClientFeeRefund,
    /// Earnings leaving the security period.
    Availability,
    Bonus,
    /// Available money set aside for a withdrawal, then paid out to the world.
    Withdrawal,
    /// The payout method's fee, to the platform, when a withdrawal is paid.
    WithdrawalFee,
    /// A failed payout's whole amount (fee included) back to available.
    WithdrawalReturn,
    ConnectsPurchase,
    /// A freelancer's Plus membership: a month, or the rest of one (docs/plans.md).
    PlanCharge,
    /// Money a dispute gave back, on its way to the card that paid (set aside, then out).
    CardRefund,
    /// A refused card refund's amount back to the client's balance.
    CardRefundReturn,
    /// The arbitration fee of a contested dispute: held from the escalating party, then
    /// posted for the platform's share (the rest back to the payer) or voided.
    ArbitrationFee,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Transfer {
    pub id: TransferId,
    pub debit: AccountId,
    pub credit: AccountId,
    pub amount: Money,
    pub phase: Phase,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_id: Option<TransferId>,
    pub code: TransferCode,
    /// The fee schedule that priced this transfer, when a fee was involved (§10.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_schedule: Option<String>,
    /// What the money moved for (a milestone id, an invoice id, a withdrawal id).
    pub reference: String,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransferError {
    #[error("a transfer moves a positive amount")]
    NotPositive,
    #[error("a transfer moves money between two different accounts")]
    SameAccount,
    #[error("posting or voiding needs the pending transfer it settles")]
    MissingPending,
    #[error("the transfer does not match the pending transfer it settles")]
    PendingMismatch,
    #[error("a pending transfer is posted for at most its amount")]
    PostExceedsPending,
}

/// The change a transfer makes to one account's four totals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub debits_posted: Decimal,
    pub credits_posted: Decimal,
    pub debits_pending: Decimal,
    pub credits_pending: Decimal,
}

impl Totals {
    /// What the account can spend: posted balance less what it holds for pending debits.
    pub fn available(&self) -> Decimal {
        self.credits_posted - self.debits_posted - self.debits_pending
    }

    pub fn posted_balance(&self) -> Decimal {
        self.credits_posted - self.debits_posted
    }

    pub fn add(&mut self, other: &Totals) {
        self.debits_posted += other.debits_posted;
        self.credits_posted += other.credits_posted;
        self.debits_pending += other.debits_pending;
        self.credits_pending += other.credits_pending;
    }
}

impl Transfer {
    /// A posted or pending transfer.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: TransferId,
        debit: AccountId,
        credit: AccountId,
        amount: Money,
        phase: Phase,
        code: TransferCode,
        reference: impl Into<String>,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            debit,
            credit,
            amount,
            phase,
            pending_id: None,
            code,
            fee_schedule: None,
            reference: reference.into(),
            at,
        }
    }

    /// Settles `pending`: posts `amount` of it, or voids it when `amount` is `None`.
    pub fn settle(
        id: TransferId,
        pending: &Transfer,
        amount: Option<Money>,
        code: TransferCode,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            debit: pending.debit.clone(),
            credit: pending.credit.clone(),
            amount: amount.unwrap_or(pending.amount),
            phase: if amount.is_some() {
                Phase::PostPending
            } else {
                Phase::VoidPending
            },
            pending_id: Some(pending.id.clone()),
            code,
            fee_schedule: None,
            reference: pending.reference.clone(),
            at,
        }
    }

    pub fn priced_by(mut self, schedule: &str) -> Self {
        self.fee_schedule = Some(schedule.to_string());
        self
    }

    /// The changes to the debit and the credit account. Settling needs the pending transfer.
    pub fn effects(
        &self,
        pending: Option<&Transfer>,
    ) -> Result<[(AccountId, Totals); 2], TransferError> {
        if self.debit == self.credit {
            return Err(TransferError::SameAccount);
        }
        let amount = self.amount.amount;
        if amount <= Decimal::ZERO && self.phase != Phase::VoidPending {
            return Err(TransferError::NotPositive);
        }
        let (debit, credit) = match self.phase {
            Phase::Posted => (
                Totals {
                    debits_posted: amount,
                    ..Default::default()
                },
                Totals {
                    credits_posted: amount,
                    ..Default::default()
                },
            ),
            Phase::Pending => (
                Totals {
                    debits_pending: amount,
                    ..Default::default()
                },
                Totals {
                    credits_pending: amount,
                    ..Default::default()
                },
            ),
            Phase::PostPending | Phase::VoidPending => {
                let pending = pending.ok_or(TransferError::MissingPending)?;
                if self.pending_id.as_ref() != Some(&pending.id)
                    || pending.phase != Phase::Pending
                    || pending.debit != self.debit
                    || pending.credit != self.credit
                    || pending.amount.currency != self.amount.currency
                {
                    return Err(TransferError::PendingMismatch);
                }
                let held = pending.amount.amount;
                let posted = if self.phase == Phase::PostPending {
                    if amount > held {
                        return Err(TransferError::PostExceedsPending);
                    }
                    amount
                } else {
                    Decimal::ZERO
                };
                (
                    Totals {
                        debits_pending: -held,
                        debits_posted: posted,
                        ..Default::default()
                    },
                    Totals {
                        credits_pending: -held,
                        credits_posted: posted,
                        ..Default::default()
                    },
                )
            }
        };
        Ok([(self.debit.clone(), debit), (self.credit.clone(), credit)])
    }
}

/// What the audit found (§9.2; `GET /v1/admin/ledger/audit`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
pub struct AuditReport {
    pub accounts: usize,
    pub transfers: usize,
    /// Σ(credits − debits) over every account, posted: must be zero.
    #[schemars(with = "String")]
    pub posted_sum: Decimal,
    /// The same for pending holds: must be zero.
    #[schemars(with = "String")]
    pub pending_sum: Decimal,
    /// Accounts whose stored totals differ from the replay of their transfers.
    pub mismatched: Vec<String>,
    /// Accounts (other than the world) below zero available.
    pub negative: Vec<String>,
    pub balanced: bool,
}

/// Replays `transfers` and compares with the stored `accounts` totals.
pub fn audit(transfers: &[Transfer], accounts: &BTreeMap<AccountId, Totals>) -> AuditReport {
    let by_id: std::collections::HashMap<&TransferId, &Transfer> =
        transfers.iter().map(|t| (&t.id, t)).collect();
    let mut replayed: BTreeMap<AccountId, Totals> = BTreeMap::new();
    let mut mismatched = Vec::new();
    for transfer in transfers {
        let pending = transfer
            .pending_id
            .as_ref()
            .and_then(|id| by_id.get(id).copied());
        match transfer.effects(pending) {
            Ok(effects) => {
                for (account, delta) in effects {
                    replayed.entry(account).or_default().add(&delta);
                }
            }
            Err(err) => mismatched.push(format!("{}: {err}", transfer.id)),
        }
    }
    let mut posted_sum = Decimal::ZERO;
    let mut pending_sum = Decimal::ZERO;
    let mut negative = Vec::new();
    let names: std::collections::BTreeSet<&AccountId> =
        accounts.keys().chain(replayed.keys()).collect();
    for account in names {
        let stored = accounts.get(account).copied().unwrap_or_default();
        let replay = replayed.get(account).copied().unwrap_or_default();
        if stored != replay {
            mismatched.push(account.to_string());
        }
        posted_sum += stored.posted_balance();
        pending_sum += stored.credits_pending - stored.debits_pending;
        if !account.may_go_negative() && stored.available() < Decimal::ZERO {
            negative.push(account.to_string());
        }
    }
    let balanced = posted_sum.is_zero()
        && pending_sum.is_zero()
        && mismatched.is_empty()
        && negative.is_empty();
    AuditReport {
        accounts: accounts.len(),
        transfers: transfers.len(),
        posted_sum,
        pending_sum,
        mismatched,
        negative,
        balanced,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        "2026-12-01T00:00:00Z".parse().unwrap()
    }

    fn usd(raw: &str) -> Money {
        Money::usd(raw).unwrap()
    }

    fn apply(accounts: &mut BTreeMap<AccountId, Totals>, t: &Transfer, pending: Option<&Transfer>) {
        for (account, delta) in t.effects(pending).unwrap() {
            accounts.entry(account).or_default().add(&delta);
        }
    }

    #[test]
    fn escrow_is_a_hold_that_is_posted_partly_or_voided() {
        let client = UserId::generate(at());
        let freelancer = UserId::generate(at());
        let world = AccountId::world(Currency::USD);
        let mut accounts = BTreeMap::new();
        let charge = Transfer::new(
            TransferId::generate(at()),
            world.clone(),
            AccountId::client(&client),
            usd("105.00"),
            Phase::Posted,
            TransferCode::Charge,
            "m1",
            at(),
        );
        let hold = Transfer::new(
            TransferId::generate(at()),
            AccountId::client(&client),
            AccountId::pending_earnings(&freelancer),
            usd("100.00"),
            Phase::Pending,
            TransferCode::Escrow,
            "m1",
            at(),
        );
        apply(&mut accounts, &charge, None);
        apply(&mut accounts, &hold, None);
        let client_totals = accounts[&AccountId::client(&client)];
        assert_eq!(
            client_totals.available(),
            Decimal::new(500, 2),
            "escrow is not spendable"
        );
        // Approve 80 of the 100: the other 20 is released back to the client.
        let post = Transfer::settle(
            TransferId::generate(at()),
            &hold,
            Some(usd("80.00")),
            TransferCode::Release,
            at(),
        );
        apply(&mut accounts, &post, Some(&hold));
        let client_totals = accounts[&AccountId::client(&client)];
        assert_eq!(client_totals.available(), Decimal::new(2500, 2));
        assert_eq!(client_totals.debits_pending, Decimal::ZERO);
        assert_eq!(
            accounts[&AccountId::pending_earnings(&freelancer)].posted_balance(),
            Decimal::new(8000, 2)
        );
        let transfers = vec![charge, hold.clone(), post];
        let report = audit(&transfers, &accounts);
        assert!(report.balanced, "{report:?}");
        // A second settlement of the same hold is refused by the replay, not silently applied.
        let void = Transfer::settle(
            TransferId::generate(at()),
            &hold,
            None,
            TransferCode::Refund,
            at(),
        );
        assert!(void.effects(Some(&hold)).is_ok());
        let too_much = Transfer::settle(
            TransferId::generate(at()),
            &hold,
            Some(usd("100.01")),
            TransferCode::Release,
            at(),
        );
        assert_eq!(
            too_much.effects(Some(&hold)),
            Err(TransferError::PostExceedsPending)
        );
    }

    #[test]
    fn the_audit_finds_tampering_and_negative_balances() {
        let user = UserId::generate(at());
        let world = AccountId::world(Currency::USD);
        let charge = Transfer::new(
            TransferId::generate(at()),
            world.clone(),
            AccountId::client(&user),
            usd("10.00"),
            Phase::Posted,
            TransferCode::Charge,
            "x",
            at(),
        );
        let mut accounts = BTreeMap::new();
        apply(&mut accounts, &charge, None);
        assert!(audit(std::slice::from_ref(&charge), &accounts).balanced);
        accounts
            .get_mut(&AccountId::client(&user))
            .unwrap()
            .credits_posted += Decimal::ONE;
        let report = audit(std::slice::from_ref(&charge), &accounts);
        assert!(!report.balanced);
        assert_eq!(report.posted_sum, Decimal::ONE);
        assert_eq!(
            report.mismatched,
            vec![AccountId::client(&user).to_string()]
        );
        let overdraw = Transfer::new(
            TransferId::generate(at()),
            AccountId::client(&user),
            world,
            usd("20.00"),
            Phase::Posted,
            TransferCode::Refund,
            "x",
            at(),
        );
        let mut accounts = BTreeMap::new();
        apply(&mut accounts, &charge, None);
        apply(&mut accounts, &overdraw, None);
        let report = audit(&[charge, overdraw], &accounts);
        assert_eq!(report.negative, vec![AccountId::client(&user).to_string()]);
    }

    #[test]
    fn account_ids_parse_strictly() {
        let user = UserId::generate(at());
        assert!(AccountId::parse(AccountId::client(&user).as_str()).is_some());
        assert!(AccountId::parse(AccountId::payouts_in_flight(&user).as_str()).is_some());
        assert!(AccountId::parse(AccountId::card_refunds_in_flight(&user).as_str()).is_some());
        assert!(AccountId::parse("fees:07").is_some());
        assert!(AccountId::parse("fees:08").is_none());
        assert!(AccountId::parse("client:nobody").is_none());
        assert!(AccountId::fees_for(&TransferId::generate(at()))
            .as_str()
            .starts_with("fees:"));
    }

    #[test]
    fn derived_transfer_ids_repeat_for_the_same_basis() {
        let a = TransferId::derived(at(), "fund:mil_1:key-1");
        assert_eq!(a, TransferId::derived(at(), "fund:mil_1:key-1"));
        assert_ne!(a, TransferId::derived(at(), "fund:mil_1:key-2"));
        assert!(TransferId::parse(a.as_str()).is_some());
    }
}
