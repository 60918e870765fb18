//! Hourly contracts: time logging, the work diary, weekly billing, review and release.
//!
//! Functions of this area (each a binary in `src/bin/`, a Lambda in `infra/template.yaml`):
//! - `time-tracking` (HTTP API): Hourly time - logging 10-minute segments, the work diary, deleting segments, weekly timesheets.
//! - `weekly-billing-close` (EventBridge schedule): Monday 12:00 UTC - closes the hourly week, one billing-queue message per contract-week with time logged.
//! - `hourly-invoicing` (SQS queue): Turns each closed contract-week into exactly one invoice and charges the client's billing method.
//! - `hourly-review-release` (EventBridge schedule): Pays the freelancer for hourly weeks whose review ended undisputed (reads the sparse due index).
//! - `hourly-charge-retry` (EventBridge schedule): Charges again the hourly invoices whose charge failed, once their next attempt is due.

pub mod handlers;
pub mod workers;

use worklane::lambda::{Function, HttpFunction, QueueFunction, ScheduleFunction};

/// `time-tracking`: Hourly time - logging 10-minute segments, the work diary, deleting segments, weekly timesheets.
pub const TIME_TRACKING: HttpFunction = HttpFunction {
    name: "time-tracking",
    routes: handlers::time_tracking::routes,
};

/// `weekly-billing-close`: Monday 12:00 UTC - closes the hourly week, one billing-queue message per contract-week with time logged.
pub const WEEKLY_BILLING_CLOSE: ScheduleFunction = ScheduleFunction {
    name: "weekly-billing-close",
    handler: worklane::schedule_handler!(workers::hourly::close_weeks),
};

/// `hourly-invoicing`: Turns each closed contract-week into exactly one invoice and charges the client's billing method.
pub const HOURLY_INVOICING: QueueFunction = QueueFunction {
    name: "hourly-invoicing",
    handler: worklane::queue_handler!(workers::hourly::handle_invoicing),
};

/// `hourly-review-release`: Pays the freelancer for hourly weeks whose review ended undisputed (reads the sparse due index).
pub const HOURLY_REVIEW_RELEASE: ScheduleFunction = ScheduleFunction {
    name: "hourly-review-release",
    handler: worklane::schedule_handler!(workers::hourly::release_reviewed),
};

/// `hourly-charge-retry`: Charges again the hourly invoices whose charge failed, once their next attempt is due.
pub const HOURLY_CHARGE_RETRY: ScheduleFunction = ScheduleFunction {
    name: "hourly-charge-retry",
    handler: worklane::schedule_handler!(workers::hourly::retry_charges),
};

/// Every function of this area, for the local stack that serves them all in one process.
pub fn functions() -> Vec<Function> {
    vec![
        Function::Http(TIME_TRACKING),
        Function::Schedule(WEEKLY_BILLING_CLOSE),
        Function::Queue(HOURLY_INVOICING),
        Function::Schedule(HOURLY_REVIEW_RELEASE),
        Function::Schedule(HOURLY_CHARGE_RETRY),
    ]
}
