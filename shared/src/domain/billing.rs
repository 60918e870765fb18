//! Billing methods (PRODUCT §2.2, §7.2): the cards and bank accounts clients pay with, checked
//! before they reach the payment processor. Only the processor ever sees a full number; what
//! Worklane keeps is its token, the brand, the last four digits and the expiry.

use super::{text, Violations};
use chrono::{DateTime, Datelike, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A card expiring later than this many years ahead is a typo, not a card.
const MAX_CARD_YEARS_AHEAD: i32 = 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BillingMethodKind {
    Card,
    BankAccount,
}

/// A new billing method as the client sends it.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BillingMethodInput {
    Card { card: CardInput },
    BankAccount { bank: BankInput },
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CardInput {
    /// The card number (spaces and dashes are ignored). Sent to the processor, never stored.
    pub number: String,
    pub exp_month: u32,
    /// Four digits, e.g. 2030.
    pub exp_year: u32,
    pub cvc: String,
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BankInput {
    /// US ABA routing number, 9 digits.
    pub routing_number: String,
    pub account_number: String,
    pub holder_name: String,
}

// Hand-written so that a stray `{:?}` can never put a card or account number in a log.
impl fmt::Debug for BillingMethodInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BillingMethodInput::Card { .. } => f.write_str("BillingMethodInput::Card(..)"),
            BillingMethodInput::BankAccount { .. } => {
                f.write_str("BillingMethodInput::BankAccount(..)")
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CardBrand {
    Visa,
    Mastercard,
    Amex,
    Discover,
    Unknown,
}

impl CardBrand {
    /// From the number's leading digits (its IIN range).
    pub fn of(digits: &str) -> Self {
        let prefix = |n: usize| digits.get(..n).and_then(|p| p.parse::<u32>().ok());
        match (prefix(1), prefix(2), prefix(4)) {
            (Some(4), _, _) => CardBrand::Visa,
            (_, Some(34 | 37), _) => CardBrand::Amex,
            (_, Some(51..=55), _) | (_, _, Some(2221..=2720)) => CardBrand::Mastercard,
            (_, Some(65), _) | (_, _, Some(6011)) => CardBrand::Discover,
            _ => CardBrand::Unknown,
        }
    }
}

/// A card that passed every check that needs no processor.
#[derive(Clone, PartialEq, Eq)]
pub struct CardDetails {
    pub number: String,
    pub exp_month: u32,
    pub exp_year: i32,
    pub cvc: String,
    pub brand: CardBrand,
}

impl CardDetails {
    pub fn last4(&self) -> String {
        last4(&self.number)
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct BankDetails {
    pub routing_number: String,
    pub account_number: String,
    pub holder_name: String,
}

impl BankDetails {
    pub fn last4(&self) -> String {
        last4(&self.account_number)
    }
}

/// What is handed to the processor: checked, but still secret.
#[derive(Clone, PartialEq, Eq)]
pub enum BillingDetails {
    Card(CardDetails),
    Bank(BankDetails),
}

impl fmt::Debug for CardDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Card({:?} …{})", self.brand, self.last4())
    }
}

impl fmt::Debug for BankDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bank(…{})", self.last4())
    }
}

impl fmt::Debug for BillingDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BillingDetails::Card(card) => card.fmt(f),
            BillingDetails::Bank(bank) => bank.fmt(f),
        }
    }
}

impl BillingDetails {
    pub fn kind(&self) -> BillingMethodKind {
        match self {
            BillingDetails::Card(_) => BillingMethodKind::Card,
            BillingDetails::Bank(_) => BillingMethodKind::BankAccount,
        }
    }
}

pub fn last4(digits: &str) -> String {
    let start = digits.len().saturating_sub(4);
    digits.get(start..).unwrap_or_default().to_string()
}

/// The digits of a number typed with optional spaces or dashes; `None` if anything else.
fn digits_of(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(|c| *c != ' ' && *c != '-').collect();
    (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

/// The Luhn checksum every card number carries, which catches typos before any charge.
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(c.wrapping_sub(b'0'));
        if d > 9 {
            return false;
        }
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum % 10 == 0
}

/// The ABA routing number checksum (weights 3, 7, 1).
pub fn aba_routing_valid(digits: &str) -> bool {
    digits.len() == 9
        && digits.bytes().all(|b| b.is_ascii_digit())
        && digits
            .bytes()
            .zip([3, 7, 1].iter().cycle())
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum::<u32>()
            % 10
            == 0
}

/// Whether a card is past its expiry month at `now` (cards work through their last month).
pub fn card_expired(exp_month: u32, exp_year: i32, now: DateTime<Utc>) -> bool {
    (exp_year, exp_month) < (now.year(), now.month())
}

impl BillingMethodInput {
    pub fn check(&self, now: DateTime<Utc>) -> Result<BillingDetails, Violations> {
        match self {
            BillingMethodInput::Card { card } => card.check(now).map(BillingDetails::Card),
            BillingMethodInput::BankAccount { bank } => bank.check().map(BillingDetails::Bank),
        }
    }
}

impl CardInput {
    pub fn check(&self, now: DateTime<Utc>) -> Result<CardDetails, Violations> {
        let mut v = Violations::default();
        let number = digits_of(&self.number).unwrap_or_default();
        let brand = CardBrand::of(&number);
        if !(12..=19).contains(&number.len()) {
            v.push("card.number", "must be 12 to 19 digits");
        } else if !luhn_valid(&number) {
            v.push(
                "card.number",
                "is not a valid card number (check the digits)",
            );
        }
        v.check(
            (1..=12).contains(&self.exp_month),
            "card.exp_month",
            "must be 1 to 12",
        );
        let exp_year = i32::try_from(self.exp_year).unwrap_or(i32::MAX);
        if exp_year > now.year() + MAX_CARD_YEARS_AHEAD || exp_year < 2000 {
            v.push("card.exp_year", "must be a four-digit year");
        } else if (1..=12).contains(&self.exp_month) && card_expired(self.exp_month, exp_year, now)
        {
            v.push("card.exp_year", "the card has expired");
        }
        let cvc_len = if brand == CardBrand::Amex { 4 } else { 3 };
        v.check(
            self.cvc.len() == cvc_len && self.cvc.bytes().all(|b| b.is_ascii_digit()),
            "card.cvc",
            format!("must be {cvc_len} digits"),
        );
        v.into_result()?;
        Ok(CardDetails {
            number,
            exp_month: self.exp_month,
            exp_year,
            cvc: self.cvc.clone(),
            brand,
        })
    }
}

impl BankInput {
    pub fn check(&self) -> Result<BankDetails, Violations> {
        let mut v = Violations::default();
        let routing = digits_of(&self.routing_number).unwrap_or_default();
        v.check(
            aba_routing_valid(&routing),
            "bank.routing_number",
            "is not a valid 9-digit routing number",
        );
        let account = digits_of(&self.account_number).unwrap_or_default();
        v.check(
            (4..=17).contains(&account.len()),
            "bank.account_number",
            "must be 4 to 17 digits",
        );
        let holder_name = text(&mut v, "bank.holder_name", &self.holder_name, 2, 100);
        v.into_result()?;
        Ok(BankDetails {
            routing_number: routing,
            account_number: account,
            holder_name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 15, 12, 0, 0).unwrap()
    }

    fn card(number: &str, month: u32, year: u32, cvc: &str) -> CardInput {
        CardInput {
            number: number.into(),
            exp_month: month,
            exp_year: year,
            cvc: cvc.into(),
        }
    }

    fn fields(err: Violations) -> Vec<String> {
        err.0.into_iter().map(|v| v.field).collect()
    }

    #[test]
    fn luhn_and_brands() {
        for (number, brand) in [
            ("4242424242424242", CardBrand::Visa),
            ("5555555555554444", CardBrand::Mastercard),
            ("2223003122003222", CardBrand::Mastercard),
            ("378282246310005", CardBrand::Amex),
            ("6011111111111117", CardBrand::Discover),
        ] {
            assert!(luhn_valid(number), "{number}");
            assert_eq!(CardBrand::of(number), brand, "{number}");
        }
        assert!(!luhn_valid("4242424242424241"));
        assert!(!luhn_valid(""));
        assert!(!luhn_valid("42a2"));
        assert_eq!(CardBrand::of(""), CardBrand::Unknown);
    }

    #[test]
    fn cards_are_checked_before_the_processor_sees_them() {
        let ok = card("4242 4242 4242 4242", 12, 2030, "123")
            .check(now())
            .unwrap();
        assert_eq!(
            (ok.number.as_str(), ok.last4().as_str()),
            ("4242424242424242", "4242")
        );
        assert_eq!(
            fields(
                card("4242424242424241", 12, 2030, "123")
                    .check(now())
                    .unwrap_err()
            ),
            ["card.number"]
        );
        assert_eq!(
            fields(card("42", 13, 2026, "12").check(now()).unwrap_err()),
            ["card.number", "card.exp_month", "card.cvc"]
        );
        // The current month still works; the one before has expired.
        assert!(card("4242424242424242", 6, 2026, "123")
            .check(now())
            .is_ok());
        assert_eq!(
            fields(
                card("4242424242424242", 5, 2026, "123")
                    .check(now())
                    .unwrap_err()
            ),
            ["card.exp_year"]
        );
        assert!(card("4242424242424242", 1, 30, "123").check(now()).is_err());
        assert!(card("4242424242424242", 1, u32::MAX, "123")
            .check(now())
            .is_err());
        assert!(card("378282246310005", 1, 2030, "1234")
            .check(now())
            .is_ok());
        assert!(card("378282246310005", 1, 2030, "123")
            .check(now())
            .is_err());
        assert!(card("४२४२४२४२४२४२४२४२", 1, 2030, "123")
            .check(now())
            .is_err());
    }

    #[test]
    fn bank_accounts_need_a_valid_routing_number() {
        let bank = |routing: &str, account: &str, holder: &str| BankInput {
            routing_number: routing.into(),
            account_number: account.into(),
            holder_name: holder.into(),
        };
        let ok = bank("110000000", "000123456789", "Ann Client")
            .check()
            .unwrap();
        assert_eq!(ok.last4(), "6789");
        assert!(aba_routing_valid("021000021"));
        assert_eq!(
            fields(bank("110000001", "12", " ").check().unwrap_err()),
            [
                "bank.routing_number",
                "bank.account_number",
                "bank.holder_name"
            ]
        );
    }

    #[test]
    fn debug_output_never_shows_the_number() {
        let details = BillingDetails::Card(
            card("4242424242424242", 12, 2030, "123")
                .check(now())
                .unwrap(),
        );
        let shown = format!("{details:?}");
        assert!(
            !shown.contains("42424242") && shown.contains("4242"),
            "{shown}"
        );
        let input: BillingMethodInput = serde_json::from_value(serde_json::json!({
            "type": "card", "card": {"number": "4242424242424242", "exp_month": 1, "exp_year": 2030, "cvc": "123"}
        }))
        .unwrap();
        assert!(!format!("{input:?}").contains("4242"));
    }
}
