//! Input rules that the validation and the OpenAPI document share: one value per rule, used by
//! the field's `check` and by its schema (`#[schemars(transform = RULE.schema())]`), so the
//! document can never promise less or more than the code enforces. Patterns are written for
//! every regex dialect that reads the document (ECMA in apps, Python in schemathesis, Rust):
//! explicit classes instead of `\d`/`\s`, whose meaning differs between them.

use super::money::{Currency, Money, MoneyError, MoneyInput};
use super::Violations;
use rust_decimal::Decimal;
use schemars::Schema;
use serde_json::{json, Value};

/// The characters a free text may hold: no control characters but tab, line feed and return.
const TEXT_CHAR: &str = r"[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]";
/// The white space `str::trim` removes, minus the control characters that are refused anyway.
const SPACE: &str = r"[\t\n\r \xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";
/// A text character that is not white space.
pub(crate) const INK: &str = r"[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\t\n\r \xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";

/// A free-text field: at most `max` characters as sent, at least `min` once trimmed, no control
/// characters. What is stored is the trimmed text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextRule {
    pub min: usize,
    pub max: usize,
}

impl TextRule {
    pub const fn new(min: usize, max: usize) -> Self {
        Self { min, max }
    }

    /// Checks `value` and returns it trimmed; each broken rule is one violation of `field`.
    pub fn check(&self, violations: &mut Violations, field: &str, value: &str) -> String {
        let trimmed = value.trim();
        let (min, max) = (self.min, self.max);
        if value.chars().count() > max || trimmed.chars().count() < min {
            let message = if min == 0 {
                format!("must be at most {max} characters")
            } else {
                format!("must be between {min} and {max} characters")
            };
            violations.push(field, message);
        }
        if value.chars().any(is_refused_control) {
            violations.push(field, "must not contain control characters");
        }
        trimmed.to_string()
    }

    /// The pattern that states "at least `min` characters once trimmed, no control characters".
    pub fn pattern(&self) -> String {
        match self.min {
            0 => format!("^{TEXT_CHAR}*$"),
            1 => format!("^{TEXT_CHAR}*{INK}{TEXT_CHAR}*$"),
            min => format!(
                "^{SPACE}*{INK}{TEXT_CHAR}{{{}}}{TEXT_CHAR}*{INK}{SPACE}*$",
                min - 2
            ),
        }
    }

    pub fn schema(self) -> impl FnMut(&mut Schema) {
        move |schema: &mut Schema| {
            schema.insert("maxLength".into(), json!(self.max));
            if self.min > 0 {
                schema.insert("minLength".into(), json!(self.min));
            }
            schema.insert("pattern".into(), json!(self.pattern()));
            schema.insert("examples".into(), json!([self.example()]));
        }
    }

    /// A text this rule accepts, for documentation examples.
    pub fn example(&self) -> String {
        let wanted = self.min.max(self.max.min(32)).max(1);
        let mut text: String = "Example text for the API reference"
            .chars()
            .cycle()
            .take(wanted)
            .collect();
        if text.ends_with(' ') {
            text.pop();
            text.push('x');
        }
        text
    }
}

impl TextRule {
    /// The schema of a list of such texts (screening questions, answers).
    pub fn items_schema(self) -> impl FnMut(&mut Schema) {
        move |schema: &mut Schema| {
            let mut item = Schema::from(true);
            item.insert("type".into(), json!("string"));
            self.schema()(&mut item);
            schema.insert("items".into(), item.to_value());
        }
    }
}

fn is_refused_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// A money amount with bounds: `{"amount": "<decimal>", "currency": ...}` between `min` and
/// `max` inclusive. The bounds are whole units, or `min` is one minor unit ("more than zero").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AmountRule {
    pub min: AmountFloor,
    /// Whole currency units.
    pub max: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmountFloor {
    /// At least this many whole units (0 allows zero).
    Units(u64),
    /// More than zero: at least one minor unit.
    Positive,
}

/// Any amount the ledger accepts: from zero up to one billion.
pub const ANY_AMOUNT: AmountRule = AmountRule::new(AmountFloor::Units(0), 1_000_000_000);
/// Any amount that moves money: more than zero.
pub const POSITIVE_AMOUNT: AmountRule = AmountRule::new(AmountFloor::Positive, 1_000_000_000);

impl AmountRule {
    pub const fn new(min: AmountFloor, max: u64) -> Self {
        Self { min, max }
    }

    pub const fn units(min: u64, max: u64) -> Self {
        Self::new(AmountFloor::Units(min), max)
    }

    fn floor(&self) -> Decimal {
        match self.min {
            AmountFloor::Units(units) => Decimal::from(units),
            AmountFloor::Positive => Decimal::new(1, Currency::USD.scale()),
        }
    }

    /// Parses an amount string and checks it against the bounds; violations name `field`.
    pub fn check_str(
        &self,
        violations: &mut Violations,
        field: &str,
        amount: &str,
        currency: Currency,
    ) -> Option<Money> {
        match Money::parse(amount, currency) {
            Ok(money)
                if money.amount >= self.floor() && money.amount <= Decimal::from(self.max) =>
            {
                Some(money)
            }
            Ok(_) => {
                violations.push(field, self.describe());
                None
            }
            Err(err) => {
                violations.push(field, err.to_string());
                None
            }
        }
    }

    pub fn check(
        &self,
        violations: &mut Violations,
        field: &str,
        input: &MoneyInput,
    ) -> Option<Money> {
        self.check_str(violations, field, &input.amount, input.currency)
    }

    /// The same as `check` for callers that report one error: the first broken rule.
    pub fn parse(&self, input: &MoneyInput) -> Result<Money, AmountError> {
        let money = input.parse().map_err(AmountError::Money)?;
        if money.amount < self.floor() || money.amount > Decimal::from(self.max) {
            return Err(AmountError::OutOfBounds(self.describe()));
        }
        Ok(money)
    }

    pub fn describe(&self) -> String {
        match self.min {
            AmountFloor::Positive => format!("the amount is more than 0 and at most {}", self.max),
            AmountFloor::Units(min) => format!("the amount is between {min} and {}", self.max),
        }
    }

    /// A regular expression that matches exactly the amount strings `Money::parse` accepts within
    /// these bounds (cents precision, no leading zeros).
    pub fn pattern(&self) -> String {
        const FRACTION: &str = "(\\.[0-9]{1,2})?";
        let mut alternatives = Vec::new();
        let whole_floor = match self.min {
            AmountFloor::Units(units) => units,
            AmountFloor::Positive => {
                alternatives.push("0\\.(0[1-9]|[1-9][0-9]?)".to_string());
                1
            }
        };
        if whole_floor < self.max {
            for piece in integer_range(whole_floor, self.max - 1) {
                alternatives.push(format!("{piece}{FRACTION}"));
            }
        }
        if whole_floor <= self.max {
            alternatives.push(format!("{}(\\.0{{1,2}})?", self.max));
        }
        format!("^({})$", alternatives.join("|"))
    }

    /// The schema of a `MoneyInput` field under this rule, inline because the bounds are the
    /// field's, not the type's.
    pub fn schema(self) -> impl FnMut(&mut Schema) {
        move |schema: &mut Schema| {
            let description = schema.get("description").cloned();
            let mut inline = json!({
                "type": "object",
                "required": ["amount", "currency"],
                "additionalProperties": false,
                "properties": {
                    "amount": {"type": "string", "pattern": self.pattern(),
                               "description": format!("Decimal string with at most 2 decimals; {}.", self.describe()),
                               "examples": [self.example()]},
                    "currency": {"$ref": "#/components/schemas/Currency"},
                },
            });
            if let Some(description) = description {
                inline["description"] = description;
            }
            // `Option<MoneyInput>` fields take null as "not given", as serde does.
            if is_nullable(schema) {
                inline = json!({"anyOf": [inline, {"type": "null"}]});
            }
            *schema = Schema::try_from(inline).expect("an object schema");
        }
    }

    /// The schema of a bare amount string field (a rate's `min`, a query's bound).
    pub fn amount_schema(self) -> impl FnMut(&mut Schema) {
        move |schema: &mut Schema| {
            schema.insert("pattern".into(), json!(self.pattern()));
            schema.insert("examples".into(), json!([self.example()]));
        }
    }

    /// A valid amount, for documentation examples.
    pub fn example(&self) -> String {
        let floor = match self.min {
            AmountFloor::Units(units) => units.max(1),
            AmountFloor::Positive => 1,
        };
        let pick = (floor * 10).min(self.max).max(floor);
        format!("{pick}.00")
    }
}

fn is_nullable(schema: &Schema) -> bool {
    let null = json!({"type": "null"});
    let types_null = |value: &Value| match value.get("type") {
        Some(Value::Array(types)) => types.iter().any(|t| t == "null"),
        Some(t) => t == "null",
        None => false,
    };
    types_null(schema.as_value())
        || ["anyOf", "oneOf"].iter().any(|key| {
            schema
                .get(*key)
                .and_then(Value::as_array)
                .is_some_and(|alternatives| {
                    alternatives.iter().any(|a| a == &null || types_null(a))
                })
        })
}

/// A conditional schema: when `discriminator` is `value`, the fields of `required` are present
/// and not null, and those of `absent` are absent or null. What a tagged request (a fixed or
/// an hourly job) says in JSON Schema without changing its flat shape.
/// For lists where an entry may appear once (file ids): the domain reports a repeat as
/// "listed twice", and the schema says the same with `uniqueItems`.
pub fn unique_items(schema: &mut Schema) {
    schema.insert("uniqueItems".into(), json!(true));
}

pub fn when(discriminator: &str, value: &str, required: &[&str], absent: &[&str]) -> Value {
    let mut then = serde_json::Map::new();
    let mut properties = serde_json::Map::new();
    for field in required {
        properties.insert(field.to_string(), json!({"not": {"type": "null"}}));
    }
    for field in absent {
        properties.insert(field.to_string(), json!({"type": "null"}));
    }
    then.insert("required".into(), json!(required));
    then.insert("properties".into(), Value::Object(properties));
    json!({
        "if": {"properties": {discriminator: {"const": value}}, "required": [discriminator]},
        "then": then,
    })
}

/// "Send at least one of these fields" (a PATCH that changes nothing is refused): a schema
/// transform for the request type.
pub fn at_least_one_of(fields: &'static [&'static str]) -> impl FnMut(&mut Schema) {
    move |schema: &mut Schema| {
        let alternatives: Vec<Value> = fields
            .iter()
            .map(|field| json!({"required": [field], "properties": {*field: {"not": {"type": "null"}}}}))
            .collect();
        schema.insert("anyOf".into(), Value::Array(alternatives));
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error(transparent)]
    Money(MoneyError),
    #[error("{0}")]
    OutOfBounds(String),
}

/// Regex alternatives matching the decimal integers in `lo..=hi`, without leading zeros.
fn integer_range(lo: u64, hi: u64) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut start = lo;
    while start <= hi {
        let digits = start.to_string().len() as u32;
        let top_of_length = 10u64.pow(digits) - 1;
        let end = hi.min(top_of_length);
        pieces.extend(same_length_range(&start.to_string(), &end.to_string()));
        if end == hi {
            break;
        }
        start = end + 1;
    }
    pieces
}

/// Alternatives for the digit strings of one length between `lo` and `hi` inclusive.
fn same_length_range(lo: &str, hi: &str) -> Vec<String> {
    if lo == hi {
        return vec![lo.to_string()];
    }
    let (a, b) = (lo.as_bytes()[0], hi.as_bytes()[0]);
    let rest = lo.len() - 1;
    let (lo_rest, hi_rest) = (&lo[1..], &hi[1..]);
    if a == b {
        return same_length_range(lo_rest, hi_rest)
            .into_iter()
            .map(|tail| format!("{}{tail}", a as char))
            .collect();
    }
    let any_tail = if rest == 0 {
        String::new()
    } else {
        format!("[0-9]{{{rest}}}")
    };
    let digit_class = |from: u8, to: u8| {
        if from == to {
            (from as char).to_string()
        } else {
            format!("[{}-{}]", from as char, to as char)
        }
    };
    let mut pieces = Vec::new();
    let mut first_full = a;
    if lo_rest.bytes().any(|d| d != b'0') {
        pieces.extend(
            same_length_range(lo_rest, &"9".repeat(rest))
                .into_iter()
                .map(|tail| format!("{}{tail}", a as char)),
        );
        first_full = a + 1;
    }
    let mut last_full = b;
    let mut upper = Vec::new();
    if hi_rest.bytes().any(|d| d != b'9') {
        upper = same_length_range(&"0".repeat(rest), hi_rest)
            .into_iter()
            .map(|tail| format!("{}{tail}", b as char))
            .collect();
        last_full = b - 1;
    }
    if first_full <= last_full {
        pieces.push(format!("{}{any_tail}", digit_class(first_full, last_full)));
    }
    pieces.extend(upper);
    pieces
}

/// A JSON value for schema examples, kept here so every rule's example is built the same way.
pub fn money_example(rule: &AmountRule) -> Value {
    json!({"amount": rule.example(), "currency": "USD"})
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    fn matches(pattern: &str, candidate: &str) -> bool {
        Regex::new(pattern).unwrap().is_match(candidate)
    }

    #[test]
    fn amount_patterns_match_exactly_what_the_rule_accepts() {
        let rules = [
            AmountRule::units(5, 1_000_000),
            AmountRule::units(3, 999),
            AmountRule::units(0, 100),
            POSITIVE_AMOUNT,
            ANY_AMOUNT,
            AmountRule::units(1, 1),
        ];
        let mut candidates: Vec<String> = (0..1200u64)
            .flat_map(|n| {
                [
                    n.to_string(),
                    format!("{n}.5"),
                    format!("{n}.05"),
                    format!("{n}.00"),
                ]
            })
            .collect();
        candidates.extend(
            [
                "0.01",
                "0.00",
                "0.1",
                "999.01",
                "1000000000",
                "1000000000.00",
                "1000000000.01",
                "999999.99",
                "1000000",
                "1000001",
                "05",
                "1.",
                ".5",
                "1.234",
                "1e3",
                "",
                "-1",
                "12a",
            ]
            .map(String::from),
        );
        for rule in rules {
            let pattern = rule.pattern();
            for candidate in &candidates {
                let mut violations = Violations::default();
                let accepted = rule
                    .check_str(&mut violations, "amount", candidate, Currency::USD)
                    .is_some();
                assert_eq!(
                    matches(&pattern, candidate),
                    accepted,
                    "{candidate:?} under {rule:?} (pattern {pattern})"
                );
            }
        }
    }

    #[test]
    fn text_patterns_match_exactly_what_the_rule_accepts() {
        let candidates = [
            "",
            " ",
            "a",
            " a ",
            "ab",
            "abcde",
            "  abcde  ",
            "abcd ",
            "a   e",
            "a\u{0}bcde",
            "ab\tcde",
            "abc\u{85}de",
            "\u{3000}abcde",
            "abcdé",
            "a\nb\nc",
            "\u{7f}abcde",
        ];
        for rule in [
            TextRule::new(0, 8),
            TextRule::new(1, 8),
            TextRule::new(5, 8),
        ] {
            let pattern = rule.pattern();
            for candidate in candidates {
                let mut violations = Violations::default();
                rule.check(&mut violations, "text", candidate);
                let schema_accepts =
                    matches(&pattern, candidate) && candidate.chars().count() <= rule.max;
                assert_eq!(
                    schema_accepts,
                    violations.0.is_empty(),
                    "{candidate:?} under {rule:?} (pattern {pattern})"
                );
            }
        }
    }
}
