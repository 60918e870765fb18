//! Hourly contracts in the table. A contract's segments and weeks live in the contract's own
//! partition (`CONTRACT#<id>`: `SEG#<start>` and `WEEK#<monday>`), so a day of the diary, a
//! week's segments and the list of timesheets are each one query.
//!
//! A week (timesheet) item sits in the sparse `due` index under whatever happens to it next:
//! its close (`DUE#weekly-billing-close`, Monday 12:00), a charge attempt
//! (`DUE#hourly-charge`) or its release (`DUE#hourly-release`, Saturday 00:00). The schedules
//! read only what is due; nothing scans.
//!
//! Every write of a week is conditioned on the version read, and every segment written or
//! deleted rewrites its week: so the close, which seals the week at the version whose
//! segments it billed, can never miss a segment that landed meanwhile.

use super::escrow::{earn, Earning, Lifetime, ReleaseFigures};
use super::keys;
use super::ledger::Movement;
use super::Label;
use super::{from_item, key, Cond, Item, Store, StoreError, Tx};
use crate::domain::events::{DomainEvent, EventPayload};
use crate::domain::fees::FeeSchedule;
use crate::domain::hourly::{
    BillingWeek, Payment, SegmentId, TimeSegment, Timesheet, TimesheetId, TimesheetState,
};
use crate::domain::ids::{ContractId, TransferId};
use crate::domain::ledger::{AccountId, Phase, Transfer, TransferCode, TransferError};
use crate::domain::money::Money;
use crate::domain::offer::Contract;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub const CLOSE_DUE: &str = "DUE#weekly-billing-close";
pub const CHARGE_DUE: &str = "DUE#hourly-charge";
pub const RELEASE_DUE: &str = "DUE#hourly-release";

pub fn segment_key(id: &SegmentId) -> Item {
    key(
        keys::contract(id.contract()).0,
        format!("SEG#{}", id.start().format("%Y-%m-%dT%H:%M")),
    )
}

pub fn timesheet_key(id: &TimesheetId) -> Item {
    key(
        keys::contract(id.contract()).0,
        format!("WEEK#{}", id.week().monday()),
    )
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SegmentRecord {
    pub pk: String,
    pub sk: String,
    #[serde(flatten)]
    pub segment: TimeSegment,
}

impl SegmentRecord {
    pub fn new(segment: TimeSegment) -> Self {
        let item = segment_key(&segment.id);
        let text = |name: &str| match item.get(name) {
            Some(AttributeValue::S(s)) => s.clone(),
            _ => unreachable!("segment keys are strings"),
        };
        Self {
            pk: text("pk"),
            sk: text("sk"),
            segment,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TimesheetRecord {
    pub pk: String,
    pub sk: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duepk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duesk: Option<String>,
    #[serde(flatten)]
    pub timesheet: Timesheet,
}

impl TimesheetRecord {
    pub fn new(timesheet: Timesheet) -> Self {
        let (pk, sk) = (
            keys::contract(&timesheet.contract_id).0,
            format!("WEEK#{}", timesheet.week_start),
        );
        let week = timesheet.week();
        let due = match timesheet.state {
            TimesheetState::Open => Some((CLOSE_DUE, week.closes_at())),
            TimesheetState::PaymentDue => timesheet
                .charge
                .as_ref()
                .map(|c| (CHARGE_DUE, c.next_attempt_at)),
            TimesheetState::InReview => Some((RELEASE_DUE, week.review_ends_at())),
            TimesheetState::Disputed | TimesheetState::Released | TimesheetState::Refunded => None,
        };
        Self {
            pk,
            sk,
            duepk: due.map(|(partition, _)| partition.to_string()),
            duesk: due.map(|(_, at)| format!("{:015}#{}", at.timestamp_millis(), timesheet.id)),
            timesheet,
        }
    }
}

/// Writes a week: created (version 0 before: must not exist) or moved on from the version
/// read. Label: `timesheet`.
pub fn timesheet_put_op(tx: Tx, before: &Timesheet, after: &Timesheet) -> Tx {
    let condition = if before.version == 0 {
        Cond::absent()
    } else {
        Cond::new("version = :version").value(":version", before.version)
    };
    tx.put(
        Label::Timesheet,
        &TimesheetRecord::new(after.clone()),
        Some(condition),
    )
}

/// A logging batch: the new segments (each slot must still be free), their weeks' totals,
/// and the contract still active. Labels: `segment`, `timesheet`, `contract`.
pub fn log_time_tx(
    contract: &Contract,
    segments: &[TimeSegment],
    weeks: &[(Timesheet, Timesheet)],
) -> Tx {
    let mut tx = Tx::new().check(
        Label::Contract,
        super::keys::as_key(keys::contract(&contract.id)),
        Cond::new("#state = :active")
            .name("#state", "state")
            .value(":active", crate::domain::contract::ContractState::Active),
    );
    for segment in segments {
        tx = tx.put(
            Label::Segment,
            &SegmentRecord::new(segment.clone()),
            Some(Cond::absent()),
        );
    }
    for (before, after) in weeks {
        tx = timesheet_put_op(tx, before, after);
    }
    tx
}

/// Deletes a segment (and its screenshot's record: the object goes after the commit).
pub fn delete_segment_tx(segment: &TimeSegment, before: &Timesheet, after: &Timesheet) -> Tx {
    let mut tx = Tx::new().delete(
        Label::Segment,
        segment_key(&segment.id),
        Some(Cond::exists()),
    );
    if let Some(file) = &segment.screenshot_file_id {
        tx = tx.delete(Label::File, super::keys::as_key(keys::file(file)), None);
    }
    timesheet_put_op(tx, before, after)
}

fn id_for(timesheet: &Timesheet, what: &str) -> TransferId {
    TransferId::derived(
        timesheet.week().starts_at(),
        &format!("hourly:{}:{what}", timesheet.id),
    )
}

/// The transfer recording the week's charge; its id is also the processor's dedupe key, so
/// every attempt to charge one invoice is the same charge.
pub fn charge_transfer_id(timesheet: &Timesheet) -> TransferId {
    id_for(timesheet, "charge")
}

/// The hold of a charged week, rebuilt from the week (settling it is conditioned on the
/// stored hold still being open).
pub fn hold_of(timesheet: &Timesheet) -> Option<Transfer> {
    let id = timesheet.hold_transfer.clone()?;
    let invoice = timesheet.invoice.as_ref()?;
    Some(Transfer::new(
        id,
        AccountId::client(&timesheet.client_id),
        AccountId::in_review(&timesheet.freelancer_id),
        invoice.amount,
        Phase::Pending,
        TransferCode::Escrow,
        timesheet.id.to_string(),
        timesheet.charged_at.unwrap_or(timesheet.week().closes_at()),
    ))
}

/// The close seals the week into its invoice (no money yet: the charge follows, and may be
/// retried, but the invoice is never made twice).
pub fn close_tx(
    before: &Timesheet,
    after: &Timesheet,
    at: DateTime<Utc>,
) -> Result<Tx, StoreError> {
    let invoice = required(after, "invoice", after.invoice.as_ref())?;
    let event = DomainEvent::new(
        EventPayload::WeekInvoiced {
            timesheet_id: after.id.clone(),
            contract_id: after.contract_id.clone(),
            client_id: after.client_id.clone(),
            freelancer_id: after.freelancer_id.clone(),
            billable_minutes: invoice.billable_minutes,
            amount: invoice.amount,
            client_fee: invoice.client_fee,
        },
        at,
    );
    Ok(timesheet_put_op(Tx::new(), before, after).emit(&event))
}

/// A week's attribute that its state implies; absent, the item is corrupt (a partial write,
/// a hand edit), which is an error naming the week, never a crash of the function.
fn required<'a, T>(
    week: &Timesheet,
    attribute: &str,
    value: Option<&'a T>,
) -> Result<&'a T, StoreError> {
    value.ok_or_else(|| {
        StoreError::Corrupt(format!(
            "timesheet {} ({:?}) has no {attribute}",
            week.id, week.state
        ))
    })
}

/// The charge went through: it comes in from the world, the client fee goes to the platform
/// and the invoice amount is held for the freelancer until the review ends.
pub fn charged_tx(
    before: &Timesheet,
    after: &Timesheet,
    schedule: &FeeSchedule,
    now: DateTime<Utc>,
) -> Result<Tx, StoreError> {
    let invoice = required(before, "invoice", before.invoice.as_ref())?;
    let client = AccountId::client(&before.client_id);
    let reference = before.id.to_string();
    let fee_id = id_for(before, "client-fee");
    let mut movement = Movement::new().transfer(Transfer::new(
        charge_transfer_id(before),
        AccountId::world(invoice.amount.currency),
        client.clone(),
        invoice.total(),
        Phase::Posted,
        TransferCode::Charge,
        &reference,
        now,
    ));
    if invoice.client_fee.amount > Decimal::ZERO {
        movement = movement.transfer(
            Transfer::new(
                fee_id.clone(),
                client.clone(),
                AccountId::fees_for(&fee_id),
                invoice.client_fee,
                Phase::Posted,
                TransferCode::ClientFee,
                &reference,
                now,
            )
            .priced_by(&schedule.id),
        );
    }
    let hold = required(after, "hold_transfer", after.hold_transfer.as_ref())?.clone();
    movement = movement.transfer(Transfer::new(
        hold,
        client,
        AccountId::in_review(&before.freelancer_id),
        invoice.amount,
        Phase::Pending,
        TransferCode::Escrow,
        &reference,
        now,
    ));
    let event = DomainEvent::new(
        EventPayload::WeekCharged {
            timesheet_id: before.id.clone(),
            contract_id: before.contract_id.clone(),
            client_id: before.client_id.clone(),
            freelancer_id: before.freelancer_id.clone(),
            amount: invoice.total(),
            review_ends_at: before.week().review_ends_at(),
        },
        now,
    );
    let tx = movement
        .write(timesheet_put_op(Tx::new(), before, after))
        .map_err(|err: TransferError| {
            StoreError::Corrupt(format!(
                "timesheet {}: its charge does not add up: {err}",
                before.id
            ))
        })?;
    Ok(tx.emit(&event))
}

/// The hold id a week gets when its charge goes through.
pub fn hold_transfer_id(timesheet: &Timesheet) -> TransferId {
    id_for(timesheet, "hold")
}

/// A refused charge, recorded for the retry (and the client's notification).
pub fn charge_failed_tx(
    before: &Timesheet,
    after: &Timesheet,
    now: DateTime<Utc>,
) -> Result<Tx, StoreError> {
    let charge = required(after, "charge", after.charge.as_ref())?;
    let event = DomainEvent::new(
        EventPayload::WeekPaymentFailed {
            timesheet_id: before.id.clone(),
            contract_id: before.contract_id.clone(),
            client_id: before.client_id.clone(),
            attempts: charge.attempts,
            reason: charge.last_error.clone().unwrap_or_default(),
            next_attempt_at: charge.next_attempt_at,
        },
        now,
    );
    Ok(timesheet_put_op(Tx::new(), before, after).emit(&event))
}

/// Release after the review: the hold is posted, the gross moves on to the freelancer's
/// earnings, the service fee goes to the platform, and the net matures on the Wednesday.
/// `after` carries the payment the domain priced; the ledger must agree with it.
pub fn release_tx(
    before: &Timesheet,
    after: &Timesheet,
    schedule: &FeeSchedule,
    lifetime: &Lifetime,
    at: DateTime<Utc>,
) -> Result<Tx, TransferError> {
    settle_week_tx(before, after, schedule, lifetime, at, Movement::new())
}

/// Pays a charged week's hold out as `after` says: its `payment` (the whole invoice after an
/// undisputed review, a dispute's share otherwise) to the freelancer's earnings — maturing at
/// `after.matures_at()` — and its `refunded` part back to the client with that part's share
/// of the client fee. Nothing paid voids the hold. The week's own write goes first: a lost
/// race reads as "the week changed". `extra`: transfers of the same transaction (a
/// dispute's arbitration fee), netted with these per account.
pub fn settle_week_tx(
    before: &Timesheet,
    after: &Timesheet,
    schedule: &FeeSchedule,
    lifetime: &Lifetime,
    at: DateTime<Utc>,
    extra: Movement,
) -> Result<Tx, TransferError> {
    let hold = hold_of(before).ok_or(TransferError::MissingPending)?;
    let invoice = before
        .invoice
        .as_ref()
        .ok_or(TransferError::MissingPending)?;
    let reference = before.id.to_string();
    let id = |what: &str| id_for(before, &format!("release:{what}"));
    let currency = hold.amount.currency;
    let paid = after.payment.map(|p| p.gross);
    let refunded = after.refunded.unwrap_or(Money::zero(currency));
    let paid_amount = paid.map_or(Decimal::ZERO, |p| p.amount);
    if paid_amount + refunded.amount != hold.amount.amount {
        return Err(TransferError::PendingMismatch);
    }
    let mut movement = extra;
    let tx = timesheet_put_op(Tx::new(), before, after);
    if refunded.amount > Decimal::ZERO {
        let back = invoice.client_fee_back(refunded).amount;
        if back > Decimal::ZERO {
            movement = movement.transfer(
                Transfer::new(
                    id("client-fee-refund"),
                    AccountId::fees_for(&id_for(before, "client-fee")),
                    AccountId::client(&before.client_id),
                    Money {
                        amount: back,
                        currency,
                    },
                    Phase::Posted,
                    TransferCode::ClientFeeRefund,
                    &reference,
                    at,
                )
                .priced_by(&schedule.id),
            );
        }
    }
    let Some(gross) = paid.filter(|p| p.amount > Decimal::ZERO) else {
        let movement = movement.settle(
            Transfer::settle(id("hold"), &hold, None, TransferCode::Refund, at),
            &hold,
        );
        let event = DomainEvent::new(
            EventPayload::WeekRefunded {
                timesheet_id: before.id.clone(),
                contract_id: before.contract_id.clone(),
                client_id: before.client_id.clone(),
                amount: refunded,
            },
            at,
        );
        return Ok(movement.write(tx)?.emit(&event));
    };
    let movement = movement
        .settle(
            Transfer::settle(id("hold"), &hold, Some(gross), TransferCode::Release, at),
            &hold,
        )
        .transfer(Transfer::new(
            id("earnings"),
            AccountId::in_review(&before.freelancer_id),
            AccountId::pending_earnings(&before.freelancer_id),
            gross,
            Phase::Posted,
            TransferCode::Release,
            &reference,
            at,
        ));
    let available_at = after.matures_at();
    let earning = Earning {
        contract: &before.contract_id,
        client: &before.client_id,
        freelancer: &before.freelancer_id,
        gross,
        schedule,
        lifetime,
        reference: &reference,
        now: at,
        matures_at: available_at,
    };
    let (tx, figures) = earn(tx, movement, &earning, &id)?;
    let ReleaseFigures {
        gross,
        service_fee,
        net,
    } = figures;
    if after.payment
        != Some(Payment {
            gross,
            service_fee,
            net,
        })
    {
        return Err(TransferError::PendingMismatch);
    }
    let event = DomainEvent::new(
        EventPayload::WeekReleased {
            timesheet_id: before.id.clone(),
            contract_id: before.contract_id.clone(),
            freelancer_id: before.freelancer_id.clone(),
            gross,
            service_fee,
            net,
            available_at,
        },
        at,
    );
    Ok(tx.emit(&event))
}

fn parse<T: serde::de::DeserializeOwned>(item: Option<Item>) -> Result<Option<T>, StoreError> {
    item.map(from_item::<T>).transpose()
}

/// What a logging batch needs, read in one round trip.
pub struct LoggingView {
    pub contract: Option<Contract>,
    /// The weeks asked for, in order (a fresh one where none exists yet).
    pub weeks: Vec<Option<Timesheet>>,
    /// The segments already in the slots asked for, in order.
    pub existing: Vec<Option<TimeSegment>>,
}

impl Store {
    /// The contract, some of its weeks and some of its slots, in one BatchGetItem.
    pub async fn logging_view(
        &self,
        contract: &ContractId,
        weeks: &[BillingWeek],
        slots: &[SegmentId],
    ) -> Result<LoggingView, StoreError> {
        let mut wanted = vec![super::keys::as_key(keys::contract(contract))];
        wanted.extend(
            weeks
                .iter()
                .map(|w| timesheet_key(&TimesheetId::new(contract, *w))),
        );
        wanted.extend(slots.iter().map(segment_key));
        let mut found = self.get_many(&wanted).await?.into_iter();
        let contract =
            parse::<super::contracts::ContractRecord>(found.next().flatten())?.map(|r| r.contract);
        let weeks = (0..weeks.len())
            .map(|_| {
                parse::<TimesheetRecord>(found.next().flatten()).map(|r| r.map(|r| r.timesheet))
            })
            .collect::<Result<_, _>>()?;
        let existing = found
            .map(|item| parse::<SegmentRecord>(item).map(|r| r.map(|r| r.segment)))
            .collect::<Result<_, _>>()?;
        Ok(LoggingView {
            contract,
            weeks,
            existing,
        })
    }

    pub async fn timesheet(&self, id: &TimesheetId) -> Result<Option<Timesheet>, StoreError> {
        Ok(self
            .get::<TimesheetRecord>(&timesheet_key(id))
            .await?
            .map(|r| r.timesheet))
    }

    /// A contract and one of its weeks in one round trip.
    pub async fn contract_and_week(
        &self,
        id: &TimesheetId,
    ) -> Result<(Option<Contract>, Option<Timesheet>), StoreError> {
        let view = self.logging_view(id.contract(), &[id.week()], &[]).await?;
        Ok((view.contract, view.weeks.into_iter().next().flatten()))
    }

    /// A contract's segments from `from` (inclusive) to `to` (exclusive), in time order,
    /// strongly consistent (the close bills exactly what is stored).
    pub async fn segments_between(
        &self,
        contract: &ContractId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<TimeSegment>, StoreError> {
        let sort = |at: DateTime<Utc>| format!("SEG#{}", at.format("%Y-%m-%dT%H:%M"));
        let mut segments = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .client()
                .query()
                .table_name(self.table())
                .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                .expression_attribute_values(":pk", AttributeValue::S(keys::contract(contract).0))
                .expression_attribute_values(":from", AttributeValue::S(sort(from)))
                // Exclusive end: the last slot before `to` sorts below "SEG#<to>".
                .expression_attribute_values(
                    ":to",
                    AttributeValue::S(sort(to - chrono::Duration::minutes(1))),
                )
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
            for item in output.items.unwrap_or_default() {
                segments.push(from_item::<SegmentRecord>(item)?.segment);
            }
            match output.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(segments),
            }
        }
    }

    /// A contract's weeks, newest first, a page at a time (`before`: the Monday to continue
    /// below).
    pub async fn timesheets(
        &self,
        contract: &ContractId,
        before: Option<NaiveDate>,
        limit: i32,
    ) -> Result<Vec<Timesheet>, StoreError> {
        let upper = match before {
            Some(monday) => format!("WEEK#{monday}"),
            None => "WEEK#~".into(),
        };
        let output = self
            .client()
            .query()
            .table_name(self.table())
            .key_condition_expression("pk = :pk AND sk BETWEEN :lower AND :upper")
            .expression_attribute_values(":pk", AttributeValue::S(keys::contract(contract).0))
            .expression_attribute_values(":lower", AttributeValue::S("WEEK#".into()))
            .expression_attribute_values(":upper", AttributeValue::S(upper))
            .scan_index_forward(false)
            .limit(limit + 1)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        let mut weeks = Vec::new();
        for item in output.items.unwrap_or_default() {
            let week = from_item::<TimesheetRecord>(item)?.timesheet;
            // BETWEEN is inclusive: the cursor's own week was on the previous page.
            if Some(week.week_start) != before && weeks.len() < limit as usize {
                weeks.push(week);
            }
        }
        Ok(weeks)
    }
}

/// What one message of the billing queue asks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CloseRequest {
    pub contract_id: ContractId,
    pub week_start: NaiveDate,
    /// The schedule's time: the worker closes as of then, never of its own clock.
    pub close_time: DateTime<Utc>,
}
