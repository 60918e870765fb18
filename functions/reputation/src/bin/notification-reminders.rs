//! `notification-reminders` (EventBridge schedule): Sends the reminders that are due (escrow auto-release in 48 h, hourly review closing) to the inbox and by e-mail.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_schedule(worklane_reputation::NOTIFICATION_REMINDERS).await
}
