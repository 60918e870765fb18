//! Disputes and payouts: disputes and mediation, identity verification, withdrawals, reports,
//! and trust and safety's content reports and moderation.
//!
//! Functions of this area (each a binary in `src/bin/`, a Lambda in `infra/template.yaml`):
//! - `disputes` (HTTP API): Disputes - open on a milestone or a week in review (money frozen), answer, admin mediation with the evidence, and the settlement's ledger movement.
//! - `dispute-deadlines` (EventBridge schedule): Settles disputes nobody answered by their deadline for the side that opened them (reads the sparse due index).
//! - `identity` (HTTP API): Identity verification - users submit ID documents, admins review them (presigned downloads) and approve or reject.
//! - `identity-retention` (EventBridge schedule): Deletes identity documents (objects and file records) 90 days after the decision on them (reads the sparse due index).
//! - `withdrawals` (HTTP API): Withdrawals - a verified freelancer sets available money aside for a payout; lists and reads them.
//! - `withdrawals-processing` (SQS queue): Sends money out through the payment processor: pays out each requested withdrawal and refunds each dispute's refund to the card that paid (idempotent per withdrawal and per dispute), or returns the money to the balance.
//! - `moderation` (HTTP API): Trust and safety - content reports (users report jobs, profiles, messages and proposals; admins dismiss, remove, warn or suspend), account suspension and reinstatement, and the append-only audit trail of admin actions.
//! - `reports` (HTTP API): Earnings, work in progress, billings by client, transactions and timesheets reports (JSON or CSV).

pub mod handlers;
pub mod workers;

use worklane::lambda::{Function, HttpFunction, QueueFunction, ScheduleFunction};

/// `disputes`: Disputes - open on a milestone or a week in review (money frozen), answer, admin mediation with the evidence, and the settlement's ledger movement.
pub const DISPUTES: HttpFunction = HttpFunction {
    name: "disputes",
    routes: handlers::disputes::routes,
};

/// `dispute-deadlines`: Settles disputes nobody answered by their deadline for the side that opened them (reads the sparse due index).
pub const DISPUTE_DEADLINES: ScheduleFunction = ScheduleFunction {
    name: "dispute-deadlines",
    handler: worklane::schedule_handler!(workers::disputes::deadlines),
};

/// `identity`: Identity verification - users submit ID documents, admins review them (presigned downloads) and approve or reject.
pub const IDENTITY: HttpFunction = HttpFunction {
    name: "identity",
    routes: handlers::identity::routes,
};

/// `identity-retention`: Deletes identity documents (objects and file records) 90 days after the decision on them (reads the sparse due index).
pub const IDENTITY_RETENTION: ScheduleFunction = ScheduleFunction {
    name: "identity-retention",
    handler: worklane::schedule_handler!(workers::identity::delete_expired_documents),
};

/// `withdrawals`: Withdrawals - a verified freelancer sets available money aside for a payout; lists and reads them.
pub const WITHDRAWALS: HttpFunction = HttpFunction {
    name: "withdrawals",
    routes: handlers::withdrawals::routes,
};

/// `withdrawals-processing`: Sends money out through the payment processor: pays out each requested withdrawal and refunds each dispute's refund to the card that paid (idempotent per withdrawal and per dispute), or returns the money to the balance.
pub const WITHDRAWALS_PROCESSING: QueueFunction = QueueFunction {
    name: "withdrawals-processing",
    handler: worklane::queue_handler!(workers::withdrawals::handle),
};

/// `moderation`: Trust and safety - content reports (users report jobs, profiles, messages and proposals; admins dismiss, remove, warn or suspend), account suspension and reinstatement, and the append-only audit trail of admin actions.
pub const MODERATION: HttpFunction = HttpFunction {
    name: "moderation",
    routes: handlers::moderation_routes,
};

/// `reports`: Earnings, work in progress, billings by client, transactions and timesheets reports (JSON or CSV).
pub const REPORTS: HttpFunction = HttpFunction {
    name: "reports",
    routes: handlers::reports::routes,
};

/// Every function of this area, for the local stack that serves them all in one process.
pub fn functions() -> Vec<Function> {
    vec![
        Function::Http(DISPUTES),
        Function::Schedule(DISPUTE_DEADLINES),
        Function::Http(IDENTITY),
        Function::Schedule(IDENTITY_RETENTION),
        Function::Http(WITHDRAWALS),
        Function::Queue(WITHDRAWALS_PROCESSING),
        Function::Http(MODERATION),
        Function::Http(REPORTS),
    ]
}
