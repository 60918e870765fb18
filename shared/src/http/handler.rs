//! What handlers of every area share: the caller's roles, optimistic retries, committing an
//! answer with its change, download links, and the billing method a charge goes to.

use crate::domain::account::Role;
use crate::domain::ids::BillingMethodId;
use crate::http::auth::Caller;
use crate::http::{ApiError, ApiRequest, ApiResponse};
use crate::store::payments::BillingMethodRecord;
use crate::App;

/// Runs a read-modify-write until it lands: `Ok(None)` from an attempt means another writer
/// got there first (a version condition failed), so read again. Gives up with 409 after a few
/// rounds rather than spinning under heavy contention.
pub async fn retry_stale<T, F, Fut>(mut attempt: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, ApiError>>,
{
    for _ in 0..8 {
        if let Some(done) = attempt().await? {
            return Ok(done);
        }
    }
    Err(ApiError::conflict(
        "concurrent_update",
        "the item is being changed by someone else; retry",
    ))
}

/// Writes `tx` together with the request's answer in its Idempotency-Key record, so money,
/// state and the answer a retry will get commit at once. Condition failures are the caller's
/// to translate (each knows what its labels mean).
pub async fn commit_answer(
    app: &App,
    req: &ApiRequest,
    tx: crate::store::Tx,
    response: ApiResponse,
) -> Result<ApiResponse, crate::store::TxError> {
    app.store
        .transact(req.record_response_in(tx, &response))
        .await?;
    req.response_recorded();
    Ok(response)
}

/// The files of `ids` that still exist, each with a short-lived download link, read in one
/// round trip (a screenshot or deliverable deleted since is simply left out).
pub async fn download_links(
    app: &App,
    ids: &[crate::domain::ids::FileId],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<
    std::collections::HashMap<
        crate::domain::ids::FileId,
        (
            crate::domain::file::FileRecord,
            crate::store::files::PresignedUrl,
        ),
    >,
    ApiError,
> {
    let blobs = crate::store::files::FileBlobs::new(app.s3(), app.bucket()?);
    let mut links = std::collections::HashMap::new();
    for file in app.store.files(ids).await?.into_iter().flatten() {
        let url = blobs.presign_download(&file, now).await?;
        links.insert(file.id.clone(), (file, url));
    }
    Ok(links)
}

/// A confirmed user holding `role`.
pub fn caller_with(app: &App, req: &ApiRequest, role: Role) -> Result<Caller, ApiError> {
    let caller = Caller::from_request(app.keys()?, req)?;
    caller.require_confirmed()?;
    caller.require_role(role)?;
    Ok(caller)
}

/// A confirmed user holding at least one of `roles`.
pub fn caller_with_any(app: &App, req: &ApiRequest, roles: &[Role]) -> Result<Caller, ApiError> {
    let caller = Caller::from_request(app.keys()?, req)?;
    caller.require_confirmed()?;
    if !roles.iter().any(|role| caller.roles.contains(role)) {
        return Err(ApiError::Forbidden(
            "your account's roles do not allow this",
        ));
    }
    Ok(caller)
}

/// The billing method a payment is charged to: the one named, else the default; it must
/// exist, be the caller's and not have expired.
pub async fn charge_source(
    app: &App,
    user: &crate::domain::ids::UserId,
    named: Option<&BillingMethodId>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<BillingMethodRecord, ApiError> {
    let found = match named {
        Some(id) => app.store.billing_method(user, id).await?,
        None => app.store.default_billing_method(user).await?,
    };
    usable_charge_source(found, now)
}

/// The billing method found for a charge, if it can be charged at `now`.
pub fn usable_charge_source(
    found: Option<BillingMethodRecord>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<BillingMethodRecord, ApiError> {
    found.filter(|method| method.usable_at(now)).ok_or_else(|| {
        ApiError::conflict(
            "billing_method_required",
            "add a valid billing method (POST /v1/me/billing-methods) first",
        )
    })
}

/// The job if `caller` posted it: others get 403 on a public job and 404 on anything else.
pub fn owned_job(
    found: Option<crate::domain::job::Job>,
    caller: &crate::domain::ids::UserId,
) -> Result<crate::domain::job::Job, ApiError> {
    match found {
        Some(job) if &job.client_id == caller => Ok(job),
        Some(job) if job.visibility == crate::domain::job::Visibility::Public => {
            Err(ApiError::Forbidden("only the job's client may do this"))
        }
        _ => Err(ApiError::NotFound("job")),
    }
}
