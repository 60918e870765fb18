//! Domain events → inbox items and emails (§12.2), and the reminders schedule. An inbox
//! item's key derives from the event (or reminder) and its recipient and is created with
//! `attribute_not_exists`, so a redelivery adds nothing; emails are recorded as delivered
//! (`DELIVERED#<evt>` / effect), so a redelivered event does not send twice.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use worklane::domain::events::{DomainEvent, EventPayload};
use worklane::domain::ids::EventId;
use worklane::domain::notification::{self, Draft, NotificationId, Reminder};
use worklane::mail::Email;
use worklane::store::accounts::{ConfirmationRecord, CONFIRMATION_TTL};
use worklane::store::keys::{self, as_key};
use worklane::store::notifications::{ReminderRecord, REMINDER_DUE};
use worklane::store::{from_item, StoreError};
use worklane::worker::ScheduleSummary;
use worklane::worker::WorkerError;
use worklane::App;

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
    worklane::worker::each_event(event, "notification", |event| process(app, event, now)).await
}

async fn process(app: &App, event: DomainEvent, now: DateTime<Utc>) -> Result<(), WorkerError> {
    account_emails(app, &event, now).await?;
    inbox(app, &event, now).await
}

/// One inbox item (and, for the important kinds, one email) per recipient of the event, and
/// the reminders it calls for.
async fn inbox(app: &App, event: &DomainEvent, now: DateTime<Utc>) -> Result<(), WorkerError> {
    let milestone = match notification::milestone_to_read(&event.payload) {
        Some(id) => app.store.milestone(id).await?,
        None => None,
    };
    for draft in notification::drafts(event, milestone.as_ref()) {
        let id = NotificationId::for_event(event, &draft.recipient);
        let item = draft.clone().notification(id, event.occurred_at);
        app.store
            .deliver_notification(&draft.recipient, &item, now)
            .await?;
        email(app, &event.id, &draft, now).await?;
    }
    let reminder = match &event.payload {
        // Read after the event: a milestone approved meanwhile needs no reminder.
        EventPayload::MilestoneSubmitted { .. } => {
            milestone.as_ref().and_then(Reminder::for_milestone)
        }
        EventPayload::WeekCharged {
            timesheet_id,
            review_ends_at,
            ..
        } => Some(Reminder::ReviewClosing {
            timesheet_id: timesheet_id.clone(),
            review_ends_at: *review_ends_at,
        }),
        _ => None,
    };
    if let Some(reminder) = reminder {
        app.store.schedule_reminder(&reminder).await?;
    }
    Ok(())
}

/// The email of an inbox item whose kind is emailed, once per cause and recipient.
async fn email(
    app: &App,
    cause: &EventId,
    draft: &Draft,
    now: DateTime<Utc>,
) -> Result<(), WorkerError> {
    if !draft.kind.emailed() {
        return Ok(());
    }
    let effect = format!("email:{}:{}", draft.kind.as_str(), draft.recipient);
    once(app, cause, &effect, now, || async {
        let Some(user) = app.store.user(&draft.recipient).await? else {
            return Ok(());
        };
        let email = Email {
            to: user.email.clone(),
            subject: draft.title.clone(),
            text: format!(
                "Hi {},\n\n{}\n\nSee it in your Worklane notifications.\n",
                user.name, draft.text
            ),
        };
        app.mailer()?
            .send(&app.store, &email, now)
            .await
            .map_err(|e| WorkerError::Retryable(e.to_string()))
    })
    .await
}

/// Sends the reminders whose time has come at `time` (the schedule's time): each is checked
/// against the milestone or week as it is now and dropped if it no longer holds (approved,
/// disputed, submitted again with a new deadline). The inbox item's id derives from the
/// reminder, so a re-run or a late run tells nobody twice.
pub async fn send_reminders(app: &App, time: DateTime<Utc>) -> Result<ScheduleSummary, StoreError> {
    let mut summary = ScheduleSummary::default();
    let mut start = None;
    loop {
        let (items, next) = app.store.due(REMINDER_DUE, time, 100, start).await?;
        for item in items {
            summary.examined += 1;
            let record = from_item::<ReminderRecord>(item)?;
            if record.remind_at > time {
                summary.skipped += 1;
                continue;
            }
            let reminder = &record.reminder;
            let draft = match reminder {
                Reminder::AutoReleaseSoon { milestone_id, .. } => app
                    .store
                    .milestone(milestone_id)
                    .await?
                    .and_then(|m| reminder.milestone_draft(&m)),
                Reminder::ReviewClosing { timesheet_id, .. } => app
                    .store
                    .timesheet(timesheet_id)
                    .await?
                    .and_then(|w| reminder.timesheet_draft(&w)),
            };
            match draft {
                Some(draft) => {
                    let id = notification::reminder_notification_id(reminder, &draft.recipient);
                    let item = draft.clone().notification(id, record.remind_at);
                    let new = app
                        .store
                        .deliver_notification(&draft.recipient, &item, time)
                        .await?;
                    email(app, &notification::reminder_basis(reminder), &draft, time)
                        .await
                        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
                    if new {
                        summary.applied += 1;
                    } else {
                        summary.skipped += 1;
                    }
                }
                None => summary.skipped += 1,
            }
            app.store.retire_reminder(reminder).await?;
        }
        match next {
            Some(key) => start = Some(key),
            None => return Ok(summary),
        }
    }
}

/// The emails of the account's own steps and of saved-search alerts (not inbox items).
async fn account_emails(
    app: &App,
    event: &DomainEvent,
    now: DateTime<Utc>,
) -> Result<(), WorkerError> {
    let event = event.clone();
    match &event.payload {
        EventPayload::AccountSignedUp {
            user_id,
            email,
            name,
        } => {
            once(app, &event.id, "email:confirmation", now, || async {
                let token = confirmation_token(app, &event)?;
                let (pk, sk) = keys::email_confirmation(&worklane::security::token_digest(&token));
                // Redeeming answers with the account from this copy instead of reading it.
                let account = app
                    .store
                    .user(user_id)
                    .await
                    .map_err(|e| WorkerError::Retryable(e.to_string()))?;
                app.store
                    .store_confirmation(&ConfirmationRecord {
                        pk,
                        sk,
                        user_id: user_id.clone(),
                        email_canonical: email.to_lowercase(),
                        valid_until: event.occurred_at + CONFIRMATION_TTL,
                        expires_at: worklane::store::ttl(event.occurred_at + CONFIRMATION_TTL),
                        account,
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
                app.mailer()?
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
            once(app, &event.id, "email:saved-search-alert", now, || async {
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
                app.mailer()?
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
fn confirmation_token(app: &App, event: &DomainEvent) -> Result<String, WorkerError> {
    let key = app.keys()?.current().derive("email-confirmation");
    Ok(URL_SAFE_NO_PAD.encode(worklane::security::hmac_sha256(
        &key,
        event.id.as_str().as_bytes(),
    )))
}

/// Runs an effect of an event (or reminder) unless it was already delivered, then records it.
async fn once<F, Fut>(
    app: &App,
    cause: &EventId,
    effect: &str,
    now: DateTime<Utc>,
    run: F,
) -> Result<(), WorkerError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(), WorkerError>>,
{
    let key = keys::delivered(cause, effect);
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
            expires_at: worklane::store::ttl(now + chrono::Duration::days(14)),
        })
        .await
        .map_err(|e| WorkerError::Retryable(e.to_string()))
}
