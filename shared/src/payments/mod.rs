//! The payment processor port: the only way money enters or leaves Worklane (card and bank
//! charges, payouts, refunds). Handlers and the ledger call `PaymentProcessor`; which
//! processor stands behind it is configuration (`AppConfig::payments`).
//!
//! Only the **sandbox** exists today: a stand-in that behaves like a card processor's test
//! mode (fixed test numbers with fixed outcomes, nothing real ever moves). It is never allowed
//! in the `prod` stage (`AppConfig::from_env` refuses to start). A real processor is one more
//! variant here, with the same four operations.
//!
//! Every money-moving call takes an idempotency key, forwarded to the processor, so a retried
//! request never charges twice; callers derive it from the ledger transfer it pays for.

pub mod sandbox;

use crate::domain::billing::{BillingDetails, CardBrand};
use crate::domain::money::Money;
use crate::domain::payout::PayoutDestination;
use serde::{Deserialize, Serialize};

/// Which processor the functions talk to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentsKind {
    /// Test mode: test card numbers, deterministic outcomes, no real money. Local and dev only.
    Sandbox,
    /// No processor configured: every payment call answers "unavailable" (503) instead of
    /// pretending. What a stage gets until a real processor is wired in.
    Disabled,
}

/// What the processor gives back for a stored method: never the number itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessorMethod {
    /// The processor's handle for charging or paying out later.
    pub token: String,
    /// Card brand, or the kind of account for banks and wallets.
    pub brand: String,
    /// The last four digits, or a masked address for wallets.
    pub last4: String,
    pub exp_month: Option<u32>,
    pub exp_year: Option<i32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    pub id: String,
    pub amount: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payout {
    pub id: String,
    pub amount: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub id: String,
    pub charge_id: String,
    pub amount: Money,
}

/// Why the processor refused. `code`s are the stable codes apps see in the problem body.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// The issuer or bank said no; the caller should use another method.
    #[error("{message}")]
    Declined { code: DeclineCode, message: String },
    /// The request named something the processor does not know (a token, a charge).
    #[error("{0}")]
    Invalid(String),
    /// No processor, or it is down: try again later.
    #[error("payments are unavailable")]
    Unavailable,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeclineCode {
    CardDeclined,
    InsufficientFunds,
    BankAccountDeclined,
    AccountClosed,
}

impl DeclineCode {
    pub fn as_str(self) -> &'static str {
        match self {
            DeclineCode::CardDeclined => "card_declined",
            DeclineCode::InsufficientFunds => "insufficient_funds",
            DeclineCode::BankAccountDeclined => "bank_account_declined",
            DeclineCode::AccountClosed => "account_closed",
        }
    }
}

/// The port. An enum rather than a trait object: the set of processors is closed and known at
/// build time, and async methods stay plain.
#[derive(Clone, Debug)]
pub enum PaymentProcessor {
    Sandbox(sandbox::Sandbox),
    Disabled,
}

impl PaymentProcessor {
    /// What the sandbox did in this process (empty for other processors): for tests.
    pub fn sandbox_journal(&self) -> Vec<sandbox::SandboxEntry> {
        match self {
            PaymentProcessor::Sandbox(sandbox) => sandbox.journal(),
            PaymentProcessor::Disabled => Vec::new(),
        }
    }

    pub fn new(kind: PaymentsKind) -> Self {
        match kind {
            PaymentsKind::Sandbox => PaymentProcessor::Sandbox(sandbox::Sandbox::default()),
            PaymentsKind::Disabled => PaymentProcessor::Disabled,
        }
    }

    /// Vaults a card or bank account for later charges. `reference` is Worklane's id for the
    /// method (processors attach it as metadata; the sandbox derives the token from it).
    pub async fn add_billing_method(
        &self,
        reference: &str,
        details: &BillingDetails,
    ) -> Result<ProcessorMethod, PaymentError> {
        match self {
            PaymentProcessor::Sandbox(sandbox) => sandbox.add_billing_method(reference, details),
            PaymentProcessor::Disabled => Err(PaymentError::Unavailable),
        }
    }

    /// Registers a withdrawal destination.
    pub async fn add_payout_method(
        &self,
        reference: &str,
        destination: &PayoutDestination,
    ) -> Result<ProcessorMethod, PaymentError> {
        match self {
            PaymentProcessor::Sandbox(sandbox) => sandbox.add_payout_method(reference, destination),
            PaymentProcessor::Disabled => Err(PaymentError::Unavailable),
        }
    }

    /// Charges a vaulted billing method. The same `idempotency_key` always answers with the
    /// same charge.
    pub async fn charge(
        &self,
        method_token: &str,
        amount: Money,
        idempotency_key: &str,
    ) -> Result<Charge, PaymentError> {
        match self {
            PaymentProcessor::Sandbox(sandbox) => {
                sandbox.charge(method_token, amount, idempotency_key)
            }
            PaymentProcessor::Disabled => Err(PaymentError::Unavailable),
        }
    }

    /// Sends money to a payout method.
    pub async fn payout(
        &self,
        method_token: &str,
        amount: Money,
        idempotency_key: &str,
    ) -> Result<Payout, PaymentError> {
        match self {
            PaymentProcessor::Sandbox(sandbox) => {
                sandbox.payout(method_token, amount, idempotency_key)
            }
            PaymentProcessor::Disabled => Err(PaymentError::Unavailable),
        }
    }

    /// Gives (part of) a charge back to the card or account it came from.
    pub async fn refund(
        &self,
        charge_id: &str,
        amount: Money,
        idempotency_key: &str,
    ) -> Result<Refund, PaymentError> {
        match self {
            PaymentProcessor::Sandbox(sandbox) => {
                sandbox.refund(charge_id, amount, idempotency_key)
            }
            PaymentProcessor::Disabled => Err(PaymentError::Unavailable),
        }
    }
}

/// How a card brand reads in a processor answer.
pub(crate) fn brand_name(brand: CardBrand) -> &'static str {
    match brand {
        CardBrand::Visa => "visa",
        CardBrand::Mastercard => "mastercard",
        CardBrand::Amex => "amex",
        CardBrand::Discover => "discover",
        CardBrand::Unknown => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{check_payments, ConfigError};

    #[test]
    fn the_sandbox_never_runs_in_prod() {
        assert!(matches!(
            check_payments("prod", PaymentsKind::Sandbox),
            Err(ConfigError::SandboxInProd)
        ));
        assert!(check_payments("prod", PaymentsKind::Disabled).is_ok());
        assert!(check_payments("dev", PaymentsKind::Sandbox).is_ok());
        assert!(check_payments("local", PaymentsKind::Sandbox).is_ok());
    }

    #[tokio::test]
    async fn a_disabled_processor_is_unavailable_never_a_fake_success() {
        let disabled = PaymentProcessor::new(PaymentsKind::Disabled);
        let err = disabled
            .charge("tok_sbx_ok_x", Money::usd("1").unwrap(), "k")
            .await
            .unwrap_err();
        assert_eq!(err, PaymentError::Unavailable);
    }
}
