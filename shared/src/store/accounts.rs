//! Accounts, login identities, sessions and one-time tokens. Every change that touches an
//! account goes through here, so the items that mirror each other (user and login identity)
//! are always written together in one transaction.

use super::keys::{self, as_key};
use super::Label;
use super::{from_item, Cond, Store, StoreError, Tx, TxError};
use crate::domain::account::{LoginThrottle, Role};
use crate::domain::audit::{AuditEntry, Standing};
use crate::domain::events::{DomainEvent, EventPayload};
use crate::domain::ids::{SessionId, UserId};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub const REFRESH_TOKEN_TTL: Duration = Duration::days(30);
pub const CONFIRMATION_TTL: Duration = Duration::hours(48);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRecord {
    pub pk: String,
    pub sk: String,
    pub id: UserId,
    pub email: String,
    pub email_canonical: String,
    pub name: String,
    pub roles: Vec<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_confirmed_at: Option<DateTime<Utc>>,
    /// Set by the approval of the user's identity (§1.4), in the same transaction: the badge
    /// and the withdrawal check read it with the account, at no extra cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_verified_at: Option<DateTime<Utc>>,
    /// Suspension and the token cutoff: read with the session by every bearer request's
    /// session check (one BatchGetItem), and with the refresh token by a refresh.
    #[serde(flatten)]
    pub standing: Standing,
    pub created_at: DateTime<Utc>,
    pub version: u64,
}

/// What login needs, in one item keyed by email: the credential plus a copy of the claims
/// an access token carries, so a login is one read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginRecord {
    pub pk: String,
    pub sk: String,
    pub user_id: UserId,
    pub password_hash: String,
    pub roles: Vec<Role>,
    pub email_confirmed: bool,
    /// A copy of the account's suspension, so login refuses it without another read.
    #[serde(default)]
    pub suspended: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ThrottleRecord {
    pub pk: String,
    pub sk: String,
    #[serde(flatten)]
    pub throttle: LoginThrottle,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConfirmationRecord {
    pub pk: String,
    pub sk: String,
    pub user_id: UserId,
    pub email_canonical: String,
    pub valid_until: DateTime<Utc>,
    pub expires_at: i64,
    /// The account as it was when the token was filed, so that redeeming it answers without
    /// reading the account again. Absent on records filed before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<UserRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshRecord {
    pub pk: String,
    pub sk: String,
    pub user_id: UserId,
    pub session_id: SessionId,
    pub issued_at: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotated_at: Option<DateTime<Utc>>,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionRecord {
    pub pk: String,
    pub sk: String,
    pub user_id: UserId,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_reason: Option<String>,
    pub expires_at: i64,
}

/// How long this process trusts that a session it saw live is still live. A revocation made
/// by this process counts at once; one made by another process (another Lambda instance)
/// counts within this bound. Access tokens themselves live 15 minutes.
pub const SESSION_CHECK_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// Sessions this process read lately: live ones until `SESSION_CHECK_TTL` passes, revoked
/// ones for good (revocation is final). Bounded: past `CAPACITY` entries, stale ones go.
#[derive(Debug, Default)]
pub struct SessionCache {
    seen: std::sync::Mutex<HashMap<SessionId, SessionSeen>>,
    /// Token cutoffs of accounts this process suspended: their sessions' cached "live" must
    /// not outlast the suspension here, where the admin's request was answered.
    cutoffs: std::sync::Mutex<HashMap<UserId, i64>>,
}

#[derive(Debug, Clone, Copy)]
enum SessionSeen {
    Live(std::time::Instant),
    Revoked,
}

impl SessionCache {
    const CAPACITY: usize = 50_000;

    fn lookup(&self, id: &SessionId) -> Option<bool> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        match seen.get(id)? {
            SessionSeen::Revoked => Some(true),
            SessionSeen::Live(at) if at.elapsed() < SESSION_CHECK_TTL => Some(false),
            SessionSeen::Live(_) => None,
        }
    }

    fn cut_off(&self, user: &UserId, issued_at: i64) -> bool {
        let cutoffs = self.cutoffs.lock().unwrap_or_else(|e| e.into_inner());
        cutoffs.get(user).is_some_and(|cutoff| issued_at < *cutoff)
    }

    fn remember(&self, id: &SessionId, revoked: bool) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= Self::CAPACITY {
            seen.retain(
                |_, s| matches!(s, SessionSeen::Live(at) if at.elapsed() < SESSION_CHECK_TTL),
            );
            if seen.len() >= Self::CAPACITY {
                seen.clear();
            }
        }
        let entry = if revoked {
            SessionSeen::Revoked
        } else {
            SessionSeen::Live(std::time::Instant::now())
        };
        seen.insert(id.clone(), entry);
    }
}

pub struct NewAccount {
    pub user: UserRecord,
    pub password_hash: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("email already registered")]
    EmailTaken,
    #[error("not found")]
    NotFound,
    #[error("changed concurrently")]
    Stale,
    #[error("token already used")]
    TokenReused,
    #[error("session revoked")]
    SessionRevoked,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn tx_error(err: TxError, map: impl Fn(Label) -> AccountError) -> AccountError {
    match err {
        TxError::ConditionFailed { label, .. } => map(label),
        TxError::Store(err) => AccountError::Store(err),
    }
}

/// Deletes the token and confirms the account (at `version`, when given) and its login.
fn confirm_tx(confirmation: &ConfirmationRecord, version: Option<u64>, now: DateTime<Utc>) -> Tx {
    let event = DomainEvent::new(
        EventPayload::AccountConfirmed {
            user_id: confirmation.user_id.clone(),
        },
        now,
    );
    let unconfirmed =
        Cond::new("attribute_exists(pk) AND attribute_not_exists(email_confirmed_at)");
    let account = match version {
        Some(version) => unconfirmed.and(Cond::new("version = :seen").value(":seen", version)),
        None => unconfirmed,
    };
    Tx::new()
        .delete(
            Label::Token,
            super::key(confirmation.pk.clone(), confirmation.sk.clone()),
            Some(Cond::exists()),
        )
        .update(
            Label::User,
            as_key(keys::user(&confirmation.user_id)),
            Cond::new("SET email_confirmed_at = :now, version = version + :one")
                .value(":now", now)
                .value(":one", 1),
            Some(account),
        )
        .update(
            Label::Login,
            as_key(keys::login(&confirmation.email_canonical)),
            Cond::new("SET email_confirmed = :yes").value(":yes", true),
            Some(Cond::exists()),
        )
        .emit(&event)
}

fn confirm_error(err: TxError) -> AccountError {
    tx_error(err, |label| match label {
        Label::Token | Label::User => AccountError::TokenReused,
        _ => AccountError::NotFound,
    })
}

impl UserRecord {
    pub fn new(
        id: UserId,
        email: &crate::domain::account::Email,
        name: String,
        roles: Vec<Role>,
        now: DateTime<Utc>,
    ) -> Self {
        let (pk, sk) = keys::user(&id);
        Self {
            pk,
            sk,
            id,
            email: email.as_str().to_string(),
            email_canonical: email.canonical().to_string(),
            name,
            roles,
            email_confirmed_at: None,
            identity_verified_at: None,
            standing: Standing::default(),
            created_at: now,
            version: 1,
        }
    }

    /// The account after the confirmation's transaction, which sets exactly this.
    fn confirmed(&self, now: DateTime<Utc>) -> Self {
        Self {
            email_confirmed_at: Some(now),
            version: self.version + 1,
            ..self.clone()
        }
    }
}

/// Suspends the account, in one transaction with the action's audit entry and whatever the
/// caller composes around it (a moderation decision): the account's standing (conditioned on
/// the version read, so a concurrent change is re-read), the login's copy, and the event the
/// workers withdraw proposals and hide content on.
pub fn suspend_tx(user: &UserRecord, standing: &Standing, entry: &AuditEntry) -> Tx {
    standing_tx(
        user,
        standing,
        entry,
        EventPayload::AccountSuspended {
            user_id: user.id.clone(),
        },
    )
}

/// Lifts a suspension; the tokens of before stay refused (`tokens_valid_after` is kept).
pub fn reinstate_tx(user: &UserRecord, standing: &Standing, entry: &AuditEntry) -> Tx {
    standing_tx(
        user,
        standing,
        entry,
        EventPayload::AccountReinstated {
            user_id: user.id.clone(),
        },
    )
}

fn standing_tx(
    user: &UserRecord,
    standing: &Standing,
    entry: &AuditEntry,
    payload: EventPayload,
) -> Tx {
    let event = DomainEvent::new(payload, entry.at);
    // The standing is flattened into the account item: a field it no longer has is removed.
    let mut set = vec!["version = :next".to_string()];
    let mut remove = Vec::new();
    let mut update = Cond::new("").value(":next", user.version + 1);
    let present = serde_json::to_value(standing).expect("a standing serializes");
    let fields = ["suspended_at", "suspension_reason", "tokens_valid_after"]
        .map(|field| (field, present.get(field).cloned()));
    for (field, value) in fields {
        match value {
            Some(value) => {
                set.push(format!("{field} = :{field}"));
                update = update.value(&format!(":{field}"), value);
            }
            None => remove.push(field),
        }
    }
    update.expression = format!("SET {}", set.join(", "));
    if !remove.is_empty() {
        update.expression += &format!(" REMOVE {}", remove.join(", "));
    }
    let tx = Tx::new()
        .update(
            Label::User,
            as_key(keys::user(&user.id)),
            update,
            Some(Cond::new("version = :seen").value(":seen", user.version)),
        )
        .update(
            Label::Login,
            as_key(keys::login(&user.email_canonical)),
            Cond::new("SET suspended = :suspended").value(":suspended", standing.is_suspended()),
            Some(Cond::exists()),
        )
        .emit(&event);
    super::audit::record(tx, entry)
}

/// A freshly issued refresh token: the secret goes to the client, the record to the table.
pub struct IssuedRefresh {
    pub token: String,
    pub record: RefreshRecord,
}

/// Refresh tokens name their user and session, so a refresh reads token, user and session in
/// one batch; the random part is what makes them unguessable, and only its digest is stored.
pub fn issue_refresh(
    user_id: &UserId,
    session_id: &SessionId,
    now: DateTime<Utc>,
) -> IssuedRefresh {
    let token = format!("{user_id}.{session_id}.{}", crate::security::random_token());
    let (pk, sk) = keys::refresh_token(&crate::security::token_digest(&token));
    IssuedRefresh {
        record: RefreshRecord {
            pk,
            sk,
            user_id: user_id.clone(),
            session_id: session_id.clone(),
            issued_at: now,
            valid_until: now + REFRESH_TOKEN_TTL,
            rotated_at: None,
            expires_at: super::ttl(now + REFRESH_TOKEN_TTL + Duration::days(1)),
        },
        token,
    }
}

pub fn parse_refresh(token: &str) -> Option<(UserId, SessionId)> {
    let mut parts = token.splitn(3, '.');
    let user = UserId::parse(parts.next()?)?;
    let session = SessionId::parse(parts.next()?)?;
    parts.next().filter(|secret| !secret.is_empty())?;
    Some((user, session))
}

impl Store {
    pub async fn create_account(
        &self,
        account: NewAccount,
        now: DateTime<Utc>,
    ) -> Result<(), AccountError> {
        let user = &account.user;
        let (pk, sk) = keys::login(&user.email_canonical);
        let login = LoginRecord {
            pk,
            sk,
            user_id: user.id.clone(),
            password_hash: account.password_hash,
            roles: user.roles.clone(),
            email_confirmed: false,
            suspended: false,
        };
        let event = DomainEvent::new(
            EventPayload::AccountSignedUp {
                user_id: user.id.clone(),
                email: user.email.clone(),
                name: user.name.clone(),
            },
            now,
        );
        let mut tx = Tx::new()
            .put(Label::Login, &login, Some(Cond::absent()))
            .put(Label::User, user, Some(Cond::absent()))
            .emit(&event);
        // A new freelancer starts with this month's allowance (§4.2).
        if user.roles.contains(&Role::Freelancer) {
            tx = super::connects::monthly_grant_op(tx, &user.id, now);
        }
        self.transact(tx).await.map_err(|err| {
            tx_error(err, |label| match label {
                Label::Login => AccountError::EmailTaken,
                _ => AccountError::Stale,
            })
        })
    }

    pub async fn user(&self, id: &UserId) -> Result<Option<UserRecord>, StoreError> {
        self.get(&as_key(keys::user(id))).await
    }

    /// The login identity and its throttle, in one round trip.
    pub async fn login_identity(
        &self,
        canonical_email: &str,
    ) -> Result<(Option<LoginRecord>, LoginThrottle), StoreError> {
        let found = self
            .get_many(&[
                as_key(keys::login(canonical_email)),
                as_key(keys::login_throttle(canonical_email)),
            ])
            .await?;
        let mut found = found.into_iter();
        let login = found
            .next()
            .flatten()
            .map(from_item::<LoginRecord>)
            .transpose()?;
        let throttle = found
            .next()
            .flatten()
            .map(from_item::<ThrottleRecord>)
            .transpose()?
            .map(|record| record.throttle)
            .unwrap_or_default();
        Ok((login, throttle))
    }

    pub async fn record_login_failure(
        &self,
        canonical_email: &str,
        throttle: LoginThrottle,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (pk, sk) = keys::login_throttle(canonical_email);
        self.put(&ThrottleRecord {
            pk,
            sk,
            throttle,
            expires_at: super::ttl(now + Duration::days(1)),
        })
        .await
    }

    /// Starts a session: the session, its first refresh token, and a cleared throttle.
    pub async fn start_session(
        &self,
        canonical_email: &str,
        user_id: &UserId,
        session_id: &SessionId,
        refresh: &RefreshRecord,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (pk, sk) = keys::session(session_id);
        let session = SessionRecord {
            pk,
            sk,
            user_id: user_id.clone(),
            created_at: now,
            revoked_at: None,
            revoked_reason: None,
            expires_at: refresh.expires_at,
        };
        let tx = Tx::new()
            .put(Label::Session, &session, Some(Cond::absent()))
            .put(Label::Refresh, refresh, Some(Cond::absent()))
            .delete(
                Label::Throttle,
                as_key(keys::login_throttle(canonical_email)),
                None,
            );
        self.transact(tx).await.map_err(|err| match err {
            TxError::Store(err) => err,
            TxError::ConditionFailed { label, .. } => {
                StoreError::Corrupt(format!("fresh {label} id collided"))
            }
        })
    }

    /// Token, user and session of a refresh, in one round trip.
    pub async fn refresh_state(
        &self,
        token: &str,
        user_id: &UserId,
        session_id: &SessionId,
    ) -> Result<
        (
            Option<RefreshRecord>,
            Option<UserRecord>,
            Option<SessionRecord>,
        ),
        StoreError,
    > {
        let found = self
            .get_many(&[
                as_key(keys::refresh_token(&crate::security::token_digest(token))),
                as_key(keys::user(user_id)),
                as_key(keys::session(session_id)),
            ])
            .await?;
        let mut found = found.into_iter();
        Ok((
            found.next().flatten().map(from_item).transpose()?,
            found.next().flatten().map(from_item).transpose()?,
            found.next().flatten().map(from_item).transpose()?,
        ))
    }

    /// Rotates a refresh token: the old one is marked used (only once, even under races), the
    /// session must still be live, and the successor is stored.
    pub async fn rotate_refresh(
        &self,
        old: &RefreshRecord,
        successor: &RefreshRecord,
        now: DateTime<Utc>,
    ) -> Result<(), AccountError> {
        let tx = Tx::new()
            .update(
                Label::Token,
                super::key(old.pk.clone(), old.sk.clone()),
                Cond::new("SET rotated_at = :now").value(":now", now),
                Some(Cond::new(
                    "attribute_exists(pk) AND attribute_not_exists(rotated_at)",
                )),
            )
            .check(
                Label::Session,
                as_key(keys::session(&old.session_id)),
                Cond::new("attribute_exists(pk) AND attribute_not_exists(revoked_at)"),
            )
            .put(Label::Successor, successor, Some(Cond::absent()));
        self.transact(tx).await.map_err(|err| {
            tx_error(err, |label| match label {
                Label::Token => AccountError::TokenReused,
                Label::Session => AccountError::SessionRevoked,
                _ => AccountError::Stale,
            })
        })
    }

    /// Whether the session of an access token was revoked (logout, refresh-token reuse). A
    /// session without a record (never started here, or long expired) is not revoked: only
    /// a holder of the signing key mints such tokens. Cached per process, see `SessionCache`.
    /// Whether an access token of this session, issued at `issued_at` (JWT `iat`, seconds),
    /// is refused: its session was revoked (logout, refresh-token reuse) or its account was
    /// suspended after it was issued. Session and account come in one BatchGetItem, so the
    /// suspension check costs no extra round trip.
    pub async fn session_refused(
        &self,
        session_id: &SessionId,
        user_id: &UserId,
        issued_at: i64,
    ) -> Result<bool, StoreError> {
        if self.sessions.cut_off(user_id, issued_at) {
            return Ok(true);
        }
        if let Some(refused) = self.sessions.lookup(session_id) {
            return Ok(refused);
        }
        let found = self
            .get_many(&[
                as_key(keys::session(session_id)),
                as_key(keys::user(user_id)),
            ])
            .await?;
        let mut found = found.into_iter();
        let session: Option<SessionRecord> = found.next().flatten().map(from_item).transpose()?;
        let user: Option<UserRecord> = found.next().flatten().map(from_item).transpose()?;
        // Like a session without a record, an account without one is not refused here: the
        // check guards revocation and suspension; whoever holds the signing key can mint
        // any token anyway (docs/security.md).
        let refused = session.is_some_and(|s| s.revoked_at.is_some())
            || user.is_some_and(|user| !user.standing.accepts_token_issued_at(issued_at));
        // Refusals are final: a suspended session stays dead after a reinstatement too.
        self.sessions.remember(session_id, refused);
        Ok(refused)
    }

    /// After a suspension this process committed: the account's tokens are refused here at
    /// once, without waiting for cached sessions to go stale (other processes: within
    /// `SESSION_CHECK_TTL`).
    pub fn note_suspension(&self, user: &UserId, standing: &Standing) {
        if let Some(cutoff) = standing.tokens_valid_after {
            let mut cutoffs = self
                .sessions
                .cutoffs
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if cutoffs.len() >= SessionCache::CAPACITY {
                cutoffs.clear();
            }
            cutoffs.insert(user.clone(), cutoff.timestamp());
        }
    }

    /// Revokes a session: its refresh and access tokens stop working. Idempotent.
    pub async fn revoke_session(
        &self,
        session_id: &SessionId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // Refused here at once, whatever the write's fate: a revocation is never undone.
        self.sessions.remember(session_id, true);
        let tx = Tx::new().update(
            Label::Session,
            as_key(keys::session(session_id)),
            Cond::new("SET revoked_at = if_not_exists(revoked_at, :now), revoked_reason = if_not_exists(revoked_reason, :reason)")
                .value(":now", now)
                .value(":reason", reason),
            Some(Cond::exists()),
        );
        match self.transact(tx).await {
            Ok(()) | Err(TxError::ConditionFailed { .. }) => Ok(()),
            Err(TxError::Store(err)) => Err(err),
        }
    }

    pub async fn store_confirmation(&self, record: &ConfirmationRecord) -> Result<(), StoreError> {
        self.put(record).await
    }

    pub async fn confirmation(
        &self,
        token: &str,
    ) -> Result<Option<ConfirmationRecord>, StoreError> {
        self.get(&as_key(keys::email_confirmation(
            &crate::security::token_digest(token),
        )))
        .await
    }

    /// Redeems a confirmation token: consumed once, account and login identity confirmed
    /// together; answers with the confirmed account. With the account's copy on the record,
    /// the transaction holds the account to that copy's `version`, so the copy plus the
    /// transaction's own change is the account: no read after. Without a copy, or when the
    /// account changed since (an operator granted a role), it confirms the account as it is
    /// and reads it.
    pub async fn confirm_email(
        &self,
        confirmation: &ConfirmationRecord,
        now: DateTime<Utc>,
    ) -> Result<UserRecord, AccountError> {
        if let Some(copy) = &confirmation.account {
            match self
                .transact(confirm_tx(confirmation, Some(copy.version), now))
                .await
            {
                Ok(()) => return Ok(copy.confirmed(now)),
                Err(err)
                    if err.current::<UserRecord>().is_some_and(|current| {
                        current.email_confirmed_at.is_none() && current.version != copy.version
                    }) => {}
                Err(err) => return Err(confirm_error(err)),
            }
        }
        self.transact(confirm_tx(confirmation, None, now))
            .await
            .map_err(confirm_error)?;
        self.user(&confirmation.user_id)
            .await?
            .ok_or(AccountError::NotFound)
    }

    /// Makes an account an admin (support, mediation, identity reviews: §1.5). No API route
    /// grants it: operators run `grant-admin` (or `POST /_dev/users/{id}/admin` on the local
    /// stack). Idempotent; the role reaches access tokens at the user's next login.
    pub async fn grant_admin(
        &self,
        user_id: &UserId,
        now: DateTime<Utc>,
    ) -> Result<UserRecord, AccountError> {
        for _ in 0..5 {
            let user = self.user(user_id).await?.ok_or(AccountError::NotFound)?;
            if user.roles.contains(&Role::Admin) {
                return Ok(user);
            }
            match self.add_role(&user, Role::Admin, now).await {
                Err(AccountError::Stale) => continue,
                done => return done,
            }
        }
        Err(AccountError::Stale)
    }

    /// Adds a role to an account (PRODUCT §1.1: one person may be client and freelancer).
    pub async fn add_role(
        &self,
        user: &UserRecord,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<UserRecord, AccountError> {
        let mut roles = user.roles.clone();
        roles.push(role);
        roles.sort();
        roles.dedup();
        let event = DomainEvent::new(
            EventPayload::RoleAdded {
                user_id: user.id.clone(),
                role,
            },
            now,
        );
        let mut tx = Tx::new()
            .update(
                Label::User,
                as_key(keys::user(&user.id)),
                Cond::new("SET #roles = :roles, version = :next")
                    .name("#roles", "roles")
                    .value(":roles", &roles)
                    .value(":next", user.version + 1),
                Some(Cond::new("version = :version").value(":version", user.version)),
            )
            .update(
                Label::Login,
                as_key(keys::login(&user.email_canonical)),
                Cond::new("SET #roles = :roles")
                    .name("#roles", "roles")
                    .value(":roles", &roles),
                Some(Cond::exists()),
            )
            .emit(&event);
        if role == Role::Freelancer {
            tx = super::connects::monthly_grant_op(tx, &user.id, now);
        }
        self.transact(tx)
            .await
            .map_err(|err| tx_error(err, |_| AccountError::Stale))?;
        Ok(UserRecord {
            roles,
            version: user.version + 1,
            ..user.clone()
        })
    }
}
