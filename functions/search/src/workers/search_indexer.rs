//! Keeps the job search index in step with the table (docs/search.md): every JobPosted,
//! JobUpdated and JobClosed re-reads the job — the table is the truth, so events that come
//! twice or out of order still leave the right document — then the batch is committed and
//! published as one snapshot. After publishing, new jobs raise saved-search alerts (§3.4).

use crate::search::engine::{self, Indexer};
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Utc};
use worklane::domain::events::{DomainEvent, EventPayload};
use worklane::domain::ids::JobId;
use worklane::domain::job::Job;
use worklane::domain::job_search::{is_findable, ClientFacts};
use worklane::worker::{decode_event, WorkerError};
use worklane::App;

pub async fn handle(app: &App, event: SqsEvent, now: DateTime<Utc>) -> SqsBatchResponse {
    let ids: Vec<String> = event
        .records
        .iter()
        .map(|m| m.message_id.clone().unwrap_or_default())
        .collect();
    let mut failed: Vec<String> = Vec::new();
    let mut posted: Vec<(String, DomainEvent)> = Vec::new();
    let mut guard = match engine::indexer(app).await {
        Ok(guard) => guard,
        Err(err) => {
            tracing::warn!(%err, "search index could not be opened");
            return failures(ids);
        }
    };
    for (id, message) in ids.iter().zip(event.records) {
        let outcome = match message.body.as_deref().map(decode_event) {
            Some(Ok(event)) => apply(app, guard.indexer(), &event, now)
                .await
                .map(|()| event),
            Some(Err(err)) => Err(err),
            None => Err(WorkerError::Poison("empty body".into())),
        };
        match outcome {
            Ok(event) => {
                if matches!(event.payload, EventPayload::JobPosted { .. }) {
                    posted.push((id.clone(), event));
                }
            }
            Err(err) => {
                tracing::warn!(message_id = %id, %err, "search indexing failed");
                failed.push(id.clone());
            }
        }
    }
    let published = match guard.indexer().purge_expired(now) {
        Ok(()) => guard.indexer().publish(app, now).await,
        Err(err) => Err(err),
    };
    match published {
        Ok(generation) => {
            drop(guard);
            if let Some(generation) = generation {
                tracing::info!(generation, "search snapshot published");
            }
        }
        Err(err) => {
            // Nothing of this batch is visible; start over from the published snapshot and
            // let SQS redeliver every message of it.
            tracing::warn!(%err, "search snapshot not published");
            guard.discard();
            return failures(ids);
        }
    }
    // Alerts go out once the job is findable, so a notified freelancer finds it.
    for (id, event) in posted {
        if let EventPayload::JobPosted { job_id, .. } = &event.payload {
            if let Err(err) = raise_alerts(app, job_id, now).await {
                tracing::warn!(message_id = %id, %err, "saved-search alerts failed");
                failed.push(id);
            }
        }
    }
    failures(failed)
}

fn failures(ids: Vec<String>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = ids
        .into_iter()
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    response
}

async fn apply(
    app: &App,
    indexer: &mut Indexer,
    event: &DomainEvent,
    now: DateTime<Utc>,
) -> Result<(), WorkerError> {
    match &event.payload {
        EventPayload::JobPosted { job_id, .. }
        | EventPayload::JobUpdated { job_id }
        | EventPayload::JobClosed { job_id, .. } => {
            let job = app.store.job(job_id).await?;
            index_job(app, indexer, job_id, job, now).await
        }
        // A client's suspension takes all their jobs out of search; a reinstatement brings
        // back those still findable.
        EventPayload::AccountSuspended { user_id }
        | EventPayload::AccountReinstated { user_id } => {
            let mut start = None;
            loop {
                let (jobs, next) = app.store.client_jobs(user_id, 100, start).await?;
                for job in jobs {
                    let id = job.id.clone();
                    index_job(app, indexer, &id, Some(job), now).await?;
                }
                match next {
                    Some(key) => start = Some(key),
                    None => return Ok(()),
                }
            }
        }
        _ => Ok(()),
    }
}

/// Puts the job in the index when findable, takes it out otherwise: closed, invite-only,
/// expired, gone, or posted by a suspended client.
async fn index_job(
    app: &App,
    indexer: &mut Indexer,
    job_id: &JobId,
    job: Option<Job>,
    now: DateTime<Utc>,
) -> Result<(), WorkerError> {
    if let Some(job) = job.filter(|job| is_findable(job, now)) {
        let client = app.store.user(&job.client_id).await?;
        if client.is_some_and(|c| !c.standing.is_suspended()) {
            let stats = app.store.client_stats(&job.client_id).await?;
            indexer.upsert(&job, &ClientFacts::from(&stats))?;
            return Ok(());
        }
    }
    indexer.remove(job_id);
    Ok(())
}

/// Raises one `SavedSearchMatched` per saved search the job matches, once per (search,
/// job) however often this runs: each alert's marker is created, with its event, only if
/// absent. Candidates come from the job's category partition and the any-category one.
/// Returns how many alerts this call raised.
pub async fn raise_alerts(
    app: &App,
    job_id: &JobId,
    now: DateTime<Utc>,
) -> Result<usize, WorkerError> {
    let Some(job) = app.store.job(job_id).await? else {
        return Ok(0);
    };
    if !is_findable(&job, now) {
        return Ok(0);
    }
    let client = ClientFacts::from(&app.store.client_stats(&job.client_id).await?);
    let mut raised = 0;
    for search in app.store.alert_candidates(&job.category).await? {
        if !search.matches(&job, &client, now) {
            continue;
        }
        let event = DomainEvent::new(
            EventPayload::SavedSearchMatched {
                user_id: search.user_id.clone(),
                saved_search_id: search.id.clone(),
                job_id: job.id.clone(),
            },
            now,
        );
        if app
            .store
            .record_alert(&search, &job.id, &event, now)
            .await?
        {
            raised += 1;
        }
    }
    Ok(raised)
}
