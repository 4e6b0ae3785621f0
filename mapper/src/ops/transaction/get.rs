//! `TransactGetItems`: up to 100 items of any tables, read as one consistent snapshot.

use std::any::Any;
use std::fmt;

use std::sync::Arc;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_get_items::TransactGetItemsError;
use aws_sdk_dynamodb::types::{self, TransactGetItem};
use tracing::Instrument;

use super::TxGetHandle;
use super::outcome::{PreparedAction, canceled};
use super::send::table_names;
use crate::error::{ConvertError, Error, RefusalKind};
use crate::extension::ItemImage;
use crate::item::{Item, ItemMap, KeyFrom};
use crate::limits;
use crate::ops::CapacityMeter;
use crate::ops::send_on_await;
use crate::schema::TableSchema;
use crate::target::Table;
use crate::target::{Config, Target};

/// Reads up to 100 items of any tables as one snapshot, all as of the same moment
/// (`TransactGetItems`). Made by [`Mapper::transact_get`](crate::Mapper::transact_get).
///
/// Each [`get`](Self::get) returns a typed [`TxGetHandle`]; after [`send`](Self::send), the
/// [`TransactGetOutput`] items are read through them, decoded after the extensions' `after_read`, in the
/// order they were added. Refused before sending: no get, more than 100, the same item twice.
///
/// ```no_run
/// # use dynamodb_mapper::{Item, Mapper, Table};
/// # #[derive(Item)] #[item(table = "accounts")]
/// # struct Account { #[partition_key] id: String, balance: i64 }
/// # #[derive(Item)] #[item(table = "customers")]
/// # struct Customer { #[partition_key] id: String, name: String }
/// # async fn run(mapper: Mapper, accounts: Table<Account>, customers: Table<Customer>) -> Result<(), dynamodb_mapper::Error> {
/// let mut tx = mapper.transact_get();
/// let account = tx.get(&accounts, "acc-1");
/// let owner = tx.get(&customers, "cust-7");
/// let mut fetched = tx.send().await?;
/// let account: Option<Account> = fetched.take(account)?;
/// let owner: Option<&Customer> = fetched.get(owner)?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
#[must_use = "a transaction does nothing until it is sent"]
pub struct TransactGet {
    config: Arc<Config>,
    /// Which transaction this is, for its handles: the same on every send of a clone.
    id: u64,
    gets: Vec<PendingGet>,
    meter: Option<CapacityMeter>,
}

type Decoder = fn(&Target, ItemMap) -> Result<Box<dyn Any + Send>, Error>;

#[derive(Clone)]
struct PendingGet {
    target: Target,
    schema: &'static TableSchema,
    key: Result<ItemMap, ConvertError>,
    decode: Decoder,
}

fn decode_as<T: Item + Send + 'static>(target: &Target, item: ItemMap) -> Result<Box<dyn Any + Send>, Error> {
    let item: T = crate::plan::read::decode(target.chain(), T::TABLE, target.name(), ItemImage::Whole, item)?;
    Ok(Box::new(item))
}

impl TransactGet {
    pub(crate) fn new(config: Arc<Config>) -> Self {
        TransactGet {
            config,
            id: crate::ops::next_request_id(),
            gets: Vec::new(),
            meter: None,
        }
    }

    /// Reads the item with this key from `table`.
    pub fn get<T, K>(&mut self, table: &Table<T>, key: K) -> TxGetHandle<T>
    where
        T: Item + KeyFrom<K> + Send + 'static,
    {
        self.gets.push(PendingGet {
            target: table.target().clone(),
            schema: T::TABLE,
            key: T::key_from(key),
            decode: decode_as::<T>,
        });
        TxGetHandle::new(self.id, self.gets.len() - 1)
    }

    /// How many gets were added.
    pub fn len(&self) -> usize {
        self.gets.len()
    }

    /// Whether no get was added.
    pub fn is_empty(&self) -> bool {
        self.gets.is_empty()
    }

    /// Adds the capacity the transaction consumes to `meter`.
    pub fn capacity(mut self, meter: &CapacityMeter) -> Self {
        self.meter = Some(meter.clone());
        self
    }

    /// Reads the items.
    pub async fn send(self) -> Result<TransactGetOutput, Error> {
        let count = self.gets.len();
        if count == 0 {
            return Err(Error::refused(
                RefusalKind::InvalidArgument,
                "a transactional get needs at least one get",
            ));
        }
        if count > limits::MAX_TRANSACTION_ACTIONS {
            return Err(Error::refused(
                RefusalKind::TooManyActions,
                format!(
                    "a transaction takes at most {} gets, not {count}",
                    limits::MAX_TRANSACTION_ACTIONS
                ),
            ));
        }
        let mut items = Vec::with_capacity(count);
        let mut keys: Vec<(&Target, ItemMap)> = Vec::with_capacity(count);
        for (index, get) in self.gets.iter().enumerate() {
            let key = get.key.clone()?;
            crate::plan::check_key(get.schema, &key)
                .map_err(|e| crate::ops::batch::locate(e, &format!("get {index}")))?;
            if let Some(earlier) = keys
                .iter()
                .position(|(t, k)| t.name() == get.target.name() && *k == key)
            {
                return Err(Error::refused(
                    RefusalKind::SameItemTwice,
                    format!(
                        "gets {earlier} and {index} both read the item with key {key:?} of table `{}`",
                        get.target.name()
                    ),
                ));
            }
            let request = types::Get::builder()
                .table_name(get.target.name())
                .set_key(Some(key.clone()))
                .build()
                .map_err(|e| Error::refused(RefusalKind::InvalidArgument, e.to_string()))?;
            items.push(TransactGetItem::builder().get(request).build());
            keys.push((&get.target, key));
        }
        let tables = table_names(self.gets.iter().map(|g| &g.target));
        let span = crate::ops::span(&tables, "TransactGetItems");
        let capacity = self.config.capacity_request(self.meter.is_some());
        let result = self
            .config
            .client
            .transact_get_items()
            .set_transact_items(Some(items))
            .set_return_consumed_capacity(capacity.clone())
            .send()
            .instrument(span.clone())
            .await;
        let output = match result {
            Ok(output) => output,
            Err(error) => {
                if let SdkError::ServiceError(service) = &error
                    && let TransactGetItemsError::TransactionCanceledException(e) = service.err()
                {
                    let message = e.message().unwrap_or("transaction cancelled").to_owned();
                    let actions: Vec<PreparedAction> = self
                        .gets
                        .iter()
                        .zip(keys)
                        .map(|(get, (_, key))| PreparedAction::read(get.target.clone(), get.schema, key))
                        .collect();
                    return Err(canceled(self.id, &actions, e.cancellation_reasons().to_vec(), message));
                }
                return Err(Error::from_sdk(&tables, error));
            }
        };
        crate::ops::record_capacity(&span, self.meter.as_ref(), output.consumed_capacity().iter());
        let mut responses = output.responses.unwrap_or_default().into_iter();
        let items = self
            .gets
            .iter()
            .map(
                |get| match responses.next().and_then(|r| r.item).filter(|i| !i.is_empty()) {
                    Some(item) => (get.decode)(&get.target, item).map(Slot::Found),
                    None => Ok(Slot::Missing),
                },
            )
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(TransactGetOutput {
            transaction: self.id,
            items,
        })
    }
}

send_on_await!([] TransactGet => Result<TransactGetOutput, Error>);

impl fmt::Debug for TransactGet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tables: Vec<&str> = self.gets.iter().map(|g| g.target.name()).collect();
        f.debug_struct("TransactGet")
            .field("gets", &tables)
            .finish_non_exhaustive()
    }
}

/// The items a [`TransactGet`] read, in the order the gets were added, each decoded as its
/// own type: read them through their [`TxGetHandle`]s.
///
/// Each read tells its cases apart: `Ok(Some(item))`, `Ok(None)` when no such item is stored,
/// and refusals for a handle of another transaction ([`RefusalKind::ForeignHandle`]) and for
/// an item taken before ([`RefusalKind::AlreadyTaken`]).
pub struct TransactGetOutput {
    /// Which transaction read the items, for its handles.
    transaction: u64,
    items: Vec<Slot>,
}

/// What one get read.
enum Slot {
    Found(Box<dyn Any + Send>),
    Missing,
    Taken,
}

impl TransactGetOutput {
    /// A read-modify-write without reads: no handle is of it.
    pub(crate) fn empty() -> Self {
        TransactGetOutput {
            transaction: 0,
            items: Vec::new(),
        }
    }

    fn slot<T>(&self, handle: TxGetHandle<T>) -> Result<(usize, &Slot), Error> {
        let index = handle.position_in(self.transaction)?;
        let slot = self.items.get(index).ok_or_else(|| foreign(index))?;
        Ok((index, slot))
    }

    /// The item behind `handle`; `None` if no such item is stored.
    pub fn get<T: 'static>(&self, handle: TxGetHandle<T>) -> Result<Option<&T>, Error> {
        match self.slot(handle)? {
            (_, Slot::Missing) => Ok(None),
            (index, Slot::Taken) => Err(taken(index)),
            (index, Slot::Found(item)) => item.downcast_ref().map(Some).ok_or_else(|| foreign(index)),
        }
    }

    /// The item behind `handle`, to change; `None` if no such item is stored.
    pub fn get_mut<T: 'static>(&mut self, handle: TxGetHandle<T>) -> Result<Option<&mut T>, Error> {
        let (index, _) = self.slot(handle)?;
        match &mut self.items[index] {
            Slot::Missing => Ok(None),
            Slot::Taken => Err(taken(index)),
            Slot::Found(item) => item.downcast_mut().map(Some).ok_or_else(|| foreign(index)),
        }
    }

    /// Takes the item behind `handle` out; `None` if no such item is stored. A second take
    /// of the same item is refused.
    pub fn take<T: 'static>(&mut self, handle: TxGetHandle<T>) -> Result<Option<T>, Error> {
        let (index, _) = self.slot(handle)?;
        let slot = &mut self.items[index];
        match std::mem::replace(slot, Slot::Taken) {
            Slot::Missing => {
                *slot = Slot::Missing;
                Ok(None)
            }
            Slot::Taken => Err(taken(index)),
            Slot::Found(item) => match item.downcast::<T>() {
                Ok(item) => Ok(Some(*item)),
                Err(other) => {
                    *slot = Slot::Found(other);
                    Err(foreign(index))
                }
            },
        }
    }

    /// How many gets there were.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there was no get.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

fn foreign(index: usize) -> Error {
    Error::refused(
        RefusalKind::ForeignHandle,
        format!("the transaction has no get {index} of this type: the handle belongs to another transaction"),
    )
}

fn taken(index: usize) -> Error {
    Error::refused(
        RefusalKind::AlreadyTaken,
        format!("the item of get {index} was taken out before"),
    )
}

impl fmt::Debug for TransactGetOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let found: Vec<Option<bool>> = self
            .items
            .iter()
            .map(|slot| match slot {
                Slot::Found(_) => Some(true),
                Slot::Missing => Some(false),
                Slot::Taken => None,
            })
            .collect();
        f.debug_struct("TransactGetOutput").field("found", &found).finish()
    }
}
