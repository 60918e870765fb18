//! Outgoing email: SES in the cloud; locally, a mailbox in the table that developers and
//! tests read through `GET /_dev/mailbox`.

use crate::store::{keys, Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug)]
pub enum Mailer {
    Ses {
        client: aws_sdk_sesv2::Client,
        from: String,
    },
    DevMailbox,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MailboxItem {
    pub pk: String,
    pub sk: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub sent_at: DateTime<Utc>,
    pub expires_at: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("email provider refused the message: {0}")]
    Provider(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Mailer {
    pub async fn send(
        &self,
        store: &Store,
        email: &Email,
        now: DateTime<Utc>,
    ) -> Result<(), MailError> {
        match self {
            Mailer::Ses { client, from } => {
                use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
                let content = |text: &str| Content::builder().data(text).charset("UTF-8").build();
                let message = Message::builder()
                    .subject(
                        content(&email.subject).map_err(|e| MailError::Provider(e.to_string()))?,
                    )
                    .body(
                        Body::builder()
                            .text(
                                content(&email.text)
                                    .map_err(|e| MailError::Provider(e.to_string()))?,
                            )
                            .build(),
                    )
                    .build();
                client
                    .send_email()
                    .from_email_address(from)
                    .destination(Destination::builder().to_addresses(&email.to).build())
                    .content(EmailContent::builder().simple(message).build())
                    .send()
                    .await
                    .map_err(|e| {
                        MailError::Provider(
                            aws_sdk_sesv2::error::DisplayErrorContext(&e).to_string(),
                        )
                    })?;
                Ok(())
            }
            Mailer::DevMailbox => {
                let item = MailboxItem {
                    pk: keys::dev_mailbox(&email.to.to_lowercase()),
                    sk: format!("{}#{}", now.to_rfc3339(), ulid::Ulid::new()),
                    to: email.to.clone(),
                    subject: email.subject.clone(),
                    text: email.text.clone(),
                    sent_at: now,
                    expires_at: crate::store::ttl(now + Duration::days(7)),
                };
                store.put(&item).await?;
                Ok(())
            }
        }
    }
}

/// The local mailbox of one address, newest first.
pub async fn dev_mailbox(
    store: &Store,
    to: &str,
    limit: i32,
) -> Result<Vec<MailboxItem>, StoreError> {
    let (items, _) = store
        .query_prefix(
            None,
            &keys::dev_mailbox(&to.trim().to_lowercase()),
            "",
            true,
            limit,
            None,
        )
        .await?;
    items.into_iter().map(crate::store::from_item).collect()
}
