//! `BatchWriteItem`: puts and deletes of any number of items, across tables.
//!
//! Every write becomes a [plan](crate::plan) in [`WriteMode::Batch`] (so the extensions apply
//! as for a single put or delete), then the plans are sent in requests of at most
//! [`MAX_BATCH_WRITE_ITEMS`] writes and [`MAX_BATCH_WRITE_SIZE`] bytes, several at a time.
//! What DynamoDB leaves unprocessed is sent again in rounds, with exponential backoff and full
//! jitter, until it is done, the rounds stop making progress, or the deadline passes; what is
//! left then is handed back as the caller's own values.

use std::any::Any;
use std::collections::HashMap;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;

use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemOutput;
use aws_sdk_dynamodb::types::{DeleteRequest, PutRequest, WriteRequest};

use super::{self as batch, Batch, BatchOptions, Groups, KeyId, KeyNames, Round, Sender, TableKeys};
use crate::error::{ConvertError, Error, RefusalKind};
use crate::item::{Item, ItemMap, KeyFrom};
use crate::limits::{self, MAX_BATCH_WRITE_ITEMS, MAX_BATCH_WRITE_SIZE};
use crate::ops::Marker;
use crate::plan::{Plan, Write};
use crate::schema::TableSchema;
use crate::target::Table;
use crate::target::{Config, Target};

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
/// Each item runs through the extensions in [`WriteMode::Batch`]: timestamps are set, UUIDs
/// generated when unset, counters written at their `start`. A batch request cannot carry a
/// condition, so a put of an item with a `#[version]`, or a
/// [`delete_items`](BatchWrite::delete_items) of an item that was read, is refused
/// ([`RefusalKind::VersionedBatch`], naming the attribute) unless the batch is sent
/// [`without_version_check`](BatchWrite::without_version_check). A delete by key has no version
/// check, and is allowed.
///
/// Also refused before sending, so that nothing is half written: two writes of one item (the
/// same table and key, a put and a delete included: [`RefusalKind::DuplicateKey`]), a missing
/// or mistyped key attribute ([`RefusalKind::InvalidKey`]), an item over 400 KB
/// ([`RefusalKind::ItemTooLarge`]).
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
///   DynamoDB returned it, in the next round, after a wait of [`RetryPolicy::delay`]
///   (exponential, full jitter). So are the writes of a request still throttled after the SDK's
///   attempts ([`Error::is_throttling`]: DynamoDB wrote none of them); they are prepared again
///   from your items, so the extensions run again (a timestamp is the time of the resend, an
///   unset UUID is generated anew). The rounds stop when everything is written, after
///   [`max_rounds_without_progress`](RetryPolicy::max_rounds_without_progress) rounds in a row
///   that wrote nothing, after [`max_rounds`](RetryPolicy::max_rounds) rounds, or when the
///   next round would start after the [`deadline`](RetryPolicy::deadline). By default there is no
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
#[must_use = "a batch does nothing until it is sent"]
pub struct BatchWrite {
    config: Arc<Config>,
    id: u64,
    groups: Vec<Group>,
    options: BatchOptions,
    skip_version_check: bool,
}

/// The writes one call added.
struct Group {
    target: Target,
    table: Arc<str>,
    schema: &'static TableSchema,
    what: &'static str,
    values: Box<dyn Values>,
}

/// A group's values as the caller gave them: each becomes a write when the batch is prepared
/// (and again if its request was throttled), and is forgotten once written; what is left is
/// handed back.
trait Values: Send {
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
enum Source {
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
            id: batch::next_batch_id(),
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
    /// [`BatchWriteOutput`].
    pub async fn send(self) -> Result<BatchWriteOutput, Error> {
        batch::check_concurrency(self.options.concurrency)?;
        let BatchWrite {
            config,
            id,
            groups,
            options,
            skip_version_check,
        } = self;
        let mut writes = Writes::prepare(groups, skip_version_check)?;
        let total = writes.entries.len();
        let ran = batch::run(&mut writes, &config, &options, total).await;
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

impl IntoFuture for BatchWrite {
    type Output = Result<BatchWriteOutput, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

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
    /// ([`RefusalKind::ForeignHandle`]).
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

/// The writes of a batch, prepared, as the rounds send them.
struct Writes {
    groups: Vec<Group>,
    entries: Vec<Entry>,
    /// Each write's key, to find the writes DynamoDB leaves unprocessed.
    index: HashMap<KeyId, usize>,
    keys: TableKeys,
    skip_version_check: bool,
}

/// One write.
struct Entry {
    /// The request, until it is sent; back when DynamoDB returns it unprocessed.
    request: Option<WriteRequest>,
    size: usize,
    group: usize,
    index: usize,
}

impl Group {
    /// Where write `i` of this group (number `g`) is, for error messages.
    fn position(&self, g: usize, i: usize) -> String {
        format!("write {i} of `{}` #{g} to table `{}`", self.what, self.table)
    }

    /// Runs write `i` through the extensions into a request, refusing what DynamoDB would
    /// reject. Returns its key, the request and the size the 16 MB limit counts.
    fn prepare(&self, g: usize, i: usize, skip_version_check: bool) -> Result<(KeyId, WriteRequest, usize), Error> {
        let position = || self.position(g, i);
        let source = self
            .values
            .write(i)
            .expect("a write is prepared only while its value is held")
            .map_err(|e| batch::locate(Error::from(e), &position()))?;
        let write = Write::new(self.target.chain(), self.schema, &self.table).in_batch(skip_version_check);
        let names = KeyNames::of(self.schema);
        let (id, request, size) = match source {
            Source::Put(item) => {
                let plan = write.put(item).map_err(|e| batch::locate(e, &position()))?;
                unconditional(&plan, &position)?;
                let item = plan.request.item;
                let id = names.key_id(&self.table, &item);
                let size = limits::item_size(&item);
                let put = PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map_err(build_error)?;
                (id, WriteRequest::builder().put_request(put).build(), size)
            }
            Source::Delete { item, whole_item } => {
                let plan = write
                    .delete(item, whole_item)
                    .map_err(|e| batch::locate(e, &position()))?;
                unconditional(&plan, &position)?;
                let key = plan.request.key;
                let id = names.key_id(&self.table, &key);
                let size = limits::item_size(&key);
                let delete = DeleteRequest::builder()
                    .set_key(Some(key))
                    .build()
                    .map_err(build_error)?;
                (id, WriteRequest::builder().delete_request(delete).build(), size)
            }
        };
        let id = id.ok_or_else(|| {
            Error::refused(
                RefusalKind::InvalidKey,
                format!("{}: the key attributes are missing or not a key type", position()),
            )
        })?;
        Ok((id, request, size))
    }
}

impl Writes {
    /// Prepares every write, refusing the batch at the first one DynamoDB would reject, or
    /// a second write of one item.
    fn prepare(groups: Vec<Group>, skip_version_check: bool) -> Result<Writes, Error> {
        let total = groups.iter().map(|g| g.values.len()).sum();
        let mut entries = Vec::with_capacity(total);
        let mut index = HashMap::with_capacity(total);
        let mut keys = TableKeys::default();
        for (g, group) in groups.iter().enumerate() {
            keys.register(&group.table, group.schema)?;
            for i in 0..group.values.len() {
                let (id, request, size) = group.prepare(g, i, skip_version_check)?;
                if let Some(first) = index.insert(id, entries.len()) {
                    let first: &Entry = &entries[first];
                    return Err(batch::duplicate(
                        &group.table,
                        &group.position(g, i),
                        &format!("write {} of #{}", first.index, first.group),
                    ));
                }
                entries.push(Entry {
                    request: Some(request),
                    size,
                    group: g,
                    index: i,
                });
            }
        }
        Ok(Writes {
            groups,
            entries,
            index,
            keys,
            skip_version_check,
        })
    }

    /// Prepares the write `at` anew, after its request was throttled.
    fn prepare_again(&mut self, at: usize) -> Result<(), Error> {
        let entry = &self.entries[at];
        let group = &self.groups[entry.group];
        let (id, request, size) = group.prepare(entry.group, entry.index, self.skip_version_check)?;
        // An extension may have generated a new key; both map to this write.
        match self.index.get(&id) {
            Some(&other) if other != at => {
                let other = &self.entries[other];
                return Err(batch::duplicate(
                    &group.table,
                    &group.position(entry.group, entry.index),
                    &format!("write {} of #{}", other.index, other.group),
                ));
            }
            Some(_) => {}
            None => {
                self.index.insert(id, at);
            }
        }
        let entry = &mut self.entries[at];
        entry.request = Some(request);
        entry.size = size;
        Ok(())
    }

    /// The write of an unprocessed request DynamoDB returned, if it is one of `chunk`'s.
    fn find(&self, table: &str, request: &WriteRequest, chunk: &[usize]) -> Option<usize> {
        let names = self.keys.get(table)?;
        let key = match (&request.put_request, &request.delete_request) {
            (Some(put), _) => &put.item,
            (None, Some(delete)) => &delete.key,
            (None, None) => return None,
        };
        let at = *self.index.get(&names.key_id(table, key)?)?;
        chunk.iter().position(|&c| c == at)
    }
}

/// Refuses a write to which an extension added a condition: a batch request cannot carry one.
fn unconditional<R>(plan: &Plan<R>, position: &dyn Fn() -> String) -> Result<(), Error> {
    if plan.condition.is_some() || plan.names.is_some() || plan.values.is_some() {
        return Err(Error::refused(
            RefusalKind::ConditionInBatch,
            format!(
                "{}: an extension added a condition, and a batch write cannot carry one",
                position()
            ),
        ));
    }
    Ok(())
}

fn build_error(error: aws_sdk_dynamodb::error::BuildError) -> Error {
    Error::Configuration(format!("could not build a batch write request: {error}"))
}

/// Splits the writes `pending` into requests: at most 25 writes and 16 MB each, in order.
fn chunks(pending: &[usize], sizes: impl Fn(usize) -> usize) -> Vec<Vec<usize>> {
    let mut chunks = Vec::with_capacity(pending.len().div_ceil(MAX_BATCH_WRITE_ITEMS));
    let mut current = Vec::with_capacity(MAX_BATCH_WRITE_ITEMS);
    let mut size = 0;
    for &at in pending {
        let entry_size = sizes(at);
        if current.len() == MAX_BATCH_WRITE_ITEMS || (!current.is_empty() && size + entry_size > MAX_BATCH_WRITE_SIZE) {
            chunks.push(std::mem::replace(
                &mut current,
                Vec::with_capacity(MAX_BATCH_WRITE_ITEMS),
            ));
            size = 0;
        }
        current.push(at);
        size += entry_size;
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

impl Batch for Writes {
    const OPERATION: &'static str = "BatchWriteItem";
    type Answer = BatchWriteItemOutput;

    fn chunks(&self, pending: &[usize]) -> Vec<Vec<usize>> {
        chunks(pending, |at| self.entries[at].size)
    }

    fn request(
        &mut self,
        sender: &Sender,
        chunk: &[usize],
    ) -> impl Future<Output = Result<BatchWriteItemOutput, Error>> + Send + use<> {
        let mut items: HashMap<String, Vec<WriteRequest>> = HashMap::new();
        let mut tables: Vec<&str> = Vec::new();
        for &at in chunk {
            let entry = &mut self.entries[at];
            let table = &*self.groups[entry.group].table;
            if !tables.contains(&table) {
                tables.push(table);
            }
            // Moved, not copied: DynamoDB returns what it leaves unprocessed, and a throttled
            // request is prepared again.
            let request = entry.request.take().expect("a pending write holds its request");
            match items.get_mut(table) {
                Some(writes) => writes.push(request),
                None => {
                    items.insert(table.to_owned(), vec![request]);
                }
            }
        }
        let tables = tables.join(",");
        let client = sender.client.clone();
        let capacity = sender.capacity.clone();
        let meter = sender.meter.clone();
        async move {
            let request = client
                .batch_write_item()
                .set_request_items(Some(items))
                .set_return_consumed_capacity(capacity)
                .send();
            crate::ops::send_to(&tables, "BatchWriteItem", meter.as_ref(), request).await
        }
    }

    fn settle(&mut self, chunk: Vec<usize>, outcome: Result<BatchWriteItemOutput, Error>, round: &mut Round) {
        match outcome {
            Ok(output) => {
                for used in output.consumed_capacity.iter().flatten() {
                    round.consumed(used.capacity_units());
                }
                let mut returned: Vec<Option<WriteRequest>> = vec![None; chunk.len()];
                for (table, requests) in output.unprocessed_items.into_iter().flatten() {
                    for request in requests {
                        match self.find(&table, &request, &chunk) {
                            Some(n) => returned[n] = Some(request),
                            None => tracing::warn!(table, "an unprocessed write matches no write of its request"),
                        }
                    }
                }
                for (at, request) in chunk.into_iter().zip(returned) {
                    let entry = &mut self.entries[at];
                    match request {
                        Some(request) => {
                            entry.request = Some(request);
                            round.again(at);
                        }
                        None => {
                            self.groups[entry.group].values.forget(entry.index);
                            round.done();
                        }
                    }
                }
            }
            // DynamoDB wrote none of them: prepared anew, they go to the next round.
            Err(error) if error.is_throttling() => {
                for at in chunk {
                    match self.prepare_again(at) {
                        Ok(()) => round.again(at),
                        Err(error) => round.failed(error),
                    }
                }
                round.retryable(error);
            }
            // Not retryable, or of unknown outcome: left over, with the error.
            Err(error) => round.failed(error),
        }
    }
}

/// Puts, deletes or item deletes on one table, sent as a batch. Made by [`Table::put_all`],
/// [`Table::delete_all`] and [`Table::delete_items`]; see [`BatchWrite`] for what is refused,
/// how requests are sent and retried, and [`without_version_check`](Self::without_version_check).
///
/// ```no_run
/// # use dynamodb_mapper::{Item, Table};
/// # #[derive(Item, Clone, Debug)] #[item(table = "events")]
/// # struct Event { #[partition_key] stream: String, #[sort_key] seq: u64 }
/// # async fn run(events: Table<Event>, batch: Vec<Event>) -> Result<(), dynamodb_mapper::Error> {
/// let written = events.put_all(batch).await?;
/// for event in &written.unprocessed {
///     eprintln!("not written: {event:?}");
/// }
/// let deleted = events.delete_all([("s-1", 1u64), ("s-1", 2)]).await?;
/// for (stream, seq) in &deleted.unprocessed {
///     eprintln!("not deleted: {stream}/{seq} ({} errors)", deleted.errors.len());
/// }
/// # Ok(()) }
/// ```
#[must_use = "a batch does nothing until it is awaited"]
pub struct WriteAll<H> {
    batch: BatchWrite,
    handle: H,
}

impl<H> WriteAll<H> {
    pub(super) fn batch_options(&mut self) -> &mut BatchOptions {
        &mut self.batch.options
    }
}

impl<H: WriteHandle> WriteAll<H> {
    pub(crate) fn new(batch: BatchWrite, handle: H) -> Self {
        WriteAll { batch, handle }
    }

    /// Gives up optimistic locking for these writes: see [`BatchWrite::without_version_check`].
    pub fn without_version_check(mut self) -> Self {
        self.batch.skip_version_check = true;
        self
    }

    /// Sends the writes. An `Err` means nothing was sent.
    pub async fn send(self) -> Result<WriteAllOutput<H::Unprocessed>, Error> {
        let mut output = self.batch.send().await?;
        let unprocessed = output.take(self.handle)?;
        Ok(WriteAllOutput {
            unprocessed,
            errors: output.errors,
            consumed_capacity: output.consumed_capacity,
            requests: output.requests,
            rounds: output.rounds,
        })
    }
}

impl<H> IntoFuture for WriteAll<H>
where
    H: WriteHandle + Send + 'static,
    H::Unprocessed: Send,
{
    type Output = Result<WriteAllOutput<H::Unprocessed>, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// What a batch write on one table did.
#[derive(Debug)]
#[non_exhaustive]
#[must_use = "some writes may be left over: see `unprocessed`"]
pub struct WriteAllOutput<U> {
    /// What was not written, as given: the items for puts and item deletes, the keys for
    /// deletes by key. Empty when everything was written.
    pub unprocessed: U,
    /// The errors of requests that failed (see [`BatchWriteOutput::errors`]).
    pub errors: Vec<Error>,
    /// The capacity units all requests consumed, when DynamoDB reported them.
    pub consumed_capacity: Option<f64>,
    /// The `BatchWriteItem` requests sent.
    pub requests: u32,
    /// The rounds sent.
    pub rounds: u32,
}

#[cfg(test)]
mod tests {

    fn chunks(pending: &[usize], sizes: &[usize]) -> Vec<Vec<usize>> {
        super::chunks(pending, |at| sizes[at])
    }

    #[test]
    fn requests_hold_at_most_25_writes_in_order() {
        let pending: Vec<usize> = (0..60).collect();
        let chunks = chunks(&pending, &[10; 60]);
        assert_eq!(chunks.iter().map(Vec::len).collect::<Vec<_>>(), [25, 25, 10]);
        assert_eq!(chunks.concat(), pending);
    }

    #[test]
    fn requests_hold_at_most_16_mb() {
        let mb = 1024 * 1024;
        // 400 KB items: 25 of them are 10 MB, under the limit.
        let small = [400 * 1024; 30];
        let pending: Vec<usize> = (0..30).collect();
        assert_eq!(
            chunks(&pending, &small).iter().map(Vec::len).collect::<Vec<_>>(),
            [25, 5]
        );
        // Writes whose sizes add up past 16 MB start a new request (sizes as the limit counts
        // them; a single item is at most 400 KB, so only requests of big writes get here).
        let big = [6 * mb, 6 * mb, 4 * mb, 1, 6 * mb];
        let pending: Vec<usize> = (0..5).collect();
        assert_eq!(chunks(&pending, &big), [vec![0, 1, 2], vec![3, 4]]);
    }
}
