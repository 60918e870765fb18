//! One `TransactWriteItems` per state change: every operation carries a label, so a failed
//! condition comes back as "which one", and the caller maps it to a domain error.

use super::{from_item, to_item, Item, StoreError};
use crate::domain::events::DomainEvent;
use aws_sdk_dynamodb::types::{
    ConditionCheck, Delete, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

/// A condition or update expression with its placeholders.
#[derive(Clone, Debug, Default)]
pub struct Cond {
    pub expression: String,
    names: HashMap<String, String>,
    values: Item,
}

impl Cond {
    pub fn new(expression: impl Into<String>) -> Self {
        Self {
            expression: expression.into(),
            ..Default::default()
        }
    }

    /// The item must not exist yet (create-once semantics).
    pub fn absent() -> Self {
        Self::new("attribute_not_exists(pk)")
    }

    pub fn exists() -> Self {
        Self::new("attribute_exists(pk)")
    }

    pub fn name(mut self, placeholder: &str, attribute: &str) -> Self {
        self.names.insert(placeholder.into(), attribute.into());
        self
    }

    pub fn value<V: Serialize>(mut self, placeholder: &str, value: V) -> Self {
        let value = serde_dynamo::to_attribute_value(value).expect("expression values serialize");
        self.values.insert(placeholder.into(), value);
        self
    }

    pub fn attribute_value(
        mut self,
        placeholder: &str,
        value: aws_sdk_dynamodb::types::AttributeValue,
    ) -> Self {
        self.values.insert(placeholder.into(), value);
        self
    }

    /// Joins two conditions with AND.
    pub fn and(mut self, other: Cond) -> Self {
        self.expression = format!("({}) AND ({})", self.expression, other.expression);
        self.names.extend(other.names);
        self.values.extend(other.values);
        self
    }

    /// `SET` of every attribute of `item` except `keep`: a partial overwrite that leaves
    /// attributes other writers maintain (counters, lists) alone.
    pub fn set_all_except(item: Item, keep: &[&str]) -> Self {
        let mut cond = Cond::new("");
        let mut assignments = Vec::new();
        let mut attributes: Vec<_> = item
            .into_iter()
            .filter(|(name, _)| !keep.contains(&name.as_str()))
            .collect();
        attributes.sort_by(|a, b| a.0.cmp(&b.0));
        for (i, (name, value)) in attributes.into_iter().enumerate() {
            assignments.push(format!("#set{i} = :set{i}"));
            cond.names.insert(format!("#set{i}"), name);
            cond.values.insert(format!(":set{i}"), value);
        }
        cond.expression = format!("SET {}", assignments.join(", "));
        cond
    }

    fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    fn values(&self) -> Option<Item> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }

    fn merge(&self, other: &Cond) -> (Option<HashMap<String, String>>, Option<Item>) {
        let mut names = self.names.clone();
        names.extend(other.names.clone());
        let mut values = self.values.clone();
        values.extend(other.values.clone());
        (
            (!names.is_empty()).then_some(names),
            (!values.is_empty()).then_some(values),
        )
    }
}

/// What an operation of a transaction is, so a failed condition says which one. One closed
/// set for the whole table: a typo is a compile error rather than a condition nobody maps,
/// and a caller matches failures on variants, not on strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Label {
    Account,
    Audit,
    Alert,
    CardRefund,
    Applicant,
    Availability,
    ClientStats,
    ConnectsBalance,
    ConnectsEntry,
    ContentReport,
    Contract,
    ContractEarnings,
    Default,
    Dispute,
    DisputeLost,
    DisputeView,
    Feedback,
    File,
    Identity,
    Idempotency,
    InboxState,
    Invitation,
    Invited,
    Job,
    Key,
    Lifetime,
    Login,
    Member,
    Message,
    Method,
    Milestone,
    Notification,
    Offer,
    Other,
    OutbidBalance,
    OutbidEntry,
    OutbidProposal,
    Outbox,
    Pending,
    PendingOffer,
    Plan,
    PlanHistory,
    Profile,
    Proposal,
    PublishFile,
    Purge,
    Refresh,
    Reminder,
    ReportGuard,
    Reputation,
    Room,
    SavedJob,
    SavedSearch,
    Segment,
    Session,
    ShareFile,
    SkillIndex,
    Snapshot,
    Successor,
    Throttle,
    Timesheet,
    Token,
    Transfer,
    User,
    Withdrawal,
}

impl Label {
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Account => "account",
            Label::Audit => "audit",
            Label::Alert => "alert",
            Label::CardRefund => "card_refund",
            Label::Applicant => "applicant",
            Label::Availability => "availability",
            Label::ClientStats => "client_stats",
            Label::ConnectsBalance => "connects_balance",
            Label::ConnectsEntry => "connects_entry",
            Label::ContentReport => "content_report",
            Label::Contract => "contract",
            Label::ContractEarnings => "contract_earnings",
            Label::Default => "default",
            Label::Dispute => "dispute",
            Label::DisputeLost => "dispute_lost",
            Label::DisputeView => "dispute_view",
            Label::Feedback => "feedback",
            Label::File => "file",
            Label::Identity => "identity",
            Label::Idempotency => "idempotency",
            Label::InboxState => "inbox_state",
            Label::Invitation => "invitation",
            Label::Invited => "invited",
            Label::Job => "job",
            Label::Key => "key",
            Label::Lifetime => "lifetime",
            Label::Login => "login",
            Label::Member => "member",
            Label::Message => "message",
            Label::Method => "method",
            Label::Milestone => "milestone",
            Label::Notification => "notification",
            Label::Offer => "offer",
            Label::Other => "other",
            Label::OutbidBalance => "outbid_balance",
            Label::OutbidEntry => "outbid_entry",
            Label::OutbidProposal => "outbid_proposal",
            Label::Outbox => "outbox",
            Label::Pending => "pending",
            Label::PendingOffer => "pending_offer",
            Label::Plan => "plan",
            Label::PlanHistory => "plan_history",
            Label::Profile => "profile",
            Label::Proposal => "proposal",
            Label::PublishFile => "publish_file",
            Label::Purge => "purge",
            Label::Refresh => "refresh",
            Label::Reminder => "reminder",
            Label::ReportGuard => "report_guard",
            Label::Reputation => "reputation",
            Label::Room => "room",
            Label::SavedJob => "saved_job",
            Label::SavedSearch => "saved_search",
            Label::Segment => "segment",
            Label::Session => "session",
            Label::ShareFile => "share_file",
            Label::SkillIndex => "skill_index",
            Label::Snapshot => "snapshot",
            Label::Successor => "successor",
            Label::Throttle => "throttle",
            Label::Timesheet => "timesheet",
            Label::Token => "token",
            Label::Transfer => "transfer",
            Label::User => "user",
            Label::Withdrawal => "withdrawal",
        }
    }
}

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a failed condition means to the request that wrote it, when it is not worth a retry:
/// the item moved between the request's read and its write. The caller picks the meaning
/// from the label; `http::domain_errors` gives each its status and code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WriteConflict {
    #[error("the milestone changed meanwhile (another decision landed first); reload it")]
    MilestoneChanged,
    #[error("another payment between the same client and freelancer is in flight; retry")]
    PaymentInFlight,
    /// A ledger account's `balance >= amount` no longer held.
    #[error("the account cannot cover this")]
    AccountShort,
    #[error("the available balance no longer covers this withdrawal")]
    WithdrawalNotCovered,
    #[error("the contract is not active (paused or ended): nothing can be funded")]
    ContractNotFundable,
    #[error("the contract is not active (paused or ended) or changed meanwhile")]
    ContractNotActive,
    /// The request's own Idempotency-Key record was taken by a parallel copy of it.
    #[error("this request is being handled already; retry")]
    RequestInFlight,
    /// As `RequestInFlight`, answered with the idempotency layer's own problem.
    #[error("a request with this Idempotency-Key is still being processed")]
    IdempotencyInProgress,
    /// A file the request shares was deleted or changed hands meanwhile.
    #[error("a file is no longer yours or no longer uploaded")]
    FileUnavailable,
    /// A condition the caller did not foresee failing; the item still changed under it.
    #[error("the data changed while the request was handled; retry")]
    Unforeseen(Label),
}

#[derive(Debug)]
pub enum TxError {
    /// The labelled operation's condition did not hold; `current` is the item as it is now
    /// (absent when the item does not exist).
    ConditionFailed {
        label: Label,
        current: Option<Item>,
    },
    Store(StoreError),
}

impl TxError {
    pub fn current<T: DeserializeOwned>(&self) -> Option<T> {
        match self {
            TxError::ConditionFailed {
                current: Some(item),
                ..
            } => from_item(item.clone()).ok(),
            _ => None,
        }
    }
}

impl From<StoreError> for TxError {
    fn from(err: StoreError) -> Self {
        TxError::Store(err)
    }
}

#[derive(Default, Debug)]
pub struct Tx {
    ops: Vec<(Label, TransactWriteItem)>,
}

impl Tx {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    pub fn has_label(&self, label: Label) -> bool {
        self.ops.iter().any(|(l, _)| *l == label)
    }

    pub fn put<T: Serialize>(self, label: Label, value: &T, condition: Option<Cond>) -> Self {
        self.put_item(label, to_item(value), condition)
    }

    pub fn put_item(mut self, label: Label, item: Item, condition: Option<Cond>) -> Self {
        let mut put = Put::builder()
            .set_item(Some(item))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if let Some(cond) = condition {
            put = put
                .condition_expression(&cond.expression)
                .set_expression_attribute_names(cond.names())
                .set_expression_attribute_values(cond.values());
        }
        self.ops.push((
            label,
            TransactWriteItem::builder()
                .put(put.build_table_later())
                .build(),
        ));
        self
    }

    pub fn update(
        mut self,
        label: Label,
        key: Item,
        update: Cond,
        condition: Option<Cond>,
    ) -> Self {
        let (names, values) = match &condition {
            Some(cond) => update.merge(cond),
            None => (update.names(), update.values()),
        };
        let mut op = Update::builder()
            .set_key(Some(key))
            .update_expression(&update.expression)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if let Some(cond) = condition {
            op = op.condition_expression(cond.expression);
        }
        self.ops.push((
            label,
            TransactWriteItem::builder()
                .update(op.build_table_later())
                .build(),
        ));
        self
    }

    pub fn delete(mut self, label: Label, key: Item, condition: Option<Cond>) -> Self {
        let mut op = Delete::builder()
            .set_key(Some(key))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if let Some(cond) = condition {
            op = op
                .condition_expression(&cond.expression)
                .set_expression_attribute_names(cond.names())
                .set_expression_attribute_values(cond.values());
        }
        self.ops.push((
            label,
            TransactWriteItem::builder()
                .delete(op.build_table_later())
                .build(),
        ));
        self
    }

    pub fn check(mut self, label: Label, key: Item, condition: Cond) -> Self {
        let op = ConditionCheck::builder()
            .set_key(Some(key))
            .condition_expression(&condition.expression)
            .set_expression_attribute_names(condition.names())
            .set_expression_attribute_values(condition.values())
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        self.ops.push((
            label,
            TransactWriteItem::builder()
                .condition_check(op.build_table_later())
                .build(),
        ));
        self
    }

    /// The domain event, written in the same transaction as the change it describes.
    pub fn emit(self, event: &DomainEvent) -> Self {
        let item = super::outbox::OutboxItem::new(event);
        self.put(Label::Outbox, &item, Some(Cond::absent()))
    }

    pub(crate) async fn execute(self, client: &Client, table: &str) -> Result<(), TxError> {
        let labels: Vec<Label> = self.ops.iter().map(|(label, _)| *label).collect();
        let items = self
            .ops
            .into_iter()
            .map(|(_, op)| with_table(op, table))
            .collect::<Vec<_>>();
        let result = client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        let err = match result {
            Ok(_) => return Ok(()),
            Err(err) => err,
        };
        if let Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(
            cancelled,
        )) = err.as_service_error()
        {
            let reasons = cancelled.cancellation_reasons();
            if let Some((index, reason)) = reasons
                .iter()
                .enumerate()
                .find(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
            {
                // DynamoDB answers one reason per operation, in order; a reason past the
                // last operation would be its fault, not a condition of ours.
                return Err(match labels.get(index) {
                    Some(&label) => TxError::ConditionFailed {
                        label,
                        current: reason.item().cloned(),
                    },
                    None => TxError::Store(StoreError::Corrupt(format!(
                        "cancellation reason {index} of a {}-operation transaction",
                        labels.len()
                    ))),
                });
            }
            if reasons.iter().any(|r| r.code() == Some("TransactionConflict")) {
                return Err(TxError::Store(StoreError::TransactionConflict));
            }
            if reasons
                .iter()
                .any(|r| matches!(r.code(), Some("ThrottlingError") | Some("ProvisionedThroughputExceeded")))
            {
                return Err(TxError::Store(StoreError::Throttled));
            }
        }
        Err(TxError::Store(StoreError::from_sdk(err)))
    }
}

/// Builders are completed with the table name at execution, so callers never repeat it.
trait BuildTableLater<T> {
    fn build_table_later(self) -> T;
}

macro_rules! table_later {
    ($builder:ty, $out:ty) => {
        impl BuildTableLater<$out> for $builder {
            fn build_table_later(self) -> $out {
                self.table_name("__TABLE__")
                    .build()
                    .expect("operation has its required fields")
            }
        }
    };
}

table_later!(aws_sdk_dynamodb::types::builders::PutBuilder, Put);
table_later!(aws_sdk_dynamodb::types::builders::UpdateBuilder, Update);
table_later!(aws_sdk_dynamodb::types::builders::DeleteBuilder, Delete);
table_later!(
    aws_sdk_dynamodb::types::builders::ConditionCheckBuilder,
    ConditionCheck
);

fn with_table(mut op: TransactWriteItem, table: &str) -> TransactWriteItem {
    if let Some(put) = op.put.as_mut() {
        put.table_name = table.to_string();
    }
    if let Some(update) = op.update.as_mut() {
        update.table_name = table.to_string();
    }
    if let Some(delete) = op.delete.as_mut() {
        delete.table_name = table.to_string();
    }
    if let Some(check) = op.condition_check.as_mut() {
        check.table_name = table.to_string();
    }
    op
}
