//! The local stack's clock (never deployed): the wall clock, unless a developer or a test
//! froze it with `PUT /_dev/clock`. The dev server stamps every request with it and the event
//! pump hands it to the queue workers, so a whole workflow can be played at a chosen time
//! (a week closing on Monday, a review period ending) without waiting for it.

use chrono::{DateTime, Utc};
use std::sync::RwLock;

#[derive(Debug, Default)]
pub struct DevClock {
    frozen: RwLock<Option<DateTime<Utc>>>,
}

impl DevClock {
    /// A clock that follows the wall clock.
    pub fn new() -> Self {
        Self::default()
    }

    /// The frozen time if one is set, else `Utc::now()`.
    pub fn now(&self) -> DateTime<Utc> {
        self.frozen().unwrap_or_else(Utc::now)
    }

    /// The time the clock is frozen at, if it is.
    pub fn frozen(&self) -> Option<DateTime<Utc>> {
        *self
            .frozen
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stops the clock at `time` (it may go backwards as well as forwards).
    pub fn freeze(&self, time: DateTime<Utc>) {
        *self
            .frozen
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(time);
    }

    /// Back to the wall clock.
    pub fn unfreeze(&self) {
        *self
            .frozen
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_until_unfrozen() {
        let clock = DevClock::new();
        assert_eq!(clock.frozen(), None);
        let at = DateTime::parse_from_rfc3339("2020-01-06T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        clock.freeze(at);
        assert_eq!((clock.now(), clock.frozen()), (at, Some(at)));
        clock.unfreeze();
        assert_eq!(clock.frozen(), None);
        assert!(clock.now() > at);
    }
}
