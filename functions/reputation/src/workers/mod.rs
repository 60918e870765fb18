//! Queue, stream and schedule handlers.

pub mod feedback;
pub mod message_rooms;
pub mod notifications;
