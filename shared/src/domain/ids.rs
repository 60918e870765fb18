//! Typed, prefixed, time-sortable identifiers (`usr_01j…`), so an id can never be passed
//! where another kind is expected and the prefix tells a human what an id names.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::fmt;
use ulid::Ulid;

thread_local! {
    /// Where generated ids take their randomness on this thread: fresh (`None`), or a seeded
    /// stream, so that a seeded simulation (tests/tests/escrow_faults.rs) names every
    /// contract, milestone, event and transfer the same way each time it replays its seed.
    static DRAWN: RefCell<Option<rand::rngs::StdRng>> = const { RefCell::new(None) };
}

/// Makes ids generated on the calling thread from now on come from `seed` (`None`: fresh
/// randomness again). Only seeded simulations call it; each runs on a thread of its own.
pub fn draw_ids_from(seed: Option<u64>) {
    use rand::SeedableRng;
    DRAWN.with(|drawn| *drawn.borrow_mut() = seed.map(rand::rngs::StdRng::seed_from_u64));
}

/// A ULID for `now` whose random part is the thread's seeded stream's, or fresh.
fn ulid_at(now: DateTime<Utc>) -> Ulid {
    use rand::Rng;
    let drawn = DRAWN.with(|drawn| drawn.borrow_mut().as_mut().map(|rng| rng.gen::<u128>()));
    match drawn {
        Some(random) => Ulid::from_parts(
            u64::try_from(now.timestamp_millis()).unwrap_or(0),
            random >> 48,
        ),
        None => Ulid::from_datetime(now.into()),
    }
}

/// A ULID as ids spell it: 26 lowercase Crockford base-32 characters, the first at most 7
/// (128 bits).
macro_rules! ulid_pattern {
    () => {
        "[0-7][0-9a-hjkmnp-tv-z]{25}"
    };
}
pub const ULID_PATTERN: &str = ulid_pattern!();

fn is_lowercase_ulid(raw: &str) -> bool {
    const ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";
    raw.len() == 26
        && raw.as_bytes()[0] <= b'7'
        && raw.bytes().all(|b| ALPHABET.contains(&b))
        && Ulid::from_string(&raw.to_uppercase()).is_ok()
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        /// Only well-formed ids of this kind deserialize: a request naming a malformed or
        /// another kind's id fails where the schema says it does, before any lookup.
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                Self::parse(&raw).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "{raw:?} is not a {} id ({}_ and 26 lowercase base-32 characters)",
                        stringify!($name),
                        $prefix
                    ))
                })
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "pattern": Self::PATTERN,
                    "examples": [concat!($prefix, "_01jd5v3k8r9x2m4n6p7q8s9t0w")],
                })
            }
        }

        impl $name {
            pub const PREFIX: &'static str = $prefix;
            /// What `parse` accepts, as the OpenAPI document states it.
            pub const PATTERN: &'static str = concat!("^", $prefix, "_", ulid_pattern!(), "$");

            /// A new id whose sort order follows `now` (ULID), with fresh randomness.
            pub fn generate(now: DateTime<Utc>) -> Self {
                let ulid = ulid_at(now);
                Self(format!("{}_{}", $prefix, ulid.to_string().to_lowercase()))
            }

            /// An id that is the same every time for the same `basis` (and time): what makes a
            /// retried or redelivered movement collide with itself instead of happening twice.
            pub fn derived(at: DateTime<Utc>, basis: &str) -> Self {
                let ms = u64::try_from(at.timestamp_millis()).unwrap_or(0);
                let hash = u128::from(crate::security::stable_hash(basis)) << 16
                    | u128::from(crate::security::stable_hash(&format!("{basis}#2")) & 0xffff);
                let ulid = Ulid::from_parts(ms, hash);
                Self(format!("{}_{}", $prefix, ulid.to_string().to_lowercase()))
            }

            /// Accepts only well-formed ids of this kind; anything else is `None`.
            pub fn parse(raw: &str) -> Option<Self> {
                let rest = raw.strip_prefix(concat!($prefix, "_"))?;
                is_lowercase_ulid(rest).then(|| Self(raw.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

typed_id!(
    /// A person's account (one account may hold several roles).
    UserId,
    "usr"
);
typed_id!(
    /// A domain event, unique across the system; consumers de-duplicate on it.
    EventId,
    "evt"
);
typed_id!(
    /// A chain of refresh tokens issued from one login; reuse of a rotated token revokes it.
    SessionId,
    "ses"
);

typed_id!(
    /// A job posting.
    JobId,
    "job"
);
typed_id!(
    /// A freelancer's proposal to a job (also created when an invitation is accepted).
    ProposalId,
    "prp"
);
typed_id!(
    /// A client's invitation of a freelancer to a job.
    InvitationId,
    "inv"
);
typed_id!(
    /// An uploaded file (portfolio image, attachment, deliverable, screenshot, ID document).
    FileId,
    "fil"
);
typed_id!(
    /// A freelancer's saved job search, which alerts on new matching jobs.
    SavedSearchId,
    "srch"
);
typed_id!(
    /// One entry of a freelancer's Connects ledger.
    ConnectsEntryId,
    "cne"
);

typed_id!(
    /// An offer from a client to a freelancer; accepted, it becomes a contract.
    OfferId,
    "ofr"
);
typed_id!(
    /// A contract between a client and a freelancer.
    ContractId,
    "ctr"
);
typed_id!(
    /// A fixed-price milestone of a contract.
    MilestoneId,
    "mil"
);
typed_id!(
    /// One immutable ledger transfer.
    TransferId,
    "trf"
);
typed_id!(
    /// A client's card or bank account, as Worklane knows it (token, brand, last four).
    BillingMethodId,
    "bm"
);
typed_id!(
    /// A freelancer's withdrawal destination.
    PayoutMethodId,
    "pom"
);
typed_id!(
    /// A dispute over a milestone or a week of hourly work (PRODUCT §13).
    DisputeId,
    "dsp"
);
typed_id!(
    /// A message in a room (PRODUCT §12.1); its time order is the room's order.
    MessageId,
    "msg"
);
typed_id!(
    /// A freelancer's withdrawal of available money to a payout method (PRODUCT §9.4).
    WithdrawalId,
    "wd"
);
typed_id!(
    /// An entry of the admins' append-only audit trail.
    AuditId,
    "aud"
);
typed_id!(
    /// A user's report of a job, profile, message or proposal to the moderators.
    ContentReportId,
    "rpt"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_other_kinds() {
        let now = Utc::now();
        let id = UserId::generate(now);
        assert!(id.as_str().starts_with("usr_"));
        assert_eq!(UserId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(EventId::parse(id.as_str()), None);
        assert_eq!(UserId::parse("usr_notaulid"), None);
        assert_eq!(UserId::parse(""), None);
        assert_eq!(UserId::parse(&id.as_str().to_uppercase()), None);
        let pattern = regex::Regex::new(UserId::PATTERN).unwrap();
        for _ in 0..200 {
            let id = UserId::generate(now);
            assert!(pattern.is_match(id.as_str()), "{id}");
            let mangled = format!("{}l", &id.as_str()[..id.as_str().len() - 1]);
            assert_eq!(
                pattern.is_match(&mangled),
                UserId::parse(&mangled).is_some()
            );
        }
        assert!(serde_json::from_str::<UserId>("\"usr_x\"").is_err());
    }

    #[test]
    fn seeded_ids_repeat_per_seed_and_differ_between_seeds() {
        let now: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let draw = |seed| {
            draw_ids_from(Some(seed));
            let ids = [MilestoneId::generate(now).0, EventId::generate(now).0];
            draw_ids_from(None);
            ids
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        assert_ne!(UserId::generate(now), UserId::generate(now));
    }

    #[test]
    fn ids_sort_by_time() {
        let a = UserId::generate("2026-01-01T00:00:00Z".parse().unwrap());
        let b = UserId::generate("2026-01-02T00:00:00Z".parse().unwrap());
        assert!(a < b);
    }
}
