//! Payout methods (PRODUCT §9.4): where a freelancer's withdrawals go, and what each way
//! costs. The fee and the minimum of each kind are data (`PayoutCatalogue`), not code, so
//! changing a price is a configuration change.

use super::billing::{BankDetails, BankInput};
use super::fees::round_cents;
use super::{text, Violations};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PayoutKind {
    /// ACH to a US bank account.
    UsBank,
    /// A bank account outside the US, paid in local currency.
    LocalBank,
    Paypal,
    Payoneer,
    /// An international wire (SWIFT).
    Wire,
}

/// The price of one withdrawal by one kind of method, in USD.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PayoutTerms {
    pub kind: PayoutKind,
    /// Charged per withdrawal, taken from the amount withdrawn.
    #[schemars(with = "String")]
    pub fee: Decimal,
    /// The smallest withdrawal accepted.
    #[schemars(with = "String")]
    pub minimum: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutCatalogue {
    terms: Vec<PayoutTerms>,
}

impl PayoutCatalogue {
    /// §9.4: US bank free; local bank $0.99 (minimum $5); PayPal and Payoneer $2; wire $30.
    pub fn standard() -> Self {
        let terms = |kind, fee: &str, minimum: &str| PayoutTerms {
            kind,
            fee: fee.parse().expect("literal"),
            minimum: minimum.parse().expect("literal"),
        };
        Self {
            terms: vec![
                terms(PayoutKind::UsBank, "0.00", "1.00"),
                terms(PayoutKind::LocalBank, "0.99", "5.00"),
                terms(PayoutKind::Paypal, "2.00", "5.00"),
                terms(PayoutKind::Payoneer, "2.00", "5.00"),
                terms(PayoutKind::Wire, "30.00", "100.00"),
            ],
        }
    }

    /// A catalogue from configuration: every kind priced once, the minimum above the fee.
    pub fn new(terms: Vec<PayoutTerms>) -> Result<Self, String> {
        for kind in [
            PayoutKind::UsBank,
            PayoutKind::LocalBank,
            PayoutKind::Paypal,
            PayoutKind::Payoneer,
            PayoutKind::Wire,
        ] {
            let priced: Vec<_> = terms.iter().filter(|t| t.kind == kind).collect();
            match priced.as_slice() {
                [t] if t.fee >= Decimal::ZERO && t.minimum > t.fee => {}
                [_] => {
                    return Err(format!(
                        "{kind:?}: the minimum must exceed a non-negative fee"
                    ))
                }
                _ => return Err(format!("{kind:?} must be priced exactly once")),
            }
        }
        Ok(Self { terms })
    }

    pub fn terms(&self, kind: PayoutKind) -> &PayoutTerms {
        self.terms
            .iter()
            .find(|t| t.kind == kind)
            .expect("every kind is priced (checked when built)")
    }
}

/// A withdrawal of `amount` priced: what leaves the balance, the fee, and what arrives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct WithdrawalQuote {
    #[schemars(with = "String")]
    pub amount: Decimal,
    #[schemars(with = "String")]
    pub fee: Decimal,
    #[schemars(with = "String")]
    pub net: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PayoutRuleViolation {
    #[error("the minimum withdrawal by this method is {0}")]
    BelowMinimum(Decimal),
}

/// Prices a withdrawal (for the lead's withdrawals): refused below the method's minimum.
pub fn quote(terms: &PayoutTerms, amount: Decimal) -> Result<WithdrawalQuote, PayoutRuleViolation> {
    if amount < terms.minimum {
        return Err(PayoutRuleViolation::BelowMinimum(terms.minimum));
    }
    let amount = round_cents(amount);
    let fee = round_cents(terms.fee);
    Ok(WithdrawalQuote {
        amount,
        fee,
        net: amount - fee,
    })
}

/// A new payout method as the freelancer sends it.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PayoutMethodInput {
    UsBank { bank: BankInput },
    LocalBank { bank: InternationalBankInput },
    Paypal { email: String },
    Payoneer { email: String },
    Wire { bank: InternationalBankInput },
}

impl fmt::Debug for PayoutMethodInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PayoutMethodInput::{:?}(..)", self.kind())
    }
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InternationalBankInput {
    /// ISO 3166-1 alpha-2 country of the bank, e.g. "DE".
    pub country: String,
    pub bank_name: String,
    /// An IBAN, or the local account number where IBANs are not used.
    pub account_number: String,
    /// SWIFT/BIC: required for wires.
    #[serde(default)]
    pub swift_bic: Option<String>,
    pub holder_name: String,
}

/// A payout destination that passed every check that needs no processor.
#[derive(Clone, PartialEq, Eq)]
pub enum PayoutDestination {
    UsBank(BankDetails),
    LocalBank(InternationalBank),
    Paypal { email: String },
    Payoneer { email: String },
    Wire(InternationalBank),
}

#[derive(Clone, PartialEq, Eq)]
pub struct InternationalBank {
    pub country: String,
    pub bank_name: String,
    pub account_number: String,
    pub swift_bic: Option<String>,
    pub holder_name: String,
}

impl fmt::Debug for InternationalBank {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Bank({} …{})",
            self.country,
            super::billing::last4(&self.account_number)
        )
    }
}

impl fmt::Debug for PayoutDestination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PayoutDestination::{:?}({})", self.kind(), self.masked())
    }
}

impl PayoutDestination {
    pub fn kind(&self) -> PayoutKind {
        match self {
            PayoutDestination::UsBank(_) => PayoutKind::UsBank,
            PayoutDestination::LocalBank(_) => PayoutKind::LocalBank,
            PayoutDestination::Paypal { .. } => PayoutKind::Paypal,
            PayoutDestination::Payoneer { .. } => PayoutKind::Payoneer,
            PayoutDestination::Wire(_) => PayoutKind::Wire,
        }
    }

    /// What may be shown and stored: the last four of an account, or a masked email.
    pub fn masked(&self) -> String {
        match self {
            PayoutDestination::UsBank(bank) => format!("…{}", bank.last4()),
            PayoutDestination::LocalBank(bank) | PayoutDestination::Wire(bank) => format!(
                "{} …{}",
                bank.country,
                super::billing::last4(&bank.account_number)
            ),
            PayoutDestination::Paypal { email } | PayoutDestination::Payoneer { email } => {
                mask_email(email)
            }
        }
    }
}

/// `ann@example.com` → `a••@example.com`: enough to recognise, not enough to harvest.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}••@{domain}")
        }
        None => "••".into(),
    }
}

fn email_ok(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && email.chars().all(|c| c.is_ascii_graphic())
}

fn country_ok(country: &str) -> bool {
    country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase())
}

/// SWIFT/BIC: bank (4 letters), country (2 letters), location (2), optional branch (3).
pub fn swift_bic_valid(bic: &str) -> bool {
    let b = bic.as_bytes();
    (b.len() == 8 || b.len() == 11)
        && b[..6].iter().all(u8::is_ascii_uppercase)
        && b[6..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// The IBAN check (ISO 13616): move the first four characters to the end, letters to
/// numbers, and the result mod 97 must be 1.
pub fn iban_valid(iban: &str) -> bool {
    let b = iban.as_bytes();
    if !(15..=34).contains(&b.len())
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[2..4].iter().all(u8::is_ascii_digit)
        || !b
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return false;
    }
    let mut remainder = 0u32;
    for &c in b[4..].iter().chain(&b[..4]) {
        let value = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c - b'A') + 10
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

impl PayoutMethodInput {
    pub fn kind(&self) -> PayoutKind {
        match self {
            PayoutMethodInput::UsBank { .. } => PayoutKind::UsBank,
            PayoutMethodInput::LocalBank { .. } => PayoutKind::LocalBank,
            PayoutMethodInput::Paypal { .. } => PayoutKind::Paypal,
            PayoutMethodInput::Payoneer { .. } => PayoutKind::Payoneer,
            PayoutMethodInput::Wire { .. } => PayoutKind::Wire,
        }
    }

    pub fn check(&self) -> Result<PayoutDestination, Violations> {
        let email = |email: &str| {
            let mut v = Violations::default();
            let email = email.trim().to_string();
            v.check(email_ok(&email), "email", "is not an email address");
            v.into_result().map(|()| email)
        };
        match self {
            PayoutMethodInput::UsBank { bank } => bank.check().map(PayoutDestination::UsBank),
            PayoutMethodInput::LocalBank { bank } => {
                bank.check(false).map(PayoutDestination::LocalBank)
            }
            PayoutMethodInput::Wire { bank } => bank.check(true).map(PayoutDestination::Wire),
            PayoutMethodInput::Paypal { email: raw } => {
                email(raw).map(|email| PayoutDestination::Paypal { email })
            }
            PayoutMethodInput::Payoneer { email: raw } => {
                email(raw).map(|email| PayoutDestination::Payoneer { email })
            }
        }
    }
}

impl InternationalBankInput {
    fn check(&self, wire: bool) -> Result<InternationalBank, Violations> {
        let mut v = Violations::default();
        let country = self.country.trim().to_ascii_uppercase();
        v.check(
            country_ok(&country),
            "bank.country",
            "must be a two-letter country code",
        );
        if !wire && country == "US" {
            v.push(
                "bank.country",
                "US accounts are paid by the free us_bank method",
            );
        }
        let bank_name = text(&mut v, "bank.bank_name", &self.bank_name, 2, 100);
        let holder_name = text(&mut v, "bank.holder_name", &self.holder_name, 2, 100);
        let account: String = self
            .account_number
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let looks_like_iban = account.len() >= 4
            && account.as_bytes()[..2].iter().all(u8::is_ascii_uppercase)
            && account.as_bytes()[2..4].iter().all(u8::is_ascii_digit);
        if looks_like_iban {
            v.check(
                iban_valid(&account),
                "bank.account_number",
                "is not a valid IBAN",
            );
        } else {
            v.check(
                (4..=34).contains(&account.len())
                    && account.bytes().all(|b| b.is_ascii_alphanumeric()),
                "bank.account_number",
                "must be an IBAN or 4 to 34 letters and digits",
            );
        }
        let swift_bic = self
            .swift_bic
            .as_deref()
            .map(|bic| bic.trim().to_ascii_uppercase())
            .filter(|bic| !bic.is_empty());
        match &swift_bic {
            Some(bic) => v.check(
                swift_bic_valid(bic),
                "bank.swift_bic",
                "is not a SWIFT/BIC code",
            ),
            None if wire => v.push("bank.swift_bic", "is required for wires"),
            None => {}
        }
        v.into_result()?;
        Ok(InternationalBank {
            country,
            bank_name,
            account_number: account,
            swift_bic,
            holder_name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(raw: &str) -> Decimal {
        raw.parse().unwrap()
    }

    #[test]
    fn every_kind_has_its_price() {
        let catalogue = PayoutCatalogue::standard();
        assert_eq!(catalogue.terms(PayoutKind::UsBank).fee, Decimal::ZERO);
        let local = catalogue.terms(PayoutKind::LocalBank);
        assert_eq!((local.fee, local.minimum), (usd("0.99"), usd("5.00")));
        assert_eq!(catalogue.terms(PayoutKind::Wire).fee, usd("30.00"));
        assert_eq!(
            PayoutCatalogue::new(catalogue.terms.clone()),
            Ok(catalogue.clone())
        );
        let mut missing = catalogue.terms.clone();
        missing.pop();
        assert!(PayoutCatalogue::new(missing).is_err());
        let mut free_lunch = catalogue.terms.clone();
        free_lunch[4].minimum = usd("10");
        assert!(PayoutCatalogue::new(free_lunch).is_err());
    }

    #[test]
    fn withdrawals_pay_the_fee_and_respect_the_minimum() {
        let catalogue = PayoutCatalogue::standard();
        let local = catalogue.terms(PayoutKind::LocalBank);
        let q = quote(local, usd("100")).unwrap();
        assert_eq!(
            (q.amount, q.fee, q.net),
            (usd("100.00"), usd("0.99"), usd("99.01"))
        );
        assert_eq!(
            quote(local, usd("4.99")),
            Err(PayoutRuleViolation::BelowMinimum(usd("5.00")))
        );
        assert_eq!(
            quote(catalogue.terms(PayoutKind::UsBank), usd("1"))
                .unwrap()
                .net,
            usd("1.00")
        );
    }

    #[test]
    fn ibans_and_bics() {
        assert!(iban_valid("DE89370400440532013000"));
        assert!(iban_valid("GB82WEST12345698765432"));
        assert!(!iban_valid("DE89370400440532013001"));
        assert!(!iban_valid("DE89"));
        assert!(swift_bic_valid("DEUTDEFF"));
        assert!(swift_bic_valid("DEUTDEFF500"));
        assert!(!swift_bic_valid("DEUT1EFF"));
        assert!(!swift_bic_valid("ÄÄÄÄ"));
    }

    #[test]
    fn destinations_are_checked_and_masked() {
        let input: PayoutMethodInput = serde_json::from_value(serde_json::json!({
            "type": "wire",
            "bank": {"country": "de", "bank_name": "Deutsche Bank", "account_number": "DE89 3704 0044 0532 0130 00",
                     "swift_bic": "deutdeff", "holder_name": "Frida Freelancer"}
        }))
        .unwrap();
        let wire = input.check().unwrap();
        assert_eq!(wire.masked(), "DE …3000");
        assert_eq!(wire.kind(), PayoutKind::Wire);
        let no_bic: PayoutMethodInput = serde_json::from_value(serde_json::json!({
            "type": "wire",
            "bank": {"country": "DE", "bank_name": "Deutsche Bank", "account_number": "DE89370400440532013000",
                     "holder_name": "Frida Freelancer"}
        }))
        .unwrap();
        let fields: Vec<_> = no_bic
            .check()
            .unwrap_err()
            .0
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(fields, ["bank.swift_bic"]);
        let paypal = PayoutMethodInput::Paypal {
            email: "frida@example.com".into(),
        };
        assert_eq!(paypal.check().unwrap().masked(), "f••@example.com");
        for bad in ["frida", "@example.com", "a@b", "a@.com", "a b@c.com"] {
            assert!(
                PayoutMethodInput::Payoneer { email: bad.into() }
                    .check()
                    .is_err(),
                "{bad}"
            );
        }
        assert!(!format!("{:?}", wire).contains("0532"));
    }
}
