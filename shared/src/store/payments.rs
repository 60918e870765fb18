//! Billing methods (clients) and payout methods (freelancers), in their owner's partition.
//! Each kind has a pointer item naming the default and counting the methods: the first
//! method becomes the default with `if_not_exists`, and the count's condition caps how many
//! one user may hold, both inside the transaction that adds the method, so parallel adds
//! cannot produce two defaults or exceed the cap.
//!
//! The pointer also carries a copy of the default method's record (`method`), written by
//! every transaction that sets `method_id`, so a charge reads one item instead of two (and
//! funding reads it in the BatchGetItem of the milestone and the balance). Records are never
//! edited, so the copy cannot go stale. Pointers written before the copy existed have none,
//! and a later add copies its own method beside the old `method_id` (`if_not_exists` works
//! per attribute); either way the copy does not name `method_id`, and the method is read.
//!
//! What is stored of a card or account: the processor's token, brand, last four and expiry.
//! Never the number.

use super::keys::{self, as_key};
use super::Label;
use super::{from_item, Cond, Item, Store, StoreError, Tx, TxError};
use crate::domain::billing::{card_expired, BillingMethodKind};
use crate::domain::card_refund::CardCharge;
use crate::domain::ids::{BillingMethodId, PayoutMethodId, UserId};
use crate::domain::payout::PayoutKind;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Most methods of one kind a user may keep.
pub const MAX_METHODS: u32 = 10;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingMethodRecord {
    pub id: BillingMethodId,
    pub user_id: UserId,
    pub kind: BillingMethodKind,
    /// Card brand (`visa`, …) or `bank_account`.
    pub brand: String,
    pub last4: String,
    #[serde(default)]
    pub exp_month: Option<u32>,
    #[serde(default)]
    pub exp_year: Option<i32>,
    #[serde(default)]
    pub holder_name: Option<String>,
    /// The processor's handle: what `PaymentProcessor::charge` takes.
    pub processor_token: String,
    pub created_at: DateTime<Utc>,
}

impl BillingMethodRecord {
    /// What a charge of this method was, as the charged milestone or week remembers it.
    pub fn card_charge(&self, charge: crate::payments::Charge) -> CardCharge {
        CardCharge {
            charge_id: charge.id,
            amount: charge.amount,
            method: format!("{} •••• {}", self.brand, self.last4),
        }
    }

    /// Cards stop working after their expiry month; bank accounts do not expire.
    pub fn usable_at(&self, now: DateTime<Utc>) -> bool {
        match (self.exp_month, self.exp_year) {
            (Some(month), Some(year)) => !card_expired(month, year, now),
            _ => true,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutMethodRecord {
    pub id: PayoutMethodId,
    pub user_id: UserId,
    pub kind: PayoutKind,
    /// The last four of an account, or a masked email.
    pub label: String,
    #[serde(default)]
    pub holder_name: Option<String>,
    pub processor_token: String,
    pub created_at: DateTime<Utc>,
}

/// A record in the table: its keys next to its fields.
#[derive(Serialize, Deserialize)]
struct Keyed<T> {
    pk: String,
    sk: String,
    #[serde(flatten)]
    record: T,
}

#[derive(Deserialize)]
struct DefaultPointer<T> {
    method_id: String,
    #[serde(default = "Option::default")]
    method: Option<T>,
}

/// A record the pointer can name.
trait Named {
    fn name(&self) -> &str;
}

impl Named for BillingMethodRecord {
    fn name(&self) -> &str {
        self.id.as_str()
    }
}

impl Named for PayoutMethodRecord {
    fn name(&self) -> &str {
        self.id.as_str()
    }
}

/// What a pointer says of the default: its copy, or only the id of a method to read.
enum DefaultOf<T> {
    None,
    Copied(T),
    Named(String),
}

impl<T: Named> DefaultOf<T> {
    fn of(pointer: Option<DefaultPointer<T>>) -> Self {
        match pointer {
            None => DefaultOf::None,
            Some(DefaultPointer {
                method: Some(copy),
                method_id,
            }) if copy.name() == method_id => DefaultOf::Copied(copy),
            Some(pointer) => DefaultOf::Named(pointer.method_id),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MethodStoreError {
    #[error("at most {MAX_METHODS} methods of a kind")]
    TooMany,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where the billing method a charge goes to is read: the method named, else the default
/// pointer (which carries the default's copy); see `Store::charge_source_in`.
pub fn charge_source_key(user: &UserId, named: Option<&BillingMethodId>) -> Item {
    as_key(match named {
        Some(id) => keys::billing_method(user, id),
        None => keys::default_billing_method(user),
    })
}

/// The two kinds of methods differ only in their keys.
struct Family {
    sk_prefix: &'static str,
    pointer: fn(&UserId) -> (String, String),
}

const BILLING: Family = Family {
    sk_prefix: "BILLINGMETHOD#",
    pointer: keys::default_billing_method,
};

const PAYOUT: Family = Family {
    sk_prefix: "PAYOUTMETHOD#",
    pointer: keys::default_payout_method,
};

impl Store {
    /// Adds a client's billing method; the first becomes the default. The client's stats say
    /// `payment_verified` from the same transaction on, which freelancers see on every job.
    /// Returns the id of the default method after the add.
    pub async fn add_billing_method(
        &self,
        record: &BillingMethodRecord,
    ) -> Result<Option<String>, MethodStoreError> {
        let verified = Tx::new().update(
            Label::ClientStats,
            as_key(keys::client_stats(&record.user_id)),
            Cond::new("SET payment_verified = :yes").value(":yes", true),
            None,
        );
        let key = keys::billing_method(&record.user_id, &record.id);
        self.add_method(
            &BILLING,
            verified,
            key,
            &record.user_id,
            record.id.as_str(),
            record,
        )
        .await
    }

    pub async fn add_payout_method(
        &self,
        record: &PayoutMethodRecord,
    ) -> Result<Option<String>, MethodStoreError> {
        let key = keys::payout_method(&record.user_id, &record.id);
        self.add_method(
            &PAYOUT,
            Tx::new(),
            key,
            &record.user_id,
            record.id.as_str(),
            record,
        )
        .await
    }

    /// A client's billing methods, oldest first, and the default's id.
    pub async fn billing_methods(
        &self,
        user: &UserId,
    ) -> Result<(Vec<BillingMethodRecord>, Option<String>), StoreError> {
        self.methods(&BILLING, user).await
    }

    pub async fn payout_methods(
        &self,
        user: &UserId,
    ) -> Result<(Vec<PayoutMethodRecord>, Option<String>), StoreError> {
        self.methods(&PAYOUT, user).await
    }

    pub async fn billing_method(
        &self,
        user: &UserId,
        id: &BillingMethodId,
    ) -> Result<Option<BillingMethodRecord>, StoreError> {
        self.keyed(as_key(keys::billing_method(user, id))).await
    }

    pub async fn payout_method(
        &self,
        user: &UserId,
        id: &PayoutMethodId,
    ) -> Result<Option<PayoutMethodRecord>, StoreError> {
        self.keyed(as_key(keys::payout_method(user, id))).await
    }

    /// The method a funding or invoice charges when the client names none: one GetItem of
    /// the pointer (two for a pointer without its copy).
    pub async fn default_billing_method(
        &self,
        user: &UserId,
    ) -> Result<Option<BillingMethodRecord>, StoreError> {
        let pointer = self.get(&as_key((BILLING.pointer)(user))).await?;
        self.billing_default_of(user, pointer).await
    }

    pub async fn default_payout_method(
        &self,
        user: &UserId,
    ) -> Result<Option<PayoutMethodRecord>, StoreError> {
        let pointer = self.get(&as_key((PAYOUT.pointer)(user))).await?;
        match DefaultOf::of(pointer) {
            DefaultOf::None => Ok(None),
            DefaultOf::Copied(record) => Ok(Some(record)),
            DefaultOf::Named(id) => match PayoutMethodId::parse(&id) {
                Some(id) => self.payout_method(user, &id).await,
                None => Err(StoreError::Corrupt(format!("default payout method {id}"))),
            },
        }
    }

    async fn billing_default_of(
        &self,
        user: &UserId,
        pointer: Option<DefaultPointer<BillingMethodRecord>>,
    ) -> Result<Option<BillingMethodRecord>, StoreError> {
        match DefaultOf::of(pointer) {
            DefaultOf::None => Ok(None),
            DefaultOf::Copied(record) => Ok(Some(record)),
            DefaultOf::Named(id) => match BillingMethodId::parse(&id) {
                Some(id) => self.billing_method(user, &id).await,
                None => Err(StoreError::Corrupt(format!("default billing method {id}"))),
            },
        }
    }

    /// The billing method `read`, the item at `charge_source_key`, says a charge goes to, for
    /// callers that read that key in a batch with other items.
    pub async fn charge_source_in(
        &self,
        user: &UserId,
        named: Option<&BillingMethodId>,
        read: Option<Item>,
    ) -> Result<Option<BillingMethodRecord>, StoreError> {
        match named {
            Some(_) => Ok(read
                .map(from_item::<Keyed<BillingMethodRecord>>)
                .transpose()?
                .map(|k| k.record)),
            None => {
                let pointer = read.map(from_item).transpose()?;
                self.billing_default_of(user, pointer).await
            }
        }
    }

    async fn add_method<T: Serialize>(
        &self,
        family: &Family,
        tx: Tx,
        (pk, sk): (String, String),
        user: &UserId,
        id: &str,
        record: &T,
    ) -> Result<Option<String>, MethodStoreError> {
        let tx = tx
            .put(
                Label::Method,
                &Keyed { pk, sk, record },
                Some(Cond::absent()),
            )
            .update(
                Label::Default,
                as_key((family.pointer)(user)),
                Cond::new(
                    "SET method_id = if_not_exists(method_id, :id), \
                     #method = if_not_exists(#method, :record) ADD methods :one",
                )
                .name("#method", "method")
                .value(":id", id)
                .value(":record", record)
                .value(":one", 1),
                Some(
                    Cond::new("attribute_not_exists(methods) OR methods < :max")
                        .value(":max", MAX_METHODS),
                ),
            );
        self.transact(tx).await.map_err(|err| match err {
            TxError::ConditionFailed {
                label: Label::Default,
                ..
            } => MethodStoreError::TooMany,
            TxError::ConditionFailed { label, .. } => MethodStoreError::Store(StoreError::Corrupt(
                format!("unexpected condition failure on {label}"),
            )),
            TxError::Store(err) => MethodStoreError::Store(err),
        })?;
        Ok(self.default_id(family, user).await?)
    }

    async fn methods<T: DeserializeOwned>(
        &self,
        family: &Family,
        user: &UserId,
    ) -> Result<(Vec<T>, Option<String>), StoreError> {
        let (pk, _) = (family.pointer)(user);
        // The cap keeps every list within one page.
        let limit = i32::try_from(MAX_METHODS + 1).unwrap_or(i32::MAX);
        let (items, default) = futures::try_join!(
            self.query_prefix(None, &pk, family.sk_prefix, false, limit, None),
            self.default_id(family, user),
        )?;
        let records = items
            .0
            .into_iter()
            .map(|item| from_item::<Keyed<T>>(item).map(|k| k.record))
            .collect::<Result<_, _>>()?;
        Ok((records, default))
    }

    /// Makes one of the user's billing methods (as read) the default, with its copy on the
    /// pointer; `false` if it is not theirs.
    pub async fn set_default_billing_method(
        &self,
        method: &BillingMethodRecord,
    ) -> Result<bool, StoreError> {
        let user = &method.user_id;
        let tx = Tx::new()
            .check(
                Label::Method,
                as_key(keys::billing_method(user, &method.id)),
                Cond::exists(),
            )
            .update(
                Label::Default,
                as_key((BILLING.pointer)(user)),
                Cond::new("SET method_id = :id, #method = :record")
                    .name("#method", "method")
                    .value(":id", method.id.as_str())
                    .value(":record", method),
                Some(Cond::exists()),
            );
        match self.transact(tx).await {
            Ok(()) => Ok(true),
            Err(TxError::ConditionFailed { .. }) => Ok(false),
            Err(TxError::Store(err)) => Err(err),
        }
    }

    async fn default_id(
        &self,
        family: &Family,
        user: &UserId,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .get::<DefaultPointer<serde::de::IgnoredAny>>(&as_key((family.pointer)(user)))
            .await?
            .map(|p| p.method_id))
    }

    async fn keyed<T: DeserializeOwned>(&self, key: Item) -> Result<Option<T>, StoreError> {
        Ok(self.get::<Keyed<T>>(&key).await?.map(|k| k.record))
    }
}
