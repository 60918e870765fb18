//! Billing methods (PRODUCT §2.2, §7.2): the cards and bank accounts clients pay with, checked
//! before they reach the payment processor. Only the processor ever sees a full number; what
//! Worklane keeps is its token, the brand, the last four digits and the expiry.

use super::rules::TextRule;
use super::Violations;
use chrono::{DateTime, Datelike, Utc};
use schemars::{JsonSchema, Schema};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::fmt;

/// A card expiring later than this many years ahead is a typo, not a card.
const MAX_CARD_YEARS_AHEAD: i32 = 20;
/// Card numbers have 12 to 19 digits (ISO/IEC 7812).
pub const MIN_CARD_DIGITS: usize = 12;
pub const MAX_CARD_DIGITS: usize = 19;
pub const FIRST_MONTH: u32 = 1;
pub const LAST_MONTH: u32 = 12;
/// Expiry years are four digits; how far ahead one may be also depends on today.
pub const MIN_CARD_YEAR: u32 = 2000;
pub const MAX_CARD_YEAR: u32 = 9999;
/// The security code: 3 digits, 4 on American Express cards.
pub const CVC_DIGITS: usize = 3;
pub const AMEX_CVC_DIGITS: usize = 4;
/// ABA routing numbers have 9 digits.
pub const ROUTING_DIGITS: usize = 9;
/// US bank account numbers have 4 to 17 digits.
pub const MIN_ACCOUNT_DIGITS: usize = 4;
pub const MAX_ACCOUNT_DIGITS: usize = 17;
/// The name on a bank account (US or international).
pub const HOLDER_NAME: TextRule = TextRule::new(2, 100);

/// Regular-expression pieces for the patterns of this and the neighbouring modules, written
/// for every dialect that reads the document (see `rules`): explicit classes, no `\s`.
pub(crate) mod pattern {
    /// What `str::trim` removes (Unicode White_Space), control characters included.
    pub const TRIMMED: &str = r"[\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";
    /// The white space a free text (`TextRule`) may start or end with: no control characters.
    pub const TEXT_SPACE: &str = r"[\t\n\r \xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";
    /// A character of a free text that is neither white space nor a control character, and
    /// none of `extra` (characters to leave out, already escaped for a class).
    pub fn ink_except(extra: &str) -> String {
        format!(r"[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000{extra}]")
    }
}

/// `min` to `max` digits, with spaces and dashes anywhere (as `digits_of` reads them).
fn typed_digits_pattern(min: usize, max: usize) -> String {
    format!("^[ -]*([0-9][ -]*){{{min},{max}}}$")
}

/// The schema of a number typed as `min` to `max` digits with optional spaces or dashes.
pub fn typed_digits_schema(
    min: usize,
    max: usize,
    example: &'static str,
) -> impl FnMut(&mut Schema) {
    move |schema: &mut Schema| {
        schema.insert("pattern".into(), json!(typed_digits_pattern(min, max)));
        schema.insert("examples".into(), json!([example]));
    }
}

fn cvc_schema(schema: &mut Schema) {
    schema.insert(
        "pattern".into(),
        json!(format!("^[0-9]{{{CVC_DIGITS},{AMEX_CVC_DIGITS}}}$")),
    );
    schema.insert("examples".into(), json!(["123"]));
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BillingMethodKind {
    Card,
    BankAccount,
}

/// A new billing method as the client sends it.
#[derive(Clone, Deserialize, JsonSchema)]
// Internally tagged enums ignore unknown fields unless told: a stray `default` or
// `owner_id` must be refused, not silently dropped.
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum BillingMethodInput {
    Card { card: CardInput },
    BankAccount { bank: BankInput },
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CardInput {
    /// The card number (spaces and dashes are ignored), with a valid Luhn check digit. Sent
    /// to the processor, never stored.
    #[schemars(transform = typed_digits_schema(MIN_CARD_DIGITS, MAX_CARD_DIGITS, "4242 4242 4242 4242"))]
    pub number: String,
    #[schemars(range(min = FIRST_MONTH, max = LAST_MONTH))]
    pub exp_month: u32,
    /// Four digits, e.g. 2030: this month or later, at most 20 years ahead.
    #[schemars(range(min = MIN_CARD_YEAR, max = MAX_CARD_YEAR))]
    pub exp_year: u32,
    /// 3 digits; 4 for American Express.
    #[schemars(transform = cvc_schema)]
    pub cvc: String,
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BankInput {
    /// US ABA routing number, 9 digits with a valid checksum (spaces and dashes are ignored).
    #[schemars(transform = typed_digits_schema(ROUTING_DIGITS, ROUTING_DIGITS, "110000000"))]
    pub routing_number: String,
    /// 4 to 17 digits (spaces and dashes are ignored).
    #[schemars(transform = typed_digits_schema(MIN_ACCOUNT_DIGITS, MAX_ACCOUNT_DIGITS, "000123456789"))]
    pub account_number: String,
    #[schemars(transform = HOLDER_NAME.schema())]
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
    digits.len() == ROUTING_DIGITS
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
        if !(MIN_CARD_DIGITS..=MAX_CARD_DIGITS).contains(&number.len()) {
            v.push(
                "card.number",
                format!("must be {MIN_CARD_DIGITS} to {MAX_CARD_DIGITS} digits"),
            );
        } else if !luhn_valid(&number) {
            v.push(
                "card.number",
                "is not a valid card number (check the digits)",
            );
        }
        let month_ok = (FIRST_MONTH..=LAST_MONTH).contains(&self.exp_month);
        v.check(
            month_ok,
            "card.exp_month",
            format!("must be {FIRST_MONTH} to {LAST_MONTH}"),
        );
        let exp_year = i32::try_from(self.exp_year).unwrap_or(i32::MAX);
        if !(MIN_CARD_YEAR..=MAX_CARD_YEAR).contains(&self.exp_year)
            || exp_year > now.year() + MAX_CARD_YEARS_AHEAD
        {
            v.push("card.exp_year", "must be a four-digit year");
        } else if month_ok && card_expired(self.exp_month, exp_year, now) {
            v.push("card.exp_year", "the card has expired");
        }
        let cvc_len = if brand == CardBrand::Amex {
            AMEX_CVC_DIGITS
        } else {
            CVC_DIGITS
        };
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
            (MIN_ACCOUNT_DIGITS..=MAX_ACCOUNT_DIGITS).contains(&account.len()),
            "bank.account_number",
            format!("must be {MIN_ACCOUNT_DIGITS} to {MAX_ACCOUNT_DIGITS} digits"),
        );
        let holder_name = HOLDER_NAME.check(&mut v, "bank.holder_name", &self.holder_name);
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

    fn matches(pattern: &str, candidate: &str) -> bool {
        regex::Regex::new(pattern).unwrap().is_match(candidate)
    }

    fn messages(result: Result<impl Sized, Violations>, field: &str) -> Vec<String> {
        match result {
            Ok(_) => Vec::new(),
            Err(violations) => violations
                .0
                .into_iter()
                .filter(|v| v.field == field)
                .map(|v| v.message)
                .collect(),
        }
    }

    #[test]
    fn the_white_space_classes_are_what_trim_and_text_rules_read() {
        let whole = |class: &str| regex::Regex::new(&format!("^{class}$")).unwrap();
        let (trimmed, text_space, ink) = (
            whole(pattern::TRIMMED),
            whole(pattern::TEXT_SPACE),
            whole(&pattern::ink_except("")),
        );
        let refused = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let one = c.to_string();
            assert_eq!(trimmed.is_match(&one), c.is_whitespace(), "{c:?}");
            assert_eq!(
                text_space.is_match(&one),
                c.is_whitespace() && !refused(c),
                "{c:?}"
            );
            assert_eq!(
                ink.is_match(&one),
                !c.is_whitespace() && !c.is_control(),
                "{c:?}"
            );
        }
    }

    #[test]
    fn card_patterns_state_what_the_check_accepts_but_luhn() {
        let visa = "4242424242424242";
        let numbers = [
            visa,
            "4242 4242 4242 4242",
            "4242-4242-4242-4242",
            " 4242 4242-4242 4242 ",
            "424242424242",
            "42424242424",
            "4242424242424242424",
            "42424242424242424242",
            "4242424242424241",
            "4242x424242424242",
            "4242\t4242424242424242",
            "४२४२४२४२४२४२४२४२",
            "",
            " - ",
        ];
        let pattern = typed_digits_pattern(MIN_CARD_DIGITS, MAX_CARD_DIGITS);
        for number in numbers {
            let refused = messages(card(number, 12, 2030, "123").check(now()), "card.number");
            let luhn = refused == ["is not a valid card number (check the digits)"];
            assert_eq!(
                matches(&pattern, number),
                refused.is_empty() || luhn,
                "{number:?}: {refused:?}"
            );
        }
        let amex = "378282246310005";
        for cvc in ["123", "1234", "12", "12345", "12a", " 123", "١٢٣", ""] {
            let accepted = [visa, amex]
                .iter()
                .any(|n| card(n, 12, 2030, cvc).check(now()).is_ok());
            assert_eq!(
                matches(&format!("^[0-9]{{{CVC_DIGITS},{AMEX_CVC_DIGITS}}}$"), cvc),
                accepted,
                "{cvc:?}"
            );
        }
        let schema = serde_json::to_value(schemars::schema_for!(CardInput)).unwrap();
        let field = |name: &str| &schema["properties"][name];
        assert_eq!(
            (
                &field("exp_month")["minimum"],
                &field("exp_month")["maximum"]
            ),
            (&json!(FIRST_MONTH), &json!(LAST_MONTH))
        );
        assert_eq!(
            (&field("exp_year")["minimum"], &field("exp_year")["maximum"]),
            (&json!(MIN_CARD_YEAR), &json!(MAX_CARD_YEAR))
        );
        for year in [MIN_CARD_YEAR - 1, MAX_CARD_YEAR + 1] {
            assert_eq!(
                messages(card(visa, 12, year, "123").check(now()), "card.exp_year"),
                ["must be a four-digit year"]
            );
        }
        assert_eq!(field("number")["pattern"], json!(pattern));
    }

    #[test]
    fn bank_patterns_state_what_the_check_accepts_but_the_checksum() {
        let bank = |routing: &str, account: &str| BankInput {
            routing_number: routing.into(),
            account_number: account.into(),
            holder_name: "Ann Client".into(),
        };
        let routing_pattern = typed_digits_pattern(ROUTING_DIGITS, ROUTING_DIGITS);
        for routing in [
            "110000000",
            "110-000-000",
            " 021000021 ",
            "110000001",
            "11000000",
            "1100000000",
            "11000000a",
            "",
        ] {
            let refused =
                !messages(bank(routing, "000123456789").check(), "bank.routing_number").is_empty();
            let checksum = digits_of(routing)
                .is_some_and(|d| d.len() == ROUTING_DIGITS && !aba_routing_valid(&d));
            assert_eq!(
                matches(&routing_pattern, routing),
                !refused || checksum,
                "{routing:?}"
            );
        }
        let account_pattern = typed_digits_pattern(MIN_ACCOUNT_DIGITS, MAX_ACCOUNT_DIGITS);
        for account in [
            "1234",
            "12 34",
            "123",
            "12345678901234567",
            "123456789012345678",
            "1234-5678",
            "1234_5678",
            "",
        ] {
            let accepted =
                messages(bank("110000000", account).check(), "bank.account_number").is_empty();
            assert_eq!(matches(&account_pattern, account), accepted, "{account:?}");
        }
    }

    /// Every example the request schemas of this and the neighbouring modules give is a value
    /// their own pattern, lengths and enum allow.
    #[test]
    fn schema_examples_are_valid_values() {
        fn walk(value: &serde_json::Value, path: &str, checked: &mut usize) {
            match value {
                serde_json::Value::Object(map) => {
                    for example in map
                        .get("examples")
                        .and_then(|e| e.as_array())
                        .into_iter()
                        .flatten()
                    {
                        let Some(example) = example.as_str() else {
                            continue;
                        };
                        let chars = example.chars().count() as u64;
                        if let Some(pattern) = map.get("pattern").and_then(|p| p.as_str()) {
                            assert!(matches(pattern, example), "{path}: {example:?} / {pattern}");
                            *checked += 1;
                        }
                        if let Some(max) = map.get("maxLength").and_then(|m| m.as_u64()) {
                            assert!(chars <= max, "{path}: {example:?}");
                        }
                        if let Some(min) = map.get("minLength").and_then(|m| m.as_u64()) {
                            assert!(chars >= min, "{path}: {example:?}");
                        }
                        if let Some(values) = map.get("enum").and_then(|e| e.as_array()) {
                            assert!(values.contains(&json!(example)), "{path}: {example:?}");
                            *checked += 1;
                        }
                    }
                    for (key, child) in map {
                        walk(child, &format!("{path}/{key}"), checked);
                    }
                }
                serde_json::Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        walk(item, &format!("{path}/{i}"), checked);
                    }
                }
                _ => {}
            }
        }
        use crate::domain::{feedback, file, hourly, job_search, messaging, payout, profile};
        let schemas = [
            schemars::schema_for!(BillingMethodInput),
            schemars::schema_for!(payout::PayoutMethodInput),
            schemars::schema_for!(profile::FreelancerProfileInput),
            schemars::schema_for!(profile::ClientProfileInput),
            schemars::schema_for!(file::FileDeclaration),
            schemars::schema_for!(feedback::FeedbackRequest),
            schemars::schema_for!(hourly::TimeBatch),
            schemars::schema_for!(job_search::SavedSearchDraft),
            schemars::schema_for!(messaging::MessageDraft),
        ];
        let mut checked = 0;
        for schema in schemas {
            walk(&serde_json::to_value(schema).unwrap(), "#", &mut checked);
        }
        assert!(checked > 40, "{checked} examples checked");
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
