//! Rate limits at the edge: a route that declares an action (`Route::limited`) takes one token
//! from each of the action's buckets (domain::rate_limit::LIMITS) before its handler runs, and
//! is answered 429 `rate_limited` with `Retry-After` when any is empty.

use super::{ApiError, ApiRequest};
use crate::domain::ids::UserId;
use crate::domain::rate_limit::{address_key, Action, KeyKind};
use crate::App;

/// Takes a token of `action` for the caller (`user`, on bearer routes) and the request's
/// source address. The buckets are updated at once, each by its own conditional update; a
/// refused request may so have spent a token of another of its buckets, which costs the
/// client at most one request's worth there.
pub async fn check(
    app: &App,
    action: Action,
    user: Option<&UserId>,
    req: &ApiRequest,
) -> Result<(), ApiError> {
    let scale = app.config.rate_limit_scale;
    let buckets: Vec<_> = action
        .limits()
        .filter_map(|limit| {
            // A request without the key (an edge that gave no address) is not limited by it.
            let who = match limit.key {
                KeyKind::User => user?.to_string(),
                KeyKind::Ip => address_key(req.source_ip?),
            };
            Some((limit.scaled(scale), who))
        })
        .collect();
    let taken = futures::future::try_join_all(
        buckets
            .iter()
            .map(|(limit, who)| app.store.take_token(limit, who, req.now)),
    )
    .await?;
    match taken.into_iter().filter_map(Result::err).max() {
        None => Ok(()),
        Some(retry_after_secs) => {
            tracing::info!(action = action.as_str(), retry_after_secs, "rate limited");
            Err(ApiError::RateLimited {
                what: action.described(),
                retry_after_secs,
            })
        }
    }
}
