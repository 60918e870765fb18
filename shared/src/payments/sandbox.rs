//! SANDBOX payment processor: a card processor's test mode, for the local stack and dev.
//! Nothing real is charged or paid. It accepts only the test numbers below (a real card is
//! declined, as processors do in test mode) and keeps no state: every outcome is decided by
//! the test number, carried inside the token, and every id is derived from its idempotency
//! key, so the same key always gets the same answer.
//!
//! | test number | at add | at charge / payout |
//! |---|---|---|
//! | card 4242424242424242, 5555555555554444, 378282246310005, 6011111111111117 | ok | ok |
//! | card 4000000000000002 | `card_declined` | — |
//! | card 4000000000000341 | ok | `card_declined` |
//! | card 4000000000009995 | ok | `insufficient_funds` |
//! | card 4000000000005126 | ok | ok; a refund of its charges fails (`account_closed`) |
//! | bank routing 110000000, account 000123456789 | ok | ok |
//! | bank account 000111111113 | `bank_account_declined` | — |
//! | bank account 000111111116 | ok | `account_closed` |
//! | bank account 000222222227 | ok | `insufficient_funds` |
//! | PayPal or Payoneer `closed@sandbox.test` | ok | payout `account_closed` |
//! | PayPal, Payoneer, local bank, wire (any other valid details) | ok | ok |

use super::{brand_name, Charge, DeclineCode, PaymentError, Payout, ProcessorMethod, Refund};
use crate::domain::billing::{BankDetails, BillingDetails};
use crate::domain::money::{Currency, Money};
use crate::domain::payout::PayoutDestination;
use crate::security::sha256_hex;

pub const TEST_ROUTING_NUMBER: &str = "110000000";

/// A PayPal or Payoneer address whose payouts fail (`account_closed`): the way to see a
/// withdrawal fail and its money come back to available.
pub const CLOSED_WALLET: &str = "closed@sandbox.test";

/// What a vaulted test method does when money moves; carried in its token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Succeeds,
    /// Charges go through; refunds of them fail, as when the card was closed since.
    RefundsFail,
    Declines(DeclineCode),
}

const TOKEN_PREFIX: &str = "tok_sbx_";
const CHARGE_PREFIX: &str = "ch_sbx_";
/// What follows `CHARGE_PREFIX` in the id of a charge whose refunds fail.
const UNREFUNDABLE: &str = "norefund_";

impl Outcome {
    fn tag(self) -> &'static str {
        match self {
            Outcome::Succeeds => "ok",
            Outcome::RefundsFail => "norefund",
            Outcome::Declines(DeclineCode::CardDeclined) => "declined",
            Outcome::Declines(DeclineCode::InsufficientFunds) => "nofunds",
            Outcome::Declines(DeclineCode::AccountClosed) => "closed",
            Outcome::Declines(DeclineCode::BankAccountDeclined) => "refused",
        }
    }

    fn from_tag(tag: &str) -> Option<Self> {
        [
            Outcome::Succeeds,
            Outcome::RefundsFail,
            Outcome::Declines(DeclineCode::CardDeclined),
            Outcome::Declines(DeclineCode::InsufficientFunds),
            Outcome::Declines(DeclineCode::AccountClosed),
            Outcome::Declines(DeclineCode::BankAccountDeclined),
        ]
        .into_iter()
        .find(|o| o.tag() == tag)
    }
}

/// The sandbox decides from its inputs alone; `journal` only remembers, in this process, what
/// it was asked to do (charges and refunds by id), so tests can see money that the ledger
/// never records — e.g. a charge refunded because its movement was refused.
#[derive(Clone, Debug, Default)]
pub struct Sandbox {
    journal: std::sync::Arc<std::sync::Mutex<Vec<SandboxEntry>>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SandboxEntry {
    Charged { id: String, amount: Money },
    Refunded { charge_id: String, amount: Money },
    PaidOut { id: String, amount: Money },
}

impl Sandbox {
    pub fn journal(&self) -> Vec<SandboxEntry> {
        self.journal.lock().expect("not poisoned").clone()
    }

    fn note(&self, entry: SandboxEntry) {
        let mut journal = self.journal.lock().expect("not poisoned");
        // Idempotent calls repeat; the journal records each effect once.
        if !journal.contains(&entry) {
            journal.push(entry);
        }
    }
}

fn declined(code: DeclineCode, message: &str) -> PaymentError {
    PaymentError::Declined {
        code,
        message: message.to_string(),
    }
}

/// A short, stable id for `what` (a reference or an idempotency key).
fn derived(kind: &str, what: &str) -> String {
    sha256_hex(format!("sandbox:{kind}:{what}").as_bytes())[..24].to_string()
}

fn card_outcome(number: &str) -> Result<Outcome, PaymentError> {
    match number {
        "4242424242424242" | "5555555555554444" | "378282246310005" | "6011111111111117" => {
            Ok(Outcome::Succeeds)
        }
        "4000000000000341" => Ok(Outcome::Declines(DeclineCode::CardDeclined)),
        "4000000000009995" => Ok(Outcome::Declines(DeclineCode::InsufficientFunds)),
        "4000000000005126" => Ok(Outcome::RefundsFail),
        "4000000000000002" => Err(declined(DeclineCode::CardDeclined, "the card was declined")),
        _ => Err(declined(
            DeclineCode::CardDeclined,
            "the card was declined: the payment sandbox accepts only test card numbers",
        )),
    }
}

fn bank_outcome(bank: &BankDetails) -> Result<Outcome, PaymentError> {
    let refused = |message| Err(declined(DeclineCode::BankAccountDeclined, message));
    if bank.routing_number != TEST_ROUTING_NUMBER {
        return refused("the payment sandbox accepts only the test routing number 110000000");
    }
    match bank.account_number.as_str() {
        "000123456789" => Ok(Outcome::Succeeds),
        "000111111116" => Ok(Outcome::Declines(DeclineCode::AccountClosed)),
        "000222222227" => Ok(Outcome::Declines(DeclineCode::InsufficientFunds)),
        "000111111113" => refused("no account with this number exists at the bank"),
        _ => refused("the payment sandbox accepts only test account numbers"),
    }
}

fn method(reference: &str, outcome: Outcome, brand: &str, last4: String) -> ProcessorMethod {
    ProcessorMethod {
        token: format!(
            "{TOKEN_PREFIX}{}_{}",
            outcome.tag(),
            derived("method", reference)
        ),
        brand: brand.to_string(),
        last4,
        exp_month: None,
        exp_year: None,
    }
}

/// The outcome a token was issued with; unknown tokens are the caller's mistake.
fn outcome_of(token: &str) -> Result<Outcome, PaymentError> {
    token
        .strip_prefix(TOKEN_PREFIX)
        .and_then(|rest| rest.split_once('_'))
        .and_then(|(tag, _)| Outcome::from_tag(tag))
        .ok_or_else(|| PaymentError::Invalid("unknown payment method".into()))
}

fn movable(amount: Money) -> Result<(), PaymentError> {
    if amount.currency != Currency::USD || amount.amount <= rust_decimal::Decimal::ZERO {
        return Err(PaymentError::Invalid(
            "amounts must be positive US dollars".into(),
        ));
    }
    Ok(())
}

fn settle(outcome: Outcome) -> Result<(), PaymentError> {
    match outcome {
        Outcome::Succeeds | Outcome::RefundsFail => Ok(()),
        Outcome::Declines(code) => Err(declined(
            code,
            match code {
                DeclineCode::InsufficientFunds => "insufficient funds",
                DeclineCode::AccountClosed => "the bank account is closed",
                _ => "the payment was declined",
            },
        )),
    }
}

impl Sandbox {
    pub fn add_billing_method(
        &self,
        reference: &str,
        details: &BillingDetails,
    ) -> Result<ProcessorMethod, PaymentError> {
        match details {
            BillingDetails::Card(card) => {
                let outcome = card_outcome(&card.number)?;
                Ok(ProcessorMethod {
                    exp_month: Some(card.exp_month),
                    exp_year: Some(card.exp_year),
                    ..method(reference, outcome, brand_name(card.brand), card.last4())
                })
            }
            BillingDetails::Bank(bank) => {
                let outcome = bank_outcome(bank)?;
                Ok(method(reference, outcome, "bank_account", bank.last4()))
            }
        }
    }

    pub fn add_payout_method(
        &self,
        reference: &str,
        destination: &PayoutDestination,
    ) -> Result<ProcessorMethod, PaymentError> {
        let outcome = match destination {
            PayoutDestination::UsBank(bank) => bank_outcome(bank)?,
            PayoutDestination::Paypal { email } | PayoutDestination::Payoneer { email }
                if email.eq_ignore_ascii_case(CLOSED_WALLET) =>
            {
                Outcome::Declines(DeclineCode::AccountClosed)
            }
            _ => Outcome::Succeeds,
        };
        let brand = serde_json::to_value(destination.kind())
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let last4 = match destination {
            PayoutDestination::UsBank(bank) => bank.last4(),
            other => other.masked(),
        };
        Ok(method(reference, outcome, &brand, last4))
    }

    pub fn charge(
        &self,
        method_token: &str,
        amount: Money,
        idempotency_key: &str,
    ) -> Result<Charge, PaymentError> {
        let outcome = outcome_of(method_token)?;
        movable(amount)?;
        settle(outcome)?;
        let unrefundable = if outcome == Outcome::RefundsFail {
            UNREFUNDABLE
        } else {
            ""
        };
        let id = format!(
            "{CHARGE_PREFIX}{unrefundable}{}",
            derived("charge", idempotency_key)
        );
        self.note(SandboxEntry::Charged {
            id: id.clone(),
            amount,
        });
        Ok(Charge { id, amount })
    }

    pub fn payout(
        &self,
        method_token: &str,
        amount: Money,
        idempotency_key: &str,
    ) -> Result<Payout, PaymentError> {
        let outcome = outcome_of(method_token)?;
        movable(amount)?;
        settle(outcome)?;
        let id = format!("po_sbx_{}", derived("payout", idempotency_key));
        self.note(SandboxEntry::PaidOut {
            id: id.clone(),
            amount,
        });
        Ok(Payout { id, amount })
    }

    pub fn refund(
        &self,
        charge_id: &str,
        amount: Money,
        idempotency_key: &str,
    ) -> Result<Refund, PaymentError> {
        let Some(charge) = charge_id.strip_prefix(CHARGE_PREFIX) else {
            return Err(PaymentError::Invalid("no such charge".into()));
        };
        movable(amount)?;
        if charge.starts_with(UNREFUNDABLE) {
            return Err(declined(
                DeclineCode::AccountClosed,
                "the card's account is closed: it takes no refunds",
            ));
        }
        self.note(SandboxEntry::Refunded {
            charge_id: charge_id.to_string(),
            amount,
        });
        Ok(Refund {
            id: format!("re_sbx_{}", derived("refund", idempotency_key)),
            charge_id: charge_id.to_string(),
            amount,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::billing::{BankInput, CardInput};
    use chrono::{TimeZone, Utc};

    fn card(number: &str) -> BillingDetails {
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
        let cvc = if number.starts_with('3') {
            "1234"
        } else {
            "123"
        };
        BillingDetails::Card(
            CardInput {
                number: number.into(),
                exp_month: 12,
                exp_year: 2030,
                cvc: cvc.into(),
            }
            .check(now)
            .unwrap(),
        )
    }

    fn bank(account: &str) -> BillingDetails {
        BillingDetails::Bank(
            BankInput {
                routing_number: TEST_ROUTING_NUMBER.into(),
                account_number: account.into(),
                holder_name: "Ann Client".into(),
            }
            .check()
            .unwrap(),
        )
    }

    fn usd(raw: &str) -> Money {
        Money::usd(raw).unwrap()
    }

    fn code(err: PaymentError) -> &'static str {
        match err {
            PaymentError::Declined { code, .. } => code.as_str(),
            other => panic!("not a decline: {other:?}"),
        }
    }

    #[test]
    fn test_cards_behave_as_documented() {
        let sandbox = Sandbox::default();
        let visa = sandbox
            .add_billing_method("bm_1", &card("4242424242424242"))
            .unwrap();
        assert_eq!((visa.brand.as_str(), visa.last4.as_str()), ("visa", "4242"));
        assert_eq!((visa.exp_month, visa.exp_year), (Some(12), Some(2030)));
        assert!(!visa.token.contains("4242424242424242"));
        let amex = sandbox
            .add_billing_method("bm_2", &card("378282246310005"))
            .unwrap();
        assert_eq!(amex.brand, "amex");
        let charge = sandbox.charge(&visa.token, usd("25.00"), "key-1").unwrap();
        assert_eq!(charge.amount, usd("25.00"));

        assert_eq!(
            code(
                sandbox
                    .add_billing_method("bm_3", &card("4000000000000002"))
                    .unwrap_err()
            ),
            "card_declined"
        );
        // A real (Luhn-valid, non-test) card is declined in the sandbox.
        assert_eq!(
            code(
                sandbox
                    .add_billing_method("bm_4", &card("4111111111111111"))
                    .unwrap_err()
            ),
            "card_declined"
        );
        let later = sandbox
            .add_billing_method("bm_5", &card("4000000000000341"))
            .unwrap();
        assert_eq!(
            code(sandbox.charge(&later.token, usd("5"), "k").unwrap_err()),
            "card_declined"
        );
        let poor = sandbox
            .add_billing_method("bm_6", &card("4000000000009995"))
            .unwrap();
        assert_eq!(
            code(sandbox.charge(&poor.token, usd("5"), "k").unwrap_err()),
            "insufficient_funds"
        );
    }

    #[test]
    fn test_bank_accounts_behave_as_documented() {
        let sandbox = Sandbox::default();
        let ok = sandbox
            .add_billing_method("bm_1", &bank("000123456789"))
            .unwrap();
        assert_eq!(
            (ok.brand.as_str(), ok.last4.as_str()),
            ("bank_account", "6789")
        );
        assert!(sandbox.charge(&ok.token, usd("10"), "k").is_ok());
        assert_eq!(
            code(
                sandbox
                    .add_billing_method("bm_2", &bank("000111111113"))
                    .unwrap_err()
            ),
            "bank_account_declined"
        );
        let closed = sandbox
            .add_billing_method("bm_3", &bank("000111111116"))
            .unwrap();
        assert_eq!(
            code(sandbox.charge(&closed.token, usd("10"), "k").unwrap_err()),
            "account_closed"
        );
        assert_eq!(
            code(sandbox.payout(&closed.token, usd("10"), "k").unwrap_err()),
            "account_closed"
        );
        let mut other_bank = bank("000123456789");
        if let BillingDetails::Bank(b) = &mut other_bank {
            b.routing_number = "021000021".into();
        }
        assert!(sandbox.add_billing_method("bm_4", &other_bank).is_err());
    }

    #[test]
    fn same_key_same_charge_other_key_other_charge() {
        let sandbox = Sandbox::default();
        let visa = sandbox
            .add_billing_method("bm_1", &card("4242424242424242"))
            .unwrap();
        let again = sandbox
            .add_billing_method("bm_1", &card("4242424242424242"))
            .unwrap();
        assert_eq!(visa.token, again.token);
        let a = sandbox
            .charge(&visa.token, usd("10"), "transfer-1")
            .unwrap();
        let b = sandbox
            .charge(&visa.token, usd("10"), "transfer-1")
            .unwrap();
        let c = sandbox
            .charge(&visa.token, usd("10"), "transfer-2")
            .unwrap();
        assert_eq!(a.id, b.id);
        assert_ne!(a.id, c.id);
        let r1 = sandbox.refund(&a.id, usd("4"), "refund-1").unwrap();
        assert_eq!(r1, sandbox.refund(&a.id, usd("4"), "refund-1").unwrap());
        assert!(sandbox.refund("ch_live_x", usd("4"), "refund-2").is_err());
        let closed_later = sandbox
            .add_billing_method("bm_3", &card("4000000000005126"))
            .unwrap();
        let kept = sandbox
            .charge(&closed_later.token, usd("10"), "transfer-3")
            .unwrap();
        assert!(matches!(
            sandbox.refund(&kept.id, usd("10"), "refund-3"),
            Err(PaymentError::Declined {
                code: DeclineCode::AccountClosed,
                ..
            })
        ));
        let p1 = sandbox.payout(&visa.token, usd("3"), "payout-1").unwrap();
        assert_eq!(
            p1.id,
            sandbox
                .payout(&visa.token, usd("3"), "payout-1")
                .unwrap()
                .id
        );
    }

    #[test]
    fn nonsense_is_refused_not_panicked_on() {
        let sandbox = Sandbox::default();
        for token in ["", "tok_sbx_", "tok_sbx_weird_x", "pm_123"] {
            assert!(matches!(
                sandbox.charge(token, usd("1"), "k"),
                Err(PaymentError::Invalid(_))
            ));
        }
        let visa = sandbox
            .add_billing_method("bm_1", &card("4242424242424242"))
            .unwrap();
        assert!(matches!(
            sandbox.charge(&visa.token, usd("0"), "k"),
            Err(PaymentError::Invalid(_))
        ));
    }

    #[test]
    fn payout_destinations_are_masked() {
        let sandbox = Sandbox::default();
        let paypal = sandbox
            .add_payout_method(
                "pom_1",
                &PayoutDestination::Paypal {
                    email: "frida@example.com".into(),
                },
            )
            .unwrap();
        assert_eq!(
            (paypal.brand.as_str(), paypal.last4.as_str()),
            ("paypal", "f••@example.com")
        );
        let BillingDetails::Bank(closed) = bank("000111111116") else {
            unreachable!()
        };
        let us = sandbox
            .add_payout_method("pom_2", &PayoutDestination::UsBank(closed))
            .unwrap();
        assert_eq!(us.last4, "1116");
        assert!(sandbox.payout(&us.token, usd("10"), "k").is_err());
        let closed = sandbox
            .add_payout_method(
                "pom_3",
                &PayoutDestination::Payoneer {
                    email: "Closed@Sandbox.test".into(),
                },
            )
            .unwrap();
        assert_eq!(
            code(sandbox.payout(&closed.token, usd("10"), "k").unwrap_err()),
            "account_closed"
        );
        assert!(
            !sandbox
                .journal()
                .iter()
                .any(|e| matches!(e, SandboxEntry::PaidOut { .. })),
            "refused payouts pay nothing"
        );
        assert!(sandbox.payout(&paypal.token, usd("10"), "k").is_ok());
        assert!(sandbox.payout(&paypal.token, usd("10"), "k").is_ok());
        let paid: Vec<_> = sandbox
            .journal()
            .into_iter()
            .filter(|e| matches!(e, SandboxEntry::PaidOut { .. }))
            .collect();
        assert_eq!(paid.len(), 1, "one key, one payout: {paid:?}");
    }
}
