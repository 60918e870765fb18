//! Asynchronous functions: the outbox forwarder (DynamoDB stream → EventBridge) and the
//! queue workers behind EventBridge rules.

pub mod forwarder;
pub mod notifications;
