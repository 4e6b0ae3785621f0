//! `BatchWriteItem`: puts and deletes of any number of items, across tables.
//!
//! Every write becomes a [plan](crate::plan) in [`WriteMode::Batch`](crate::extension::WriteMode::Batch) (so the extensions apply
//! as for a single put or delete), then the plans are sent in requests of at most
//! [`MAX_BATCH_WRITE_ITEMS`] writes and [`MAX_BATCH_WRITE_SIZE`] bytes, several at a time.
//! What DynamoDB leaves unprocessed is sent again in rounds, with exponential backoff and full
//! jitter, until it is done, the rounds stop making progress, or the deadline passes; what is
//! left then is handed back as the caller's own values.

use std::any::Any;
use std::sync::Arc;

use super::write_requests::Writes;
use super::{self as batch, BatchOptions, Groups};
use crate::error::{ConvertError, Error};
use crate::item::{Item, ItemMap, KeyFrom};
use crate::ops::Marker;
use crate::ops::send_on_await;
use crate::schema::TableSchema;
use crate::target::{Config, Table, Target};

/// Puts and deletes of any number of items, across tables, in `BatchWriteItem` requests. Made by
/// [`Mapper::batch_write`](crate::Mapper::batch_write); for one table, see
/// [`Table::put_all`], [`Table::delete_all`] and [`Table::delete_items`].
///
/// Each call adding writes returns a typed handle; after sending, the
/// [result](BatchWriteOutput::take) gives back, per handle, what was *not* written: your own
/// items (as you gave them) and keys.
///
/// ```no_run
/// # use dynamodb_mapper::{Item, Mapper};
/// # #[derive(Item, Clone)] #[item(table = "orders")]
/// # struct Order { #[partition_key] customer: String, #[sort_key] id: String }
/// # #[derive(Item, Clone)] #[item(table = "carts")]
/// # struct Cart { #[partition_key] customer: String }
/// # async fn run(mapper: Mapper, new_orders: Vec<Order>) -> Result<(), dynamodb_mapper::Error> {
/// let orders = mapper.table::<Order>()?;
/// let carts = mapper.table::<Cart>()?;
/// let mut batch = mapper.batch_write();
/// let placed = batch.put(&orders, new_orders);
/// let emptied = batch.delete(&carts, ["ana", "rui"]);
/// let mut result = batch.await?;
/// let not_placed: Vec<Order> = result.take(placed)?;
/// let not_emptied: Vec<String> = result.take(emptied)?;
/// if !result.is_complete() {
///     eprintln!("{} orders and {} carts left; errors: {:?}", not_placed.len(), not_emptied.len(), result.errors);
/// }
/// # Ok(()) }
/// ```
///
/// # Before anything is sent
///
/// Each item runs through the extensions in [`WriteMode::Batch`](crate::extension::WriteMode::Batch): timestamps are set, UUIDs
/// generated when unset, counters written at their `start`. A batch request cannot carry a
/// condition, so a put of an item with a `#[version]`, or a
/// [`delete_items`](BatchWrite::delete_items) of an item that was read, is refused
/// ([`RefusalKind::VersionedBatch`](crate::RefusalKind::VersionedBatch), naming the attribute) unless the batch is sent
/// [`without_version_check`](BatchWrite::without_version_check). A delete by key has no version
/// check, and is allowed.
///
/// Also refused before sending, so that nothing is half written: two writes of one item (the
/// same table and key, a put and a delete included: [`RefusalKind::DuplicateKey`](crate::RefusalKind::DuplicateKey)), a missing
/// or mistyped key attribute ([`RefusalKind::InvalidKey`](crate::RefusalKind::InvalidKey)), an item over 400 KB
/// ([`RefusalKind::ItemTooLarge`](crate::RefusalKind::ItemTooLarge)).
///
/// # Requests, retries and leftovers
///
/// The writes are sent in their order, in requests of at most 25 writes and 16 MB, up to
/// [`concurrency`](BatchWrite::concurrency) requests at a time (8 by default). Two layers of
/// retries then work together:
///
/// - **The SDK's**, configured on the client: a request that fails as a whole with a throttling
///   or server error is resent by the SDK (standard mode: 3 attempts with backoff).
/// - **The batch's rounds**, configured by [`retry`](BatchWrite::retry): what DynamoDB answered
///   as `UnprocessedItems` (a partial success, which the SDK does not retry) is sent again, as
///   DynamoDB returned it, in the next round, after a wait of [`RetryPolicy::delay`](crate::RetryPolicy::delay)
///   (exponential, full jitter). So are the writes of a request still throttled after the SDK's
///   attempts ([`Error::is_throttling`]: DynamoDB wrote none of them); they are prepared again
///   from your items, so the extensions run again (a timestamp is the time of the resend, an
///   unset UUID is generated anew). The rounds stop when everything is written, after
///   [`max_rounds_without_progress`](crate::RetryPolicy::max_rounds_without_progress) rounds in a row
///   that wrote nothing, after [`max_rounds`](crate::RetryPolicy::max_rounds) rounds, or when the
///   next round would start after the [`deadline`](crate::RetryPolicy::deadline). By default there is no
///   limit on rounds that make progress, no deadline, 3 rounds without progress, and waits of up
///   to 20 ms × 2ⁿ capped at 1 s.
///
/// A write can thus be attempted up to (SDK attempts) × (rounds) times. A request that fails
/// otherwise is not resent by the rounds, and its writes are left over with the error in
/// [`errors`](BatchWriteOutput::errors): an error that is not retryable (a missing table, a
/// validation error), and a server error that outlasted the SDK's attempts, after which
/// DynamoDB does not say whether the writes were done (as for a single write, the caller
/// decides).
///
/// What is left over at the end is never dropped: [`take`](BatchWriteOutput::take) hands it
/// back per handle.
///
/// # Cancel safety
///
/// Dropping the future stops the batch where it is. The requests DynamoDB answered are
/// written (except what it returned unprocessed); a request in flight may have been applied
/// in whole, in part or not at all; the chunks and leftovers not sent yet are not written.
/// The output, which says what was left over, is lost with the future, so the caller knows
/// only that each write is done or not. Puts and deletes are idempotent (the same item put
/// again, a deleted key deleted again), so sending the same batch again converges to the
/// same table; a put whose item changed since would overwrite the newer one.
#[must_use = "a batch does nothing until it is sent"]
pub struct BatchWrite {
    config: Arc<Config>,
    id: u64,
    groups: Vec<Group>,
    pub(super) options: BatchOptions,
    pub(super) skip_version_check: bool,
}

/// The writes one call added.
pub(super) struct Group {
    pub(super) target: Target,
    pub(super) table: Arc<str>,
    pub(super) schema: &'static TableSchema,
    pub(super) what: &'static str,
    pub(super) values: Box<dyn Values>,
}

/// A group's values as the caller gave them: each becomes a write when the batch is prepared
/// (and again if its request was throttled), and is forgotten once written; what is left is
/// handed back.
pub(super) trait Values: Send {
    fn len(&self) -> usize;
    /// The write of the value at `index`; `None` once it is forgotten.
    fn write(&self, index: usize) -> Option<Result<Source, ConvertError>>;
    fn forget(&mut self, index: usize);
    fn left(&self) -> usize;
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

/// The values of one call, and how each becomes a write.
struct Given<X> {
    values: Vec<Option<X>>,
    write: fn(&X) -> Result<Source, ConvertError>,
}

/// What a value becomes before the extensions run: a put, or a delete by key or of an item
/// that was read.
pub(super) enum Source {
    Put(ItemMap),
    Delete { item: ItemMap, whole_item: bool },
}

impl<X: Send + 'static> Values for Given<X> {
    fn len(&self) -> usize {
        self.values.len()
    }

    fn write(&self, index: usize) -> Option<Result<Source, ConvertError>> {
        self.values[index].as_ref().map(self.write)
    }

    fn forget(&mut self, index: usize) {
        self.values[index] = None;
    }

    fn left(&self) -> usize {
        self.values.iter().filter(|x| x.is_some()).count()
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        Box::new(self.values)
    }
}

/// The handle of puts added by [`BatchWrite::put`]: [`take`](BatchWriteOutput::take) gives the
/// items that were not put, as given.
#[derive(Debug)]
#[must_use = "the handle is how to get back what was not written"]
pub struct PutHandle<T> {
    batch: u64,
    group: usize,
    _item: Marker<T>,
}

/// The handle of deletes by key added by [`BatchWrite::delete`]:
/// [`take`](BatchWriteOutput::take) gives the keys that were not deleted.
#[derive(Debug)]
#[must_use = "the handle is how to get back what was not written"]
pub struct DeleteHandle<T> {
    batch: u64,
    group: usize,
    _item: Marker<T>,
}

/// The handle of deletes of items that were read, added by [`BatchWrite::delete_items`]:
/// [`take`](BatchWriteOutput::take) gives the items that were not deleted, as given.
#[derive(Debug)]
#[must_use = "the handle is how to get back what was not written"]
pub struct DeleteItemHandle<T> {
    batch: u64,
    group: usize,
    _item: Marker<T>,
}

mod sealed {
    pub trait Sealed {}
}

/// A handle of writes added to a [`BatchWrite`]: [`PutHandle`], [`DeleteHandle`] or
/// [`DeleteItemHandle`].
pub trait WriteHandle: sealed::Sealed {
    /// What was not written: the items or the keys, as given.
    type Unprocessed;

    #[doc(hidden)]
    fn position(&self) -> (u64, usize);

    #[doc(hidden)]
    fn unpack(groups: &mut Groups, position: (u64, usize)) -> Result<Self::Unprocessed, Error>;
}

macro_rules! write_handle {
    ($handle:ident, $unprocessed:ty, $element:ty) => {
        impl<T: Item> sealed::Sealed for $handle<T> {}

        impl<T: Item + 'static> WriteHandle for $handle<T>
        where
            $element: 'static,
        {
            type Unprocessed = $unprocessed;

            fn position(&self) -> (u64, usize) {
                (self.batch, self.group)
            }

            fn unpack(groups: &mut Groups, position: (u64, usize)) -> Result<Self::Unprocessed, Error> {
                let values: Vec<Option<$element>> = groups.take(position)?;
                Ok(values.into_iter().flatten().collect())
            }
        }
    };
}

write_handle!(PutHandle, Vec<T>, T);
write_handle!(DeleteHandle, Vec<T::Key>, T::Key);
write_handle!(DeleteItemHandle, Vec<T>, T);

impl BatchWrite {
    pub(crate) fn new(config: Arc<Config>) -> Self {
        BatchWrite {
            config,
            id: crate::ops::next_request_id(),
            groups: Vec::new(),
            options: BatchOptions::default(),
            skip_version_check: false,
        }
    }

    fn add<X: Send + 'static>(
        &mut self,
        target: &Target,
        schema: &'static TableSchema,
        what: &'static str,
        values: impl IntoIterator<Item = X>,
        write: fn(&X) -> Result<Source, ConvertError>,
    ) -> usize {
        self.groups.push(Group {
            target: target.clone(),
            table: Arc::from(target.name()),
            schema,
            what,
            values: Box::new(Given {
                values: values.into_iter().map(Some).collect(),
                write,
            }),
        });
        self.groups.len() - 1
    }

    /// Puts `items` into `table`, replacing any stored item with the same key. The items are
    /// converted, and run through the extensions, when the batch is sent.
    pub fn put<T: Item + Send + 'static>(
        &mut self,
        table: &Table<T>,
        items: impl IntoIterator<Item = T>,
    ) -> PutHandle<T> {
        let group = self.add(table.target(), T::TABLE, "put", items, |item| {
            item.to_item().map(Source::Put)
        });
        PutHandle {
            batch: self.id,
            group,
            _item: Marker::default(),
        }
    }

    /// Deletes the items with these `keys` from `table` (without a version check):
    /// `batch.delete(&orders, [("ana", "o-1"), ("rui", "o-7")])`. Deleting an item that does
    /// not exist succeeds.
    pub fn delete<T, K>(&mut self, table: &Table<T>, keys: impl IntoIterator<Item = K>) -> DeleteHandle<T>
    where
        T: KeyFrom<K>,
        T::Key: Clone + Send + 'static,
    {
        let keys = keys.into_iter().map(<T as KeyFrom<K>>::into_key);
        let group = self.add(table.target(), T::TABLE, "delete", keys, |key| {
            T::key_to_item(key.clone()).map(|item| Source::Delete {
                item,
                whole_item: false,
            })
        });
        DeleteHandle {
            batch: self.id,
            group,
            _item: Marker::default(),
        }
    }

    /// Deletes the stored items with the keys of `items`, items that were read. With
    /// [`VersionedRecords`](crate::extension::VersionedRecords) and a `#[version]` this is
    /// refused, as a batch cannot check the version that was read, unless the batch is sent
    /// [`without_version_check`](Self::without_version_check).
    pub fn delete_items<T: Item + Send + 'static>(
        &mut self,
        table: &Table<T>,
        items: impl IntoIterator<Item = T>,
    ) -> DeleteItemHandle<T> {
        let group = self.add(table.target(), T::TABLE, "delete_items", items, |item| {
            item.to_item().map(|item| Source::Delete { item, whole_item: true })
        });
        DeleteItemHandle {
            batch: self.id,
            group,
            _item: Marker::default(),
        }
    }

    /// Gives up optimistic locking for this batch: versioned items are written with their next
    /// version (`start_at` for a new item, the version read `+ increment_by` otherwise) but
    /// **without the condition** that the stored version is the one read, so a batch can
    /// overwrite a concurrent writer's change, and a delete of an item that was read deletes
    /// whatever is stored. Use a transaction or single writes to keep the check.
    pub fn without_version_check(mut self) -> Self {
        self.skip_version_check = true;
        self
    }

    pub(super) fn batch_options(&mut self) -> &mut BatchOptions {
        &mut self.options
    }

    /// How many writes the batch holds.
    pub fn len(&self) -> usize {
        self.groups.iter().map(|g| g.values.len()).sum()
    }

    /// Whether the batch holds no write.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Prepares every write, then sends them. An `Err` means nothing was sent (a refusal, or a
    /// value that could not be converted); once sending starts, every outcome is in the
    /// [`BatchWriteOutput`](crate::ops::BatchWriteOutput).
    pub async fn send(self) -> Result<BatchWriteOutput, Error> {
        let BatchWrite {
            config,
            id,
            groups,
            options,
            skip_version_check,
        } = self;
        let (writes, ran) = batch::send(&config, &options, || Writes::prepare(groups, skip_version_check)).await?;
        let groups = writes.groups;
        Ok(BatchWriteOutput {
            errors: ran.errors,
            consumed_capacity: ran.consumed_capacity,
            requests: ran.requests,
            rounds: ran.rounds,
            unprocessed: groups.iter().map(|g| g.values.left()).sum(),
            groups: Groups::new(id, groups.into_iter().map(|g| g.values.into_any()).collect()),
        })
    }
}

send_on_await!([] BatchWrite => Result<BatchWriteOutput, Error>);

impl std::fmt::Debug for BatchWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchWrite")
            .field("writes", &self.len())
            .field("skip_version_check", &self.skip_version_check)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// What a batch write did. Take back what was not written with [`take`](Self::take).
#[derive(Debug)]
#[non_exhaustive]
#[must_use = "some writes may be left over: see `is_complete` and `take`"]
pub struct BatchWriteOutput {
    /// The errors of requests that failed: one that is not retryable (its writes were not
    /// resent), and the last retryable one if the rounds stopped on it. Their writes are left
    /// over.
    pub errors: Vec<Error>,
    /// The capacity units all requests consumed, when DynamoDB reported them (see
    /// [`MapperBuilder::consumed_capacity`](crate::MapperBuilder::consumed_capacity) and
    /// [`BatchWrite::capacity`]).
    pub consumed_capacity: Option<f64>,
    /// The `BatchWriteItem` requests sent (each counted once, however often the SDK resent it).
    pub requests: u32,
    /// The rounds sent: 1 when nothing was left over after the first.
    pub rounds: u32,
    groups: Groups,
    unprocessed: usize,
}

impl BatchWriteOutput {
    /// What was not written of the writes `handle` stands for: the items (as given, before the
    /// extensions changed them) or the keys, in the order given. Empty when all were written,
    /// and on a second call. A handle of another batch is refused
    /// ([`RefusalKind::ForeignHandle`](crate::RefusalKind::ForeignHandle)).
    pub fn take<H: WriteHandle>(&mut self, handle: H) -> Result<H::Unprocessed, Error> {
        H::unpack(&mut self.groups, handle.position())
    }

    /// Whether every write was done.
    pub fn is_complete(&self) -> bool {
        self.unprocessed == 0
    }

    /// How many writes were not done.
    pub fn unprocessed(&self) -> usize {
        self.unprocessed
    }
}
