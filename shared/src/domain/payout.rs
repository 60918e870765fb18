//! Payout methods (PRODUCT §9.4): where a freelancer's withdrawals go, and what each way
//! costs. The fee and the minimum of each kind are data (`PayoutCatalogue`), not code, so
//! changing a price is a configuration change.

use super::billing::{pattern, BankDetails, BankInput, HOLDER_NAME};
use super::fees::round_cents;
use super::rules::TextRule;
use super::Violations;
use rust_decimal::Decimal;
use schemars::{JsonSchema, Schema};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::fmt;

pub const BANK_NAME: TextRule = TextRule::new(2, 100);
/// The longest email address (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// IBANs have 15 to 34 characters (ISO 13616); other account numbers 4 to 34.
pub const MIN_IBAN_CHARS: usize = 15;
pub const MIN_ACCOUNT_CHARS: usize = 4;
pub const MAX_ACCOUNT_CHARS: usize = 34;
/// An IBAN starts with the country's two letters and two check digits.
const IBAN_PREFIX_CHARS: usize = 4;
/// A SWIFT/BIC code: 8 characters, or 11 with the branch; the first 6 are letters.
pub const BIC_CHARS: usize = 8;
pub const BIC_BRANCH_CHARS: usize = 3;
const BIC_LETTERS: usize = 6;

fn insert_pattern(schema: &mut Schema, pattern: String, example: &str) {
    schema.insert("pattern".into(), json!(pattern));
    schema.insert("examples".into(), json!([example]));
}

/// What `email_ok` accepts, with the white space `trim` removes around it: printable ASCII,
/// one `@` at least, a dot inside the domain after the first `@`.
pub fn email_pattern() -> String {
    let ws = pattern::TRIMMED;
    // Printable ASCII but `@`; the same without `.` for the ends of the domain.
    let graphic = "[!-?A-~]";
    let edge = "[!-\\-/-?A-~]";
    format!("^{ws}*{graphic}+@(?:{edge}{graphic}*\\.{graphic}*{edge}){ws}*$")
}

fn email_schema(schema: &mut Schema) {
    schema.insert("maxLength".into(), json!(MAX_EMAIL_CHARS));
    insert_pattern(schema, email_pattern(), "frida@example.com");
}

/// Two letters of either case, as `InternationalBankInput::check` normalizes them.
pub fn country_code_pattern() -> String {
    let ws = pattern::TRIMMED;
    format!("^{ws}*[A-Za-z]{{2}}{ws}*$")
}

fn country_code_schema(schema: &mut Schema) {
    insert_pattern(schema, country_code_pattern(), "DE");
}

/// An IBAN (two letters, two digits, 15 to 34 in all) or another account number of 4 to 34
/// letters and digits that does not start like an IBAN; white space anywhere is ignored.
pub fn account_number_pattern() -> String {
    let w = format!("{}*", pattern::TRIMMED);
    let (a, l, d) = ("[A-Za-z0-9]", "[A-Za-z]", "[0-9]");
    let iban_rest = (
        MIN_IBAN_CHARS - IBAN_PREFIX_CHARS,
        MAX_ACCOUNT_CHARS - IBAN_PREFIX_CHARS,
    );
    let other_rest = (
        MIN_ACCOUNT_CHARS - IBAN_PREFIX_CHARS,
        MAX_ACCOUNT_CHARS - IBAN_PREFIX_CHARS,
    );
    let iban = format!(
        "{l}{w}{l}{w}{d}{w}{d}{w}(?:{a}{w}){{{},{}}}",
        iban_rest.0, iban_rest.1
    );
    // Not letter, letter, digit, digit: one of the four places holds the other kind.
    let not_iban = [
        format!("{d}{w}{a}{w}{a}{w}{a}"),
        format!("{a}{w}{d}{w}{a}{w}{a}"),
        format!("{a}{w}{a}{w}{l}{w}{a}"),
        format!("{a}{w}{a}{w}{a}{w}{l}"),
    ]
    .join("|");
    let other = format!(
        "(?:{not_iban}){w}(?:{a}{w}){{{},{}}}",
        other_rest.0, other_rest.1
    );
    format!("^{w}(?:{iban}|{other})$")
}

fn account_number_schema(schema: &mut Schema) {
    insert_pattern(
        schema,
        account_number_pattern(),
        "DE89 3704 0044 0532 0130 00",
    );
}

/// A SWIFT/BIC code of either case, or blank (no code).
pub fn swift_bic_pattern() -> String {
    let ws = pattern::TRIMMED;
    let alnum = "[A-Za-z0-9]";
    format!(
        "^{ws}*(?:[A-Za-z]{{{BIC_LETTERS}}}{alnum}{{{}}}(?:{alnum}{{{BIC_BRANCH_CHARS}}})?)?{ws}*$",
        BIC_CHARS - BIC_LETTERS
    )
}

fn swift_bic_schema(schema: &mut Schema) {
    insert_pattern(schema, swift_bic_pattern(), "DEUTDEFF");
}

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
// Internally tagged enums ignore unknown fields unless told: a stray `default` or
// `owner_id` must be refused, not silently dropped.
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum PayoutMethodInput {
    UsBank {
        bank: BankInput,
    },
    /// Not for US banks (they go by `us_bank`).
    LocalBank {
        bank: InternationalBankInput,
    },
    Paypal {
        #[schemars(transform = email_schema)]
        email: String,
    },
    Payoneer {
        #[schemars(transform = email_schema)]
        email: String,
    },
    /// Needs the bank's `swift_bic`.
    Wire {
        bank: InternationalBankInput,
    },
}

impl fmt::Debug for PayoutMethodInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PayoutMethodInput::{:?}(..)", self.kind())
    }
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InternationalBankInput {
    /// ISO 3166-1 alpha-2 country of the bank, e.g. "DE" (not "US" for `local_bank`).
    #[schemars(transform = country_code_schema)]
    pub country: String,
    #[schemars(transform = BANK_NAME.schema())]
    pub bank_name: String,
    /// An IBAN (with a valid check), or the local account number where IBANs are not used;
    /// spaces are ignored.
    #[schemars(transform = account_number_schema)]
    pub account_number: String,
    /// SWIFT/BIC: required for wires.
    #[serde(default)]
    #[schemars(transform = swift_bic_schema)]
    pub swift_bic: Option<String>,
    #[schemars(transform = HOLDER_NAME.schema())]
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
    !local.is_empty()
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
    (b.len() == BIC_CHARS || b.len() == BIC_CHARS + BIC_BRANCH_CHARS)
        && b[..BIC_LETTERS].iter().all(u8::is_ascii_uppercase)
        && b[BIC_LETTERS..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// The IBAN check (ISO 13616): move the first four characters to the end, letters to
/// numbers, and the result mod 97 must be 1.
pub fn iban_valid(iban: &str) -> bool {
    let b = iban.as_bytes();
    if !(MIN_IBAN_CHARS..=MAX_ACCOUNT_CHARS).contains(&b.len())
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
        let email = |raw: &str| {
            let mut v = Violations::default();
            let email = raw.trim().to_string();
            v.check(
                raw.chars().count() <= MAX_EMAIL_CHARS && email_ok(&email),
                "email",
                "is not an email address",
            );
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
        let bank_name = BANK_NAME.check(&mut v, "bank.bank_name", &self.bank_name);
        let holder_name = HOLDER_NAME.check(&mut v, "bank.holder_name", &self.holder_name);
        let account: String = self
            .account_number
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let looks_like_iban = account.len() >= IBAN_PREFIX_CHARS
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
                (MIN_ACCOUNT_CHARS..=MAX_ACCOUNT_CHARS).contains(&account.len())
                    && account.bytes().all(|b| b.is_ascii_alphanumeric()),
                "bank.account_number",
                format!(
                    "must be an IBAN or {MIN_ACCOUNT_CHARS} to {MAX_ACCOUNT_CHARS} letters and digits"
                ),
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

    fn matches(pattern: &str, candidate: &str) -> bool {
        regex::Regex::new(pattern).unwrap().is_match(candidate)
    }

    fn bank(country: &str, account: &str, bic: Option<&str>) -> InternationalBankInput {
        InternationalBankInput {
            country: country.into(),
            bank_name: "Deutsche Bank".into(),
            account_number: account.into(),
            swift_bic: bic.map(String::from),
            holder_name: "Frida Freelancer".into(),
        }
    }

    fn messages(bank: &InternationalBankInput, field: &str) -> Vec<String> {
        match bank.check(true) {
            Ok(_) => Vec::new(),
            Err(v) => {
                v.0.into_iter()
                    .filter(|v| v.field == field)
                    .map(|v| v.message)
                    .collect()
            }
        }
    }

    #[test]
    fn email_and_country_patterns_match_exactly_what_is_accepted() {
        let long = format!("{}@example.com", "a".repeat(MAX_EMAIL_CHARS - 12));
        let too_long = format!("a{long}");
        let padded = format!(" {long}");
        for email in [
            "frida@example.com",
            " frida@example.com\u{3000}",
            "\u{b}frida@example.com\u{85}",
            "frida",
            "@example.com",
            "a@b",
            "a@.com",
            "a@b.",
            "a@b..c",
            "a b@c.com",
            "a@b@c.com",
            "a@b.c@",
            "fr\u{e9}da@example.com",
            "a!#$%&'*+/=?^_`{|}~-@x.io",
            "a\u{0}@x.io",
            long.as_str(),
            too_long.as_str(),
            padded.as_str(),
            "",
        ] {
            let accepted = PayoutMethodInput::Paypal {
                email: email.into(),
            }
            .check()
            .is_ok();
            let schema_allows =
                matches(&email_pattern(), email) && email.chars().count() <= MAX_EMAIL_CHARS;
            assert_eq!(schema_allows, accepted, "{email:?}");
        }
        for country in ["DE", "de", " dE\t", "D", "DEU", "D1", "\u{c4}E", "", "XX"] {
            let accepted = messages(
                &bank(country, "DE89370400440532013000", Some("DEUTDEFF")),
                "bank.country",
            )
            .is_empty();
            assert_eq!(
                matches(&country_code_pattern(), country),
                accepted,
                "{country:?}"
            );
        }
    }

    #[test]
    fn account_and_bic_patterns_match_what_is_accepted_but_the_iban_check() {
        let iban = "DE89370400440532013000";
        let mut accounts: Vec<String> = [
            iban,
            "DE89 3704 0044 0532 0130 00",
            "de89370400440532013000",
            "\tGB82 WEST 1234 5698 7654 32\n",
            "DE89370400440532013001",
            "DE89",
            "DE8937040044053",
            "DE893704004405",
            "1234",
            "123",
            "12AB",
            "A1B2C3",
            "AB1C",
            "ABC1",
            "AB12-34",
            "\u{c4}B12345678901234",
            "",
        ]
        .map(String::from)
        .to_vec();
        accounts.push("A1".repeat(17));
        accounts.push(format!("{}1", "A1".repeat(17)));
        accounts.push(format!("DE89{}", "0".repeat(30)));
        accounts.push(format!("DE89{}", "0".repeat(31)));
        for account in &accounts {
            let refused = messages(
                &bank("DE", account, Some("DEUTDEFF")),
                "bank.account_number",
            );
            let cleaned: String = account.chars().filter(|c| !c.is_whitespace()).collect();
            let checksum_only = refused == ["is not a valid IBAN"]
                && (MIN_IBAN_CHARS..=MAX_ACCOUNT_CHARS).contains(&cleaned.len())
                && cleaned.bytes().all(|b| b.is_ascii_alphanumeric());
            assert_eq!(
                matches(&account_number_pattern(), account),
                refused.is_empty() || checksum_only,
                "{account:?}: {refused:?}"
            );
        }
        for bic in [
            "DEUTDEFF",
            "deutdeff500",
            " DEUTDEFF ",
            "DEUT1EFF",
            "DEUTDEF",
            "DEUTDEFF5",
            "DEUTDEFF50",
            "DEUTDEFF5000",
            "\u{c4}\u{c4}\u{c4}\u{c4}DEFF",
            "",
            "  ",
        ] {
            let refused = messages(&bank("DE", iban, Some(bic)), "bank.swift_bic");
            // A blank code is no code, which a wire refuses for want of one, not for its form.
            let accepted = refused.is_empty() || refused == ["is required for wires"];
            assert_eq!(matches(&swift_bic_pattern(), bic), accepted, "{bic:?}");
        }
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
