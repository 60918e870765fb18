//! Pure domain code: no AWS, no Lambda, no clock. Anything that depends on time takes `now`.

pub mod account;
pub mod events;
pub mod ids;
