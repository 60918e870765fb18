//! Accounts: sign-up and sessions, the caller's account, billing and payout methods, files.
//!
//! Functions of this area (each a binary in `src/bin/`, a Lambda in `infra/template.yaml`):
//! - `auth` (HTTP API): Sign-up, e-mail confirmation, login, token refresh and logout.
//! - `me` (HTTP API): The signed-in user's account.
//! - `payments` (HTTP API): Clients' billing methods and freelancers' payout methods, vaulted with the payment processor.
//! - `files` (HTTP API): File uploads and downloads with presigned S3 URLs; file records and access.

pub mod handlers;

use worklane::lambda::{Function, HttpFunction};

/// `auth`: Sign-up, e-mail confirmation, login, token refresh and logout.
pub const AUTH: HttpFunction = HttpFunction {
    name: "auth",
    routes: handlers::auth::routes,
};

/// `me`: The signed-in user's account.
pub const ME: HttpFunction = HttpFunction {
    name: "me",
    routes: handlers::me::routes,
};

/// `payments`: Clients' billing methods and freelancers' payout methods, vaulted with the payment processor.
pub const PAYMENTS: HttpFunction = HttpFunction {
    name: "payments",
    routes: handlers::payments::routes,
};

/// `files`: File uploads and downloads with presigned S3 URLs; file records and access.
pub const FILES: HttpFunction = HttpFunction {
    name: "files",
    routes: handlers::files::routes,
};

/// Every function of this area, for the local stack that serves them all in one process.
pub fn functions() -> Vec<Function> {
    vec![
        Function::Http(AUTH),
        Function::Http(ME),
        Function::Http(PAYMENTS),
        Function::Http(FILES),
    ]
}
