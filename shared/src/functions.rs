//! The Lambda functions of Worklane: one binary each, named as in `infra/template.yaml`.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Function {
    Auth,
    Me,
    ApiDocs,
    EventForwarder,
    Notifications,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// API Gateway HTTP API routes.
    Http,
    /// The table's DynamoDB stream.
    Stream,
    /// An SQS queue.
    Queue,
}

impl Function {
    pub const ALL: [Function; 5] = [
        Function::Auth,
        Function::Me,
        Function::ApiDocs,
        Function::EventForwarder,
        Function::Notifications,
    ];

    /// The cargo binary, and `Metadata.BuildProperties.Binary` in the SAM template.
    pub fn binary(self) -> &'static str {
        match self {
            Function::Auth => "auth",
            Function::Me => "me",
            Function::ApiDocs => "api-docs",
            Function::EventForwarder => "event-forwarder",
            Function::Notifications => "notifications",
        }
    }

    pub fn trigger(self) -> Trigger {
        match self {
            Function::Auth | Function::Me | Function::ApiDocs => Trigger::Http,
            Function::EventForwarder => Trigger::Stream,
            Function::Notifications => Trigger::Queue,
        }
    }

    pub fn from_binary(binary: &str) -> Option<Function> {
        Self::ALL.into_iter().find(|f| f.binary() == binary)
    }
}

impl Function {
    /// The handler of a queue-triggered function (Lambda and the local stack call this).
    pub async fn handle_queue(
        self,
        app: &crate::App,
        event: aws_lambda_events::event::sqs::SqsEvent,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<aws_lambda_events::event::sqs::SqsBatchResponse> {
        match self {
            Function::Notifications => {
                Some(crate::workers::notifications::handle_notifications(app, event, now).await)
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
}
