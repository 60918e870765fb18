//! What reports read (PRODUCT §14): partitions and keys only, never a scan, and bounded per
//! request (`domain::report::MAX_TRANSFERS`, `MAX_CONTRACTS`).
//! - The caller's ledger history in a time range: each of the caller's accounts' debit
//!   (`gsi1`) and credit (`gsi2`) partitions, `BETWEEN` the range's first and last
//!   millisecond, all queried at once.
//! - What those transfers were for, in batches: the holds they settle (BatchGetItem by id),
//!   the milestones and disputes their references name (BatchGetItem), then the contracts
//!   (BatchGetItem) — a few round trips whatever the number of rows.
//! - The caller's contracts (`GET /v1/me/contracts`' index), the pairs' lifetime billings
//!   (BatchGetItem), and per contract its milestones (`gsi1`) or its weeks (its partition).

use super::contracts::ContractRecord;
use super::hourly::TimesheetRecord;
use super::keys;
use super::ledger::TransferRecord;
use super::milestones::MilestoneRecord;
use super::{from_item, Item, Store, StoreError};
use crate::domain::contract::Milestone;
use crate::domain::hourly::Timesheet;
use crate::domain::ids::{ContractId, DisputeId, MilestoneId, TransferId, UserId};
use crate::domain::ledger::{AccountId, Transfer};
use crate::domain::offer::{Contract, Side};
use crate::domain::report::{
    Attribution, ContractInfo, Subject, WIP_MILESTONE_STATES, WIP_WEEK_STATES,
};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, Utc};
use futures::future::try_join_all;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};

/// A report would read more than a request may.
#[derive(Debug, thiserror::Error)]
pub enum ReportReadError {
    #[error("more than {limit} {what}")]
    TooLarge { what: &'static str, limit: usize },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A time range of the caller's ledger history, with what reporting it needs.
#[derive(Debug, Default)]
pub struct LedgerSlice {
    /// Each transfer once, even when it moved money between two of the caller's accounts.
    pub transfers: Vec<Transfer>,
    /// The holds settled by transfers of the range but made before it.
    pub holds: HashMap<TransferId, Transfer>,
    /// What each reference belongs to; references to nothing (withdrawals) are absent.
    pub attributions: HashMap<String, Attribution>,
}

/// The history indexes' sort-key bounds (`<at ms>#<transfer id>`) of [start, end). The
/// milliseconds are not padded: every transfer is later than 2001-09-09, when they reached
/// 13 digits, so clamping there keeps string order and time order the same.
fn history_bounds(start: DateTime<Utc>, end: DateTime<Utc>) -> Option<(String, String)> {
    const FIRST_13_DIGIT_MS: i64 = 1_000_000_000_000;
    let low = start.timestamp_millis().max(FIRST_13_DIGIT_MS);
    let high = end.timestamp_millis() - 1;
    // `~` sorts after every id character: the range's last millisecond is included.
    (high >= low).then(|| (format!("{low}#"), format!("{high}#~")))
}

fn text(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_string())
}

fn attribute<T: Serialize>(value: T) -> AttributeValue {
    serde_dynamo::to_attribute_value(value).expect("states serialize")
}

fn parse_all<R: serde::de::DeserializeOwned>(
    items: Vec<Option<Item>>,
) -> Result<Vec<R>, StoreError> {
    items.into_iter().flatten().map(from_item::<R>).collect()
}

impl Store {
    /// One history partition's transfers in the bounds, failing past `cap`.
    async fn history_between(
        &self,
        index: &'static str,
        partition: String,
        (low, high): &(String, String),
        cap: usize,
    ) -> Result<Vec<Transfer>, ReportReadError> {
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let room = (cap + 1 - found.len()).min(1_000);
            let output = self
                .client()
                .query()
                .table_name(self.table())
                .index_name(index)
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :low AND :high")
                .expression_attribute_names("#pk", format!("{index}pk"))
                .expression_attribute_names("#sk", format!("{index}sk"))
                .expression_attribute_values(":pk", AttributeValue::S(partition.clone()))
                .expression_attribute_values(":low", text(low))
                .expression_attribute_values(":high", text(high))
                .limit(room as i32)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
            for item in output.items.unwrap_or_default() {
                found.push(from_item::<TransferRecord>(item)?.transfer);
            }
            if found.len() > cap {
                return Err(ReportReadError::TooLarge {
                    what: "transfers",
                    limit: cap,
                });
            }
            match output.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(found),
            }
        }
    }

    /// The transfers touching `accounts` from `start` (inclusive) to `end` (exclusive), with
    /// the holds they settle and what they were for: at most `cap` transfers.
    pub async fn ledger_slice(
        &self,
        accounts: &[AccountId],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        cap: usize,
    ) -> Result<LedgerSlice, ReportReadError> {
        let Some(bounds) = history_bounds(start, end) else {
            return Ok(LedgerSlice::default());
        };
        let partitions = accounts.iter().flat_map(|account| {
            [
                ("gsi1", keys::ledger_debits(account)),
                ("gsi2", keys::ledger_credits(account)),
            ]
        });
        let pages = try_join_all(
            partitions
                .map(|(index, partition)| self.history_between(index, partition, &bounds, cap)),
        )
        .await?;
        let mut seen = HashSet::new();
        let transfers: Vec<Transfer> = pages
            .into_iter()
            .flatten()
            .filter(|t| seen.insert(t.id.clone()))
            .collect();
        if transfers.len() > cap {
            return Err(ReportReadError::TooLarge {
                what: "transfers",
                limit: cap,
            });
        }
        let older_holds: BTreeSet<TransferId> = transfers
            .iter()
            .filter_map(|t| t.pending_id.clone())
            .filter(|id| !seen.contains(id))
            .collect();
        let references: BTreeSet<&str> = transfers.iter().map(|t| t.reference.as_str()).collect();
        let (holds, attributions) = futures::try_join!(
            self.transfers_by_id(&older_holds),
            self.attributions(&references)
        )?;
        Ok(LedgerSlice {
            transfers,
            holds,
            attributions,
        })
    }

    /// Transfers by id, in BatchGetItems; every one must exist (a settlement names its hold).
    pub async fn transfers_by_id(
        &self,
        ids: &BTreeSet<TransferId>,
    ) -> Result<HashMap<TransferId, Transfer>, StoreError> {
        let wanted: Vec<Item> = ids
            .iter()
            .map(|id| keys::as_key(keys::transfer(id)))
            .collect();
        let found: Vec<TransferRecord> = parse_all(self.get_many(&wanted).await?)?;
        if found.len() != ids.len() {
            return Err(StoreError::Corrupt(
                "a settlement names a hold that is not in the ledger".into(),
            ));
        }
        Ok(found
            .into_iter()
            .map(|r| (r.transfer.id.clone(), r.transfer))
            .collect())
    }

    /// What each reference belongs to: milestones and disputes are looked up (one batch
    /// each), weeks and bonuses name their contract; then the contracts, in one batch.
    pub async fn attributions(
        &self,
        references: &BTreeSet<&str>,
    ) -> Result<HashMap<String, Attribution>, StoreError> {
        let subjects: Vec<(&str, Subject)> =
            references.iter().map(|r| (*r, Subject::of(r))).collect();
        let milestone_ids: BTreeSet<&MilestoneId> = subjects
            .iter()
            .filter_map(|(_, s)| match s {
                Subject::Milestone(id) => Some(id),
                _ => None,
            })
            .collect();
        let dispute_ids: BTreeSet<&DisputeId> = subjects
            .iter()
            .filter_map(|(_, s)| match s {
                Subject::Dispute(id) => Some(id),
                _ => None,
            })
            .collect();
        let milestone_keys: Vec<Item> = milestone_ids
            .iter()
            .map(|id| keys::as_key(keys::milestone(id)))
            .collect();
        let dispute_keys: Vec<Item> = dispute_ids
            .iter()
            .map(|id| super::disputes::dispute_key(id))
            .collect();
        let (milestones, disputes) =
            futures::try_join!(self.get_many(&milestone_keys), self.get_many(&dispute_keys))?;
        let milestones: HashMap<MilestoneId, Milestone> = parse_all::<MilestoneRecord>(milestones)?
            .into_iter()
            .map(|r| (r.milestone.id.clone(), r.milestone))
            .collect();
        // Only the dispute's contract matters here: read that attribute alone, so the report
        // does not depend on the rest of the dispute's shape.
        let disputes: HashMap<DisputeId, ContractId> = disputes
            .into_iter()
            .flatten()
            .filter_map(|item| {
                let id = DisputeId::parse(item.get("id")?.as_s().ok()?)?;
                let contract = ContractId::parse(item.get("contract_id")?.as_s().ok()?)?;
                Some((id, contract))
            })
            .collect();
        let contract_of = |subject: &Subject| match subject {
            Subject::Milestone(id) => milestones.get(id).map(|m| m.contract_id.clone()),
            Subject::Dispute(id) => disputes.get(id).cloned(),
            other => other.contract().cloned(),
        };
        let contract_ids: BTreeSet<ContractId> = subjects
            .iter()
            .filter_map(|(_, s)| contract_of(s))
            .collect();
        let contracts: HashMap<ContractId, ContractInfo> = self
            .contracts_by_id(&contract_ids)
            .await?
            .iter()
            .map(|c| (c.id.clone(), ContractInfo::of(c)))
            .collect();
        Ok(subjects
            .iter()
            .filter_map(|(reference, subject)| {
                let contract = contracts.get(&contract_of(subject)?)?.clone();
                let milestone = match subject {
                    Subject::Milestone(id) => milestones.get(id).map(|m| m.description.clone()),
                    _ => None,
                };
                Some((
                    reference.to_string(),
                    Attribution {
                        contract,
                        milestone,
                    },
                ))
            })
            .collect())
    }

    /// Contracts by id, in BatchGetItems (missing ones are left out).
    pub async fn contracts_by_id(
        &self,
        ids: &BTreeSet<ContractId>,
    ) -> Result<Vec<Contract>, StoreError> {
        let wanted: Vec<Item> = ids
            .iter()
            .map(|id| keys::as_key(keys::contract(id)))
            .collect();
        Ok(parse_all::<ContractRecord>(self.get_many(&wanted).await?)?
            .into_iter()
            .map(|r| r.contract)
            .collect())
    }

    /// Every contract of `user` on `side`, from the index `GET /v1/me/contracts` reads, up
    /// to `cap`.
    pub async fn all_contracts_of(
        &self,
        side: Side,
        user: &UserId,
        cap: usize,
    ) -> Result<Vec<Contract>, ReportReadError> {
        let mut all = Vec::new();
        let mut start = None;
        loop {
            let (page, next) = self.contracts_of(side, user, 100, start).await?;
            all.extend(page);
            if all.len() > cap {
                return Err(ReportReadError::TooLarge {
                    what: "contracts",
                    limit: cap,
                });
            }
            match next {
                Some(key) => start = Some(key),
                None => return Ok(all),
            }
        }
    }

    /// The lifetime billings of (client, freelancer) pairs, in BatchGetItems (zero for a
    /// pair that never billed).
    pub async fn lifetime_billings(
        &self,
        pairs: &BTreeSet<(UserId, UserId)>,
    ) -> Result<HashMap<(UserId, UserId), Decimal>, StoreError> {
        let wanted: Vec<Item> = pairs
            .iter()
            .map(|(client, freelancer)| keys::as_key(keys::lifetime_billings(client, freelancer)))
            .collect();
        let found = self.get_many(&wanted).await?;
        pairs
            .iter()
            .zip(found)
            .map(|(pair, item)| {
                let billed = match item.as_ref().and_then(|i| i.get("billed")) {
                    Some(AttributeValue::N(n)) => n
                        .parse()
                        .map_err(|_| StoreError::Corrupt(format!("billed is {n}")))?,
                    _ => Decimal::ZERO,
                };
                Ok((pair.clone(), billed))
            })
            .collect()
    }

    /// A contract's milestones still holding escrow (`WIP_MILESTONE_STATES`): one Query of
    /// its milestones' `gsi1` partition.
    pub async fn milestones_in_escrow(
        &self,
        contract: &ContractId,
    ) -> Result<Vec<Milestone>, StoreError> {
        let mut query = self
            .client()
            .query()
            .table_name(self.table())
            .index_name("gsi1")
            .key_condition_expression("gsi1pk = :pk")
            .filter_expression("#state IN (:s0, :s1, :s2, :s3)")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":pk", text(&keys::contract_milestones(contract)));
        for (i, state) in WIP_MILESTONE_STATES.iter().enumerate() {
            query = query.expression_attribute_values(format!(":s{i}"), attribute(state));
        }
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let output = query
                .clone()
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
            for item in output.items.unwrap_or_default() {
                found.push(from_item::<MilestoneRecord>(item)?.milestone);
            }
            match output.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(found),
            }
        }
    }

    /// A contract's weeks not settled yet (`WIP_WEEK_STATES`): one Query of its partition's
    /// `WEEK#` items (52 a year of the contract's life), filtered.
    pub async fn unsettled_weeks(
        &self,
        contract: &ContractId,
    ) -> Result<Vec<Timesheet>, StoreError> {
        let states = WIP_WEEK_STATES.iter().enumerate();
        let mut filter = Vec::new();
        let mut values = HashMap::new();
        for (i, state) in states {
            filter.push(format!(":s{i}"));
            values.insert(format!(":s{i}"), attribute(state));
        }
        self.weeks_query(
            contract,
            "WEEK#".into(),
            "WEEK#~".into(),
            Some((format!("#state IN ({})", filter.join(", ")), values)),
        )
        .await
    }

    /// A contract's weeks whose Monday is from `first` to `last` (inclusive).
    pub async fn weeks_between(
        &self,
        contract: &ContractId,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<Timesheet>, StoreError> {
        self.weeks_query(
            contract,
            format!("WEEK#{first}"),
            format!("WEEK#{last}"),
            None,
        )
        .await
    }

    async fn weeks_query(
        &self,
        contract: &ContractId,
        low: String,
        high: String,
        filter: Option<(String, HashMap<String, AttributeValue>)>,
    ) -> Result<Vec<Timesheet>, StoreError> {
        let mut query = self
            .client()
            .query()
            .table_name(self.table())
            .key_condition_expression("pk = :pk AND sk BETWEEN :low AND :high")
            .expression_attribute_values(":pk", text(&keys::contract(contract).0))
            .expression_attribute_values(":low", AttributeValue::S(low))
            .expression_attribute_values(":high", AttributeValue::S(high));
        if let Some((expression, values)) = filter {
            query = query
                .filter_expression(expression)
                .expression_attribute_names("#state", "state");
            for (name, value) in values {
                query = query.expression_attribute_values(name, value);
            }
        }
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let output = query
                .clone()
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
            for item in output.items.unwrap_or_default() {
                found.push(from_item::<TimesheetRecord>(item)?.timesheet);
            }
            match output.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(found),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_bounds_cover_the_range_to_its_last_millisecond() {
        let at = |raw: &str| raw.parse::<DateTime<Utc>>().unwrap();
        let (low, high) =
            history_bounds(at("2026-12-01T00:00:00Z"), at("2026-12-02T00:00:00Z")).unwrap();
        assert_eq!(low, "1796083200000#");
        assert_eq!(high, "1796169599999#~");
        let inside = format!(
            "{}#trf_x",
            at("2026-12-01T23:59:59.999Z").timestamp_millis()
        );
        assert!(low.as_str() <= inside.as_str() && inside.as_str() <= high.as_str());
        // Before 2001-09-09 there is no ledger, and no 12-digit position to mis-order.
        assert!(history_bounds(at("2000-01-01T00:00:00Z"), at("2001-01-01T00:00:00Z")).is_none());
        let (low, _) =
            history_bounds(at("2000-01-01T00:00:00Z"), at("2002-01-01T00:00:00Z")).unwrap();
        assert_eq!(low, "1000000000000#");
    }
}
