//! `BatchWriteItem`: puts and deletes of any number of items, across tables.
//!
//! Every write becomes a [plan](crate::plan) in [`WriteMode::Batch`] (so the extensions apply
//! as for a single put or delete), then the plans are sent in requests of at most
//! [`MAX_BATCH_WRITE_ITEMS`] writes and [`MAX_BATCH_WRITE_SIZE`] bytes, several at a time.
//! What DynamoDB leaves unprocessed is sent again in rounds, with exponential backoff and full
//! jitter, until it is done, the rounds stop making progress, or the deadline passes; what is
//! left then is handed back as the caller's own values.

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemOutput;
use aws_sdk_dynamodb::types::{DeleteRequest, PutRequest, ReturnConsumedCapacity, WriteRequest};
use futures_util::stream::{self, StreamExt};
use tracing::Instrument;

use super::batch::{self, BatchOptions, KeyId, Rounds, TableKeys};
use super::{CapacityMeter, Marker};
use crate::error::{ConvertError, Error, RefusalKind};
use crate::extension::WriteMode;
use crate::item::{Item, KeyFrom};
use crate::limits::{self, MAX_BATCH_WRITE_ITEMS, MAX_BATCH_WRITE_SIZE};
use crate::plan::{self, Action, Write, WriteKind};
use crate::retry::RetryPolicy;
use crate::schema::TableSchema;
use crate::table::Table;
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
/// let not_placed: Vec<Order> = result.take(placed);
/// let not_emptied: Vec<String> = result.take(emptied);
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
///   as `UnprocessedItems` (a partial success, which the SDK does not retry), and the writes of
///   a request that still failed with a retryable error after the SDK's attempts, are sent again
///   in the next round, after a wait of [`RetryPolicy::delay`] (exponential, full jitter). The
///   rounds stop when everything is written, after
///   [`max_rounds_without_progress`](RetryPolicy::max_rounds_without_progress) rounds in a row
///   that wrote nothing, after [`max_attempts`](RetryPolicy::max_attempts) rounds, or when the
///   next round would start after the [`deadline`](RetryPolicy::deadline). By default there is no
///   limit on rounds that make progress, no deadline, 3 rounds without progress, and waits of up
///   to 20 ms × 2ⁿ capped at 1 s.
///
/// A write can thus be attempted up to (SDK attempts) × (rounds) times. A request that fails
/// with an error that is not retryable (a missing table, a validation error) is not resent; its
/// writes are left over with the error in [`errors`](BatchWriteOutput::errors).
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
    schema: &'static TableSchema,
    what: &'static str,
    writes: Vec<Result<WriteKind, ConvertError>>,
    originals: Box<dyn Originals>,
}

/// A group's values as the caller gave them, forgotten one by one as they are written.
trait Originals: Send {
    fn forget(&mut self, index: usize);
    fn left(&self) -> usize;
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

impl<X: Send + 'static> Originals for Vec<Option<X>> {
    fn forget(&mut self, index: usize) {
        self[index] = None;
    }

    fn left(&self) -> usize {
        self.iter().filter(|x| x.is_some()).count()
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
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
    fn unpack(values: Option<Box<dyn Any + Send>>) -> Self::Unprocessed;
}

/// The values left in a group (none if it was taken before).
fn unpack<X: 'static>(values: Option<Box<dyn Any + Send>>) -> Vec<X> {
    let Some(values) = values else { return Vec::new() };
    let values = values
        .downcast::<Vec<Option<X>>>()
        .unwrap_or_else(|_| unreachable!("a handle's group holds its own type"));
    values.into_iter().flatten().collect()
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

            fn unpack(values: Option<Box<dyn Any + Send>>) -> Self::Unprocessed {
                unpack::<$element>(values)
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
        writes: Vec<Result<WriteKind, ConvertError>>,
        originals: Vec<Option<X>>,
    ) -> usize {
        self.groups.push(Group {
            target: target.clone(),
            schema,
            what,
            writes,
            originals: Box::new(originals),
        });
        self.groups.len() - 1
    }

    /// Puts `items` into `table`, replacing any stored item with the same key. The items are
    /// converted now; the extensions run when the batch is sent.
    pub fn put<T: Item + Send + 'static>(
        &mut self,
        table: &Table<T>,
        items: impl IntoIterator<Item = T>,
    ) -> PutHandle<T> {
        let (writes, originals): (Vec<_>, Vec<_>) = items
            .into_iter()
            .map(|item| (item.to_item().map(WriteKind::Put), Some(item)))
            .unzip();
        let group = self.add(table.target(), T::TABLE, "put", writes, originals);
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
        let (writes, originals): (Vec<_>, Vec<_>) = keys
            .into_iter()
            .map(|key| {
                let key = <T as KeyFrom<K>>::into_key(key);
                (T::key_to_item(key.clone()).map(WriteKind::Delete), Some(key))
            })
            .unzip();
        let group = self.add(table.target(), T::TABLE, "delete", writes, originals);
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
        let (writes, originals): (Vec<_>, Vec<_>) = items
            .into_iter()
            .map(|item| (item.to_item().map(WriteKind::DeleteItem), Some(item)))
            .unzip();
        let group = self.add(table.target(), T::TABLE, "delete_items", writes, originals);
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
    pub fn without_version_check(&mut self) -> &mut Self {
        self.skip_version_check = true;
        self
    }

    /// How the rounds of leftovers are retried (see the type's documentation). An attempt of
    /// the policy is a round.
    pub fn retry(&mut self, policy: RetryPolicy) -> &mut Self {
        self.options.retry = policy;
        self
    }

    /// How many requests are in flight at once (8 by default; 0 is refused when sending).
    pub fn concurrency(&mut self, requests: usize) -> &mut Self {
        self.options.concurrency = requests;
        self
    }

    /// Adds the capacity every request consumes to `meter`.
    pub fn capacity(&mut self, meter: &CapacityMeter) -> &mut Self {
        self.options.meter = Some(meter.clone());
        self
    }

    /// How many writes the batch holds.
    pub fn len(&self) -> usize {
        self.groups.iter().map(|g| g.writes.len()).sum()
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
        let prepared = prepare(groups, skip_version_check)?;
        let capacity = (options.meter.is_some() || config.consumed_capacity).then_some(ReturnConsumedCapacity::Total);
        Ok(run(config.client.clone(), id, prepared, options, capacity).await)
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
    id: u64,
    groups: Vec<Option<Box<dyn Any + Send>>>,
    unprocessed: usize,
}

impl BatchWriteOutput {
    /// What was not written of the writes `handle` stands for: the items (as given, before the
    /// extensions changed them) or the keys, in the order given. Empty when all were written,
    /// and on a second call.
    ///
    /// # Panics
    /// If `handle` belongs to another batch.
    pub fn take<H: WriteHandle>(&mut self, handle: H) -> H::Unprocessed {
        let (batch, group) = handle.position();
        assert_eq!(batch, self.id, "this handle belongs to another batch");
        H::unpack(self.groups[group].take())
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

/// Writes prepared and ready to send.
struct Prepared {
    entries: Vec<Entry>,
    groups: Vec<Box<dyn Originals>>,
    index: HashMap<KeyId, usize>,
    keys: TableKeys,
}

/// One write, as sent.
struct Entry {
    table: Arc<str>,
    request: WriteRequest,
    size: usize,
    group: usize,
    index: usize,
}

/// Runs every write through the extensions into a request, refusing what DynamoDB would reject.
fn prepare(groups: Vec<Group>, skip_version_check: bool) -> Result<Prepared, Error> {
    let total = groups.iter().map(|g| g.writes.len()).sum();
    let mut entries = Vec::with_capacity(total);
    let mut index = HashMap::with_capacity(total);
    let mut keys = TableKeys::default();
    let mut originals = Vec::with_capacity(groups.len());
    for (g, group) in groups.into_iter().enumerate() {
        let Group {
            target,
            schema,
            what,
            writes,
            originals: values,
        } = group;
        originals.push(values);
        let table: Arc<str> = Arc::from(target.name());
        let names = keys.register(&table, schema)?;
        let position = |i: usize| format!("write {i} of `{what}` #{g} to table `{table}`");
        for (i, write) in writes.into_iter().enumerate() {
            let kind = write.map_err(|e| batch::locate(Error::from(e), &position(i)))?;
            let write = Write {
                kind,
                condition: None,
                mode: WriteMode::Batch,
                skip_version_check,
            };
            let plan = plan::prepare(target.chain(), schema, target.name(), write)
                .map_err(|e| batch::locate(e, &position(i)))?;
            if plan.condition.is_some() || plan.names.is_some() || plan.values.is_some() {
                return Err(Error::refused(
                    RefusalKind::ConditionInBatch,
                    format!(
                        "{}: an extension added a condition, and a batch write cannot carry one",
                        position(i)
                    ),
                ));
            }
            let (id, request, size) = match plan.action {
                Action::Put { item } => {
                    let id = names.key_id(&table, &item);
                    let size = limits::item_size(&item);
                    let put = PutRequest::builder()
                        .set_item(Some(item))
                        .build()
                        .map_err(build_error)?;
                    (id, WriteRequest::builder().put_request(put).build(), size)
                }
                Action::Delete { key } => {
                    let id = names.key_id(&table, &key);
                    let size = limits::item_size(&key);
                    let delete = DeleteRequest::builder()
                        .set_key(Some(key))
                        .build()
                        .map_err(build_error)?;
                    (id, WriteRequest::builder().delete_request(delete).build(), size)
                }
                Action::Update { .. } | Action::ConditionCheck { .. } => {
                    unreachable!("a batch plans only puts and deletes")
                }
            };
            let id = id.ok_or_else(|| {
                Error::refused(
                    RefusalKind::InvalidKey,
                    format!("{}: the key attributes are missing or not a key type", position(i)),
                )
            })?;
            let at = entries.len();
            if let Some(first) = index.insert(id, at) {
                let first: &Entry = &entries[first];
                return Err(batch::duplicate(
                    &table,
                    &position(i),
                    &format!("write {} of #{}", first.index, first.group),
                ));
            }
            entries.push(Entry {
                table: table.clone(),
                request,
                size,
                group: g,
                index: i,
            });
        }
    }
    Ok(Prepared {
        entries,
        groups: originals,
        index,
        keys,
    })
}

fn build_error(error: aws_sdk_dynamodb::error::BuildError) -> Error {
    Error::Configuration(format!("could not build a batch write request: {error}"))
}

/// Splits the writes `pending` into requests: at most 25 writes and 16 MB each, in order.
fn chunks(pending: &[usize], entries: &[Entry]) -> Vec<Vec<usize>> {
    let mut chunks = Vec::with_capacity(pending.len().div_ceil(MAX_BATCH_WRITE_ITEMS));
    let mut current = Vec::with_capacity(MAX_BATCH_WRITE_ITEMS);
    let mut size = 0;
    for &at in pending {
        let entry_size = entries[at].size;
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

/// Sends the prepared writes in rounds until they are done or the policy stops.
async fn run(
    client: Client,
    id: u64,
    prepared: Prepared,
    options: BatchOptions,
    capacity: Option<ReturnConsumedCapacity>,
) -> BatchWriteOutput {
    let Prepared {
        entries,
        mut groups,
        index,
        keys,
    } = prepared;
    let mut errors = Vec::new();
    let mut consumed = None;
    let mut requests = 0;
    let mut failed = 0;
    let mut pending: Vec<usize> = (0..entries.len()).collect();
    let mut rounds = Rounds::new(options.retry);
    while !pending.is_empty() {
        let round = rounds.start();
        let round_span = tracing::debug_span!(
            "dynamodb_batch_round",
            operation = "BatchWriteItem",
            round,
            writes = pending.len(),
            left = tracing::field::Empty
        );
        let requests_of_round = chunks(&pending, &entries).into_iter().map(|chunk| {
            let mut items: HashMap<String, Vec<WriteRequest>> = HashMap::new();
            let mut tables: Vec<&str> = Vec::new();
            for &at in &chunk {
                let entry = &entries[at];
                if !tables.contains(&&*entry.table) {
                    tables.push(&entry.table);
                }
                // The request is kept: it is sent again if this one fails as a whole.
                let request = entry.request.clone();
                match items.get_mut(&*entry.table) {
                    Some(writes) => writes.push(request),
                    None => {
                        items.insert(entry.table.to_string(), vec![request]);
                    }
                }
            }
            let tables = tables.join(",");
            let client = client.clone();
            let meter = options.meter.clone();
            let capacity = capacity.clone();
            async move {
                let outcome = send_chunk(&client, &tables, items, capacity, meter.as_ref()).await;
                (chunk, outcome)
            }
        });
        let outcomes: Vec<_> = stream::iter(requests_of_round)
            .buffer_unordered(options.concurrency)
            .collect()
            .instrument(round_span.clone())
            .await;

        let mut left = Vec::new();
        let mut progressed = false;
        let mut last_retryable = None;
        for (chunk, outcome) in outcomes {
            requests += 1;
            match outcome {
                Ok(output) => {
                    for used in output.consumed_capacity.iter().flatten() {
                        batch::add_capacity(&mut consumed, used.capacity_units());
                    }
                    let unprocessed = unprocessed_entries(output.unprocessed_items, &keys, &index);
                    for at in chunk {
                        if unprocessed.contains(&at) {
                            left.push(at);
                        } else {
                            let entry = &entries[at];
                            groups[entry.group].forget(entry.index);
                            progressed = true;
                        }
                    }
                }
                Err(error) if error.is_retryable() => {
                    left.extend(chunk);
                    last_retryable = Some(error);
                }
                Err(error) => {
                    failed += chunk.len();
                    errors.push(error);
                }
            }
        }
        round_span.record("left", left.len());
        if left.is_empty() {
            break;
        }
        left.sort_unstable();
        pending = left;
        match rounds.next(progressed) {
            Ok(delay) => {
                // Only fails without an async sleep, which the client needed to send at all.
                if let Err(error) = crate::retry::sleep(&client, delay).instrument(round_span).await {
                    errors.extend(last_retryable);
                    errors.push(error);
                    break;
                }
            }
            Err(stop) => {
                tracing::debug!(parent: &round_span, ?stop, left = pending.len(), "batch write stopped with writes left");
                errors.extend(last_retryable);
                break;
            }
        }
    }
    let unprocessed = groups.iter().map(|g| g.left()).sum();
    debug_assert!(unprocessed >= failed);
    BatchWriteOutput {
        errors,
        consumed_capacity: consumed,
        requests,
        rounds: rounds.count(),
        id,
        groups: groups.into_iter().map(|g| Some(g.into_any())).collect(),
        unprocessed,
    }
}

/// The entries DynamoDB answered as unprocessed, found by their table and key.
fn unprocessed_entries(
    unprocessed: Option<HashMap<String, Vec<WriteRequest>>>,
    keys: &TableKeys,
    index: &HashMap<KeyId, usize>,
) -> HashSet<usize> {
    let mut found = HashSet::new();
    for (table, requests) in unprocessed.into_iter().flatten() {
        let Some(names) = keys.get(&table) else {
            tracing::warn!(table, "unprocessed writes for a table this batch did not write to");
            continue;
        };
        for request in requests {
            let key = request
                .put_request
                .as_ref()
                .map(|p| &p.item)
                .or(request.delete_request.as_ref().map(|d| &d.key));
            match key.and_then(|k| names.key_id(&table, k)).and_then(|id| index.get(&id)) {
                Some(&at) => {
                    found.insert(at);
                }
                None => tracing::warn!(table, "an unprocessed write matches no write of this batch"),
            }
        }
    }
    found
}

/// Sends one request, in its own span.
async fn send_chunk(
    client: &Client,
    tables: &str,
    items: HashMap<String, Vec<WriteRequest>>,
    capacity: Option<ReturnConsumedCapacity>,
    meter: Option<&CapacityMeter>,
) -> Result<BatchWriteItemOutput, Error> {
    let span = super::span(tables, "BatchWriteItem");
    let output = client
        .batch_write_item()
        .set_request_items(Some(items))
        .set_return_consumed_capacity(capacity)
        .send()
        .instrument(span.clone())
        .await
        .map_err(|e| Error::from_sdk(tables, e))?;
    super::record_capacity(&span, meter, output.consumed_capacity.iter().flatten());
    Ok(output)
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
/// assert!(deleted.unprocessed.is_empty() || !deleted.errors.is_empty() || deleted.rounds > 1);
/// # Ok(()) }
/// ```
#[must_use = "a batch does nothing until it is awaited"]
pub struct WriteAll<H> {
    batch: BatchWrite,
    handle: H,
}

impl<H: WriteHandle> WriteAll<H> {
    pub(crate) fn new(batch: BatchWrite, handle: H) -> Self {
        WriteAll { batch, handle }
    }

    /// Gives up optimistic locking for these writes: see [`BatchWrite::without_version_check`].
    pub fn without_version_check(mut self) -> Self {
        self.batch.without_version_check();
        self
    }

    /// How the rounds of leftovers are retried: see [`BatchWrite::retry`].
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.batch.retry(policy);
        self
    }

    /// How many requests are in flight at once (8 by default).
    pub fn concurrency(mut self, requests: usize) -> Self {
        self.batch.concurrency(requests);
        self
    }

    /// Adds the capacity every request consumes to `meter`.
    pub fn capacity(mut self, meter: &CapacityMeter) -> Self {
        self.batch.capacity(meter);
        self
    }

    /// Sends the writes. An `Err` means nothing was sent.
    pub async fn send(self) -> Result<WriteAllOutput<H::Unprocessed>, Error> {
        let mut output = self.batch.send().await?;
        let unprocessed = output.take(self.handle);
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
    use super::*;

    fn entries(sizes: &[usize]) -> Vec<Entry> {
        sizes
            .iter()
            .enumerate()
            .map(|(index, &size)| Entry {
                table: Arc::from("t"),
                request: WriteRequest::builder().build(),
                size,
                group: 0,
                index,
            })
            .collect()
    }

    #[test]
    fn requests_hold_at_most_25_writes_in_order() {
        let entries = entries(&[10; 60]);
        let pending: Vec<usize> = (0..60).collect();
        let chunks = chunks(&pending, &entries);
        assert_eq!(chunks.iter().map(Vec::len).collect::<Vec<_>>(), [25, 25, 10]);
        assert_eq!(chunks.concat(), pending);
    }

    #[test]
    fn requests_hold_at_most_16_mb() {
        let mb = 1024 * 1024;
        // 400 KB items: 25 of them are 10 MB, under the limit.
        let small = entries(&[400 * 1024; 30]);
        let pending: Vec<usize> = (0..30).collect();
        assert_eq!(
            chunks(&pending, &small).iter().map(Vec::len).collect::<Vec<_>>(),
            [25, 5]
        );
        // Writes whose sizes add up past 16 MB start a new request (sizes as the limit counts
        // them; a single item is at most 400 KB, so only requests of big writes get here).
        let big = entries(&[6 * mb, 6 * mb, 4 * mb, 1, 6 * mb]);
        let pending: Vec<usize> = (0..5).collect();
        assert_eq!(chunks(&pending, &big), [vec![0, 1, 2], vec![3, 4]]);
    }
}
