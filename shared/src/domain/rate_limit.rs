//! Application rate limits (docs/trust-and-safety.md, "Rate limits"): the one table of limits
//! and the token bucket's arithmetic. No I/O: the store applies the writes planned here, each
//! as one conditional update, and the HTTP edge answers a refusal with 429.
//!
//! A bucket is kept as one instant, `full_at`: when it will hold `capacity` tokens again if
//! nothing more is taken (the "theoretical arrival time" of the generic cell rate algorithm).
//! Taking a token pushes it one refill interval later; a token may be taken while that keeps
//! `full_at` within `capacity` intervals of now. One number, so a check is one conditional
//! update of it, and an idle bucket (`full_at` in the past) needs no refill arithmetic at all.

use chrono::{DateTime, Duration, Utc};

/// What is limited: the expensive or abusable actions (a route declares its action).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Signup,
    Login,
    ConfirmEmail,
    SubmitProposal,
    PostMessage,
    Upload,
    Search,
}

/// Whose bucket a request draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// The signed-in caller (bearer routes only).
    User,
    /// The request's source address as API Gateway saw it (`requestContext.http.sourceIp`).
    Ip,
}

/// One row of the table of limits: `capacity` requests at once, then one more every
/// `refill_every`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub action: Action,
    pub key: KeyKind,
    pub capacity: u32,
    pub refill_every: Duration,
}

const fn limit(action: Action, key: KeyKind, capacity: u32, refill_every: Duration) -> RateLimit {
    RateLimit {
        action,
        key,
        capacity,
        refill_every,
    }
}

use Action::*;
use KeyKind::{Ip, User};

/// The production limits, the only place they are written (docs/trust-and-safety.md lists
/// them). Per-IP limits are looser than per-user ones where both apply: offices, campuses and
/// mobile carriers put many people behind one address. Login also keeps its per-email lockout
/// after failed passwords (`account::LoginThrottle`).
pub const LIMITS: &[RateLimit] = &[
    limit(Signup, Ip, 20, Duration::minutes(3)),
    limit(Login, Ip, 30, Duration::seconds(10)),
    limit(ConfirmEmail, Ip, 30, Duration::seconds(10)),
    limit(SubmitProposal, User, 30, Duration::minutes(2)),
    limit(SubmitProposal, Ip, 60, Duration::minutes(1)),
    limit(PostMessage, User, 60, Duration::seconds(3)),
    limit(PostMessage, Ip, 120, Duration::seconds(1)),
    limit(Upload, User, 30, Duration::seconds(30)),
    limit(Upload, Ip, 60, Duration::seconds(10)),
    limit(Search, User, 60, Duration::seconds(1)),
    limit(Search, Ip, 120, Duration::milliseconds(500)),
];

impl Action {
    /// The name in bucket keys and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Signup => "signup",
            Login => "login",
            ConfirmEmail => "confirm_email",
            SubmitProposal => "submit_proposal",
            PostMessage => "post_message",
            Upload => "upload",
            Search => "search",
        }
    }

    /// What a refusal names: "too many {this}".
    pub fn described(self) -> &'static str {
        match self {
            Signup => "sign-ups",
            Login => "login attempts",
            ConfirmEmail => "email confirmation attempts",
            SubmitProposal => "proposals",
            PostMessage => "messages",
            Upload => "file uploads",
            Search => "searches",
        }
    }

    /// This action's rows of `LIMITS`.
    pub fn limits(self) -> impl Iterator<Item = &'static RateLimit> {
        LIMITS.iter().filter(move |limit| limit.action == self)
    }
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            User => "user",
            Ip => "ip",
        }
    }
}

/// The one conditional update a step of a check makes to a bucket's `full_at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BucketWrite {
    /// The bucket is full (never used, or refilled since): it now lacks one token.
    /// Applies if `full_at` is absent or `<= now`; sets it to `full_at`.
    Start {
        now: DateTime<Utc>,
        full_at: DateTime<Utc>,
    },
    /// One token from a partly drained bucket. Applies if `now < full_at <= latest`; adds
    /// `interval` to it (so concurrent takes all land while tokens remain).
    Take {
        now: DateTime<Utc>,
        latest: DateTime<Utc>,
        interval: Duration,
    },
    /// `full_at` lies further ahead than a bucket can be empty for: the clock went back (a
    /// test moving the stack clock, another instance's clock behind). The bucket becomes
    /// empty as of the new clock, so it never blocks for longer than a full refill.
    /// Applies if `full_at == from`; sets it to `to`. The request is refused.
    Rewind {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        retry_after_secs: i64,
    },
}

impl BucketWrite {
    /// What the request gets once this write applied: a token, or the seconds to wait.
    pub fn outcome(&self) -> Result<(), i64> {
        match self {
            BucketWrite::Start { .. } | BucketWrite::Take { .. } => Ok(()),
            BucketWrite::Rewind {
                retry_after_secs, ..
            } => Err(*retry_after_secs),
        }
    }

    /// The latest `full_at` the write can leave: when the item is of no more use (its TTL).
    pub fn full_by(&self) -> DateTime<Utc> {
        match self {
            BucketWrite::Start { full_at, .. } => *full_at,
            BucketWrite::Take {
                latest, interval, ..
            } => *latest + *interval,
            BucketWrite::Rewind { to, .. } => *to,
        }
    }
}

/// The next step of a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    Write(BucketWrite),
    /// The bucket is empty: no write, wait this many whole seconds (at least 1).
    Refuse {
        retry_after_secs: i64,
    },
}

impl RateLimit {
    /// The same limit `factor` times wider (capacity × factor, refill ÷ factor): the local
    /// stack's setting for fuzzing runs that send thousands of requests from one address.
    pub fn scaled(self, factor: u32) -> RateLimit {
        let factor = factor.max(1);
        RateLimit {
            capacity: self.capacity.saturating_mul(factor),
            refill_every: (self.refill_every / factor as i32).max(Duration::milliseconds(1)),
            ..self
        }
    }

    /// The first step of every check: assume the bucket is full, the usual case for a person
    /// (so a check costs one update), and learn its `full_at` if it is not.
    pub fn first_step(&self, now: DateTime<Utc>) -> BucketWrite {
        BucketWrite::Start {
            now,
            full_at: now + self.refill_every,
        }
    }

    /// The step for a bucket whose `full_at` was found to be `full_at` (absent: never used).
    pub fn plan(&self, now: DateTime<Utc>, full_at: Option<DateTime<Utc>>) -> Plan {
        let interval = self.refill_every;
        let capacity = i32::try_from(self.capacity).unwrap_or(i32::MAX).max(1);
        // A token may be taken while full_at stays within `capacity` intervals of now.
        let latest = now + interval * (capacity - 1);
        let empty = now + interval * capacity;
        match full_at {
            None => Plan::Write(self.first_step(now)),
            Some(full_at) if full_at <= now => Plan::Write(self.first_step(now)),
            Some(full_at) if full_at <= latest => Plan::Write(BucketWrite::Take {
                now,
                latest,
                interval,
            }),
            Some(full_at) if full_at <= empty => Plan::Refuse {
                retry_after_secs: whole_seconds(full_at - latest),
            },
            Some(full_at) => Plan::Write(BucketWrite::Rewind {
                from: full_at,
                to: empty,
                retry_after_secs: whole_seconds(interval),
            }),
        }
    }
}

/// The key of an address's buckets. An IPv6 client is usually given a whole /64 to pick
/// addresses from, so the /64 is one key (an IPv4 address mapped into IPv6 is that address).
pub fn address_key(ip: std::net::IpAddr) -> String {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// A wait in the whole seconds of `Retry-After`: rounded up (waiting less would be refused
/// again), at least one.
pub fn whole_seconds(wait: Duration) -> i64 {
    let millis = wait.num_milliseconds().max(0);
    ((millis + 999) / 1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// The store's conditions, over one bucket in memory: what DynamoDB does with a write.
    fn apply(state: &mut Option<DateTime<Utc>>, write: BucketWrite) -> bool {
        let applies = match (write, *state) {
            (BucketWrite::Start { now, .. }, found) => found.is_none_or(|f| f <= now),
            (BucketWrite::Take { now, latest, .. }, Some(f)) => now < f && f <= latest,
            (BucketWrite::Take { .. }, None) => false,
            (BucketWrite::Rewind { from, .. }, found) => found == Some(from),
        };
        if applies {
            *state = Some(match write {
                BucketWrite::Start { full_at, .. } => full_at,
                BucketWrite::Take { interval, .. } => state.unwrap() + interval,
                BucketWrite::Rewind { to, .. } => to,
            });
        }
        applies
    }

    /// A whole check as the store runs it: the first step, then what the bucket says.
    fn check(
        limit: &RateLimit,
        state: &mut Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), i64> {
        let mut write = limit.first_step(now);
        for _ in 0..4 {
            if apply(state, write) {
                return write.outcome();
            }
            match limit.plan(now, *state) {
                Plan::Write(next) => write = next,
                Plan::Refuse { retry_after_secs } => return Err(retry_after_secs),
            }
        }
        panic!("a lone bucket settles within four steps")
    }

    const FIVE_PER_MINUTE: RateLimit = limit(Login, Ip, 5, Duration::seconds(12));

    #[test]
    fn a_full_bucket_grants_its_capacity_then_refuses_until_one_token_is_back() {
        let mut bucket = None;
        let now = t("2026-12-01T10:00:00Z");
        for i in 0..5 {
            assert_eq!(
                check(&FIVE_PER_MINUTE, &mut bucket, now),
                Ok(()),
                "call {i}"
            );
        }
        assert_eq!(check(&FIVE_PER_MINUTE, &mut bucket, now), Err(12));
        // Refusals take nothing: still 12 s to wait, then exactly one more.
        assert_eq!(check(&FIVE_PER_MINUTE, &mut bucket, now), Err(12));
        let later = now + Duration::seconds(12);
        assert_eq!(check(&FIVE_PER_MINUTE, &mut bucket, later), Ok(()));
        assert_eq!(check(&FIVE_PER_MINUTE, &mut bucket, later), Err(12));
    }

    #[test]
    fn tokens_refill_one_per_interval_and_never_beyond_capacity() {
        let mut bucket = None;
        let now = t("2026-12-01T10:00:00Z");
        for _ in 0..5 {
            check(&FIVE_PER_MINUTE, &mut bucket, now).unwrap();
        }
        // Three intervals later, three tokens.
        let later = now + Duration::seconds(36);
        for _ in 0..3 {
            assert_eq!(check(&FIVE_PER_MINUTE, &mut bucket, later), Ok(()));
        }
        assert!(check(&FIVE_PER_MINUTE, &mut bucket, later).is_err());
        // A day idle refills to the capacity, not to a day's worth.
        let tomorrow = now + Duration::days(1);
        let granted = (0..20)
            .filter(|_| check(&FIVE_PER_MINUTE, &mut bucket, tomorrow).is_ok())
            .count();
        assert_eq!(granted, 5);
    }

    #[test]
    fn a_steady_pace_at_the_refill_rate_is_never_refused() {
        let mut bucket = None;
        let start = t("2026-12-01T10:00:00Z");
        for i in 0..100 {
            let at = start + Duration::seconds(12 * i);
            assert_eq!(check(&FIVE_PER_MINUTE, &mut bucket, at), Ok(()), "call {i}");
        }
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds_and_is_at_least_one() {
        assert_eq!(whole_seconds(Duration::milliseconds(1500)), 2);
        assert_eq!(whole_seconds(Duration::milliseconds(1)), 1);
        assert_eq!(whole_seconds(Duration::seconds(3)), 3);
        assert_eq!(whole_seconds(Duration::zero()), 1);
        let mut bucket = None;
        let now = t("2026-12-01T10:00:00Z");
        for _ in 0..5 {
            check(&FIVE_PER_MINUTE, &mut bucket, now).unwrap();
        }
        // 11.5 s of the 12 s still to go: wait 12; 0.5 s to go: wait 1. Waiting what was
        // said always succeeds.
        let soon = now + Duration::milliseconds(500);
        assert_eq!(check(&FIVE_PER_MINUTE, &mut bucket, soon), Err(12));
        let almost = now + Duration::milliseconds(11_500);
        assert_eq!(check(&FIVE_PER_MINUTE, &mut bucket, almost), Err(1));
        assert_eq!(
            check(&FIVE_PER_MINUTE, &mut bucket, almost + Duration::seconds(1)),
            Ok(())
        );
    }

    #[test]
    fn a_clock_going_back_never_grants_more_and_never_blocks_longer_than_a_refill() {
        let now = t("2026-12-01T10:00:00Z");
        // A little back (another instance's clock behind) on a partly drained bucket: the
        // tokens left are counted from the earlier clock, so fewer, never more.
        let mut bucket = None;
        for _ in 0..3 {
            check(&FIVE_PER_MINUTE, &mut bucket, now).unwrap();
        }
        let behind = now - Duration::seconds(5);
        assert_eq!(check(&FIVE_PER_MINUTE, &mut bucket, behind), Ok(()));
        assert_eq!(check(&FIVE_PER_MINUTE, &mut bucket, behind), Err(5));
        // A day back on an empty bucket: emptied as of the new clock, one refill to wait
        // (not a day), then one token per interval as usual.
        let yesterday = now - Duration::days(1);
        assert_eq!(check(&FIVE_PER_MINUTE, &mut bucket, yesterday), Err(12));
        assert_eq!(check(&FIVE_PER_MINUTE, &mut bucket, yesterday), Err(12));
        let refilled = yesterday + Duration::seconds(12);
        assert_eq!(check(&FIVE_PER_MINUTE, &mut bucket, refilled), Ok(()));
        assert!(check(&FIVE_PER_MINUTE, &mut bucket, refilled).is_err());
    }

    #[test]
    fn an_ipv6_client_is_keyed_by_its_64_and_a_mapped_ipv4_by_the_address() {
        let key = |raw: &str| address_key(raw.parse().unwrap());
        assert_eq!(key("203.0.113.7"), "203.0.113.7");
        assert_eq!(key("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), key("2001:db8:1:2::1"));
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
    }

    #[test]
    fn scaling_widens_capacity_and_rate_alike() {
        let wide = FIVE_PER_MINUTE.scaled(100);
        assert_eq!(wide.capacity, 500);
        assert_eq!(wide.refill_every, Duration::milliseconds(120));
        assert_eq!(FIVE_PER_MINUTE.scaled(0), FIVE_PER_MINUTE);
    }

    #[test]
    fn every_action_has_a_limit_and_each_key_kind_once() {
        for action in [
            Signup,
            Login,
            ConfirmEmail,
            SubmitProposal,
            PostMessage,
            Upload,
            Search,
        ] {
            let kinds: Vec<KeyKind> = action.limits().map(|l| l.key).collect();
            assert!(!kinds.is_empty(), "{action:?}");
            let mut unique = kinds.clone();
            unique.dedup();
            assert_eq!(unique, kinds, "{action:?} lists a key kind twice");
        }
        // Anonymous actions can only be keyed by address.
        for action in [Signup, Login, ConfirmEmail] {
            assert!(action.limits().all(|l| l.key == Ip), "{action:?}");
        }
        assert!(LIMITS.iter().all(|l| l.capacity >= 1));
    }
}
