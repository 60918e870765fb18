//! Marketplace: profiles, jobs, proposals and invitations, Connects.
//!
//! Functions of this area (each a binary in `src/bin/`, a Lambda in `infra/template.yaml`):
//! - `profiles` (HTTP API): Freelancer and client profiles, hiring history, and finding freelancers.
//! - `jobs` (HTTP API): Post, read, edit and close jobs.
//! - `proposals` (HTTP API): Proposals (spending Connects, boost auction) and invitations.
//! - `connects` (HTTP API): A freelancer's Connects balance and history, and buying Connects.
//! - `marketplace-events` (SQS queue): Reacts to marketplace events (refunds applicants' Connects when a job is cancelled before a hire).
//! - `connects-monthly-grant` (EventBridge schedule): Grants every freelancer the monthly Connects allowance of their plan (idempotent per month).
//! - `plans` (HTTP API): A freelancer's membership plan (subscribe to Plus, cancel at the period's end, history).
//! - `plan-renewals` (EventBridge schedule): Renews Plus at the month edge (charged once per month), retries refused renewals, then downgrades to Basic.

pub mod handlers;
pub mod workers;

use worklane::lambda::{Function, HttpFunction, QueueFunction, ScheduleFunction};

/// `profiles`: Freelancer and client profiles, hiring history, and finding freelancers.
pub const PROFILES: HttpFunction = HttpFunction {
    name: "profiles",
    routes: handlers::profiles::routes,
};

/// `jobs`: Post, read, edit and close jobs.
pub const JOBS: HttpFunction = HttpFunction {
    name: "jobs",
    routes: handlers::jobs::routes,
};

/// `proposals`: Proposals (spending Connects, boost auction) and invitations.
pub const PROPOSALS: HttpFunction = HttpFunction {
    name: "proposals",
    routes: handlers::proposals::routes,
};

/// `connects`: A freelancer's Connects balance and history, and buying Connects.
pub const CONNECTS: HttpFunction = HttpFunction {
    name: "connects",
    routes: handlers::connects::routes,
};

/// `marketplace-events`: Reacts to marketplace events (refunds applicants' Connects when a job is cancelled before a hire).
pub const MARKETPLACE_EVENTS: QueueFunction = QueueFunction {
    name: "marketplace-events",
    handler: worklane::queue_handler!(workers::marketplace::handle),
};

/// `connects-monthly-grant`: Grants every freelancer the monthly Connects allowance (idempotent per month).
pub const CONNECTS_MONTHLY_GRANT: ScheduleFunction = ScheduleFunction {
    name: "connects-monthly-grant",
    handler: worklane::schedule_handler!(workers::connects_grant::run),
};

/// `plans`: A freelancer's membership plan (subscribe to Plus, cancel at the period's end, history).
pub const PLANS: HttpFunction = HttpFunction {
    name: "plans",
    routes: handlers::plans::routes,
};

/// `plan-renewals`: Renews Plus at the month edge (charged once per month), retries refused renewals, then downgrades to Basic.
pub const PLAN_RENEWALS: ScheduleFunction = ScheduleFunction {
    name: "plan-renewals",
    handler: worklane::schedule_handler!(workers::plan_renewals::run),
};

/// Every function of this area, for the local stack that serves them all in one process.
pub fn functions() -> Vec<Function> {
    vec![
        Function::Http(PROFILES),
        Function::Http(JOBS),
        Function::Http(PROPOSALS),
        Function::Http(CONNECTS),
        Function::Queue(MARKETPLACE_EVENTS),
        Function::Schedule(CONNECTS_MONTHLY_GRANT),
        Function::Http(PLANS),
        Function::Schedule(PLAN_RENEWALS),
    ]
}
