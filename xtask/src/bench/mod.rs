//! The benchmark suite (`cargo run --release -p worklane-devstack --bin bench-suite`): cold
//! start against Python and Node peers, round trips per workflow step, latency against the
//! DynamoDB floor, a steady-rate load test, and the release artifacts; written to
//! docs/benchmarks.md and docs/benchmarks.json. Each section has a time budget.

pub mod api_client;
pub mod artifacts;
pub mod child_server;
pub mod coldstart;
pub mod counting;
pub mod explanations;
pub mod floor;
pub mod inproc;
pub mod latency;
pub mod load;
pub mod report;
pub mod roundtrips;
pub mod stats;
pub mod sys;

use std::time::{Duration, Instant};

/// A section's time: it checks `expired` between units of work and reports what it measured.
#[derive(Clone, Debug)]
pub struct Budget {
    started: Instant,
    total: Duration,
}

impl Budget {
    pub fn new(total: Duration) -> Self {
        Self {
            started: Instant::now(),
            total,
        }
    }

    pub fn total(&self) -> Duration {
        self.total
    }

    pub fn remaining(&self) -> Duration {
        self.total.saturating_sub(self.started.elapsed())
    }

    pub fn expired(&self) -> bool {
        self.remaining().is_zero()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_runs_out() {
        let budget = Budget::new(Duration::from_secs(60));
        assert!(!budget.expired());
        assert!(budget.remaining() <= Duration::from_secs(60));
        assert!(Budget::new(Duration::ZERO).expired());
    }
}
