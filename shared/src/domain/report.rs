//! Reports (PRODUCT §14), pure: what each report means for a freelancer and for a client,
//! computed from what the store read — ledger transfers with what they were for, contracts,
//! milestones, weeks and lifetime billings — and the caller's filters; rendered as JSON or
//! as CSV (`csv`). Nothing here reads a clock or a table: the handler passes `today`/`now`.
//!
//! The money columns are the wallet's. A freelancer's buckets are `pending` (earnings in the
//! security period), `in_review` (hourly invoices under review, held or posted), `available`
//! and `withdrawing` (payouts on their way); a client's are `in_escrow` and `available`. Each transfer's effect on them is
//! the wallet's formula applied to the transfer's effect on the caller's ledger accounts
//! (`Transfer::effects`); the formulas are linear in the account totals, so summing the
//! effects of every transfer an account ever had gives its balance. That is how a report
//! over the whole history reconciles with the wallet and with `Store::audit_ledger`.
//!
//! Flows say what a transfer was: a freelancer `earned` (paid by a client, before the
//! service fee), paid `service_fees`, `withdrew` (payout fees included); a client was `charged` (by card, less money
//! sent back to it), `paid` freelancers, paid `client_fees` (less refunds of them), and had
//! escrow returned (`escrow_refunded`). For a client, `charged − paid − client_fees` always
//! equals the change in `in_escrow + available`.

pub mod csv;

use self::csv::{Cell, Table, Tabular};
use super::contract::{Milestone, MilestoneState};
use super::fees::round_cents;
use super::hourly::SEGMENT_MINUTES;
use super::hourly::{weekly_limit_for, Timesheet, TimesheetId, TimesheetState, SEGMENTS_PER_HOUR};
use super::ids::{ContractId, DisputeId, MilestoneId, TransferId, UserId};
use super::job::JobType;
use super::ledger::{AccountId, Phase, Totals, Transfer, TransferCode, TransferError};
use super::money::Currency;
use super::offer::{Contract, ContractTerms, Side};
use super::Violations;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// A report covers at most a leap year: the work per request stays bounded.
pub const MAX_RANGE_DAYS: i64 = 366;
/// Without dates, a report covers the last 30 days up to today.
pub const DEFAULT_RANGE_DAYS: i64 = 30;
/// Transfers one report may read; a busier range is refused (422) with a hint to narrow it.
pub const MAX_TRANSFERS: usize = 5_000;
/// Contracts one report may read; more are refused (422) with a hint to filter.
pub const MAX_CONTRACTS: usize = 500;
const EARLIEST_YEAR: i32 = 2000;
const LATEST_YEAR: i32 = 2200;

// ---------------------------------------------------------------------- the request

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ReportKind {
    Earnings,
    WorkInProgress,
    BillingsByClient,
    Transactions,
    Timesheets,
}

impl ReportKind {
    pub fn name(self) -> &'static str {
        match self {
            ReportKind::Earnings => "earnings",
            ReportKind::WorkInProgress => "work-in-progress",
            ReportKind::BillingsByClient => "billings-by-client",
            ReportKind::Transactions => "transactions",
            ReportKind::Timesheets => "timesheets",
        }
    }

    /// Work in progress is as of now; every other report covers a date range.
    fn takes_range(self) -> bool {
        self != ReportKind::WorkInProgress
    }

    /// Billings are per client (per freelancer for a client), not per contract.
    fn takes_contract(self) -> bool {
        self != ReportKind::BillingsByClient
    }
}

/// Whole UTC days, both inclusive: `from=2026-12-01&to=2026-12-31` is December.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

fn midnight(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
}

impl DateRange {
    pub fn starts_at(&self) -> DateTime<Utc> {
        midnight(self.from)
    }

    /// The first instant after the range (midnight after `to`).
    pub fn ends_at(&self) -> DateTime<Utc> {
        midnight(self.to) + Duration::days(1)
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        at >= self.starts_at() && at < self.ends_at()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

/// A report request, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportQuery {
    pub kind: ReportKind,
    /// Whose side of the money: a freelancer's earnings or a client's spending.
    pub side: Side,
    /// `None` for work in progress.
    pub range: Option<DateRange>,
    /// Only this client (a freelancer's report) or this freelancer (a client's report).
    pub counterparty: Option<UserId>,
    pub contract: Option<ContractId>,
    pub format: Format,
}

const PARAMETERS: [&str; 7] = [
    "role",
    "format",
    "from",
    "to",
    "client",
    "freelancer",
    "contract",
];

fn counterparty_param(side: Side) -> &'static str {
    match side {
        Side::Freelancer => "client",
        Side::Client => "freelancer",
    }
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Freelancer => "freelancer",
        Side::Client => "client",
    }
}

fn parse_date(violations: &mut Violations, field: &str, raw: &str) -> Option<NaiveDate> {
    let date = (raw.len() == 10)
        .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .flatten()
        .filter(|d| (EARLIEST_YEAR..=LATEST_YEAR).contains(&chrono::Datelike::year(d)));
    if date.is_none() {
        violations.push(
            field,
            format!("{raw:?} is not a date YYYY-MM-DD between {EARLIEST_YEAR} and {LATEST_YEAR}"),
        );
    }
    date
}

impl ReportQuery {
    /// Checks the query string of a report request. `default_side` applies without `role`
    /// (the handler picks it from the caller's roles); `today` is the request's UTC date.
    /// A parameter the report does not take is an error rather than silently ignored, and so
    /// is an empty value (`?from=` is not a date: leave it out for the default), as the
    /// document states each parameter's shape.
    pub fn parse(
        kind: ReportKind,
        params: &[(String, String)],
        default_side: Side,
        today: NaiveDate,
    ) -> Result<Self, Violations> {
        let mut violations = Violations::default();
        let mut seen = BTreeSet::new();
        for (name, _) in params {
            if !PARAMETERS.contains(&name.as_str()) {
                violations.push(
                    name,
                    format!("not a parameter of the {} report", kind.name()),
                );
            } else if !seen.insert(name.as_str()) {
                violations.push(name, "given more than once");
            }
        }
        let get = |name: &str| {
            params
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        let side = match get("role") {
            None => default_side,
            Some("freelancer") => Side::Freelancer,
            Some("client") => Side::Client,
            Some(other) => {
                violations.push("role", format!("{other:?} is not client or freelancer"));
                default_side
            }
        };
        let format = match get("format") {
            None | Some("json") => Format::Json,
            Some("csv") => Format::Csv,
            Some(other) => {
                violations.push("format", format!("{other:?} is not json or csv"));
                Format::Json
            }
        };
        let wanted = counterparty_param(side);
        let other = counterparty_param(match side {
            Side::Freelancer => Side::Client,
            Side::Client => Side::Freelancer,
        });
        if get(other).is_some() {
            violations.push(
                other,
                format!(
                    "a {}'s report filters by {wanted}, not {other}",
                    side_name(side)
                ),
            );
        }
        let counterparty = get(wanted).and_then(|raw| {
            let id = UserId::parse(raw);
            violations.check(id.is_some(), wanted, format!("{raw:?} is not a user id"));
            id
        });
        let contract = get("contract").and_then(|raw| {
            if !kind.takes_contract() {
                violations.push(
                    "contract",
                    format!("billings are per {wanted}; filter by {wanted}"),
                );
                return None;
            }
            let id = ContractId::parse(raw);
            violations.check(
                id.is_some(),
                "contract",
                format!("{raw:?} is not a contract id"),
            );
            id
        });
        let range = if kind.takes_range() {
            let from = get("from").map(|raw| parse_date(&mut violations, "from", raw));
            let to = get("to").map(|raw| parse_date(&mut violations, "to", raw));
            match (from, to) {
                (Some(None), _) | (_, Some(None)) => None,
                (from, to) => {
                    let to = to.flatten().unwrap_or(today);
                    let from = from
                        .flatten()
                        .unwrap_or(to - Duration::days(DEFAULT_RANGE_DAYS - 1));
                    let range = DateRange { from, to };
                    if from > to {
                        violations.push("to", format!("{to} is before from ({from})"));
                    } else if range.days() > MAX_RANGE_DAYS {
                        violations.push(
                            "to",
                            format!(
                                "a report covers at most {MAX_RANGE_DAYS} days; {from} to {to} \
                                 is {} days",
                                range.days()
                            ),
                        );
                    }
                    Some(range)
                }
            }
        } else {
            for field in ["from", "to"] {
                if get(field).is_some() {
                    violations.push(field, "work in progress is as of now; it takes no dates");
                }
            }
            None
        };
        violations.into_result()?;
        Ok(Self {
            kind,
            side,
            range,
            counterparty,
            contract,
            format,
        })
    }

    /// Whether a contract passes the filters (the side is the store's: it reads the caller's
    /// contracts on that side only).
    pub fn selects(&self, contract: &ContractInfo) -> bool {
        self.contract.as_ref().is_none_or(|id| id == &contract.id)
            && self
                .counterparty
                .as_ref()
                .is_none_or(|user| user == contract.counterparty(self.side))
    }

    fn filtered(&self) -> bool {
        self.contract.is_some() || self.counterparty.is_some()
    }

    /// The export's file name, e.g. `worklane-earnings-2026-12-01-2026-12-31.csv`.
    pub fn file_name(&self, now: DateTime<Utc>) -> String {
        match self.range {
            Some(r) => format!("worklane-{}-{}-{}.csv", self.kind.name(), r.from, r.to),
            None => format!("worklane-{}-{}.csv", self.kind.name(), now.date_naive()),
        }
    }
}

// ---------------------------------------------------------------------- what a report covers

/// The filters a report was made with, echoed in its answer.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct Scope {
    pub report: ReportKind,
    pub role: Side,
    pub currency: Currency,
    /// First day covered (UTC, inclusive); absent for work in progress.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub from: Option<NaiveDate>,
    /// Last day covered (UTC, inclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub to: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freelancer_id: Option<UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract_id: Option<ContractId>,
    /// When the report was made: balances and states are as of then.
    pub as_of: DateTime<Utc>,
}

impl Scope {
    fn of(query: &ReportQuery, now: DateTime<Utc>) -> Self {
        let (client_id, freelancer_id) = match query.side {
            Side::Freelancer => (query.counterparty.clone(), None),
            Side::Client => (None, query.counterparty.clone()),
        };
        Self {
            report: query.kind,
            role: query.side,
            currency: Currency::USD,
            from: query.range.map(|r| r.from),
            to: query.range.map(|r| r.to),
            client_id,
            freelancer_id,
            contract_id: query.contract.clone(),
            as_of: now,
        }
    }
}

// ---------------------------------------------------------------------- money columns

/// A money column of the money reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Column {
    Earned,
    ServiceFees,
    Net,
    Withdrawn,
    Charged,
    Paid,
    ClientFees,
    EscrowRefunded,
    Pending,
    InReview,
    InEscrow,
    Available,
    Withdrawing,
}

impl Column {
    pub fn name(self) -> &'static str {
        match self {
            Column::Earned => "earned",
            Column::ServiceFees => "service_fees",
            Column::Net => "net",
            Column::Withdrawn => "withdrawn",
            Column::Charged => "charged",
            Column::Paid => "paid",
            Column::ClientFees => "client_fees",
            Column::EscrowRefunded => "escrow_refunded",
            Column::Pending => "pending",
            Column::InReview => "in_review",
            Column::InEscrow => "in_escrow",
            Column::Available => "available",
            Column::Withdrawing => "withdrawing",
        }
    }

    /// Every money column of a side's statement: its flows, then its buckets.
    pub fn statement(side: Side) -> &'static [Column] {
        match side {
            Side::Freelancer => &[
                Column::Earned,
                Column::ServiceFees,
                Column::Net,
                Column::Withdrawn,
                Column::Pending,
                Column::InReview,
                Column::Available,
                Column::Withdrawing,
            ],
            Side::Client => &[
                Column::Charged,
                Column::Paid,
                Column::ClientFees,
                Column::EscrowRefunded,
                Column::InEscrow,
                Column::Available,
            ],
        }
    }

    /// The wallet's buckets of a side.
    pub fn balances(side: Side) -> &'static [Column] {
        match side {
            Side::Freelancer => &[
                Column::Pending,
                Column::InReview,
                Column::Available,
                Column::Withdrawing,
            ],
            Side::Client => &[Column::InEscrow, Column::Available],
        }
    }

    /// What billings per client (per freelancer) add up.
    pub fn billings(side: Side) -> &'static [Column] {
        match side {
            Side::Freelancer => &[Column::Earned, Column::ServiceFees, Column::Net],
            Side::Client => &[Column::Paid, Column::ClientFees],
        }
    }
}

/// Amounts per column, in the order of the columns they were made with. Serialized as an
/// object of decimal strings with two places (`{"earned":"600.00",…}`); negative values are
/// what left a bucket.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Amounts(Vec<(Column, Decimal)>);

impl Amounts {
    pub fn zero(columns: &[Column]) -> Self {
        Self(columns.iter().map(|c| (*c, Decimal::ZERO)).collect())
    }

    pub fn get(&self, column: Column) -> Decimal {
        self.0
            .iter()
            .find(|(c, _)| *c == column)
            .map_or(Decimal::ZERO, |(_, v)| *v)
    }

    /// Adds to a column the amounts have; the others are not this report's.
    fn add_to(&mut self, column: Column, value: Decimal) {
        if let Some((_, v)) = self.0.iter_mut().find(|(c, _)| *c == column) {
            *v += value;
        }
    }

    pub fn add(&mut self, other: &Amounts) {
        for (column, value) in &other.0 {
            self.add_to(*column, *value);
        }
    }

    pub fn columns(&self) -> impl Iterator<Item = Column> + '_ {
        self.0.iter().map(|(c, _)| *c)
    }

    pub fn only(&self, columns: &[Column]) -> Amounts {
        Self(columns.iter().map(|c| (*c, self.get(*c))).collect())
    }

    fn cells(&self) -> impl Iterator<Item = Cell> + '_ {
        self.0.iter().map(|(_, v)| Cell::Money(*v))
    }

    fn sum<'a>(columns: &[Column], all: impl Iterator<Item = &'a Amounts>) -> Amounts {
        all.fold(Amounts::zero(columns), |mut total, a| {
            total.add(a);
            total
        })
    }
}

impl Serialize for Amounts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (column, value) in &self.0 {
            map.serialize_entry(column.name(), &round_cents(*value).to_string())?;
        }
        map.end()
    }
}

/// The money columns; a freelancer's reports have the first group, a client's the second,
/// and each report only the ones that make sense for it.
#[allow(dead_code)]
#[derive(JsonSchema)]
struct AmountsSchema {
    /// Freelancer: paid by clients (milestone releases, hourly weeks, bonuses), before fees.
    #[serde(skip_serializing_if = "Option::is_none")]
    earned: Option<String>,
    /// Freelancer: service fees (§10.1) taken from earnings.
    #[serde(skip_serializing_if = "Option::is_none")]
    service_fees: Option<String>,
    /// Freelancer: earned less service fees.
    #[serde(skip_serializing_if = "Option::is_none")]
    net: Option<String>,
    /// Freelancer: paid out to payout methods, their fees included.
    #[serde(skip_serializing_if = "Option::is_none")]
    withdrawn: Option<String>,
    /// Client: charged to cards and banks, less what was sent back to them.
    #[serde(skip_serializing_if = "Option::is_none")]
    charged: Option<String>,
    /// Client: paid to freelancers.
    #[serde(skip_serializing_if = "Option::is_none")]
    paid: Option<String>,
    /// Client: marketplace fees (§10.2), less refunds of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_fees: Option<String>,
    /// Client: escrow that came back to the client's balance (refunds, approving less).
    #[serde(skip_serializing_if = "Option::is_none")]
    escrow_refunded: Option<String>,
    /// Freelancer bucket: released earnings in the 5-day security period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pending: Option<String>,
    /// Freelancer bucket: hourly invoices in their review window (disputed ones included).
    #[serde(skip_serializing_if = "Option::is_none")]
    in_review: Option<String>,
    /// Client bucket: funded milestones and hourly invoices not released or refunded.
    #[serde(skip_serializing_if = "Option::is_none")]
    in_escrow: Option<String>,
    /// Bucket: withdrawable (freelancer) or spendable (client) money.
    #[serde(skip_serializing_if = "Option::is_none")]
    available: Option<String>,
    /// Freelancer bucket: withdrawals requested and not paid yet (nor returned).
    #[serde(skip_serializing_if = "Option::is_none")]
    withdrawing: Option<String>,
}

impl JsonSchema for Amounts {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ReportAmounts".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        AmountsSchema::json_schema(generator)
    }
}

/// The caller's ledger accounts on a side, the ones the wallet reads.
pub fn own_accounts(side: Side, user: &UserId) -> Vec<AccountId> {
    match side {
        Side::Freelancer => vec![
            AccountId::pending_earnings(user),
            AccountId::in_review(user),
            AccountId::available(user),
            AccountId::payouts_in_flight(user),
        ],
        // A refund to a card leaves through the in-flight account: its way out to the world
        // counts against what was charged.
        Side::Client => vec![
            AccountId::client(user),
            AccountId::card_refunds_in_flight(user),
        ],
    }
}

/// The wallet's formulas (`GET /v1/me/wallet`), applied to an account's totals or to a
/// transfer's change of them.
fn add_buckets(side: Side, user: &UserId, account: &AccountId, t: &Totals, out: &mut Amounts) {
    match side {
        Side::Freelancer if account == &AccountId::pending_earnings(user) => {
            out.add_to(Column::Pending, t.posted_balance());
        }
        Side::Freelancer if account == &AccountId::in_review(user) => {
            out.add_to(Column::InReview, t.credits_pending + t.posted_balance());
        }
        Side::Freelancer if account == &AccountId::available(user) => {
            out.add_to(Column::Available, t.available());
        }
        Side::Freelancer if account == &AccountId::payouts_in_flight(user) => {
            out.add_to(Column::Withdrawing, t.posted_balance());
        }
        Side::Client if account == &AccountId::client(user) => {
            out.add_to(Column::InEscrow, t.debits_pending);
            out.add_to(Column::Available, t.available());
        }
        _ => {}
    }
}

/// A side's buckets from its accounts' totals: the wallet's figures.
pub fn balances(side: Side, user: &UserId, accounts: &[(AccountId, Totals)]) -> Amounts {
    let mut out = Amounts::zero(Column::balances(side));
    for (account, totals) in accounts {
        add_buckets(side, user, account, totals, &mut out);
    }
    out
}

fn kind(account: &AccountId) -> &str {
    account.as_str().split(':').next().unwrap_or_default()
}

fn is_freelancer_account(account: &AccountId) -> bool {
    matches!(kind(account), "earnings" | "review" | "available")
}

/// What a transfer counts as for the caller.
fn add_flows(
    side: Side,
    own: &[AccountId],
    t: &Transfer,
    hold: Option<&Transfer>,
    out: &mut Amounts,
) {
    let posted = match t.phase {
        Phase::Posted | Phase::PostPending => t.amount.amount,
        Phase::Pending | Phase::VoidPending => Decimal::ZERO,
    };
    let (from_me, to_me) = (own.contains(&t.debit), own.contains(&t.credit));
    // Between two of the caller's own accounts nothing comes or goes: only buckets move.
    let (other, sign) = match (from_me, to_me) {
        (true, false) => (&t.credit, Decimal::ONE),
        (false, true) => (&t.debit, Decimal::NEGATIVE_ONE),
        _ => return,
    };
    match side {
        Side::Freelancer => match kind(other) {
            "client" => out.add_to(Column::Earned, -sign * posted),
            // A payout method's fee is part of what was withdrawn, not a service fee.
            "fees" if from_me && t.code != TransferCode::ServiceFee => {
                out.add_to(Column::Withdrawn, posted)
            }
            "fees" => out.add_to(Column::ServiceFees, sign * posted),
            "world" => out.add_to(Column::Withdrawn, sign * posted),
            _ => {}
        },
        Side::Client => {
            match kind(other) {
                "world" => out.add_to(Column::Charged, -sign * posted),
                "fees" => out.add_to(Column::ClientFees, sign * posted),
                _ if is_freelancer_account(other) => out.add_to(Column::Paid, sign * posted),
                _ => {}
            }
            if let (true, Some(hold)) = (from_me, hold) {
                if matches!(t.phase, Phase::PostPending | Phase::VoidPending) {
                    out.add_to(Column::EscrowRefunded, hold.amount.amount - posted);
                }
            }
        }
    }
    if side == Side::Freelancer {
        let net = out.get(Column::Earned) - out.get(Column::ServiceFees);
        out.add_to(Column::Net, net);
    }
}

// ---------------------------------------------------------------------- attribution

/// A contract as reports show it.
#[derive(Clone, Debug, PartialEq)]
pub struct ContractInfo {
    pub id: ContractId,
    pub client_id: UserId,
    pub freelancer_id: UserId,
    pub contract_type: JobType,
}

impl ContractInfo {
    pub fn of(contract: &Contract) -> Self {
        Self {
            id: contract.id.clone(),
            client_id: contract.parties.client_id.clone(),
            freelancer_id: contract.parties.freelancer_id.clone(),
            contract_type: contract.contract_type,
        }
    }

    /// The other party, as seen from `side`.
    pub fn counterparty(&self, side: Side) -> &UserId {
        match side {
            Side::Freelancer => &self.client_id,
            Side::Client => &self.freelancer_id,
        }
    }
}

/// What a transfer's `reference` names. Milestone and dispute ids need a lookup to find their
/// contract; a week's id embeds it; a bonus names the contract itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    Milestone(MilestoneId),
    Week(TimesheetId),
    Contract(ContractId),
    Dispute(DisputeId),
    /// A withdrawal, a Connects purchase…: not tied to a contract.
    Other,
}

impl Subject {
    pub fn of(reference: &str) -> Self {
        if let Some(id) = MilestoneId::parse(reference) {
            Subject::Milestone(id)
        } else if let Some(id) = TimesheetId::parse(reference) {
            Subject::Week(id)
        } else if let Some(id) = ContractId::parse(reference) {
            Subject::Contract(id)
        } else if let Some(id) = DisputeId::parse(reference) {
            Subject::Dispute(id)
        } else {
            Subject::Other
        }
    }

    /// The contract the reference names without a lookup.
    pub fn contract(&self) -> Option<&ContractId> {
        match self {
            Subject::Week(id) => Some(id.contract()),
            Subject::Contract(id) => Some(id),
            _ => None,
        }
    }
}

/// What the store found a reference to belong to.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribution {
    pub contract: ContractInfo,
    /// The milestone's own description, when the reference is a milestone.
    pub milestone: Option<String>,
}

fn describe(subject: &Subject, attribution: Option<&Attribution>) -> String {
    match (subject, attribution) {
        (
            Subject::Milestone(_),
            Some(Attribution {
                milestone: Some(text),
                ..
            }),
        ) => text.clone(),
        (Subject::Week(id), _) => format!("Hours, week of {}", id.week().monday()),
        (Subject::Contract(_), _) => "Contract payment".into(),
        (Subject::Dispute(id), _) => format!("Dispute {id}"),
        _ => String::new(),
    }
}

// ---------------------------------------------------------------------- transactions

/// One ledger transfer as the caller sees it.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct Line {
    pub at: DateTime<Utc>,
    pub transfer_id: TransferId,
    #[serde(rename = "type")]
    pub code: TransferCode,
    /// What the money moved for (a milestone, a week, a contract, a withdrawal).
    pub reference: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract_id: Option<ContractId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freelancer_id: Option<UserId>,
    /// The milestone's description, or the week, …
    pub description: String,
    /// The transfer's own amount (its effect on the caller is in `amounts`).
    #[serde(serialize_with = "cents")]
    #[schemars(with = "String")]
    pub amount: Decimal,
    pub amounts: Amounts,
    #[serde(skip)]
    contract: Option<ContractInfo>,
}

fn cents<S: serde::Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&round_cents(*value).to_string())
}

/// The caller's statement: one line per transfer touching the caller's accounts on `side`
/// (each once, even when it moves money between two of them), oldest first. `holds` has
/// the pending transfers settled by transfers outside the slice; `attributions` what each
/// reference belongs to.
pub fn statement(
    side: Side,
    user: &UserId,
    transfers: &[Transfer],
    holds: &HashMap<TransferId, Transfer>,
    attributions: &HashMap<String, Attribution>,
) -> Result<Vec<Line>, TransferError> {
    let own = own_accounts(side, user);
    let by_id: HashMap<&TransferId, &Transfer> = transfers
        .iter()
        .chain(holds.values())
        .map(|t| (&t.id, t))
        .collect();
    let mut ordered: Vec<&Transfer> = transfers.iter().collect();
    ordered.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    let mut seen = HashSet::new();
    let mut lines = Vec::new();
    for t in ordered {
        if !seen.insert(&t.id) || !(own.contains(&t.debit) || own.contains(&t.credit)) {
            continue;
        }
        let hold = t.pending_id.as_ref().and_then(|id| by_id.get(id).copied());
        let mut amounts = Amounts::zero(Column::statement(side));
        for (account, delta) in t.effects(hold)? {
            add_buckets(side, user, &account, &delta, &mut amounts);
        }
        add_flows(side, &own, t, hold, &mut amounts);
        let subject = Subject::of(&t.reference);
        let attribution = attributions.get(&t.reference);
        let contract = attribution.map(|a| a.contract.clone());
        lines.push(Line {
            at: t.at,
            transfer_id: t.id.clone(),
            code: t.code,
            reference: t.reference.clone(),
            contract_id: contract.as_ref().map(|c| c.id.clone()),
            client_id: contract.as_ref().map(|c| c.client_id.clone()),
            freelancer_id: contract.as_ref().map(|c| c.freelancer_id.clone()),
            description: describe(&subject, attribution),
            amount: t.amount.amount,
            amounts,
            contract,
        });
    }
    Ok(lines)
}

impl ReportQuery {
    /// Lines not tied to a contract (withdrawals) pass only an unfiltered report.
    fn keeps(&self, line: &Line) -> bool {
        match &line.contract {
            Some(contract) => self.selects(contract),
            None => !self.filtered(),
        }
    }
}

fn code_name(code: TransferCode) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct TransactionsReport {
    #[serde(flatten)]
    pub scope: Scope,
    pub items: Vec<Line>,
    pub totals: Amounts,
}

/// Every transfer of the range touching the caller's side, with what it did to each bucket.
pub fn transactions(
    query: &ReportQuery,
    lines: Vec<Line>,
    now: DateTime<Utc>,
) -> TransactionsReport {
    let items: Vec<Line> = lines.into_iter().filter(|l| query.keeps(l)).collect();
    let totals = Amounts::sum(
        Column::statement(query.side),
        items.iter().map(|l| &l.amounts),
    );
    TransactionsReport {
        scope: Scope::of(query, now),
        items,
        totals,
    }
}

fn counterparty_header(side: Side) -> &'static str {
    match side {
        Side::Freelancer => "client_id",
        Side::Client => "freelancer_id",
    }
}

fn counterparty_cell(side: Side, client: Option<&UserId>, freelancer: Option<&UserId>) -> Cell {
    match side {
        Side::Freelancer => Cell::opt(client),
        Side::Client => Cell::opt(freelancer),
    }
}

fn money_header(columns: &[Column]) -> impl Iterator<Item = &'static str> + '_ {
    columns.iter().map(|c| c.name())
}

impl Tabular for TransactionsReport {
    fn table(&self) -> Table {
        let side = self.scope.role;
        let columns = Column::statement(side);
        let mut header = vec![
            "date",
            "transfer_id",
            "type",
            "reference",
            "contract_id",
            counterparty_header(side),
            "description",
            "amount",
        ];
        header.extend(money_header(columns));
        let rows = self
            .items
            .iter()
            .map(|line| {
                let mut row = vec![
                    Cell::text(line.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                    Cell::text(line.transfer_id.to_string()),
                    Cell::text(code_name(line.code)),
                    Cell::text(line.reference.clone()),
                    Cell::opt(line.contract_id.as_ref()),
                    counterparty_cell(side, line.client_id.as_ref(), line.freelancer_id.as_ref()),
                    Cell::text(line.description.clone()),
                    Cell::Money(line.amount),
                ];
                row.extend(line.amounts.cells());
                row
            })
            .collect();
        let mut totals = vec![Cell::Empty; 8];
        totals.extend(self.totals.cells());
        Table {
            header,
            rows,
            totals,
        }
    }
}

// ---------------------------------------------------------------------- earnings overview

/// One contract's money in the range (or the caller's movements tied to no contract).
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct ContractEarnings {
    /// Absent for movements tied to no contract (withdrawals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract_id: Option<ContractId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freelancer_id: Option<UserId>,
    pub transfers: u64,
    pub amounts: Amounts,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct EarningsReport {
    #[serde(flatten)]
    pub scope: Scope,
    /// The wallet's buckets now, whatever the filters: pending, in review and available for
    /// a freelancer; in escrow and available for a client.
    pub balances: Amounts,
    pub items: Vec<ContractEarnings>,
    pub totals: Amounts,
}

/// The overview: the balances now, and per contract what the range earned (spent) and moved
/// into or out of each bucket. Over a range holding the whole history, the totals' buckets
/// are the balances.
pub fn earnings(
    query: &ReportQuery,
    lines: Vec<Line>,
    balances: Amounts,
    now: DateTime<Utc>,
) -> EarningsReport {
    let columns = Column::statement(query.side);
    let mut groups: BTreeMap<Option<ContractId>, ContractEarnings> = BTreeMap::new();
    for line in lines.into_iter().filter(|l| query.keeps(l)) {
        let group = groups
            .entry(line.contract_id.clone())
            .or_insert_with(|| ContractEarnings {
                contract_id: line.contract_id.clone(),
                client_id: line.client_id.clone(),
                freelancer_id: line.freelancer_id.clone(),
                transfers: 0,
                amounts: Amounts::zero(columns),
            });
        group.transfers += 1;
        group.amounts.add(&line.amounts);
    }
    // Contracts first (in id order, which is start order), movements tied to none last.
    let mut items: Vec<ContractEarnings> = groups.into_values().collect();
    items.sort_by_key(|g| (g.contract_id.is_none(), g.contract_id.clone()));
    let totals = Amounts::sum(columns, items.iter().map(|g| &g.amounts));
    EarningsReport {
        scope: Scope::of(query, now),
        balances,
        items,
        totals,
    }
}

impl Tabular for EarningsReport {
    fn table(&self) -> Table {
        let side = self.scope.role;
        let mut header = vec!["contract_id", counterparty_header(side), "transfers"];
        header.extend(money_header(Column::statement(side)));
        let rows = self
            .items
            .iter()
            .map(|g| {
                let mut row = vec![
                    Cell::opt(g.contract_id.as_ref()),
                    counterparty_cell(side, g.client_id.as_ref(), g.freelancer_id.as_ref()),
                    Cell::Count(g.transfers),
                ];
                row.extend(g.amounts.cells());
                row
            })
            .collect();
        // The totals row carries exactly the JSON `totals`.
        let mut totals = vec![Cell::Empty, Cell::Empty, Cell::Empty];
        totals.extend(self.totals.cells());
        Table {
            header,
            rows,
            totals,
        }
    }
}

// ---------------------------------------------------------------------- billings by client

/// Billings between the caller and one client (a freelancer's report) or one freelancer (a
/// client's report).
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct Billings {
    pub client_id: UserId,
    pub freelancer_id: UserId,
    /// The caller's contracts with them.
    pub contracts: u64,
    /// Everything ever billed between the two (§10.1: what prices the service fee).
    #[serde(serialize_with = "cents")]
    #[schemars(with = "String")]
    pub lifetime_billed: Decimal,
    /// What the range added: earned, service fees and net (freelancer); paid and client
    /// fees (client).
    pub period: Amounts,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct BillingsTotals {
    pub contracts: u64,
    #[serde(serialize_with = "cents")]
    #[schemars(with = "String")]
    pub lifetime_billed: Decimal,
    pub period: Amounts,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct BillingsReport {
    #[serde(flatten)]
    pub scope: Scope,
    pub items: Vec<Billings>,
    pub totals: BillingsTotals,
}

/// Per counterparty: the caller's contracts with them (`contracts`: all of the caller's on
/// this side), the pair's lifetime billings (`lifetime`, keyed by (client, freelancer)) and
/// what the range's `lines` add. Largest lifetime billings first.
pub fn billings(
    query: &ReportQuery,
    contracts: &[ContractInfo],
    lifetime: &HashMap<(UserId, UserId), Decimal>,
    lines: Vec<Line>,
    now: DateTime<Utc>,
) -> BillingsReport {
    let columns = Column::billings(query.side);
    let mut rows: BTreeMap<UserId, Billings> = BTreeMap::new();
    for contract in contracts.iter().filter(|c| query.selects(c)) {
        let other = contract.counterparty(query.side).clone();
        let row = rows
            .entry(other)
            .or_insert_with(|| new_billings(contract, lifetime, columns));
        row.contracts += 1;
    }
    for line in lines.iter().filter(|l| query.keeps(l)) {
        if let Some(contract) = &line.contract {
            let other = contract.counterparty(query.side).clone();
            let row = rows
                .entry(other)
                .or_insert_with(|| new_billings(contract, lifetime, columns));
            row.period.add(&line.amounts.only(columns));
        }
    }
    let mut items: Vec<Billings> = rows.into_values().collect();
    items.sort_by(|a, b| {
        b.lifetime_billed
            .cmp(&a.lifetime_billed)
            .then_with(|| a.client_id.cmp(&b.client_id))
            .then_with(|| a.freelancer_id.cmp(&b.freelancer_id))
    });
    let totals = BillingsTotals {
        contracts: items.iter().map(|b| b.contracts).sum(),
        lifetime_billed: items.iter().map(|b| b.lifetime_billed).sum(),
        period: Amounts::sum(columns, items.iter().map(|b| &b.period)),
    };
    BillingsReport {
        scope: Scope::of(query, now),
        items,
        totals,
    }
}

fn new_billings(
    contract: &ContractInfo,
    lifetime: &HashMap<(UserId, UserId), Decimal>,
    columns: &[Column],
) -> Billings {
    Billings {
        client_id: contract.client_id.clone(),
        freelancer_id: contract.freelancer_id.clone(),
        contracts: 0,
        lifetime_billed: lifetime
            .get(&(contract.client_id.clone(), contract.freelancer_id.clone()))
            .copied()
            .unwrap_or_default(),
        period: Amounts::zero(columns),
    }
}

impl Tabular for BillingsReport {
    fn table(&self) -> Table {
        let side = self.scope.role;
        let mut header = vec![counterparty_header(side), "contracts", "lifetime_billed"];
        header.extend(money_header(Column::billings(side)));
        let rows = self
            .items
            .iter()
            .map(|b| {
                let mut row = vec![
                    counterparty_cell(side, Some(&b.client_id), Some(&b.freelancer_id)),
                    Cell::Count(b.contracts),
                    Cell::Money(b.lifetime_billed),
                ];
                row.extend(b.period.cells());
                row
            })
            .collect();
        let mut totals = vec![
            Cell::Empty,
            Cell::Count(self.totals.contracts),
            Cell::Money(self.totals.lifetime_billed),
        ];
        totals.extend(self.totals.period.cells());
        Table {
            header,
            rows,
            totals,
        }
    }
}

// ---------------------------------------------------------------------- work in progress

/// Milestone states whose escrow is still held: work in progress. The store reads only
/// these (a filter on the contract's milestones).
pub const WIP_MILESTONE_STATES: [MilestoneState; 4] = [
    MilestoneState::Funded,
    MilestoneState::Submitted,
    MilestoneState::ChangesRequested,
    MilestoneState::Disputed,
];

/// Week states not settled yet: logging, waiting for the charge, in review or disputed.
pub const WIP_WEEK_STATES: [TimesheetState; 4] = [
    TimesheetState::Open,
    TimesheetState::PaymentDue,
    TimesheetState::InReview,
    TimesheetState::Disputed,
];

/// One contract's work not paid yet, as of now.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
pub struct WorkTotals {
    /// Funded milestones not released or refunded (disputed ones included).
    pub milestones_in_escrow: u64,
    #[serde(serialize_with = "cents")]
    #[schemars(with = "String")]
    pub in_escrow: Decimal,
    /// Hourly weeks charged and under review or disputed.
    pub weeks_in_review: u64,
    #[serde(serialize_with = "cents")]
    #[schemars(with = "String")]
    pub in_review: Decimal,
    /// Hourly invoices whose charge has not gone through yet.
    #[serde(serialize_with = "cents")]
    #[schemars(with = "String")]
    pub payment_due: Decimal,
    /// Time logged in weeks not closed yet, up to each week's limit (what the close would
    /// bill as the diary stands).
    pub unbilled_minutes: u64,
    /// Those minutes at the contract's rate: an estimate until the week closes.
    #[serde(serialize_with = "cents")]
    #[schemars(with = "String")]
    pub unbilled: Decimal,
}

impl WorkTotals {
    fn add(&mut self, other: &WorkTotals) {
        self.milestones_in_escrow += other.milestones_in_escrow;
        self.in_escrow += other.in_escrow;
        self.weeks_in_review += other.weeks_in_review;
        self.in_review += other.in_review;
        self.payment_due += other.payment_due;
        self.unbilled_minutes += other.unbilled_minutes;
        self.unbilled += other.unbilled;
    }

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::Count(self.milestones_in_escrow),
            Cell::Money(self.in_escrow),
            Cell::Count(self.weeks_in_review),
            Cell::Money(self.in_review),
            Cell::Money(self.payment_due),
            Cell::Count(self.unbilled_minutes),
            Cell::Money(self.unbilled),
        ]
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct ContractWork {
    pub contract_id: ContractId,
    #[serde(rename = "type")]
    pub contract_type: JobType,
    pub client_id: UserId,
    pub freelancer_id: UserId,
    #[serde(flatten)]
    pub work: WorkTotals,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct WorkInProgressReport {
    #[serde(flatten)]
    pub scope: Scope,
    pub items: Vec<ContractWork>,
    pub totals: WorkTotals,
}

/// A contract with the milestones and weeks the store read for it.
pub struct ContractItems {
    pub contract: Contract,
    pub milestones: Vec<Milestone>,
    pub weeks: Vec<Timesheet>,
}

fn unbilled(contract: &Contract, week: &Timesheet) -> (u64, Decimal) {
    let ContractTerms::Hourly { hourly_rate, .. } = &contract.terms else {
        return (0, Decimal::ZERO);
    };
    let limit = weekly_limit_for(contract, week.week()).unwrap_or(0) * SEGMENTS_PER_HOUR;
    let segments = week.segments.min(limit);
    let amount = round_cents(
        hourly_rate.amount * Decimal::from(segments) / Decimal::from(SEGMENTS_PER_HOUR),
    );
    (u64::from(segments) * SEGMENT_MINUTES as u64, amount)
}

/// Per contract with anything unpaid: escrow held for milestones, hourly weeks in review or
/// waiting for their charge, and time logged in weeks not closed yet. Both sides see the same
/// figures; for a client `in_escrow + in_review` is the wallet's `in_escrow`, for a
/// freelancer `in_review` is the wallet's.
pub fn work_in_progress(
    query: &ReportQuery,
    contracts: &[ContractItems],
    now: DateTime<Utc>,
) -> WorkInProgressReport {
    let mut items = Vec::new();
    for ContractItems {
        contract,
        milestones,
        weeks,
    } in contracts
    {
        let info = ContractInfo::of(contract);
        if !query.selects(&info) {
            continue;
        }
        let mut work = WorkTotals::default();
        for m in milestones
            .iter()
            .filter(|m| WIP_MILESTONE_STATES.contains(&m.state))
        {
            work.milestones_in_escrow += 1;
            work.in_escrow += m.amount.amount;
        }
        for week in weeks {
            let invoiced = week
                .invoice
                .as_ref()
                .map_or(Decimal::ZERO, |i| i.amount.amount);
            match week.state {
                TimesheetState::Open => {
                    let (minutes, amount) = unbilled(contract, week);
                    work.unbilled_minutes += minutes;
                    work.unbilled += amount;
                }
                TimesheetState::PaymentDue => work.payment_due += invoiced,
                TimesheetState::InReview | TimesheetState::Disputed => {
                    work.weeks_in_review += 1;
                    work.in_review += invoiced;
                }
                _ => {}
            }
        }
        if work != WorkTotals::default() {
            items.push(ContractWork {
                contract_id: info.id,
                contract_type: info.contract_type,
                client_id: info.client_id,
                freelancer_id: info.freelancer_id,
                work,
            });
        }
    }
    items.sort_by(|a, b| a.contract_id.cmp(&b.contract_id));
    let mut totals = WorkTotals::default();
    for item in &items {
        totals.add(&item.work);
    }
    WorkInProgressReport {
        scope: Scope::of(query, now),
        items,
        totals,
    }
}

const WORK_HEADER: [&str; 7] = [
    "milestones_in_escrow",
    "in_escrow",
    "weeks_in_review",
    "in_review",
    "payment_due",
    "unbilled_minutes",
    "unbilled",
];

impl Tabular for WorkInProgressReport {
    fn table(&self) -> Table {
        let side = self.scope.role;
        let mut header = vec!["contract_id", "type", counterparty_header(side)];
        header.extend(WORK_HEADER);
        let rows = self
            .items
            .iter()
            .map(|c| {
                let mut row = vec![
                    Cell::text(c.contract_id.to_string()),
                    Cell::text(match c.contract_type {
                        JobType::Fixed => "fixed",
                        JobType::Hourly => "hourly",
                    }),
                    counterparty_cell(side, Some(&c.client_id), Some(&c.freelancer_id)),
                ];
                row.extend(c.work.cells());
                row
            })
            .collect();
        let mut totals = vec![Cell::Empty, Cell::Empty, Cell::Empty];
        totals.extend(self.totals.cells());
        Table {
            header,
            rows,
            totals,
        }
    }
}

// ---------------------------------------------------------------------- timesheets

#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
pub struct TimesheetTotals {
    pub logged_minutes: u64,
    pub manual_minutes: u64,
    /// Closed weeks: within the weekly limit. Open weeks count here once closed.
    pub billable_minutes: u64,
    pub over_limit_minutes: u64,
    /// The invoices (billable hours × rate).
    #[serde(serialize_with = "cents")]
    #[schemars(with = "String")]
    pub amount: Decimal,
    /// The client's marketplace fee on top of the invoices.
    #[serde(serialize_with = "cents")]
    #[schemars(with = "String")]
    pub client_fee: Decimal,
    /// Released weeks: the freelancer's service fee and what they were paid net.
    #[serde(serialize_with = "cents")]
    #[schemars(with = "String")]
    pub service_fee: Decimal,
    #[serde(serialize_with = "cents")]
    #[schemars(with = "String")]
    pub net: Decimal,
}

impl TimesheetTotals {
    fn of(week: &Timesheet) -> Self {
        let mut out = match &week.invoice {
            Some(invoice) => Self {
                logged_minutes: invoice.logged_minutes.into(),
                manual_minutes: invoice.manual_minutes.into(),
                billable_minutes: invoice.billable_minutes.into(),
                over_limit_minutes: invoice.over_limit_minutes.into(),
                amount: invoice.amount.amount,
                client_fee: invoice.client_fee.amount,
                ..Self::default()
            },
            None => Self {
                logged_minutes: u64::from(week.segments) * SEGMENT_MINUTES as u64,
                manual_minutes: u64::from(week.manual_segments) * SEGMENT_MINUTES as u64,
                ..Self::default()
            },
        };
        if let Some(payment) = &week.payment {
            out.service_fee = payment.service_fee.amount;
            out.net = payment.net.amount;
        }
        out
    }

    fn add(&mut self, other: &Self) {
        self.logged_minutes += other.logged_minutes;
        self.manual_minutes += other.manual_minutes;
        self.billable_minutes += other.billable_minutes;
        self.over_limit_minutes += other.over_limit_minutes;
        self.amount += other.amount;
        self.client_fee += other.client_fee;
        self.service_fee += other.service_fee;
        self.net += other.net;
    }

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::Count(self.logged_minutes),
            Cell::Count(self.manual_minutes),
            Cell::Count(self.billable_minutes),
            Cell::Count(self.over_limit_minutes),
            Cell::Money(self.amount),
            Cell::Money(self.client_fee),
            Cell::Money(self.service_fee),
            Cell::Money(self.net),
        ]
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct TimesheetLine {
    #[schemars(with = "String")]
    pub week_start: NaiveDate,
    pub timesheet_id: TimesheetId,
    pub contract_id: ContractId,
    pub client_id: UserId,
    pub freelancer_id: UserId,
    /// As `GET /v1/contracts/{id}/timesheets` shows it (`available` once the money is).
    pub state: String,
    #[serde(serialize_with = "cents")]
    #[schemars(with = "String")]
    pub hourly_rate: Decimal,
    #[serde(flatten)]
    pub totals: TimesheetTotals,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct TimesheetsReport {
    #[serde(flatten)]
    pub scope: Scope,
    pub items: Vec<TimesheetLine>,
    pub totals: TimesheetTotals,
}

/// The weeks whose Monday falls in the range, of the hourly contracts that pass the
/// filters, oldest week first.
pub fn timesheets(
    query: &ReportQuery,
    contracts: &[ContractItems],
    now: DateTime<Utc>,
) -> TimesheetsReport {
    let mut items = Vec::new();
    for ContractItems {
        contract, weeks, ..
    } in contracts
    {
        let info = ContractInfo::of(contract);
        if !query.selects(&info) {
            continue;
        }
        let rate = match &contract.terms {
            ContractTerms::Hourly { hourly_rate, .. } => hourly_rate.amount,
            ContractTerms::Fixed { .. } => continue,
        };
        for week in weeks {
            if query
                .range
                .is_some_and(|r| week.week_start < r.from || week.week_start > r.to)
            {
                continue;
            }
            items.push(TimesheetLine {
                week_start: week.week_start,
                timesheet_id: week.id.clone(),
                contract_id: info.id.clone(),
                client_id: info.client_id.clone(),
                freelancer_id: info.freelancer_id.clone(),
                state: week.display_state(now).to_string(),
                hourly_rate: rate,
                totals: TimesheetTotals::of(week),
            });
        }
    }
    items.sort_by(|a, b| (a.week_start, &a.contract_id).cmp(&(b.week_start, &b.contract_id)));
    let mut totals = TimesheetTotals::default();
    for item in &items {
        totals.add(&item.totals);
    }
    TimesheetsReport {
        scope: Scope::of(query, now),
        items,
        totals,
    }
}

const TIMESHEET_HEADER: [&str; 8] = [
    "logged_minutes",
    "manual_minutes",
    "billable_minutes",
    "over_limit_minutes",
    "amount",
    "client_fee",
    "service_fee",
    "net",
];

impl Tabular for TimesheetsReport {
    fn table(&self) -> Table {
        let side = self.scope.role;
        let mut header = vec![
            "week_start",
            "timesheet_id",
            "contract_id",
            counterparty_header(side),
            "state",
            "hourly_rate",
        ];
        header.extend(TIMESHEET_HEADER);
        let rows = self
            .items
            .iter()
            .map(|w| {
                let mut row = vec![
                    Cell::text(w.week_start.to_string()),
                    Cell::text(w.timesheet_id.to_string()),
                    Cell::text(w.contract_id.to_string()),
                    counterparty_cell(side, Some(&w.client_id), Some(&w.freelancer_id)),
                    Cell::text(w.state.clone()),
                    Cell::Money(w.hourly_rate),
                ];
                row.extend(w.totals.cells());
                row
            })
            .collect();
        let mut totals = vec![Cell::Empty; 6];
        totals.extend(self.totals.cells());
        Table {
            header,
            rows,
            totals,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::contract::{ContractRef, MilestoneDraft, Parties};
    use crate::domain::hourly::{BillingWeek, Invoice, Payment};
    use crate::domain::ids::{JobId, OfferId};
    use crate::domain::ledger::Phase::{Pending, Posted};
    use crate::domain::money::Money;
    use crate::domain::offer::{Offer, OfferContent};

    fn t(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    fn d(raw: &str) -> NaiveDate {
        raw.parse().unwrap()
    }

    fn dec(raw: &str) -> Decimal {
        raw.parse().unwrap()
    }

    fn usd(raw: &str) -> Money {
        Money::usd(raw).unwrap()
    }

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn query(kind: ReportKind, pairs: &[(&str, &str)]) -> Result<ReportQuery, Vec<String>> {
        ReportQuery::parse(kind, &params(pairs), Side::Freelancer, d("2026-12-14"))
            .map_err(|v| v.0.into_iter().map(|v| v.field).collect())
    }

    #[test]
    fn ranges_are_whole_inclusive_utc_days_with_a_30_day_default() {
        let q = query(ReportKind::Earnings, &[]).unwrap();
        assert_eq!(q.side, Side::Freelancer);
        assert_eq!(q.format, Format::Json);
        let range = q.range.unwrap();
        assert_eq!((range.from, range.to), (d("2026-11-15"), d("2026-12-14")));
        assert_eq!(range.days(), 30);
        // An empty value is not a date (nor a format): the document states their shapes.
        let empty = query(
            ReportKind::Earnings,
            &[("from", ""), ("to", ""), ("format", "")],
        )
        .unwrap_err();
        assert_eq!(empty, ["format", "from", "to"]);
        let december = query(
            ReportKind::Transactions,
            &[
                ("from", "2026-12-01"),
                ("to", "2026-12-31"),
                ("role", "client"),
            ],
        )
        .unwrap();
        let r = december.range.unwrap();
        assert_eq!(december.side, Side::Client);
        assert!(r.contains(t("2026-12-01T00:00:00Z")));
        assert!(r.contains(t("2026-12-31T23:59:59.999Z")));
        assert!(!r.contains(t("2027-01-01T00:00:00Z")));
        assert!(!r.contains(t("2026-11-30T23:59:59.999Z")));
        // A leap year is the longest range; one day more is refused.
        let leap = [("from", "2028-01-01"), ("to", "2028-12-31")];
        assert_eq!(
            query(ReportKind::Earnings, &leap)
                .unwrap()
                .range
                .unwrap()
                .days(),
            366
        );
        let long = [("from", "2026-01-01"), ("to", "2027-01-02")];
        assert_eq!(
            query(ReportKind::Earnings, &long),
            Err(vec!["to".to_string()])
        );
        assert!(query(ReportKind::WorkInProgress, &[])
            .unwrap()
            .range
            .is_none());
    }

    #[test]
    fn every_bad_parameter_is_named() {
        let bad = |kind, pairs: &[(&str, &str)]| query(kind, pairs).unwrap_err();
        use ReportKind::*;
        assert_eq!(bad(Earnings, &[("from", "2026-13-01")]), vec!["from"]);
        assert_eq!(bad(Earnings, &[("from", "2026-1-5")]), vec!["from"]);
        assert_eq!(bad(Earnings, &[("to", "1999-12-31")]), vec!["to"]);
        assert_eq!(
            bad(Earnings, &[("from", "2026-12-10"), ("to", "2026-12-01")]),
            vec!["to"]
        );
        assert_eq!(bad(Earnings, &[("format", "xml")]), vec!["format"]);
        assert_eq!(bad(Earnings, &[("role", "admin")]), vec!["role"]);
        assert_eq!(bad(Earnings, &[("limit", "5")]), vec!["limit"]);
        assert_eq!(
            bad(Earnings, &[("to", "2026-12-01"), ("to", "2026-12-02")]),
            vec!["to"]
        );
        assert_eq!(bad(Earnings, &[("client", "bob")]), vec!["client"]);
        assert_eq!(
            bad(Earnings, &[("freelancer", "usr_x")]),
            vec!["freelancer"]
        );
        assert_eq!(
            bad(Transactions, &[("contract", "mil_x")]),
            vec!["contract"]
        );
        let contract = ContractId::generate(t("2026-12-01T00:00:00Z")).to_string();
        assert_eq!(
            bad(BillingsByClient, &[("contract", &contract)]),
            vec!["contract"]
        );
        assert_eq!(
            bad(
                WorkInProgress,
                &[("from", "2026-12-01"), ("to", "2026-12-02")]
            ),
            vec!["from", "to"]
        );
        // A client's report filters by freelancer.
        let someone = UserId::generate(t("2026-12-01T00:00:00Z")).to_string();
        let client = query(Timesheets, &[("role", "client"), ("freelancer", &someone)]);
        assert_eq!(client.unwrap().counterparty.unwrap().to_string(), someone);
        assert_eq!(
            bad(Timesheets, &[("role", "client"), ("client", &someone)]),
            vec!["client"]
        );
    }

    /// A client, a freelancer, a fixed contract with one milestone and an hourly contract.
    struct Book {
        client: UserId,
        freelancer: UserId,
        fixed: ContractInfo,
        hourly: ContractInfo,
        milestone: MilestoneId,
        weeks: [TimesheetId; 2],
        transfers: Vec<Transfer>,
    }

    fn id() -> TransferId {
        TransferId::generate(t("2026-12-01T00:00:00Z"))
    }

    impl Book {
        fn new() -> Book {
            let at = t("2026-12-01T00:00:00Z");
            let (client, freelancer) = (UserId::generate(at), UserId::generate(at));
            let info = |contract_type| ContractInfo {
                id: ContractId::generate(at),
                client_id: client.clone(),
                freelancer_id: freelancer.clone(),
                contract_type,
            };
            let (fixed, hourly) = (info(JobType::Fixed), info(JobType::Hourly));
            let weeks = [
                TimesheetId::new(
                    &hourly.id,
                    BillingWeek::containing(t("2026-11-30T00:00:00Z")),
                ),
                TimesheetId::new(
                    &hourly.id,
                    BillingWeek::containing(t("2026-12-07T00:00:00Z")),
                ),
            ];
            let mut book = Book {
                client,
                freelancer,
                fixed,
                hourly,
                milestone: MilestoneId::generate(at),
                weeks,
                transfers: Vec::new(),
            };
            book.money();
            book
        }

        #[allow(clippy::too_many_arguments)]
        fn push(
            &mut self,
            debit: AccountId,
            credit: AccountId,
            amount: &str,
            phase: Phase,
            code: TransferCode,
            reference: String,
            at: &str,
        ) -> Transfer {
            let transfer = Transfer::new(
                id(),
                debit,
                credit,
                usd(amount),
                phase,
                code,
                reference,
                t(at),
            );
            self.transfers.push(transfer.clone());
            transfer
        }

        fn settle(&mut self, hold: &Transfer, amount: Option<&str>, code: TransferCode, at: &str) {
            self.transfers
                .push(Transfer::settle(id(), hold, amount.map(usd), code, t(at)));
        }

        /// Fund 600, approve 500 (100 back with its fee share), fee, availability; one hourly
        /// week paid, one in review; a withdrawal.
        fn money(&mut self) {
            use TransferCode::*;
            let world = AccountId::world(Currency::USD);
            let fees = AccountId::fees_for(&id());
            let client = AccountId::client(&self.client);
            let earnings = AccountId::pending_earnings(&self.freelancer);
            let review = AccountId::in_review(&self.freelancer);
            let available = AccountId::available(&self.freelancer);
            let m = self.milestone.to_string();
            let [w1, w2] = self.weeks.clone().map(|w| w.to_string());
            self.push(
                world.clone(),
                client.clone(),
                "630.00",
                Posted,
                Charge,
                m.clone(),
                "2026-12-01T10:00:00Z",
            );
            self.push(
                client.clone(),
                fees.clone(),
                "30.00",
                Posted,
                ClientFee,
                m.clone(),
                "2026-12-01T10:00:00Z",
            );
            let hold = self.push(
                client.clone(),
                earnings.clone(),
                "600.00",
                Pending,
                Escrow,
                m.clone(),
                "2026-12-01T10:00:00Z",
            );
            self.settle(&hold, Some("500.00"), Release, "2026-12-03T10:00:00Z");
            self.push(
                fees.clone(),
                client.clone(),
                "5.00",
                Posted,
                ClientFeeRefund,
                m.clone(),
                "2026-12-03T10:00:00Z",
            );
            self.push(
                earnings.clone(),
                fees.clone(),
                "100.00",
                Posted,
                ServiceFee,
                m.clone(),
                "2026-12-03T10:00:00Z",
            );
            self.push(
                earnings.clone(),
                available.clone(),
                "400.00",
                Posted,
                Availability,
                m,
                "2026-12-08T10:00:00Z",
            );
            self.push(
                world.clone(),
                client.clone(),
                "31.50",
                Posted,
                Charge,
                w1.clone(),
                "2026-12-07T12:00:00Z",
            );
            self.push(
                client.clone(),
                fees.clone(),
                "1.50",
                Posted,
                ClientFee,
                w1.clone(),
                "2026-12-07T12:00:00Z",
            );
            let week = self.push(
                client.clone(),
                review.clone(),
                "30.00",
                Pending,
                Escrow,
                w1.clone(),
                "2026-12-07T12:00:00Z",
            );
            self.settle(&week, Some("30.00"), Release, "2026-12-12T00:00:00Z");
            self.push(
                review.clone(),
                earnings.clone(),
                "30.00",
                Posted,
                Release,
                w1.clone(),
                "2026-12-12T00:00:00Z",
            );
            self.push(
                earnings,
                fees.clone(),
                "6.00",
                Posted,
                ServiceFee,
                w1,
                "2026-12-12T00:00:00Z",
            );
            self.push(
                world.clone(),
                client.clone(),
                "63.00",
                Posted,
                Charge,
                w2.clone(),
                "2026-12-14T12:00:00Z",
            );
            self.push(
                client.clone(),
                fees.clone(),
                "3.00",
                Posted,
                ClientFee,
                w2.clone(),
                "2026-12-14T12:00:00Z",
            );
            self.push(
                client,
                review,
                "60.00",
                Pending,
                Escrow,
                w2,
                "2026-12-14T12:00:00Z",
            );
            // A withdrawal of 100 paid (99 out, 1 fee), one of 50 still on its way.
            let payouts = AccountId::payouts_in_flight(&self.freelancer);
            let (wdr, paid_at) = (String::from("wdr_1"), "2026-12-13T10:00:00Z");
            let set_aside = |amount| {
                (
                    available.clone(),
                    payouts.clone(),
                    amount,
                    Posted,
                    Withdrawal,
                )
            };
            for (debit, credit, amount, phase, code) in [
                set_aside("100.00"),
                (payouts.clone(), world, "99.00", Posted, Withdrawal),
                (payouts.clone(), fees, "1.00", Posted, WithdrawalFee),
            ] {
                self.push(debit, credit, amount, phase, code, wdr.clone(), paid_at);
            }
            let (debit, credit, amount, phase, code) = set_aside("50.00");
            self.push(
                debit,
                credit,
                amount,
                phase,
                code,
                "wdr_2".into(),
                "2026-12-14T09:00:00Z",
            );
        }

        fn attributions(&self) -> HashMap<String, Attribution> {
            let mut map = HashMap::new();
            map.insert(
                self.milestone.to_string(),
                Attribution {
                    contract: self.fixed.clone(),
                    milestone: Some("Logo, \"v2\"".into()),
                },
            );
            for week in &self.weeks {
                map.insert(
                    week.to_string(),
                    Attribution {
                        contract: self.hourly.clone(),
                        milestone: None,
                    },
                );
            }
            map
        }

        /// Every account's totals, replayed: what the table's account items hold.
        fn accounts(&self) -> Vec<(AccountId, Totals)> {
            let by_id: HashMap<&TransferId, &Transfer> =
                self.transfers.iter().map(|t| (&t.id, t)).collect();
            let mut totals: BTreeMap<AccountId, Totals> = BTreeMap::new();
            for transfer in &self.transfers {
                let hold = transfer.pending_id.as_ref().map(|id| by_id[id]);
                for (account, delta) in transfer.effects(hold).unwrap() {
                    totals.entry(account).or_default().add(&delta);
                }
            }
            totals.into_iter().collect()
        }

        fn lines(&self, side: Side) -> Vec<Line> {
            let user = match side {
                Side::Freelancer => &self.freelancer,
                Side::Client => &self.client,
            };
            statement(
                side,
                user,
                &self.transfers,
                &HashMap::new(),
                &self.attributions(),
            )
            .unwrap()
        }

        fn query(&self, side: Side, pairs: &[(&str, &str)]) -> ReportQuery {
            self.query_of(ReportKind::Transactions, side, pairs)
        }

        fn query_of(&self, kind: ReportKind, side: Side, pairs: &[(&str, &str)]) -> ReportQuery {
            let mut all = vec![
                ("role", side_name(side)),
                ("from", "2026-11-01"),
                ("to", "2026-12-31"),
            ];
            all.extend_from_slice(pairs);
            ReportQuery::parse(kind, &params(&all), side, d("2026-12-14")).unwrap()
        }
    }

    fn now() -> DateTime<Utc> {
        t("2026-12-14T13:00:00Z")
    }

    #[test]
    fn a_whole_history_statement_adds_up_to_the_wallet_for_both_sides() {
        let book = Book::new();
        let accounts = book.accounts();
        let freelancer = transactions(
            &book.query(Side::Freelancer, &[]),
            book.lines(Side::Freelancer),
            now(),
        );
        let wallet = balances(Side::Freelancer, &book.freelancer, &accounts);
        assert_eq!(
            (
                wallet.get(Column::Pending),
                wallet.get(Column::InReview),
                wallet.get(Column::Available),
                wallet.get(Column::Withdrawing)
            ),
            (dec("24.00"), dec("60.00"), dec("250.00"), dec("50.00"))
        );
        assert_eq!(
            freelancer.totals.only(Column::balances(Side::Freelancer)),
            wallet
        );
        assert_eq!(freelancer.totals.get(Column::Earned), dec("530.00"));
        assert_eq!(freelancer.totals.get(Column::ServiceFees), dec("106.00"));
        assert_eq!(freelancer.totals.get(Column::Net), dec("424.00"));
        assert_eq!(freelancer.totals.get(Column::Withdrawn), dec("100.00"));
        // Transfers between two of the freelancer's accounts are listed once.
        assert_eq!(freelancer.items.len(), 13);

        let client = transactions(
            &book.query(Side::Client, &[]),
            book.lines(Side::Client),
            now(),
        );
        let wallet = balances(Side::Client, &book.client, &accounts);
        assert_eq!(
            (wallet.get(Column::InEscrow), wallet.get(Column::Available)),
            (dec("60.00"), dec("105.00"))
        );
        assert_eq!(client.totals.only(Column::balances(Side::Client)), wallet);
        let c = |column| client.totals.get(column);
        assert_eq!(
            (
                c(Column::Charged),
                c(Column::Paid),
                c(Column::ClientFees),
                c(Column::EscrowRefunded)
            ),
            (dec("724.50"), dec("530.00"), dec("29.50"), dec("100.00"))
        );
        assert_eq!(
            c(Column::Charged) - c(Column::Paid) - c(Column::ClientFees),
            c(Column::InEscrow) + c(Column::Available)
        );
        // The withdrawal is the freelancer's alone.
        assert_eq!(client.items.len(), 12);
    }

    #[test]
    fn a_settlement_whose_hold_is_older_than_the_range_counts_the_same() {
        let book = Book::new();
        let all = book.lines(Side::Client);
        let release = all
            .iter()
            .find(|l| l.code == TransferCode::Release)
            .unwrap();
        let hold = book
            .transfers
            .iter()
            .find(|t| t.code == TransferCode::Escrow)
            .unwrap();
        let settlement: Vec<Transfer> = book
            .transfers
            .iter()
            .filter(|t| t.id == release.transfer_id)
            .cloned()
            .collect();
        let holds = HashMap::from([(hold.id.clone(), hold.clone())]);
        let alone = statement(
            Side::Client,
            &book.client,
            &settlement,
            &holds,
            &book.attributions(),
        )
        .unwrap();
        assert_eq!(alone, vec![release.clone()]);
        assert_eq!(release.amounts.get(Column::InEscrow), dec("-600.00"));
        assert_eq!(release.amounts.get(Column::Available), dec("100.00"));
        assert_eq!(release.amounts.get(Column::Paid), dec("500.00"));
        assert_eq!(release.amounts.get(Column::EscrowRefunded), dec("100.00"));
        assert_eq!(release.description, "Logo, \"v2\"");
        assert_eq!(release.contract_id.as_ref(), Some(&book.fixed.id));
        // Without its hold the settlement cannot be priced: an error, not a wrong figure.
        assert!(statement(
            Side::Client,
            &book.client,
            &settlement,
            &HashMap::new(),
            &HashMap::new()
        )
        .is_err());
    }

    #[test]
    fn filters_narrow_to_a_contract_or_a_client_and_drop_unattributed_movements() {
        let book = Book::new();
        let lines = book.lines(Side::Freelancer);
        let wallet = balances(Side::Freelancer, &book.freelancer, &book.accounts());
        let all = earnings(
            &book.query(Side::Freelancer, &[]),
            lines.clone(),
            wallet.clone(),
            now(),
        );
        assert_eq!(all.items.len(), 3, "two contracts and the withdrawal");
        assert_eq!(all.items[2].contract_id, None);
        assert_eq!(all.items[2].amounts.get(Column::Available), dec("-150.00"));
        assert_eq!(all.items[2].amounts.get(Column::Withdrawing), dec("50.00"));
        let hourly = book.hourly.id.to_string();
        let one = earnings(
            &book.query(Side::Freelancer, &[("contract", &hourly)]),
            lines.clone(),
            wallet.clone(),
            now(),
        );
        assert_eq!(one.items.len(), 1);
        assert_eq!(one.totals.get(Column::Earned), dec("30.00"));
        assert_eq!(one.totals.get(Column::Pending), dec("24.00"));
        assert_eq!(one.totals.get(Column::InReview), dec("60.00"));
        assert_eq!(
            one.balances, wallet,
            "balances are the wallet's whatever the filters"
        );
        let client = book.client.to_string();
        let theirs = earnings(
            &book.query(Side::Freelancer, &[("client", &client)]),
            lines.clone(),
            wallet.clone(),
            now(),
        );
        assert_eq!(theirs.items.len(), 2);
        assert_eq!(theirs.totals.get(Column::Withdrawn), Decimal::ZERO);
        let stranger = UserId::generate(now()).to_string();
        let nobody = earnings(
            &book.query(Side::Freelancer, &[("client", &stranger)]),
            lines,
            wallet,
            now(),
        );
        assert!(nobody.items.is_empty());
        assert_eq!(
            nobody.totals,
            Amounts::zero(Column::statement(Side::Freelancer))
        );
    }

    #[test]
    fn billings_per_client_carry_the_lifetime_counter_and_the_range() {
        let book = Book::new();
        let other_client = UserId::generate(now());
        let elsewhere = ContractInfo {
            id: ContractId::generate(now()),
            client_id: other_client.clone(),
            freelancer_id: book.freelancer.clone(),
            contract_type: JobType::Fixed,
        };
        let contracts = vec![book.fixed.clone(), book.hourly.clone(), elsewhere];
        let lifetime = HashMap::from([
            (
                (book.client.clone(), book.freelancer.clone()),
                dec("530.00"),
            ),
            (
                (other_client.clone(), book.freelancer.clone()),
                dec("1200.00"),
            ),
        ]);
        let q = book.query(Side::Freelancer, &[]);
        let report = billings(
            &q,
            &contracts,
            &lifetime,
            book.lines(Side::Freelancer),
            now(),
        );
        assert_eq!(report.items.len(), 2);
        assert_eq!(
            report.items[0].client_id, other_client,
            "largest lifetime first"
        );
        assert_eq!(
            (
                report.items[0].contracts,
                report.items[0].period.get(Column::Earned)
            ),
            (1, Decimal::ZERO)
        );
        let mine = &report.items[1];
        assert_eq!((mine.contracts, mine.lifetime_billed), (2, dec("530.00")));
        assert_eq!(mine.period, {
            let mut a = Amounts::zero(Column::billings(Side::Freelancer));
            a.add_to(Column::Earned, dec("530.00"));
            a.add_to(Column::ServiceFees, dec("106.00"));
            a.add_to(Column::Net, dec("424.00"));
            a
        });
        assert_eq!(
            (report.totals.contracts, report.totals.lifetime_billed),
            (3, dec("1730.00"))
        );
        assert_csv_totals(&report.table());
    }

    fn contract(hourly: bool) -> Contract {
        let now = t("2026-11-30T08:00:00Z");
        let parties = Parties {
            job_id: JobId::generate(now),
            proposal_id: None,
            client_id: UserId::generate(now),
            freelancer_id: UserId::generate(now),
        };
        let terms = if hourly {
            ContractTerms::Hourly {
                hourly_rate: usd("30.00"),
                weekly_limit_hours: 2,
                manual_time_allowed: true,
            }
        } else {
            ContractTerms::Fixed { milestones: vec![] }
        };
        let offer = Offer::new(
            OfferId::generate(now),
            parties,
            OfferContent {
                terms,
                message: String::new(),
            },
            now,
        );
        Contract::start(&offer, "standard", now)
    }

    fn milestone(contract: &Contract, amount: &str, state: MilestoneState) -> Milestone {
        let reference = ContractRef {
            id: contract.id.clone(),
            client_id: contract.parties.client_id.clone(),
            freelancer_id: contract.parties.freelancer_id.clone(),
            fee_schedule: "standard".into(),
        };
        let draft = MilestoneDraft {
            description: "Design".into(),
            amount: usd(amount),
            due_date: None,
        };
        let mut m = Milestone::new(MilestoneId::generate(now()), &reference, draft, now()).unwrap();
        m.state = state;
        m
    }

    fn week(
        contract: &Contract,
        monday: &str,
        state: TimesheetState,
        segments: u32,
        amount: &str,
    ) -> Timesheet {
        let mut w = Timesheet::open(contract, BillingWeek::starting(d(monday)).unwrap());
        w.state = state;
        w.segments = segments;
        w.manual_segments = 1;
        if state != TimesheetState::Open {
            w.invoice = Some(Invoice {
                hourly_rate: usd("30.00"),
                weekly_limit_hours: 2,
                logged_minutes: segments * 10,
                manual_minutes: 10,
                billable_minutes: segments.min(12) * 10,
                over_limit_minutes: segments.saturating_sub(12) * 10,
                protected_minutes: 0,
                unprotected_minutes: segments.min(12) * 10,
                billing_verified: true,
                amount: usd(amount),
                client_fee: Money::new(dec(amount) / Decimal::from(20), Currency::USD).unwrap(),
                fee_schedule: "standard".into(),
            });
        }
        if state == TimesheetState::Released {
            w.payment = Some(Payment {
                gross: usd(amount),
                service_fee: usd("6.00"),
                net: usd("24.00"),
            });
        }
        w
    }

    #[test]
    fn work_in_progress_is_escrow_review_and_time_not_billed_yet() {
        let fixed = contract(false);
        let hourly = contract(true);
        let items = vec![
            ContractItems {
                milestones: vec![
                    milestone(&fixed, "100.00", MilestoneState::Funded),
                    milestone(&fixed, "250.00", MilestoneState::Disputed),
                    milestone(&fixed, "999.00", MilestoneState::Released),
                ],
                contract: fixed.clone(),
                weeks: vec![],
            },
            ContractItems {
                milestones: vec![],
                weeks: vec![
                    week(&hourly, "2026-11-23", TimesheetState::Released, 12, "60.00"),
                    week(&hourly, "2026-11-30", TimesheetState::InReview, 6, "30.00"),
                    week(
                        &hourly,
                        "2026-12-07",
                        TimesheetState::PaymentDue,
                        3,
                        "15.00",
                    ),
                    // 15 slots logged, the limit is 2 h: 12 slots would be billed.
                    week(&hourly, "2026-12-14", TimesheetState::Open, 15, "0.00"),
                ],
                contract: hourly.clone(),
            },
        ];
        let q = |pairs: &[(&str, &str)]| {
            ReportQuery::parse(
                ReportKind::WorkInProgress,
                &params(pairs),
                Side::Client,
                d("2026-12-14"),
            )
            .unwrap()
        };
        let report = work_in_progress(&q(&[]), &items, now());
        assert_eq!(report.items.len(), 2);
        let totals = &report.totals;
        assert_eq!(
            (totals.milestones_in_escrow, totals.in_escrow),
            (2, dec("350.00"))
        );
        assert_eq!(
            (totals.weeks_in_review, totals.in_review),
            (1, dec("30.00"))
        );
        assert_eq!(totals.payment_due, dec("15.00"));
        assert_eq!(
            (totals.unbilled_minutes, totals.unbilled),
            (120, dec("60.00"))
        );
        let only = work_in_progress(&q(&[("contract", hourly.id.as_str())]), &items, now());
        assert_eq!(only.items.len(), 1);
        assert_eq!(only.totals.in_escrow, Decimal::ZERO);
        assert_csv_totals(&report.table());

        let sheets = timesheets(
            &ReportQuery::parse(
                ReportKind::Timesheets,
                &params(&[("from", "2026-11-30"), ("to", "2026-12-07")]),
                Side::Freelancer,
                d("2026-12-14"),
            )
            .unwrap(),
            &items,
            now(),
        );
        let weeks: Vec<String> = sheets
            .items
            .iter()
            .map(|w| w.week_start.to_string())
            .collect();
        assert_eq!(
            weeks,
            vec!["2026-11-30", "2026-12-07"],
            "Mondays inside the range only"
        );
        assert_eq!(sheets.totals.billable_minutes, 90);
        assert_eq!(sheets.totals.amount, dec("45.00"));
        assert_eq!(sheets.totals.client_fee, dec("2.25"));
        assert_csv_totals(&sheets.table());
    }

    /// Parses a rendered table back and checks every totals cell is the sum of its column.
    fn assert_csv_totals(table: &Table) {
        let records = csv::parse(&csv::render(table)).unwrap();
        let (header, rest) = records.split_first().unwrap();
        let (totals, rows) = rest.split_last().unwrap();
        assert_eq!(totals[0], csv::TOTAL_LABEL);
        for (i, total) in totals.iter().enumerate().skip(1) {
            if total.is_empty() {
                continue;
            }
            let sum: Decimal = rows.iter().map(|r| dec(&r[i])).sum();
            assert_eq!(dec(total), sum, "column {}", header[i]);
        }
    }

    #[test]
    fn the_csv_export_of_a_statement_adds_up_and_keeps_descriptions() {
        let book = Book::new();
        for side in [Side::Freelancer, Side::Client] {
            let report = transactions(&book.query(side, &[]), book.lines(side), now());
            let table = report.table();
            assert_csv_totals(&table);
            let records = csv::parse(&csv::render(&table)).unwrap();
            let description = records[0].iter().position(|h| h == "description").unwrap();
            assert!(records.iter().any(|r| r[description] == "Logo, \"v2\""));
            let total = records.last().unwrap();
            for column in Column::statement(side) {
                let at = records[0].iter().position(|h| h == column.name()).unwrap();
                assert_eq!(
                    dec(&total[at]),
                    report.totals.get(*column),
                    "{}",
                    column.name()
                );
            }
        }
        let earnings_report = earnings(
            &book.query_of(ReportKind::Earnings, Side::Freelancer, &[]),
            book.lines(Side::Freelancer),
            Amounts::zero(Column::balances(Side::Freelancer)),
            now(),
        );
        assert_csv_totals(&earnings_report.table());
        let json = serde_json::to_value(&earnings_report).unwrap();
        assert_eq!(json["totals"]["earned"], "530.00");
        assert_eq!(json["report"], "earnings");
        assert_eq!(json["from"], "2026-11-01");
        assert!(
            json["totals"].get("charged").is_none(),
            "a freelancer sees no client columns"
        );
    }
}
