//! Contracts and fixed-price escrow: offers, contracts, funding, release, the wallet and the ledger audit.
//!
//! Functions of this area (each a binary in `src/bin/`, a Lambda in `infra/template.yaml`):
//! - `contracts` (HTTP API): Offers and contracts - send, accept (starts the contract), decline, withdraw; pause, resume, end; amendments and unfunded milestone edits.
//! - `escrow` (HTTP API): Fixed-price escrow - fund, submit, request changes, approve (release), refund, bonus.
//! - `wallet` (HTTP API): Wallet, transaction history and the admin ledger audit.
//! - `escrow-auto-release` (EventBridge schedule): Releases submitted milestones whose 14-day review is over (reads the sparse due index).
//! - `earnings-availability` (EventBridge schedule): Makes released earnings available after the 5-day security period.

pub mod handlers;
pub mod workers;

use worklane::lambda::{Function, HttpFunction, ScheduleFunction};

/// `contracts`: Offers and contracts - send, accept (starts the contract), decline, withdraw; pause, resume, end; amendments and unfunded milestone edits.
pub const CONTRACTS: HttpFunction = HttpFunction {
    name: "contracts",
    routes: handlers::contracts::routes,
};

/// `escrow`: Fixed-price escrow - fund, submit, request changes, approve (release), refund, bonus.
pub const ESCROW: HttpFunction = HttpFunction {
    name: "escrow",
    routes: handlers::escrow::routes,
};

/// `wallet`: Wallet, transaction history and the admin ledger audit.
pub const WALLET: HttpFunction = HttpFunction {
    name: "wallet",
    routes: handlers::wallet::routes,
};

/// `escrow-auto-release`: Releases submitted milestones whose 14-day review is over (reads the sparse due index).
pub const ESCROW_AUTO_RELEASE: ScheduleFunction = ScheduleFunction {
    name: "escrow-auto-release",
    handler: worklane::schedule_handler!(workers::escrow::auto_release),
};

/// `earnings-availability`: Makes released earnings available after the 5-day security period.
pub const EARNINGS_AVAILABILITY: ScheduleFunction = ScheduleFunction {
    name: "earnings-availability",
    handler: worklane::schedule_handler!(workers::escrow::earnings_availability),
};

/// Every function of this area, for the local stack that serves them all in one process.
pub fn functions() -> Vec<Function> {
    vec![
        Function::Http(CONTRACTS),
        Function::Http(ESCROW),
        Function::Http(WALLET),
        Function::Schedule(ESCROW_AUTO_RELEASE),
        Function::Schedule(EARNINGS_AVAILABILITY),
    ]
}
