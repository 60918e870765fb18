//! Accounts: roles, email addresses, password rules and the login throttle (PRODUCT §1).

use super::rules::INK;
use chrono::{DateTime, Duration, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a person may act as. `Admin` is never self-assigned: it cannot be requested at signup.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Client,
    Freelancer,
    Agency,
    Admin,
}

impl Role {
    pub fn is_self_service(self) -> bool {
        !matches!(self, Role::Admin)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Freelancer => "freelancer",
            Role::Agency => "agency",
            Role::Admin => "admin",
        }
    }
}

/// An email address as the user typed it, plus the canonical form used for uniqueness.
/// Uniqueness is case-insensitive (`Ann@X.com` and `ann@x.com` are one account).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    display: String,
    canonical: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountRuleViolation {
    #[error("email must look like name@domain and be at most 254 characters")]
    InvalidEmail,
    #[error("password must be between 10 and 128 characters")]
    PasswordLength,
    #[error("password must not contain the email address")]
    PasswordContainsEmail,
    #[error("name must be between 1 and 100 characters")]
    InvalidName,
    #[error("choose at least one of client, freelancer, agency")]
    NoRoles,
    #[error("the admin role cannot be requested")]
    ForbiddenRole,
}

pub const EMAIL_MAX_CHARS: usize = 254;

impl Email {
    /// The regular expression of what `parse` accepts (with `maxLength` 254).
    pub fn pattern() -> String {
        let plain = INK.replacen(']', "@]", 1);
        let label = INK.replacen(']', "@.]", 1);
        format!("^{plain}{{1,64}}@{label}+(\\.{label}+)+$")
    }

    pub fn schema(schema: &mut schemars::Schema) {
        schema.insert("maxLength".into(), serde_json::json!(EMAIL_MAX_CHARS));
        schema.insert("pattern".into(), serde_json::json!(Self::pattern()));
        schema.insert("examples".into(), serde_json::json!(["ann@example.com"]));
    }

    /// `local@domain.tld` as `pattern()` states it: no white space or control characters, no
    /// `@` in either part, a local part of 1 to 64 characters, a domain of two or more
    /// non-empty labels, at most 254 characters in all.
    pub fn parse(raw: &str) -> Result<Self, AccountRuleViolation> {
        let display = raw;
        let plain = |c: char| !c.is_whitespace() && !c.is_control() && c != '@';
        let valid = display.chars().count() <= EMAIL_MAX_CHARS
            && match display.split_once('@') {
                Some((local, domain)) => {
                    (1..=64).contains(&local.chars().count())
                        && local.chars().all(plain)
                        && domain.split('.').count() >= 2
                        && domain
                            .split('.')
                            .all(|label| !label.is_empty() && label.chars().all(plain))
                }
                None => false,
            };
        if !valid {
            return Err(AccountRuleViolation::InvalidEmail);
        }
        Ok(Self {
            display: display.to_string(),
            canonical: display.to_lowercase(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// The form every lookup and uniqueness check uses.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

pub const PASSWORD_MIN_CHARS: usize = 10;
pub const PASSWORD_MAX_CHARS: usize = 128;

pub fn check_password(password: &str, email: &Email) -> Result<(), AccountRuleViolation> {
    let chars = password.chars().count();
    if !(PASSWORD_MIN_CHARS..=PASSWORD_MAX_CHARS).contains(&chars) {
        return Err(AccountRuleViolation::PasswordLength);
    }
    if password.to_lowercase().contains(email.canonical()) {
        return Err(AccountRuleViolation::PasswordContainsEmail);
    }
    Ok(())
}

/// A person's display name: 1 to 100 characters, not blank, no control characters.
pub const NAME: super::rules::TextRule = super::rules::TextRule::new(1, 100);

pub fn check_name(name: &str) -> Result<String, AccountRuleViolation> {
    let mut violations = super::Violations::default();
    let name = NAME.check(&mut violations, "name", name);
    violations
        .into_result()
        .map_err(|_| AccountRuleViolation::InvalidName)?;
    Ok(name)
}

/// Sorted, de-duplicated self-service roles.
pub fn check_roles(roles: &[Role]) -> Result<Vec<Role>, AccountRuleViolation> {
    if roles.iter().any(|r| !r.is_self_service()) {
        return Err(AccountRuleViolation::ForbiddenRole);
    }
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    if roles.is_empty() {
        return Err(AccountRuleViolation::NoRoles);
    }
    Ok(roles)
}

/// Brute-force protection for one email address (known or not, so that the lockout itself
/// does not reveal which addresses have accounts).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginThrottle {
    pub failures: u32,
    pub window_started_at: Option<DateTime<Utc>>,
    pub locked_until: Option<DateTime<Utc>>,
}

impl LoginThrottle {
    pub const MAX_FAILURES: u32 = 5;
    pub const FAILURE_WINDOW: Duration = Duration::minutes(15);
    pub const LOCKOUT: Duration = Duration::minutes(15);

    pub fn locked_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|until| *until > now)
    }

    /// The throttle after one more failed attempt at `now`.
    pub fn after_failure(&self, now: DateTime<Utc>) -> LoginThrottle {
        let window_open = self
            .window_started_at
            .is_some_and(|start| now - start < Self::FAILURE_WINDOW);
        let (failures, window_started_at) = if window_open && self.locked_until(now).is_none() {
            (self.failures + 1, self.window_started_at)
        } else {
            (1, Some(now))
        };
        let locked_until = (failures >= Self::MAX_FAILURES).then(|| now + Self::LOCKOUT);
        LoginThrottle {
            failures,
            window_started_at,
            locked_until,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn email_uniqueness_is_case_insensitive() {
        let a = Email::parse("Ann@Example.COM").unwrap();
        let b = Email::parse("ann@example.com").unwrap();
        assert_eq!(a.canonical(), b.canonical());
        assert_eq!(a.as_str(), "Ann@Example.COM");
    }

    #[test]
    fn malformed_emails_are_rejected() {
        for bad in [
            "",
            "ann",
            "ann@",
            "@x.com",
            "ann@x",
            "a b@x.com",
            "ann@.com",
            "ann@x.com.",
        ] {
            assert_eq!(
                Email::parse(bad),
                Err(AccountRuleViolation::InvalidEmail),
                "{bad}"
            );
        }
        assert!(Email::parse(&format!("{}@x.com", "a".repeat(250))).is_err());
    }

    proptest::proptest! {
        /// The published pattern (with maxLength) and `parse` accept exactly the same texts.
        #[test]
        fn the_pattern_states_the_rule(
            raw in r"[a.@ \t\u{85}\u{3000}\u{7f}b]{0,8}(@[a.b]{0,4})?|[a-c]{1,70}@[a.]{1,5}",
        ) {
            let pattern = regex::Regex::new(&Email::pattern()).unwrap();
            let by_schema = raw.chars().count() <= EMAIL_MAX_CHARS && pattern.is_match(&raw);
            proptest::prop_assert_eq!(by_schema, Email::parse(&raw).is_ok(), "{:?}", raw);
        }
    }

    #[test]
    fn password_rules() {
        let email = Email::parse("ann@example.com").unwrap();
        assert_eq!(
            check_password("short", &email),
            Err(AccountRuleViolation::PasswordLength)
        );
        assert_eq!(
            check_password("xxANN@EXAMPLE.COMxx", &email),
            Err(AccountRuleViolation::PasswordContainsEmail)
        );
        assert!(check_password("correct horse battery", &email).is_ok());
        assert!(check_password(&"x".repeat(129), &email).is_err());
    }

    #[test]
    fn roles_are_deduplicated_and_admin_is_refused() {
        assert_eq!(
            check_roles(&[Role::Freelancer, Role::Client, Role::Freelancer]).unwrap(),
            vec![Role::Client, Role::Freelancer]
        );
        assert_eq!(check_roles(&[]), Err(AccountRuleViolation::NoRoles));
        assert_eq!(
            check_roles(&[Role::Admin]),
            Err(AccountRuleViolation::ForbiddenRole)
        );
    }

    #[test]
    fn five_failures_in_the_window_lock_for_fifteen_minutes() {
        let mut throttle = LoginThrottle::default();
        let start = t("2026-12-01T10:00:00Z");
        for i in 0..4 {
            throttle = throttle.after_failure(start + Duration::minutes(i));
            assert_eq!(throttle.locked_until(start + Duration::minutes(i)), None);
        }
        let fifth = start + Duration::minutes(4);
        throttle = throttle.after_failure(fifth);
        assert_eq!(
            throttle.locked_until(fifth),
            Some(fifth + Duration::minutes(15))
        );
        assert_eq!(throttle.locked_until(fifth + Duration::minutes(15)), None);
    }

    #[test]
    fn failures_spread_beyond_the_window_do_not_lock() {
        let mut throttle = LoginThrottle::default();
        let start = t("2026-12-01T10:00:00Z");
        for i in 0..10 {
            let at = start + Duration::minutes(i * 4);
            throttle = throttle.after_failure(at);
            assert_eq!(throttle.locked_until(at), None, "attempt {i}");
        }
    }
}
