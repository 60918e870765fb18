//! Money: exact decimals with an ISO currency, never floats. Amounts on the wire are strings
//! (`{"amount":"500.00","currency":"USD"}`); parsing refuses anything that is not an exact
//! amount in the currency's minor unit, so no rounding ever happens silently at the edge.

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Currency {
    USD,
}

impl Currency {
    /// Digits after the decimal point of the currency's minor unit.
    pub fn scale(self) -> u32 {
        match self {
            Currency::USD => 2,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Money {
    /// A decimal string with the currency's minor-unit precision, e.g. "1250.00".
    #[serde(with = "amount_string")]
    #[schemars(with = "String")]
    pub amount: Decimal,
    pub currency: Currency,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("the amount is not a decimal number")]
    NotANumber,
    #[error("the amount has more decimal places than the currency allows")]
    TooPrecise,
    #[error("the amount must not be negative")]
    Negative,
    #[error("the amount is too large")]
    TooLarge,
    #[error("amounts in different currencies cannot be combined")]
    CurrencyMismatch,
}

/// The largest amount accepted anywhere (one billion), far beyond any real contract, so that
/// sums of many amounts stay exact.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Result<Self, MoneyError> {
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(MoneyError::Negative);
        }
        if amount.normalize().scale() > currency.scale() {
            return Err(MoneyError::TooPrecise);
        }
        if amount > MAX_AMOUNT {
            return Err(MoneyError::TooLarge);
        }
        let mut amount = amount;
        amount.rescale(currency.scale());
        Ok(Self { amount, currency })
    }

    pub fn usd(raw: &str) -> Result<Self, MoneyError> {
        Self::parse(raw, Currency::USD)
    }

    pub fn parse(raw: &str, currency: Currency) -> Result<Self, MoneyError> {
        let trimmed = raw.trim();
        // Only plain decimal notation: no exponents, signs, separators or spaces inside.
        if trimmed.is_empty()
            || trimmed != raw
            || !trimmed.chars().all(|c| c.is_ascii_digit() || c == '.')
            || trimmed.starts_with('.')
            || trimmed.ends_with('.')
            || trimmed.matches('.').count() > 1
        {
            return Err(MoneyError::NotANumber);
        }
        // One spelling per amount, the one the OpenAPI pattern states: no leading zeros and no
        // more decimals than the minor unit has.
        let (whole, fraction) = trimmed.split_once('.').unwrap_or((trimmed, ""));
        if whole.len() > 1 && whole.starts_with('0') {
            return Err(MoneyError::NotANumber);
        }
        if fraction.len() > currency.scale() as usize {
            return Err(MoneyError::TooPrecise);
        }
        if whole.len() > 10 {
            return Err(MoneyError::TooLarge);
        }
        let amount: Decimal = trimmed.parse().map_err(|_| MoneyError::NotANumber)?;
        Self::new(amount, currency)
    }

    pub fn zero(currency: Currency) -> Self {
        Self::new(Decimal::ZERO, currency).expect("zero is valid")
    }

    /// Integer minor units (cents): what range filters and search indexes compare.
    pub fn minor_units(&self) -> i64 {
        let mut scaled = self.amount;
        scaled.rescale(self.currency.scale());
        scaled.mantissa() as i64
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch);
        }
        Money::new(self.amount + other.amount, self.currency)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}", self.amount, self.currency)
    }
}

mod amount_string {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(amount: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&amount.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let raw = String::deserialize(d)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

/// Money exactly as a request sent it: checked with `Money::parse` so errors name the field.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MoneyInput {
    /// Decimal string, e.g. "500.00".
    pub amount: String,
    pub currency: Currency,
}

impl MoneyInput {
    pub fn parse(&self) -> Result<Money, MoneyError> {
        Money::parse(&self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_amounts_only() {
        assert_eq!(Money::usd("500").unwrap().amount.to_string(), "500.00");
        assert_eq!(Money::usd("0.5").unwrap().amount.to_string(), "0.50");
        assert_eq!(Money::usd("12.34").unwrap().minor_units(), 1234);
        assert_eq!(Money::usd("1.234"), Err(MoneyError::TooPrecise));
        assert_eq!(Money::usd("1.230"), Err(MoneyError::TooPrecise));
        assert_eq!(Money::usd("0.50").unwrap().amount.to_string(), "0.50");
        for bad in [
            "", " 1", "-1", "1e3", "1,000", "abc", ".5", "5.", "+5", "NaN", "05", "1.2.3",
        ] {
            assert!(Money::usd(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(Money::usd("1000000001"), Err(MoneyError::TooLarge));
    }

    #[test]
    fn serializes_as_a_decimal_string() {
        let json = serde_json::to_value(Money::usd("20").unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"amount": "20.00", "currency": "USD"})
        );
        let back: Money = serde_json::from_value(json).unwrap();
        assert_eq!(back, Money::usd("20.00").unwrap());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn parse_never_panics(raw in any::<String>()) {
                let _ = Money::usd(&raw);
            }

            #[test]
            fn parse_never_panics_on_number_like_text(raw in "[0-9.eE+-]{0,40}") {
                let _ = Money::usd(&raw);
            }

            #[test]
            fn amounts_round_trip_through_their_text(cents in 0i64..=100_000_000_000) {
                let money = Money::new(Decimal::new(cents, 2), Currency::USD).unwrap();
                let text = money.amount.to_string();
                prop_assert_eq!(Money::usd(&text), Ok(money));
                prop_assert_eq!(money.minor_units(), cents);
                let json = serde_json::to_value(money).unwrap();
                prop_assert_eq!(serde_json::from_value::<Money>(json).unwrap(), money);
            }

            #[test]
            fn whatever_parses_is_exact_in_cents(raw in "[0-9]{1,12}(\\.[0-9]{0,4})?") {
                match Money::usd(&raw) {
                    Ok(money) => {
                        prop_assert_eq!(money.amount.scale(), 2);
                        prop_assert_eq!(money.amount, raw.parse::<Decimal>().unwrap());
                        prop_assert!(money.amount <= MAX_AMOUNT);
                    }
                    Err(err) => prop_assert!(matches!(
                        err,
                        MoneyError::TooPrecise | MoneyError::TooLarge | MoneyError::NotANumber
                    )),
                }
            }
        }
    }
}
