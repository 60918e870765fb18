//! Every partition and sort key of the single table, in one place (see docs/data-model.md).

use crate::domain::ids::{
    EventId, InvitationId, JobId, ProposalId, SavedSearchId, SessionId, UserId,
};

pub fn user(id: &UserId) -> (String, String) {
    (format!("USER#{id}"), "PROFILE".into())
}

/// The login identity: one per canonical email, which is what makes emails unique.
pub fn login(canonical_email: &str) -> (String, String) {
    (format!("LOGIN#{canonical_email}"), "LOGIN".into())
}

pub fn login_throttle(canonical_email: &str) -> (String, String) {
    (format!("THROTTLE#{canonical_email}"), "THROTTLE".into())
}

/// A rate-limit bucket (domain::rate_limit): one per action, key kind and key (a user id or
/// a source address), holding only `full_at` (epoch ms) and its TTL.
pub fn rate_bucket(action: &str, kind: &str, who: &str) -> (String, String) {
    (format!("RATE#{action}#{kind}#{who}"), "BUCKET".into())
}

pub fn email_confirmation(token_digest: &str) -> (String, String) {
    (format!("CONFIRM#{token_digest}"), "CONFIRM".into())
}

pub fn refresh_token(token_digest: &str) -> (String, String) {
    (format!("REFRESH#{token_digest}"), "REFRESH".into())
}

pub fn session(id: &SessionId) -> (String, String) {
    (format!("SESSION#{id}"), "SESSION".into())
}

pub fn outbox(id: &EventId) -> (String, String) {
    (format!("OUTBOX#{id}"), "OUTBOX".into())
}

pub fn idempotency(scope: &str, key: &str) -> (String, String) {
    (format!("IDEMPOTENCY#{scope}#{key}"), "IDEMPOTENCY".into())
}

/// Marks a side effect of an event (an email sent) as done, so a redelivery skips it.
pub fn delivered(event: &EventId, effect: &str) -> (String, String) {
    (format!("DELIVERED#{event}"), effect.to_string())
}

pub fn job(id: &JobId) -> (String, String) {
    (format!("JOB#{id}"), "JOB".into())
}

/// gsi1 partition of a client's jobs, newest last (`gsi1sk` = posted_at#job id).
pub fn client_jobs(client: &UserId) -> String {
    format!("CLIENT#{client}#JOBS")
}

/// Hiring history shown to freelancers (§2.2): counters kept by the writes that change them.
pub fn client_stats(client: &UserId) -> (String, String) {
    (format!("USER#{client}"), "CLIENT_STATS".into())
}

pub fn freelancer_profile(freelancer: &UserId) -> (String, String) {
    (format!("USER#{freelancer}"), "FREELANCER_PROFILE".into())
}

pub fn client_profile(client: &UserId) -> (String, String) {
    (format!("USER#{client}"), "CLIENT_PROFILE".into())
}

/// Freelancer search index: one partition per skill, sorted by hourly rate (cents, zero
/// padded so string order is numeric order), so a rate range is a key condition.
pub fn freelancer_skill_partition(skill: &str) -> String {
    format!("FSKILL#{skill}")
}

/// The sort key of a freelancer in a skill partition; `rate_sort_key(c)` ≤ it ≤
/// `rate_sort_key(c) + "~"` for every freelancer at rate `c`.
pub fn freelancer_skill(skill: &str, rate_cents: i64, freelancer: &UserId) -> (String, String) {
    (
        freelancer_skill_partition(skill),
        format!("{}{freelancer}", rate_sort_key(rate_cents)),
    )
}

pub fn rate_sort_key(rate_cents: i64) -> String {
    format!("{:012}#", rate_cents.max(0))
}

pub fn file(id: &crate::domain::ids::FileId) -> (String, String) {
    (format!("FILE#{id}"), "FILE".into())
}

pub fn proposal(id: &ProposalId) -> (String, String) {
    (format!("PROPOSAL#{id}"), "PROPOSAL".into())
}

/// One per freelancer per job: created with `attribute_not_exists` in the proposal's
/// transaction, it is what makes "one proposal per freelancer per job" hold under races.
pub fn applicant(job: &JobId, freelancer: &UserId) -> (String, String) {
    (format!("JOB#{job}"), format!("APPLICANT#{freelancer}"))
}

/// gsi1 partition of a job's proposals (client's view), oldest first.
pub fn job_proposals(job: &JobId) -> String {
    format!("JOB#{job}#PROPOSALS")
}

/// gsi2 partition of a freelancer's proposals, newest first.
pub fn freelancer_proposals(freelancer: &UserId) -> String {
    format!("FREELANCER#{freelancer}#PROPOSALS")
}

pub fn invitation(id: &InvitationId) -> (String, String) {
    (format!("INVITATION#{id}"), "INVITATION".into())
}

/// One invitation per freelancer per job; also what lets an invitee see an invite-only job.
pub fn invited(job: &JobId, freelancer: &UserId) -> (String, String) {
    (format!("JOB#{job}"), format!("INVITED#{freelancer}"))
}

/// gsi1 partition of a freelancer's invitations, newest first.
pub fn freelancer_invitations(freelancer: &UserId) -> String {
    format!("FREELANCER#{freelancer}#INVITATIONS")
}

/// A freelancer's Connects balance (§4.4); entries share its partition.
pub fn connects_balance(freelancer: &UserId) -> (String, String) {
    (format!("CONNECTS#{freelancer}"), "BALANCE".into())
}

pub fn connects_entry(freelancer: &UserId, entry_sort: &str) -> (String, String) {
    (
        format!("CONNECTS#{freelancer}"),
        format!("ENTRY#{entry_sort}"),
    )
}

/// gsi1 partitions that enumerate freelancers' Connects balances for the monthly grant,
/// sharded so no single partition holds every freelancer.
pub const FREELANCER_SHARDS: u32 = 16;

pub fn freelancer_shard(freelancer: &UserId) -> String {
    let shard = crate::security::stable_hash(freelancer.as_str()) % FREELANCER_SHARDS as u64;
    format!("FREELANCERS#{shard:02}")
}

/// A freelancer's saved job (§3.4), in their partition.
pub fn saved_job(user: &UserId, job: &JobId) -> (String, String) {
    (format!("USER#{user}"), format!("SAVEDJOB#{job}"))
}

/// gsi1 partition of a freelancer's saved jobs, newest save first (`gsi1sk` = saved_at#job).
pub fn saved_jobs(user: &UserId) -> String {
    format!("USER#{user}#SAVEDJOBS")
}

pub fn saved_search(user: &UserId, id: &SavedSearchId) -> (String, String) {
    (format!("USER#{user}"), format!("SAVEDSEARCH#{id}"))
}

/// gsi1 partition of the saved searches that a new job of `category` may match: searches
/// with that category, or (`None`) searches without one. Alerts read these two partitions
/// instead of scanning every saved search.
pub fn saved_searches_by_category(category: Option<&str>) -> String {
    match category {
        Some(category) => format!("SAVEDSEARCHES#CAT#{category}"),
        None => "SAVEDSEARCHES#ANY".into(),
    }
}

/// Created with the alert's event: a (search, job) pair alerts once across redeliveries.
pub fn search_alert(search: &SavedSearchId, job: &JobId) -> (String, String) {
    (format!("ALERT#{search}"), format!("JOB#{job}"))
}

/// The pointer to the published search index snapshot (docs/search.md).
pub fn search_snapshot() -> (String, String) {
    ("SEARCH#jobs".into(), "SNAPSHOT".into())
}

pub fn ledger_account(account: &crate::domain::ledger::AccountId) -> (String, String) {
    (format!("LEDGER#{account}"), "ACCOUNT".into())
}

pub fn transfer(id: &crate::domain::ids::TransferId) -> (String, String) {
    (format!("TRANSFER#{id}"), "TRANSFER".into())
}

/// gsi1 partition of the transfers an account is debited by.
pub fn ledger_debits(account: &crate::domain::ledger::AccountId) -> String {
    format!("LEDGER#DEBIT#{account}")
}

/// gsi2 partition of the transfers an account is credited by.
pub fn ledger_credits(account: &crate::domain::ledger::AccountId) -> String {
    format!("LEDGER#CREDIT#{account}")
}

/// A client's billing method, in their partition (`BILLINGMETHOD#` lists them).
pub fn billing_method(user: &UserId, id: &crate::domain::ids::BillingMethodId) -> (String, String) {
    (format!("USER#{user}"), format!("BILLINGMETHOD#{id}"))
}

/// Which billing method is the default, and how many there are (capped in its condition).
pub fn default_billing_method(user: &UserId) -> (String, String) {
    (format!("USER#{user}"), "DEFAULT#BILLINGMETHOD".into())
}

pub fn payout_method(user: &UserId, id: &crate::domain::ids::PayoutMethodId) -> (String, String) {
    (format!("USER#{user}"), format!("PAYOUTMETHOD#{id}"))
}

pub fn default_payout_method(user: &UserId) -> (String, String) {
    (format!("USER#{user}"), "DEFAULT#PAYOUTMETHOD".into())
}

pub fn milestone(id: &crate::domain::ids::MilestoneId) -> (String, String) {
    (format!("MILESTONE#{id}"), "MILESTONE".into())
}

/// gsi1 partition of a contract's milestones, in the order they were added.
pub fn contract_milestones(contract: &crate::domain::ids::ContractId) -> String {
    format!("CONTRACT#{contract}#MILESTONES")
}

/// A freelancer's lifetime billings with one client: what prices the sliding service fee.
pub fn lifetime_billings(client: &UserId, freelancer: &UserId) -> (String, String) {
    (format!("LIFETIME#{client}#{freelancer}"), "BILLED".into())
}

/// Released earnings waiting out the security period.
pub fn availability(transfer: &crate::domain::ids::TransferId) -> (String, String) {
    (format!("AVAIL#{transfer}"), "AVAIL".into())
}

pub fn offer(id: &crate::domain::ids::OfferId) -> (String, String) {
    (format!("OFFER#{id}"), "OFFER".into())
}

/// One pending offer per freelancer per job: created in the offer's transaction unless a
/// pending one exists (its `expires_at_ms` still ahead), deleted when the offer is answered.
pub fn pending_offer(job: &JobId, freelancer: &UserId) -> (String, String) {
    (format!("JOB#{job}"), format!("OFFER#{freelancer}"))
}

/// gsi1 partition of the offers a freelancer received, newest first.
pub fn freelancer_offers(freelancer: &UserId) -> String {
    format!("FREELANCER#{freelancer}#OFFERS")
}

/// gsi2 partition of the offers a client sent, newest first.
pub fn client_offers(client: &UserId) -> String {
    format!("CLIENT#{client}#OFFERS")
}

pub fn contract(id: &crate::domain::ids::ContractId) -> (String, String) {
    (format!("CONTRACT#{id}"), "CONTRACT".into())
}

/// gsi1 partition of a freelancer's contracts, newest first.
pub fn contract_earnings(id: &crate::domain::ids::ContractId) -> (String, String) {
    (format!("CONTRACT#{id}"), "EARNED".into())
}

/// Present when a dispute on the contract was decided against the freelancer (it counts as a
/// negative outcome in the Job Success Score, §11.3).
pub fn contract_dispute_lost(id: &crate::domain::ids::ContractId) -> (String, String) {
    (format!("CONTRACT#{id}"), "DISPUTE_LOST".into())
}

pub fn contract_feedback(
    id: &crate::domain::ids::ContractId,
    side: crate::domain::offer::Side,
) -> (String, String) {
    let side = match side {
        crate::domain::offer::Side::Client => "client",
        crate::domain::offer::Side::Freelancer => "freelancer",
    };
    (format!("CONTRACT#{id}"), format!("FEEDBACK#{side}"))
}

pub fn feedback_received(user: &UserId) -> String {
    format!("USER#{user}#FEEDBACK")
}

pub fn reputation(user: &UserId) -> (String, String) {
    (format!("USER#{user}"), "REPUTATION".into())
}

/// A party's copies of their disputes (`DISPUTE#<opened ms>#<id>`), newest first.
pub fn party_disputes(user: &UserId) -> String {
    format!("USER#{user}#DISPUTES")
}

pub fn freelancer_contracts(freelancer: &UserId) -> String {
    format!("FREELANCER#{freelancer}#CONTRACTS")
}

/// gsi2 partition of a client's contracts, newest first.
pub fn client_contracts(client: &UserId) -> String {
    format!("CLIENT#{client}#CONTRACTS")
}

/// A user's inbox partition: the notifications (`NTF#<ntf_id>`, newest last) and its state.
pub fn inbox(user: &UserId) -> String {
    format!("INBOX#{user}")
}

pub fn notification(
    user: &UserId,
    id: &crate::domain::notification::NotificationId,
) -> (String, String) {
    (inbox(user), format!("NTF#{id}"))
}

/// The inbox's unread counter and its mark-all epoch.
pub fn inbox_state(user: &UserId) -> (String, String) {
    (inbox(user), "STATE".into())
}

/// A notification due later (`Reminder::key`), in the `due` index until it is sent.
pub fn reminder(reminder_key: &str) -> (String, String) {
    (format!("REMINDER#{reminder_key}"), "REMINDER".into())
}

/// A user's identity verification (PRODUCT §1.4): the latest submission and its decision.
pub fn identity(user: &UserId) -> (String, String) {
    (format!("USER#{user}"), "IDENTITY".into())
}

/// gsi1 partition of the identity submissions waiting for an admin, oldest first
/// (`gsi1sk` = submitted ms#user); a submission leaves it when decided.
pub fn pending_identity_reviews() -> String {
    "IDENTITY#PENDING".into()
}

/// A decided submission's documents waiting for deletion (in the `due` index until deleted).
pub fn identity_purge(user: &UserId, submission: u32) -> (String, String) {
    (
        format!("USER#{user}"),
        format!("IDENTITY_PURGE#{submission:06}"),
    )
}

/// A freelancer's withdrawal, in their partition: the key itself scopes it to its owner, and
/// `WITHDRAWAL#` lists them newest first (ids are time-ordered).
pub fn withdrawal(user: &UserId, id: &crate::domain::ids::WithdrawalId) -> (String, String) {
    (format!("USER#{user}"), format!("{WITHDRAWAL_PREFIX}{id}"))
}

pub const WITHDRAWAL_PREFIX: &str = "WITHDRAWAL#";

/// A dispute's refund to the card that paid, in the client's partition: keyed by the dispute
/// (one per dispute; dispute ids are time-ordered, so a Query lists them newest first).
pub fn card_refund(client: &UserId, dispute: &crate::domain::ids::DisputeId) -> (String, String) {
    (
        format!("USER#{client}"),
        format!("{CARD_REFUND_PREFIX}{dispute}"),
    )
}

pub const CARD_REFUND_PREFIX: &str = "CARDREFUND#";

/// A content report (docs/trust-and-safety.md).
pub fn content_report(id: &crate::domain::ids::ContentReportId) -> (String, String) {
    (format!("CONTENTREPORT#{id}"), "CONTENTREPORT".into())
}

/// The sparse partitions of open reports, oldest first (`<filed ms>#<rpt>`): one per kind in
/// gsi1 (`Some`), all kinds together in gsi2 (`None`). A decision takes a report out of both.
pub fn open_content_reports(kind: Option<crate::domain::moderation::ContentKind>) -> String {
    match kind {
        Some(kind) => format!("CONTENTREPORTS#OPEN#{}", kind.as_str()),
        None => "CONTENTREPORTS#OPEN".into(),
    }
}

/// One per reporter per piece of content, created with the report: a second report of the
/// same content by the same user finds it and answers the first report.
pub fn content_report_guard(
    reporter: &UserId,
    content: &crate::domain::moderation::ContentRef,
) -> (String, String) {
    (
        format!("USER#{reporter}"),
        format!("CONTENTREPORT#{}", content.key()),
    )
}

/// gsi1 partition of a user's own reports (their guards), newest first.
pub fn reporter_reports(reporter: &UserId) -> String {
    format!("USER#{reporter}#CONTENTREPORTS")
}

/// A freelancer's membership plan (domain::plan): absent means Basic.
pub fn plan(user: &UserId) -> (String, String) {
    (format!("USER#{user}"), "PLAN".into())
}

/// One line of a freelancer's plan history, time-ordered (`PLANHIST#<entry sort key>`).
pub fn plan_event(user: &UserId, sort: &str) -> (String, String) {
    (
        format!("USER#{user}"),
        format!("{PLAN_HISTORY_PREFIX}{sort}"),
    )
}

pub const PLAN_HISTORY_PREFIX: &str = "PLANHIST#";

pub fn dev_mailbox(canonical_email: &str) -> String {
    format!("DEVMAIL#{canonical_email}")
}

pub fn as_key((pk, sk): (String, String)) -> super::Item {
    super::key(pk, sk)
}
