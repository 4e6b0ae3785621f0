//! `BatchGetItem`: reads of any number of keys, across tables, each key with its own outcome.

use std::any::Any;
use std::sync::Arc;

use super::get_requests::prepare;
use super::{self as batch, BatchOptions, Groups};
use crate::error::{ConvertError, Error};
use crate::extension::ItemImage;
use crate::item::{Attributes, Item, ItemMap, KeyFrom};
use crate::ops::Marker;
use crate::ops::send_on_await;
use crate::schema::ItemSchema;
use crate::target::{Config, Table, Target};

/// Reads of any number of keys, across tables, in `BatchGetItem` requests. Made by
/// [`Mapper::batch_get`](crate::Mapper::batch_get); for one table, see [`Table::get_all`].
///
/// Each [`get`](Self::get) returns a typed handle; after sending,
/// [`take`](BatchGetOutput::take) gives that call's outcomes **in the order of its keys**, one
/// [`Fetched`] per key: found, missing, still unprocessed when the retries stopped, or found
/// but unreadable (with the raw item). A key that could not be fetched is never reported as
/// missing, and one item that does not decode does not fail the others.
///
/// ```no_run
/// # use dynamodb_mapper::{Item, Mapper, Attributes};
/// # use dynamodb_mapper::ops::Fetched;
/// # #[derive(Item, Clone, Debug)] #[item(table = "orders")]
/// # struct Order { #[partition_key] customer: String, #[sort_key] id: String, total: u64 }
/// # #[derive(Attributes, Debug)] struct Total { id: String, total: u64 }
/// # #[derive(Item, Clone, Debug)] #[item(table = "customers")]
/// # struct Customer { #[partition_key] id: String }
/// # async fn run(mapper: Mapper) -> Result<(), dynamodb_mapper::Error> {
/// let orders = mapper.table::<Order>()?;
/// let customers = mapper.table::<Customer>()?;
/// let mut batch = mapper.batch_get();
/// let totals = batch.get_projected::<_, Total, _>(&orders, [("ana", "o-1"), ("rui", "o-7")]);
/// let people = batch.get(&customers, ["ana", "rui"]);
/// let mut result = batch.consistent_read(&customers).await?;
/// for (key, fetched) in ["ana", "rui"].iter().zip(result.take(people)?) {
///     match fetched {
///         Fetched::Found(customer) => println!("{key}: {customer:?}"),
///         Fetched::Missing => println!("{key}: no such customer"),
///         Fetched::Unprocessed => println!("{key}: not fetched, try again"),
///         Fetched::Unreadable { error, .. } => println!("{key}: stored but unreadable: {error}"),
///         _ => {}
///     }
/// }
/// let totals: Vec<Option<Total>> = result.take(totals)?.into_iter().map(Fetched::found).collect();
/// # Ok(()) }
/// ```
///
/// # Requests and retries
///
/// Keys are refused before sending if they repeat (the same table and key twice:
/// [`RefusalKind::DuplicateKey`](crate::RefusalKind::DuplicateKey)) or are not valid keys. They are sent in their order, in
/// requests of at most 100 keys, up to [`concurrency`](Self::concurrency) at a time. Keys
/// DynamoDB answers as `UnprocessedKeys`, and the keys of a request that failed with a
/// [retryable](Error::is_retryable) error after the SDK's own retries (a read is safe to
/// resend, so server errors too), are sent again in rounds as for
/// [`BatchWrite`](super::BatchWrite) (see there how the rounds and the SDK's retries combine).
///
/// Strong consistency ([`consistent_read`](Self::consistent_read)) and the projection are
/// DynamoDB settings per table of a request: all keys of one table are read alike, and two
/// calls reading one table with different projections are refused.
///
/// # Cancel safety
///
/// Reads only: dropping the future loses the items read so far and changes nothing. Send it
/// again.
#[must_use = "a batch does nothing until it is sent"]
pub struct BatchGet {
    config: Arc<Config>,
    id: u64,
    pub(super) groups: Vec<GetGroup>,
    pub(super) consistent: Vec<String>,
    pub(super) options: BatchOptions,
}

/// The keys one call added.
pub(super) struct GetGroup {
    pub(super) target: Target,
    pub(super) schema: &'static crate::schema::TableSchema,
    pub(super) projection: Option<&'static ItemSchema>,
    pub(super) keys: Vec<Result<ItemMap, ConvertError>>,
    pub(super) slots: fn(Target, ItemImage, usize) -> Box<dyn Slots>,
}

/// The outcomes of one group's keys, typed, filled as answers arrive.
pub(super) trait Slots: Send {
    /// The item stored under key `index`, to decode.
    fn found(&mut self, index: usize, item: ItemMap);
    /// Key `index` has no item.
    fn missing(&mut self, index: usize);
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

struct TypedSlots<T, O> {
    target: Target,
    image: ItemImage,
    outcomes: Vec<Fetched<O>>,
    _item: Marker<T>,
}

pub(super) fn new_slots<T: Item + 'static, O: Attributes + Send + 'static>(
    target: Target,
    image: ItemImage,
    len: usize,
) -> Box<dyn Slots> {
    Box::new(TypedSlots::<T, O> {
        target,
        image,
        outcomes: (0..len).map(|_| Fetched::Unprocessed).collect(),
        _item: Marker::default(),
    })
}

impl<T: Item + 'static, O: Attributes + Send + 'static> Slots for TypedSlots<T, O> {
    fn found(&mut self, index: usize, item: ItemMap) {
        let target = &self.target;
        self.outcomes[index] =
            match crate::plan::read::decode_keyed(target.chain(), T::TABLE, target.name(), self.image, item) {
                Ok(item) => Fetched::Found(item),
                Err(unreadable) => Fetched::Unreadable {
                    key: unreadable.key,
                    error: unreadable.error,
                },
            };
    }

    fn missing(&mut self, index: usize) {
        self.outcomes[index] = Fetched::Missing;
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        Box::new(self.outcomes)
    }
}

/// The outcome of one key of a batch get.
#[derive(Debug)]
#[non_exhaustive]
pub enum Fetched<O> {
    /// The item, read through the extensions' `after_read` and decoded.
    Found(O),
    /// DynamoDB answered: there is no item with this key.
    Missing,
    /// Not fetched: DynamoDB left the key unprocessed until the retries stopped, or its
    /// request failed (see [`BatchGetOutput::errors`](crate::ops::BatchGetOutput::errors)). Whether an item exists is unknown.
    Unprocessed,
    /// An item is stored, but could not be read (it fails to decode, or an extension refused
    /// it). The error names the attribute and the type; a raw `GetItem` of the key shows
    /// every attribute.
    Unreadable {
        /// The item's primary key.
        key: ItemMap,
        /// Why it could not be read.
        error: Error,
    },
}

impl<O> Fetched<O> {
    /// The item, if it was found and read.
    pub fn found(self) -> Option<O> {
        match self {
            Fetched::Found(item) => Some(item),
            _ => None,
        }
    }

    /// The item if found, `None` for any other outcome.
    pub fn as_found(&self) -> Option<&O> {
        match self {
            Fetched::Found(item) => Some(item),
            _ => None,
        }
    }

    /// Whether DynamoDB answered that there is no such item.
    pub fn is_missing(&self) -> bool {
        matches!(self, Fetched::Missing)
    }

    /// Whether the key was not fetched.
    pub fn is_unprocessed(&self) -> bool {
        matches!(self, Fetched::Unprocessed)
    }
}

/// The handle of the keys one [`BatchGet::get`] added: [`take`](BatchGetOutput::take) gives
/// their outcomes, in order.
#[derive(Debug)]
#[must_use = "the handle is how to get the items"]
pub struct GetHandle<T, O = T> {
    pub(super) batch: u64,
    pub(super) group: usize,
    pub(super) _types: Marker<(T, O)>,
}

impl BatchGet {
    pub(crate) fn new(config: Arc<Config>) -> Self {
        BatchGet {
            config,
            id: crate::ops::next_request_id(),
            groups: Vec::new(),
            consistent: Vec::new(),
            options: BatchOptions::default(),
        }
    }

    /// Reads the items of `table` with these `keys`: `batch.get(&orders, [("ana", "o-1")])`.
    pub fn get<T, K>(&mut self, table: &Table<T>, keys: impl IntoIterator<Item = K>) -> GetHandle<T>
    where
        T: KeyFrom<K> + Send + 'static,
    {
        self.add(table, keys, None, new_slots::<T, T>)
    }

    /// Reads only the attributes of `P` (a struct deriving [`Attributes`] whose fields are a
    /// subset of the item's) of the items of `table` with these `keys`. Extensions see a
    /// [partial](ItemImage::Partial) item.
    pub fn get_projected<T, P, K>(&mut self, table: &Table<T>, keys: impl IntoIterator<Item = K>) -> GetHandle<T, P>
    where
        T: KeyFrom<K> + 'static,
        P: Attributes + Send + 'static,
    {
        self.add(table, keys, Some(P::SCHEMA), new_slots::<T, P>)
    }

    fn add<T, O, K>(
        &mut self,
        table: &Table<T>,
        keys: impl IntoIterator<Item = K>,
        projection: Option<&'static ItemSchema>,
        slots: fn(Target, ItemImage, usize) -> Box<dyn Slots>,
    ) -> GetHandle<T, O>
    where
        T: KeyFrom<K>,
    {
        self.groups.push(GetGroup {
            target: table.target().clone(),
            schema: T::TABLE,
            projection,
            keys: keys.into_iter().map(T::key_from).collect(),
            slots,
        });
        GetHandle {
            batch: self.id,
            group: self.groups.len() - 1,
            _types: Marker::default(),
        }
    }

    /// Reads every key of `table` in this batch strongly consistently, at twice the capacity.
    pub fn consistent_read<T: Item>(mut self, table: &Table<T>) -> Self {
        self.consistent.push(table.name().to_owned());
        self
    }

    pub(super) fn batch_options(&mut self) -> &mut BatchOptions {
        &mut self.options
    }

    /// How many keys the batch holds.
    pub fn len(&self) -> usize {
        self.groups.iter().map(|g| g.keys.len()).sum()
    }

    /// Whether the batch holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks the keys, then reads them. An `Err` means nothing was sent; once sending
    /// starts, every key's outcome is in the [`BatchGetOutput`](crate::ops::BatchGetOutput).
    pub async fn send(self) -> Result<BatchGetOutput, Error> {
        let BatchGet {
            config,
            id,
            groups,
            consistent,
            options,
        } = self;
        let (gets, ran) = batch::send(&config, &options, || prepare(groups, &consistent)).await?;
        Ok(BatchGetOutput {
            errors: ran.errors,
            consumed_capacity: ran.consumed_capacity,
            requests: ran.requests,
            rounds: ran.rounds,
            groups: Groups::new(id, gets.slots.into_iter().map(|s| s.into_any()).collect()),
            unprocessed: gets.failed + ran.left,
        })
    }
}

send_on_await!([] BatchGet => Result<BatchGetOutput, Error>);

impl std::fmt::Debug for BatchGet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchGet")
            .field("keys", &self.len())
            .field("consistent", &self.consistent)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// What a batch get read. Take each call's outcomes with [`take`](Self::take).
#[derive(Debug)]
#[non_exhaustive]
pub struct BatchGetOutput {
    /// The errors of requests that failed: one that is not retryable (its keys were not
    /// resent), and the last retryable one if the rounds stopped on it. Their keys are
    /// [`Fetched::Unprocessed`].
    pub errors: Vec<Error>,
    /// The capacity units all requests consumed, when DynamoDB reported them.
    pub consumed_capacity: Option<f64>,
    /// The `BatchGetItem` requests sent (each counted once, however often the SDK resent it).
    pub requests: u32,
    /// The rounds sent: 1 when nothing was left after the first.
    pub rounds: u32,
    groups: Groups,
    unprocessed: usize,
}

impl BatchGetOutput {
    /// The outcomes of the keys `handle` stands for, one per key, in the order given. Empty
    /// on a second call. A handle of another batch is refused
    /// ([`RefusalKind::ForeignHandle`](crate::RefusalKind::ForeignHandle)).
    pub fn take<T: 'static, O: Send + 'static>(&mut self, handle: GetHandle<T, O>) -> Result<Vec<Fetched<O>>, Error> {
        self.groups.take((handle.batch, handle.group))
    }

    /// Whether every key was fetched (found, missing or unreadable).
    pub fn is_complete(&self) -> bool {
        self.unprocessed == 0
    }

    /// How many keys were not fetched.
    pub fn unprocessed(&self) -> usize {
        self.unprocessed
    }
}
