//! Escrow movements for fixed-price milestones (PRODUCT §7, §9, §10). Each builds ONE
//! transaction: the milestone's next version (first, so a lost race reads as "the milestone
//! changed"), the ledger transfers, the counters they move, and the outbox event.
//!
//! Transfer ids are derived from the milestone and the movement (`fund:<mil>:escrow`, …) and a
//! time that does not change between retries (the milestone's creation or funding time), so a
//! retry after a lost response collides with its own first attempt.

use super::keys;
use super::ledger::Movement;
use super::milestones::milestone_put_op;
use super::Label;
use super::{key, Cond, Item, Store, StoreError, Tx};
use crate::domain::contract::{Milestone, SECURITY_PERIOD};
use crate::domain::events::{DomainEvent, EventPayload};
use crate::domain::fees::FeeSchedule;
use crate::domain::ids::{TransferId, UserId};
use crate::domain::ledger::{AccountId, Phase, Transfer, TransferCode, TransferError};
use crate::domain::money::Money;
use crate::domain::payment::{refunded_client_fee, ClientCharge, Funding, Payment, Release};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The `due` index partition of released earnings waiting out the security period.
pub const AVAILABILITY_DUE: &str = "DUE#earnings-availability";

pub fn escrow_transfer_id(milestone: &Milestone) -> TransferId {
    TransferId::derived(
        milestone.created_at,
        &format!("fund:{}:escrow", milestone.id),
    )
}

fn client_fee_transfer_id(milestone: &Milestone) -> TransferId {
    TransferId::derived(
        milestone.created_at,
        &format!("fund:{}:client-fee", milestone.id),
    )
}

/// Each funding request charges under its own key (its Idempotency-Key, else its request id)
/// and records that charge under a transfer id derived from the same key: a retry of one
/// request reuses both, while two different requests get two charges — and the one whose
/// movement loses the race finds no transfer of its own and is refunded.
pub fn funding_charge_id(milestone: &Milestone, request_basis: &str) -> TransferId {
    TransferId::derived(
        milestone.created_at,
        &format!("fund:{}:charge:{request_basis}", milestone.id),
    )
}

/// The escrow hold of a funded milestone, rebuilt from the milestone instead of read: it is
/// fully determined by it, and settling it is conditioned on the stored hold still being open
/// (`settled_by` absent), so a stale milestone cannot settle anything.
pub fn hold_of(milestone: &Milestone) -> Option<Transfer> {
    let id = milestone.escrow_transfer.clone()?;
    Some(Transfer::new(
        id,
        AccountId::client(&milestone.client_id),
        AccountId::pending_earnings(&milestone.freelancer_id),
        milestone.amount,
        Phase::Pending,
        TransferCode::Escrow,
        milestone.id.to_string(),
        milestone.funded_at.unwrap_or(milestone.created_at),
    ))
}

/// The ledger transfer that records a bonus charge on top of a release (paying more), and the
/// one of a contract bonus: whether it exists tells whether a card charge was used.
pub fn release_bonus_charge_id(milestone: &Milestone) -> TransferId {
    let funded_at = milestone.funded_at.unwrap_or(milestone.created_at);
    TransferId::derived(funded_at, &format!("release:{}:bonus-charge", milestone.id))
}

pub fn bonus_charge_id(contract: &crate::domain::offer::Contract, basis: &str) -> TransferId {
    TransferId::derived(
        contract.started_at,
        &format!("bonus:{}:{basis}:bonus-charge", contract.id),
    )
}

/// What funding reads (`Store::funding_inputs`).
pub struct FundingInputs {
    pub milestone: Option<Milestone>,
    pub balance: crate::domain::ledger::Totals,
    /// The billing method a charge would go to, if there is one (checked by the caller).
    pub charge_source: Option<super::payments::BillingMethodRecord>,
}

/// Fund: the charge comes in from the world, the client fee goes to the platform, and the
/// milestone amount is held (pending) from the client for the freelancer.
/// `charge_transfer` records the processor charge (`funding_charge_id`).
pub fn fund_tx(
    before: &Milestone,
    after: &Milestone,
    funding: &Funding,
    charge_transfer: &TransferId,
    schedule: &FeeSchedule,
    now: DateTime<Utc>,
) -> Result<Tx, TransferError> {
    let client = AccountId::client(&before.client_id);
    let fee_id = client_fee_transfer_id(before);
    let reference = before.id.to_string();
    let mut movement = Movement::new();
    // Nothing to charge when the client's balance (money returned from earlier escrow) covers
    // it; the client account's `available >= :need` condition checks that in the same write.
    let (charged, client_fee) = (funding.to_charge, funding.cost.client_fee);
    if charged.amount > Decimal::ZERO {
        movement = movement.transfer(Transfer::new(
            charge_transfer.clone(),
            AccountId::world(charged.currency),
            client.clone(),
            charged,
            Phase::Posted,
            TransferCode::Charge,
            &reference,
            now,
        ));
    }
    if client_fee.amount > Decimal::ZERO {
        movement = movement.transfer(
            Transfer::new(
                fee_id.clone(),
                client.clone(),
                AccountId::fees_for(&fee_id),
                client_fee,
                Phase::Posted,
                TransferCode::ClientFee,
                &reference,
                now,
            )
            .priced_by(&schedule.id),
        );
    }
    movement = movement.transfer(Transfer::new(
        escrow_transfer_id(before),
        client,
        AccountId::pending_earnings(&before.freelancer_id),
        before.amount,
        Phase::Pending,
        TransferCode::Escrow,
        &reference,
        now,
    ));
    let event = DomainEvent::new(
        EventPayload::MilestoneFunded {
            milestone_id: before.id.clone(),
            contract_id: before.contract_id.clone(),
            amount: before.amount,
        },
        now,
    );
    // Work starts on funded milestones of running contracts only: not paused, not ended.
    let tx = milestone_put_op(Tx::new(), after, Some(before.version)).check(
        Label::Contract,
        super::keys::as_key(keys::contract(&before.contract_id)),
        Cond::new("#state = :active")
            .name("#state", "state")
            .value(":active", crate::domain::contract::ContractState::Active),
    );
    Ok(movement.write(tx)?.emit(&event))
}

/// What a release paid, for the answer and the event.
pub type ReleaseFigures = Payment;

/// The freelancer's lifetime billings with this client, and whether the counter exists (the
/// release's write is conditioned on the value it priced with).
pub struct Lifetime {
    pub billed: Decimal,
    pub exists: bool,
}

/// Release: the hold is posted for what the client pays from escrow (the rest of it goes back
/// to the client's balance, with its share of the client fee), a bonus above the milestone is
/// charged on top, the service fee goes to the platform, and the net waits out the security
/// period before it becomes available. `extra`: transfers of the same transaction (a
/// dispute's arbitration fee), netted with these per account (one update per item).
#[allow(clippy::too_many_arguments)]
pub fn release_tx(
    before: &Milestone,
    after: &Milestone,
    release: &Release,
    hold: &Transfer,
    schedule: &FeeSchedule,
    lifetime: &Lifetime,
    automatic: bool,
    now: DateTime<Utc>,
    extra: Movement,
) -> Result<(Tx, ReleaseFigures), TransferError> {
    let funded_at = before.funded_at.unwrap_or(before.created_at);
    let id = |what: &str| TransferId::derived(funded_at, &format!("release:{}:{what}", before.id));
    let reference = before.id.to_string();
    let mut movement = extra.settle(
        Transfer::settle(
            id("escrow"),
            hold,
            Some(release.payout.from_escrow),
            TransferCode::Release,
            now,
        ),
        hold,
    );
    if release.client_fee_back.amount > Decimal::ZERO {
        movement = movement.transfer(
            Transfer::new(
                id("client-fee-refund"),
                AccountId::fees_for(&client_fee_transfer_id(before)),
                AccountId::client(&before.client_id),
                release.client_fee_back,
                Phase::Posted,
                TransferCode::ClientFeeRefund,
                &reference,
                now,
            )
            .priced_by(&schedule.id),
        );
    }
    if let Some(bonus) = &release.bonus {
        movement = bonus_transfers(
            movement,
            &id,
            &before.client_id,
            &before.freelancer_id,
            bonus,
            schedule,
            &reference,
            now,
        );
    }
    let gross = release.gross();
    let tx = milestone_put_op(Tx::new(), after, Some(before.version));
    let earning = Earning {
        contract: &before.contract_id,
        client: &before.client_id,
        freelancer: &before.freelancer_id,
        gross,
        schedule,
        lifetime,
        reference: &reference,
        now,
        matures_at: now + SECURITY_PERIOD,
    };
    let (tx, figures) = earn(tx, movement, &earning, &id)?;
    let event = DomainEvent::new(
        EventPayload::MilestoneReleased {
            milestone_id: before.id.clone(),
            contract_id: before.contract_id.clone(),
            freelancer_id: before.freelancer_id.clone(),
            gross: figures.gross,
            service_fee: figures.service_fee,
            net: figures.net,
            automatic,
        },
        now,
    );
    Ok((tx.emit(&event), figures))
}

/// A payment on top of escrow (a bonus, or approving more than the milestone): charged from
/// the client's card through their account, with its client fee, to the freelancer.
#[allow(clippy::too_many_arguments)]
fn bonus_transfers(
    movement: Movement,
    id: &dyn Fn(&str) -> TransferId,
    client: &UserId,
    freelancer: &UserId,
    bonus: &ClientCharge,
    schedule: &FeeSchedule,
    reference: &str,
    now: DateTime<Utc>,
) -> Movement {
    let client_account = AccountId::client(client);
    let fee_id = id("bonus-client-fee");
    let mut movement = movement
        .transfer(Transfer::new(
            id("bonus-charge"),
            AccountId::world(bonus.amount.currency),
            client_account.clone(),
            bonus.total(),
            Phase::Posted,
            TransferCode::Charge,
            reference,
            now,
        ))
        .transfer(Transfer::new(
            id("bonus"),
            client_account.clone(),
            AccountId::pending_earnings(freelancer),
            bonus.amount,
            Phase::Posted,
            TransferCode::Bonus,
            reference,
            now,
        ));
    if bonus.client_fee.amount > Decimal::ZERO {
        movement = movement.transfer(
            Transfer::new(
                fee_id.clone(),
                client_account,
                AccountId::fees_for(&fee_id),
                bonus.client_fee,
                Phase::Posted,
                TransferCode::ClientFee,
                reference,
                now,
            )
            .priced_by(&schedule.id),
        );
    }
    movement
}

/// The freelancer side of any payment to them.
pub struct Earning<'a> {
    /// The contract the payment is for: its earnings counter weighs it in the Job Success
    /// Score (§11.3).
    pub contract: &'a crate::domain::ids::ContractId,
    pub client: &'a UserId,
    pub freelancer: &'a UserId,
    /// What the client pays the freelancer, before the service fee.
    pub gross: Money,
    pub schedule: &'a FeeSchedule,
    pub lifetime: &'a Lifetime,
    pub reference: &'a str,
    pub now: DateTime<Utc>,
    /// When the net leaves the security period (§9.3; hourly: the Wednesday of §8.5).
    pub matures_at: DateTime<Utc>,
}

/// Completes a payment to a freelancer: the service fee at the marginal rates of the pair's
/// lifetime billings (§10.1), the lifetime counter, and the net maturing for the security
/// period (§9.3) — written with `movement` into `tx`.
pub(crate) fn earn(
    tx: Tx,
    mut movement: Movement,
    earning: &Earning<'_>,
    id: &dyn Fn(&str) -> TransferId,
) -> Result<(Tx, ReleaseFigures), TransferError> {
    let paid = Payment::priced(earning.schedule, earning.lifetime.billed, earning.gross);
    let fee_id = id("service-fee");
    if paid.service_fee.amount > Decimal::ZERO {
        movement = movement.transfer(
            Transfer::new(
                fee_id.clone(),
                AccountId::pending_earnings(earning.freelancer),
                AccountId::fees_for(&fee_id),
                paid.service_fee,
                Phase::Posted,
                TransferCode::ServiceFee,
                earning.reference,
                earning.now,
            )
            .priced_by(&earning.schedule.id),
        );
    }
    let mut tx = movement.write(tx)?;
    tx = contract_earnings_op(tx, earning.contract, earning.gross.amount);
    tx = lifetime_op(
        tx,
        earning.client,
        earning.freelancer,
        earning.lifetime,
        earning.gross.amount,
    );
    if paid.net.amount > Decimal::ZERO {
        tx = availability_op(
            tx,
            &AvailabilityRecord::new(
                id("availability"),
                earning.freelancer,
                paid.net,
                earning.reference,
                earning.matures_at,
            ),
        );
    }
    Ok((tx, paid))
}

/// A bonus (§7.5): charged to the client's card and paid to the freelancer, with both fees.
/// `basis` identifies this bonus (the request's Idempotency-Key), so a retry pays it once.
pub fn bonus_tx(
    contract: &crate::domain::offer::Contract,
    bonus: &ClientCharge,
    schedule: &FeeSchedule,
    lifetime: &Lifetime,
    basis: &str,
    now: DateTime<Utc>,
) -> Result<(Tx, ReleaseFigures), TransferError> {
    let at = contract.started_at;
    let id = |what: &str| TransferId::derived(at, &format!("bonus:{}:{basis}:{what}", contract.id));
    let reference = contract.id.to_string();
    let (client, freelancer) = (&contract.parties.client_id, &contract.parties.freelancer_id);
    let movement = bonus_transfers(
        Movement::new(),
        &id,
        client,
        freelancer,
        bonus,
        schedule,
        &reference,
        now,
    );
    let earning = Earning {
        contract: &contract.id,
        client,
        freelancer,
        gross: bonus.amount,
        schedule,
        lifetime,
        reference: &reference,
        now,
        matures_at: now + SECURITY_PERIOD,
    };
    let (tx, figures) = earn(Tx::new(), movement, &earning, &id)?;
    let event = DomainEvent::new(
        EventPayload::BonusPaid {
            contract_id: contract.id.clone(),
            freelancer_id: freelancer.clone(),
            gross: figures.gross,
            service_fee: figures.service_fee,
            net: figures.net,
        },
        now,
    );
    Ok((tx.emit(&event), figures))
}

/// Refund by the freelancer: the hold is voided (back to the client's balance) and the
/// client fee comes back with it. `extra`: transfers of the same transaction (a dispute's
/// arbitration fee), netted with these per account.
pub fn refund_tx(
    before: &Milestone,
    after: &Milestone,
    hold: &Transfer,
    now: DateTime<Utc>,
    extra: Movement,
) -> Result<Tx, TransferError> {
    let funded_at = before.funded_at.unwrap_or(before.created_at);
    let id = |what: &str| TransferId::derived(funded_at, &format!("refund:{}:{what}", before.id));
    let reference = before.id.to_string();
    let mut movement = extra.settle(
        Transfer::settle(id("escrow"), hold, None, TransferCode::Refund, now),
        hold,
    );
    if let Some(fee) = refunded_client_fee(before) {
        movement = movement.transfer(Transfer::new(
            id("client-fee-refund"),
            AccountId::fees_for(&client_fee_transfer_id(before)),
            AccountId::client(&before.client_id),
            fee,
            Phase::Posted,
            TransferCode::ClientFeeRefund,
            &reference,
            now,
        ));
    }
    let event = DomainEvent::new(
        EventPayload::MilestoneRefunded {
            milestone_id: before.id.clone(),
            contract_id: before.contract_id.clone(),
            amount: before.amount,
        },
        now,
    );
    let tx = milestone_put_op(Tx::new(), after, Some(before.version));
    Ok(movement.write(tx)?.emit(&event))
}

/// What a contract paid its freelancer so far, `ADD`ed by every payment (never conditioned:
/// the payment's own transfers make it once-only).
fn contract_earnings_op(tx: Tx, contract: &crate::domain::ids::ContractId, add: Decimal) -> Tx {
    let (pk, sk) = keys::contract_earnings(contract);
    tx.update(
        Label::ContractEarnings,
        key(pk, sk),
        Cond::new("ADD earned :add")
            .attribute_value(":add", AttributeValue::N(add.normalize().to_string())),
        None,
    )
}

fn lifetime_op(
    tx: Tx,
    client: &UserId,
    freelancer: &UserId,
    lifetime: &Lifetime,
    add: Decimal,
) -> Tx {
    let (pk, sk) = keys::lifetime_billings(client, freelancer);
    // Priced with the counter as read: a concurrent release with the same pair must re-read,
    // or both would price from the same band.
    let condition = if lifetime.exists {
        Cond::new("billed = :seen").attribute_value(
            ":seen",
            AttributeValue::N(lifetime.billed.normalize().to_string()),
        )
    } else {
        Cond::absent()
    };
    tx.update(
        Label::Lifetime,
        key(pk, sk),
        Cond::new("ADD billed :add")
            .attribute_value(":add", AttributeValue::N(add.normalize().to_string())),
        Some(condition),
    )
}

/// Released earnings waiting out the security period; in the sparse `due` index until moved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AvailabilityRecord {
    pub pk: String,
    pub sk: String,
    pub duepk: String,
    pub duesk: String,
    pub transfer_id: TransferId,
    pub freelancer_id: UserId,
    pub amount: Money,
    pub reference: String,
    pub available_at: DateTime<Utc>,
}

impl AvailabilityRecord {
    fn new(
        transfer_id: TransferId,
        freelancer: &UserId,
        amount: Money,
        reference: &str,
        available_at: DateTime<Utc>,
    ) -> Self {
        let (pk, sk) = keys::availability(&transfer_id);
        Self {
            pk,
            sk,
            duepk: AVAILABILITY_DUE.to_string(),
            duesk: format!("{:015}#{}", available_at.timestamp_millis(), transfer_id),
            transfer_id,
            freelancer_id: freelancer.clone(),
            amount,
            reference: reference.to_string(),
            available_at,
        }
    }
}

fn availability_op(tx: Tx, record: &AvailabilityRecord) -> Tx {
    tx.put(Label::Availability, record, Some(Cond::absent()))
}

/// Moves one matured amount from pending earnings to available and retires its due item.
pub fn make_available_tx(
    record: &AvailabilityRecord,
    now: DateTime<Utc>,
) -> Result<Tx, TransferError> {
    let movement = Movement::new().transfer(Transfer::new(
        record.transfer_id.clone(),
        AccountId::pending_earnings(&record.freelancer_id),
        AccountId::available(&record.freelancer_id),
        record.amount,
        Phase::Posted,
        TransferCode::Availability,
        &record.reference,
        now,
    ));
    let tx = Tx::new().delete(
        Label::Availability,
        key(record.pk.clone(), record.sk.clone()),
        Some(Cond::exists()),
    );
    movement.write(tx)
}

/// The lifetime billings counter as read (absent: nothing billed yet).
pub fn lifetime_of(item: Option<Item>) -> Result<Lifetime, StoreError> {
    Ok(match item.as_ref().and_then(|i| i.get("billed")) {
        Some(AttributeValue::N(n)) => Lifetime {
            billed: n
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("billed is {n}")))?,
            exists: true,
        },
        _ => Lifetime {
            billed: Decimal::ZERO,
            exists: item.is_some(),
        },
    })
}

impl Store {
    /// Everything funding reads, in one BatchGetItem: the milestone, the client's balance and
    /// where a charge would go (the method named, else the default pointer with its copy of
    /// the default method). Read even when the balance covers the funding: it costs a key,
    /// not a round trip. Only a pointer without its copy (written before copies existed)
    /// costs a GetItem more.
    pub async fn funding_inputs(
        &self,
        milestone: &crate::domain::ids::MilestoneId,
        client: &UserId,
        named: Option<&crate::domain::ids::BillingMethodId>,
    ) -> Result<FundingInputs, StoreError> {
        let (mpk, msk) = keys::milestone(milestone);
        let (apk, ask) = keys::ledger_account(&AccountId::client(client));
        let source = super::payments::charge_source_key(client, named);
        let mut found = self
            .get_many(&[key(mpk, msk), key(apk, ask), source])
            .await?
            .into_iter();
        let (milestone, account, source) = (
            found.next().flatten(),
            found.next().flatten(),
            found.next().flatten(),
        );
        Ok(FundingInputs {
            milestone: milestone
                .map(super::from_item::<super::milestones::MilestoneRecord>)
                .transpose()?
                .map(|record| record.milestone),
            balance: match account {
                Some(item) => super::ledger::totals(&item)?,
                None => Default::default(),
            },
            charge_source: self.charge_source_in(client, named, source).await?,
        })
    }

    pub async fn lifetime_billed(
        &self,
        client: &UserId,
        freelancer: &UserId,
    ) -> Result<Lifetime, StoreError> {
        let (pk, sk) = keys::lifetime_billings(client, freelancer);
        lifetime_of(self.get_many(&[key(pk, sk)]).await?.pop().flatten())
    }

    /// Items of a `due` partition whose time has come at `until`, oldest first.
    pub async fn due(
        &self,
        partition: &str,
        until: DateTime<Utc>,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<Item>, Option<Item>), StoreError> {
        // `~` sorts after every id character, so every item due at `until` itself is included.
        let upper = format!("{:015}#~", until.timestamp_millis());
        let output = self
            .client()
            .query()
            .table_name(self.table())
            .index_name("due")
            .key_condition_expression("duepk = :pk AND duesk <= :upper")
            .expression_attribute_values(":pk", AttributeValue::S(partition.to_string()))
            .expression_attribute_values(":upper", AttributeValue::S(upper))
            .limit(limit)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok((output.items.unwrap_or_default(), output.last_evaluated_key))
    }
}
