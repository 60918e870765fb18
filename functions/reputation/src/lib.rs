//! Reputation and messages: feedback and the Job Success Score, message rooms, the inbox and notifications.
//!
//! Functions of this area (each a binary in `src/bin/`, a Lambda in `infra/template.yaml`):
//! - `feedback` (HTTP API): Leave feedback on an ended contract (double blind) and read feedback with the Job Success Score.
//! - `messages` (HTTP API): Message rooms - the caller's rooms, posting and reading messages with attachments, read receipts.
//! - `inbox` (HTTP API): The caller's notifications (newest first, unread count) and marking them read.
//! - `feedback-reveal` (EventBridge schedule): Reveals feedback whose 14-day window closed without the other side's (reads the sparse due index).
//! - `message-rooms` (SQS queue): Opens a message room (and its two memberships) for every proposal and contract.
//! - `notifications` (SQS queue): Sends e-mail notifications for domain events.
//! - `notification-reminders` (EventBridge schedule): Sends the reminders that are due (escrow auto-release in 48 h, hourly review closing) to the inbox and by e-mail.

pub mod handlers;
pub mod workers;

use worklane::lambda::{Function, HttpFunction, QueueFunction, ScheduleFunction};

/// `feedback`: Leave feedback on an ended contract (double blind) and read feedback with the Job Success Score.
pub const FEEDBACK: HttpFunction = HttpFunction {
    name: "feedback",
    routes: handlers::feedback::routes,
};

/// `messages`: Message rooms - the caller's rooms, posting and reading messages with attachments, read receipts.
pub const MESSAGES: HttpFunction = HttpFunction {
    name: "messages",
    routes: handlers::messages::routes,
};

/// `inbox`: The caller's notifications (newest first, unread count) and marking them read.
pub const INBOX: HttpFunction = HttpFunction {
    name: "inbox",
    routes: handlers::inbox::routes,
};

/// `feedback-reveal`: Reveals feedback whose 14-day window closed without the other side's (reads the sparse due index).
pub const FEEDBACK_REVEAL: ScheduleFunction = ScheduleFunction {
    name: "feedback-reveal",
    handler: worklane::schedule_handler!(workers::feedback::reveal_due),
};

/// `message-rooms`: Opens a message room (and its two memberships) for every proposal and contract.
pub const MESSAGE_ROOMS: QueueFunction = QueueFunction {
    name: "message-rooms",
    handler: worklane::queue_handler!(workers::message_rooms::handle),
};

/// `notifications`: Sends e-mail notifications for domain events.
pub const NOTIFICATIONS: QueueFunction = QueueFunction {
    name: "notifications",
    handler: worklane::queue_handler!(workers::notifications::handle_notifications),
};

/// `notification-reminders`: Sends the reminders that are due (escrow auto-release in 48 h, hourly review closing) to the inbox and by e-mail.
pub const NOTIFICATION_REMINDERS: ScheduleFunction = ScheduleFunction {
    name: "notification-reminders",
    handler: worklane::schedule_handler!(workers::notifications::send_reminders),
};

/// Every function of this area, for the local stack that serves them all in one process.
pub fn functions() -> Vec<Function> {
    vec![
        Function::Http(FEEDBACK),
        Function::Http(MESSAGES),
        Function::Http(INBOX),
        Function::Schedule(FEEDBACK_REVEAL),
        Function::Queue(MESSAGE_ROOMS),
        Function::Queue(NOTIFICATIONS),
        Function::Schedule(NOTIFICATION_REMINDERS),
    ]
}
