//! The Lambda functions of Worklane: one binary each, named as in `infra/template.yaml`.

use chrono::{DateTime, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Function {
    Auth,
    Me,
    ApiDocs,
    Files,
    Profiles,
    Jobs,
    JobSearch,
    Proposals,
    Connects,
    Payments,
    Contracts,
    Escrow,
    Wallet,
    Reports,
    EventForwarder,
    Notifications,
    SearchIndexer,
    MarketplaceEvents,
    ConnectsMonthlyGrant,
    EscrowAutoRelease,
    EarningsAvailability,
    TimeTracking,
    Disputes,
    WeeklyBillingClose,
    HourlyInvoicing,
    HourlyReviewRelease,
    HourlyChargeRetry,
    Inbox,
    NotificationReminders,
    Feedback,
    FeedbackReveal,
    Messages,
    MessageRooms,
    Identity,
    IdentityRetention,
    Withdrawals,
    WithdrawalsProcessing,
    DisputeDeadlines,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// API Gateway HTTP API routes.
    Http,
    /// The table's DynamoDB stream.
    Stream,
    /// An SQS queue.
    Queue,
    /// An EventBridge schedule; the handler takes its time from the event.
    Schedule,
}

impl Function {
    pub const ALL: [Function; 38] = [
        Function::Auth,
        Function::Me,
        Function::ApiDocs,
        Function::Files,
        Function::Profiles,
        Function::Jobs,
        Function::JobSearch,
        Function::Proposals,
        Function::Connects,
        Function::Payments,
        Function::Contracts,
        Function::Escrow,
        Function::Wallet,
        Function::Reports,
        Function::EventForwarder,
        Function::Notifications,
        Function::SearchIndexer,
        Function::MarketplaceEvents,
        Function::ConnectsMonthlyGrant,
        Function::EscrowAutoRelease,
        Function::EarningsAvailability,
        Function::TimeTracking,
        Function::Disputes,
        Function::WeeklyBillingClose,
        Function::HourlyInvoicing,
        Function::HourlyReviewRelease,
        Function::HourlyChargeRetry,
        Function::Inbox,
        Function::NotificationReminders,
        Function::Feedback,
        Function::FeedbackReveal,
        Function::Messages,
        Function::MessageRooms,
        Function::Identity,
        Function::IdentityRetention,
        Function::Withdrawals,
        Function::WithdrawalsProcessing,
        Function::DisputeDeadlines,
    ];

    /// The cargo binary, and `Metadata.BuildProperties.Binary` in the SAM template.
    pub fn binary(self) -> &'static str {
        match self {
            Function::Auth => "auth",
            Function::Me => "me",
            Function::ApiDocs => "api-docs",
            Function::Files => "files",
            Function::Profiles => "profiles",
            Function::Jobs => "jobs",
            Function::JobSearch => "job-search",
            Function::Proposals => "proposals",
            Function::Connects => "connects",
            Function::Payments => "payments",
            Function::Contracts => "contracts",
            Function::Escrow => "escrow",
            Function::Wallet => "wallet",
            Function::Reports => "reports",
            Function::EventForwarder => "event-forwarder",
            Function::Notifications => "notifications",
            Function::SearchIndexer => "search-indexer",
            Function::MarketplaceEvents => "marketplace-events",
            Function::ConnectsMonthlyGrant => "connects-monthly-grant",
            Function::EscrowAutoRelease => "escrow-auto-release",
            Function::EarningsAvailability => "earnings-availability",
            Function::TimeTracking => "time-tracking",
            Function::Disputes => "disputes",
            Function::WeeklyBillingClose => "weekly-billing-close",
            Function::HourlyInvoicing => "hourly-invoicing",
            Function::HourlyReviewRelease => "hourly-review-release",
            Function::HourlyChargeRetry => "hourly-charge-retry",
            Function::Inbox => "inbox",
            Function::NotificationReminders => "notification-reminders",
            Function::DisputeDeadlines => "dispute-deadlines",
            Function::Feedback => "feedback",
            Function::FeedbackReveal => "feedback-reveal",
            Function::Messages => "messages",
            Function::MessageRooms => "message-rooms",
            Function::Identity => "identity",
            Function::IdentityRetention => "identity-retention",
            Function::Withdrawals => "withdrawals",
            Function::WithdrawalsProcessing => "withdrawals-processing",
        }
    }

    pub fn trigger(self) -> Trigger {
        match self {
            Function::Auth
            | Function::Me
            | Function::ApiDocs
            | Function::Files
            | Function::Profiles
            | Function::Jobs
            | Function::JobSearch
            | Function::Proposals
            | Function::Connects
            | Function::Payments
            | Function::Contracts
            | Function::Escrow
            | Function::Wallet
            | Function::Reports
            | Function::TimeTracking
            | Function::Disputes
            | Function::Inbox
            | Function::Feedback
            | Function::Messages
            | Function::Identity
            | Function::Withdrawals => Trigger::Http,
            Function::EventForwarder => Trigger::Stream,
            Function::Notifications
            | Function::SearchIndexer
            | Function::MarketplaceEvents
            | Function::HourlyInvoicing
            | Function::MessageRooms
            | Function::WithdrawalsProcessing => Trigger::Queue,
            Function::ConnectsMonthlyGrant
            | Function::EscrowAutoRelease
            | Function::EarningsAvailability
            | Function::WeeklyBillingClose
            | Function::HourlyReviewRelease
            | Function::HourlyChargeRetry
            | Function::NotificationReminders
            | Function::DisputeDeadlines
            | Function::FeedbackReveal
            | Function::IdentityRetention => Trigger::Schedule,
        }
    }

    pub fn from_binary(binary: &str) -> Option<Function> {
        Self::ALL.into_iter().find(|f| f.binary() == binary)
    }
}

/// What a scheduled function did, returned to EventBridge (and by `POST /_dev/schedules/…`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ScheduleSummary {
    /// Items the run looked at.
    pub examined: u64,
    /// Items it changed (or messages it fanned out).
    pub applied: u64,
    /// Items already done by an earlier run (re-runs land here, never in `applied`).
    pub skipped: u64,
}

impl Function {
    /// The handler of a queue-triggered function (Lambda and the local stack call this).
    pub async fn handle_queue(
        self,
        app: &crate::App,
        event: aws_lambda_events::event::sqs::SqsEvent,
        now: DateTime<Utc>,
    ) -> Option<aws_lambda_events::event::sqs::SqsBatchResponse> {
        use crate::workers;
        match self {
            Function::Notifications => {
                Some(workers::notifications::handle_notifications(app, event, now).await)
            }
            Function::SearchIndexer => Some(workers::search_indexer::handle(app, event, now).await),
            Function::MarketplaceEvents => {
                Some(workers::marketplace::handle(app, event, now).await)
            }
            Function::HourlyInvoicing => {
                Some(workers::hourly::handle_invoicing(app, event, now).await)
            }
            Function::MessageRooms => Some(workers::message_rooms::handle(app, event, now).await),
            Function::WithdrawalsProcessing => {
                Some(workers::withdrawals::handle(app, event, now).await)
            }
            _ => None,
        }
    }

    /// The handler of a stream-triggered function.
    pub async fn handle_stream(
        self,
        app: &crate::App,
        event: aws_lambda_events::event::dynamodb::Event,
    ) -> Option<aws_lambda_events::event::streams::DynamoDbEventResponse> {
        match self {
            Function::EventForwarder => {
                Some(crate::workers::forwarder::forward_outbox(app, event).await)
            }
            _ => None,
        }
    }

    /// The handler of a scheduled function. `time` is the event's time, never the wall clock,
    /// so re-running a schedule for the same time does the same (idempotent) work.
    pub async fn handle_schedule(
        self,
        app: &crate::App,
        time: DateTime<Utc>,
    ) -> Option<Result<ScheduleSummary, crate::store::StoreError>> {
        match self {
            Function::ConnectsMonthlyGrant => {
                Some(crate::workers::connects_grant::run(app, time).await)
            }
            Function::EscrowAutoRelease => {
                Some(crate::workers::escrow::auto_release(app, time).await)
            }
            Function::EarningsAvailability => {
                Some(crate::workers::escrow::earnings_availability(app, time).await)
            }
            Function::WeeklyBillingClose => {
                Some(crate::workers::hourly::close_weeks(app, time).await)
            }
            Function::HourlyReviewRelease => {
                Some(crate::workers::hourly::release_reviewed(app, time).await)
            }
            Function::HourlyChargeRetry => {
                Some(crate::workers::hourly::retry_charges(app, time).await)
            }
            Function::NotificationReminders => {
                Some(crate::workers::notifications::send_reminders(app, time).await)
            }
            Function::FeedbackReveal => Some(crate::workers::feedback::reveal_due(app, time).await),
            Function::IdentityRetention => {
                Some(crate::workers::identity::delete_expired_documents(app, time).await)
            }
            Function::DisputeDeadlines => {
                Some(crate::workers::disputes::deadlines(app, time).await)
            }
            _ => None,
        }
    }
}
