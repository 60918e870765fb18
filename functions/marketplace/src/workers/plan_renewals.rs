//! `plan-renewals` (docs/plans.md): at the month edge every Plus subscription is charged for
//! the new month through the processor and the ledger, and granted Plus's Connects; a refused
//! charge is tried again a day later, and after the last attempt the plan falls back to
//! Basic (with Basic's Connects for the month). A cancelled Plus ends at the edge instead.
//!
//! Subscriptions wait in the sparse `due` index (`DUE#plan-renewal`) at their next renewal or
//! retry, so a run reads only what is due. The transfer id is derived from (user, month) and
//! the processor key from it and the attempt, so a schedule fired twice for the same edge (or
//! a crash between the charge and its record) charges once: the second run either finds
//! nothing due or meets the same charge and the transfer already written.

use chrono::{DateTime, Utc};
use worklane::domain::ids::TransferId;
use worklane::domain::plan::{PlanCatalogue, PlanEvent, PlanEventKind, PlanId, Renewal};
use worklane::payments::{Charge, DeclineCode, PaymentError};
use worklane::store::plans::{
    plan_change_tx, plan_transfer_id, PlanChange, SubscriptionRecord, RENEWAL_DUE,
};
use worklane::store::{from_item, Item, StoreError, Tx, TxError};
use worklane::worker::ScheduleSummary;
use worklane::App;

/// One page of the due partition.
const PAGE: i32 = 100;

pub async fn run(app: &App, time: DateTime<Utc>) -> Result<ScheduleSummary, StoreError> {
    let mut summary = ScheduleSummary::default();
    let mut start = None;
    loop {
        let (items, next) = app.store.due(RENEWAL_DUE, time, PAGE, start).await?;
        for item in items {
            summary.examined += 1;
            let Some((tx, charged)) = renew(app, item, time).await? else {
                summary.skipped += 1;
                continue;
            };
            match app.store.transact(tx).await {
                Ok(()) => summary.applied += 1,
                Err(TxError::ConditionFailed { .. }) => {
                    summary.skipped += 1;
                    if let Some(charged) = charged {
                        settle_unused(app, charged).await?;
                    }
                }
                Err(TxError::Store(err)) => return Err(err),
            }
        }
        match next {
            Some(key) => start = Some(key),
            None => return Ok(summary),
        }
    }
}

/// A renewal charged but not recorded: the subscription changed between the read and the
/// write (cancelled at the edge). Unless another run recorded this very month (its transfer
/// exists), the charge paid for nothing and goes back. Its key is never charged again: a
/// cancelled subscription whose period ended cannot be taken back (`PlanError::RenewalPending`),
/// so the next run ends it instead of renewing.
async fn settle_unused(
    app: &App,
    (transfer, charge): (TransferId, Charge),
) -> Result<(), StoreError> {
    if app.store.transfer(&transfer).await?.is_some() {
        return Ok(());
    }
    if let Err(err) = app
        .payments()
        .refund(&charge.id, charge.amount, &format!("{transfer}:unused"))
        .await
    {
        // Nothing will charge this key again, so no later run comes back to it: the line is
        // the operator's to act on (repeating the refund under its key is safe), and the
        // other subscriptions of the run go on.
        tracing::error!(charge = %charge.id, %transfer, error = %err, "unused plan charge not refunded");
    }
    Ok(())
}

/// The transaction that moves one due subscription on (with the charge it recorded, if
/// any), or `None` when nothing is due after all or the processor is unreachable (the
/// subscription stays due for the next run).
async fn renew(
    app: &App,
    item: Item,
    time: DateTime<Utc>,
) -> Result<Option<(Tx, Option<(TransferId, Charge)>)>, StoreError> {
    let catalogue = PlanCatalogue::standard();
    let before = from_item::<SubscriptionRecord>(item)?.subscription;
    let user = before.user_id.clone();
    let mut charge_made = None;
    let change = match before.renewal_at(&catalogue, time) {
        None => return Ok(None),
        Some(Renewal::End) => {
            let schedule = catalogue.in_force(time);
            let after = before.downgraded(schedule, time);
            PlanChange {
                event: PlanEvent::new(PlanEventKind::Ended, &after, before.period, time),
                basis: format!("ended:{}", before.period.month()),
                grant: app
                    .store
                    .month_grant(&user, &schedule.basic, time, "")
                    .await?,
                paid: None,
                before: &before,
                after,
            }
        }
        Some(Renewal::Charge {
            period,
            amount,
            attempt,
        }) => {
            let schedule = catalogue.in_force(period.start);
            let transfer = plan_transfer_id(&user, &period, "renewal");
            let method = app
                .store
                .default_billing_method(&user)
                .await?
                .filter(|method| method.usable_at(time));
            let charged = match &method {
                Some(method) => {
                    app.payments()
                        .charge(
                            &method.processor_token,
                            amount,
                            &format!("{transfer}:{attempt}"),
                        )
                        .await
                }
                None => Err(PaymentError::Declined {
                    code: DeclineCode::CardDeclined,
                    message: "billing_method_required".into(),
                }),
            };
            match charged {
                Ok(charge) => {
                    charge_made = Some((transfer.clone(), charge));
                    let after = before.renewed(schedule, period);
                    let grant = app
                        .store
                        .month_grant(&user, &schedule.plus, period.start, " (Plus)")
                        .await?;
                    PlanChange {
                        event: PlanEvent::new(PlanEventKind::Renewed, &after, period, time)
                            .paid(amount, &transfer),
                        basis: format!("renewed:{}", period.month()),
                        paid: Some((transfer, amount)),
                        grant,
                        before: &before,
                        after,
                    }
                }
                Err(PaymentError::Unavailable) => return Ok(None),
                Err(refused) => {
                    let reason = match refused {
                        PaymentError::Declined { code, message } if method.is_some() => {
                            format!("{}: {message}", code.as_str())
                        }
                        PaymentError::Declined { .. } => "billing_method_required".into(),
                        other => format!("payment_method_invalid: {other}"),
                    };
                    let after = before.renewal_refused(schedule, &reason, time);
                    let (kind, grant) = if after.plan == PlanId::Basic {
                        (
                            PlanEventKind::Downgraded,
                            app.store
                                .month_grant(&user, &schedule.basic, time, "")
                                .await?,
                        )
                    } else {
                        (PlanEventKind::RenewalRefused, None)
                    };
                    PlanChange {
                        event: PlanEvent::new(kind, &after, period, time).because(reason),
                        basis: format!("refused:{}:{attempt}", period.month()),
                        paid: None,
                        grant,
                        before: &before,
                        after,
                    }
                }
            }
        }
    };
    let tx = plan_change_tx(change)
        .map_err(|err| StoreError::Corrupt(format!("plan of {user}: {err}")))?;
    Ok(Some((tx, charge_made)))
}
