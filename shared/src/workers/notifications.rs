//! Domain events → emails (and, as the product grows, inbox items). Each effect is recorded
//! as delivered, so a redelivered event does not send twice.

use super::WorkerError;
use crate::domain::events::{DomainEvent, EventPayload};
use crate::mail::Email;
use crate::store::accounts::{ConfirmationRecord, CONFIRMATION_TTL};
use crate::store::keys::{self, as_key};
use crate::App;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct DeliveredMarker {
    pk: String,
    sk: String,
    delivered_at: DateTime<Utc>,
    expires_at: i64,
}

pub async fn handle_notifications(
    app: &App,
    event: SqsEvent,
    now: DateTime<Utc>,
) -> SqsBatchResponse {
    super::each_event(event, "notification", |event| process(app, event, now)).await
}

async fn process(app: &App, event: DomainEvent, now: DateTime<Utc>) -> Result<(), WorkerError> {
    match &event.payload {
        EventPayload::AccountSignedUp { user_id, email, name } => {
            once(app, &event, "email:confirmation", now, || async {
                let token = confirmation_token(app, &event);
                let (pk, sk) = keys::email_confirmation(&crate::security::token_digest(&token));
                app.store
                    .store_confirmation(&ConfirmationRecord {
                        pk,
                        sk,
                        user_id: user_id.clone(),
                        email_canonical: email.to_lowercase(),
                        valid_until: event.occurred_at + CONFIRMATION_TTL,
                        expires_at: crate::store::ttl(event.occurred_at + CONFIRMATION_TTL),
                    })
                    .await
                    .map_err(|e| WorkerError::Retryable(e.to_string()))?;
                let text = format!(
                    "Hi {name},\n\nwelcome to Worklane. Confirm your email address to start posting jobs, \
                     sending proposals and getting paid.\n\nConfirmation token: {token}\n\n\
                     The token is valid for 48 hours. If you did not sign up, ignore this email.\n"
                );
                let email = Email {
                    to: email.clone(),
                    subject: "Confirm your Worklane email address".into(),
                    text,
                };
                app.mailer
                    .send(&app.store, &email, now)
                    .await
                    .map_err(|e| WorkerError::Retryable(e.to_string()))
            })
            .await
        }
        EventPayload::SavedSearchMatched {
            user_id,
            saved_search_id,
            job_id,
        } => {
            once(app, &event, "email:saved-search-alert", now, || async {
                // Read at delivery: the freelancer's address and the job as they are now.
                let (Some(user), Some(job)) =
                    (app.store.user(user_id).await?, app.store.job(job_id).await?)
                else {
                    return Ok(());
                };
                let email = Email {
                    to: user.email.clone(),
                    subject: format!("New job for your saved search: {}", job.title),
                    text: format!(
                        "Hi {},\n\na new job matches one of your saved searches \
                         ({saved_search_id}):\n\n{}\n{} Connects to apply.\n\n\
                         Open it in Worklane: /v1/jobs/{}\n",
                        user.name, job.title, job.connects_cost, job.id
                    ),
                };
                app.mailer
                    .send(&app.store, &email, now)
                    .await
                    .map_err(|e| WorkerError::Retryable(e.to_string()))
            })
            .await
        }
        _ => Ok(()),
    }
}

/// The same event always yields the same token, so a retry after a partial failure
/// re-sends a token that works instead of minting a second one.
fn confirmation_token(app: &App, event: &DomainEvent) -> String {
    let key = app.keys.current().derive("email-confirmation");
    URL_SAFE_NO_PAD.encode(crate::security::hmac_sha256(
        &key,
        event.id.as_str().as_bytes(),
    ))
}

/// Runs an effect of an event unless it was already delivered, then records it.
async fn once<F, Fut>(
    app: &App,
    event: &DomainEvent,
    effect: &str,
    now: DateTime<Utc>,
    run: F,
) -> Result<(), WorkerError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(), WorkerError>>,
{
    let key = keys::delivered(&event.id, effect);
    let already = app
        .store
        .get::<DeliveredMarker>(&as_key(key.clone()))
        .await
        .map_err(|e| WorkerError::Retryable(e.to_string()))?;
    if already.is_some() {
        return Ok(());
    }
    run().await?;
    app.store
        .put(&DeliveredMarker {
            pk: key.0,
            sk: key.1,
            delivered_at: now,
            expires_at: crate::store::ttl(now + chrono::Duration::days(14)),
        })
        .await
        .map_err(|e| WorkerError::Retryable(e.to_string()))
}
