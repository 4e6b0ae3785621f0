//! `BatchGetItem`: reads of any number of keys, across tables, each key with its own outcome.

use std::any::Any;
use std::collections::HashMap;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;

use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
use aws_sdk_dynamodb::types::KeysAndAttributes;

use super::{self as batch, Batch, BatchOptions, Groups, KeyId, KeyNames, Round, Sender, TableKeys};
use crate::error::{ConvertError, Error, RefusalKind};
use crate::expr::Placeholders;
use crate::extension::ItemImage;
use crate::item::{Attributes, Item, ItemMap, KeyFrom};
use crate::limits::MAX_BATCH_GET_KEYS;
use crate::ops::Marker;
use crate::schema::ItemSchema;
use crate::target::Table;
use crate::target::{Config, Target};

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
/// [`RefusalKind::DuplicateKey`]) or are not valid keys. They are sent in their order, in
/// requests of at most 100 keys, up to [`concurrency`](Self::concurrency) at a time. Keys
/// DynamoDB answers as `UnprocessedKeys`, and the keys of a request that failed with a
/// [retryable](Error::is_retryable) error after the SDK's own retries (a read is safe to
/// resend, so server errors too), are sent again in rounds as for
/// [`BatchWrite`](super::BatchWrite) (see there how the rounds and the SDK's retries combine).
///
/// Strong consistency ([`consistent_read`](Self::consistent_read)) and the projection are
/// DynamoDB settings per table of a request: all keys of one table are read alike, and two
/// calls reading one table with different projections are refused.
#[must_use = "a batch does nothing until it is sent"]
pub struct BatchGet {
    config: Arc<Config>,
    id: u64,
    groups: Vec<GetGroup>,
    consistent: Vec<String>,
    options: BatchOptions,
}

/// The keys one call added.
struct GetGroup {
    target: Target,
    schema: &'static crate::schema::TableSchema,
    projection: Option<&'static ItemSchema>,
    keys: Vec<Result<ItemMap, ConvertError>>,
    slots: fn(Target, ItemImage, usize) -> Box<dyn Slots>,
}

/// The outcomes of one group's keys, typed, filled as answers arrive.
trait Slots: Send {
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

fn new_slots<T: Item + 'static, O: Attributes + Send + 'static>(
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
        let raw = item.clone();
        self.outcomes[index] =
            match crate::plan::read::decode(target.chain(), T::TABLE, target.name(), self.image, item) {
                Ok(item) => Fetched::Found(item),
                Err(error) => Fetched::Unreadable { item: raw, error },
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
    /// request failed (see [`BatchGetOutput::errors`]). Whether an item exists is unknown.
    Unprocessed,
    /// An item is stored, but could not be read (it fails to decode, or an extension refused
    /// it).
    Unreadable {
        /// The item as DynamoDB returned it (the projected attributes, for a projection).
        item: ItemMap,
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
    batch: u64,
    group: usize,
    _types: Marker<(T, O)>,
}

impl BatchGet {
    pub(crate) fn new(config: Arc<Config>) -> Self {
        BatchGet {
            config,
            id: batch::next_batch_id(),
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
    /// starts, every key's outcome is in the [`BatchGetOutput`].
    pub async fn send(self) -> Result<BatchGetOutput, Error> {
        batch::check_concurrency(self.options.concurrency)?;
        let BatchGet {
            config,
            id,
            groups,
            consistent,
            options,
        } = self;
        let mut gets = prepare(groups, &consistent)?;
        let total = gets.entries.len();
        let ran = batch::run(&mut gets, &config, &options, total).await;
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

impl IntoFuture for BatchGet {
    type Output = Result<BatchGetOutput, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

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
    /// ([`RefusalKind::ForeignHandle`]).
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

/// How one table is read: the same for all its keys in a request.
struct TableRead {
    names: KeyNames,
    consistent: bool,
    projection: Option<&'static ItemSchema>,
    expression: Option<String>,
    attribute_names: Option<HashMap<String, String>>,
}

/// The keys of a batch get, checked, as the rounds send them.
struct Gets {
    entries: Vec<Entry>,
    slots: Vec<Box<dyn Slots>>,
    /// Each key, to find the items and unprocessed keys DynamoDB answers.
    index: HashMap<KeyId, usize>,
    tables: HashMap<Arc<str>, TableRead>,
    /// Keys of requests that failed for good.
    failed: usize,
}

struct Entry {
    table: Arc<str>,
    key: ItemMap,
    group: usize,
    index: usize,
}

fn prepare(groups: Vec<GetGroup>, consistent: &[String]) -> Result<Gets, Error> {
    let total = groups.iter().map(|g| g.keys.len()).sum();
    let mut entries = Vec::with_capacity(total);
    let mut index = HashMap::with_capacity(total);
    let mut keys = TableKeys::default();
    let mut tables: HashMap<Arc<str>, TableRead> = HashMap::new();
    let mut slots = Vec::with_capacity(groups.len());
    for (g, group) in groups.into_iter().enumerate() {
        let table: Arc<str> = Arc::from(group.target.name());
        let names = keys.register(&table, group.schema)?;
        match tables.get(&table) {
            Some(read) if read.projection.map(|p| p.type_name) != group.projection.map(|p| p.type_name) => {
                return Err(Error::refused(
                    RefusalKind::InvalidArgument,
                    format!(
                        "table `{table}` is read with two projections in one batch get; \
                         DynamoDB takes one per table: use two batches"
                    ),
                ));
            }
            Some(_) => {}
            None => {
                let (expression, attribute_names) = projection(group.projection, names)?;
                tables.insert(
                    table.clone(),
                    TableRead {
                        names,
                        consistent: consistent.iter().any(|c| **c == *table),
                        projection: group.projection,
                        expression,
                        attribute_names,
                    },
                );
            }
        }
        let image = if group.projection.is_some() {
            ItemImage::Partial
        } else {
            ItemImage::Whole
        };
        slots.push((group.slots)(group.target.clone(), image, group.keys.len()));
        let position = |i: usize| format!("key {i} of get #{g} from table `{table}`");
        for (i, key) in group.keys.into_iter().enumerate() {
            let key = key.map_err(|e| batch::locate(Error::from(e), &position(i)))?;
            crate::plan::check_key(group.schema, &key).map_err(|e| batch::locate(e, &position(i)))?;
            let id = names.key_id(&table, &key).ok_or_else(|| {
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
                    &format!("key {} of get #{}", first.index, first.group),
                ));
            }
            entries.push(Entry {
                table: table.clone(),
                key,
                group: g,
                index: i,
            });
        }
    }
    Ok(Gets {
        entries,
        slots,
        index,
        tables,
        failed: 0,
    })
}

/// The projection expression for `schema`, with the key attributes added so that each item
/// can be matched to its key.
fn projection(
    schema: Option<&'static ItemSchema>,
    names: KeyNames,
) -> Result<(Option<String>, Option<AttributeNames>), Error> {
    let Some(schema) = schema else {
        return Ok((None, None));
    };
    let mut placeholders = Placeholders::new();
    let mut text = crate::ops::read::projection(Some(schema), &mut placeholders)?.unwrap_or_default();
    for key in std::iter::once(names.partition).chain(names.sort) {
        if schema.attribute(key).is_none() {
            text.push_str(", ");
            text.push_str(&placeholders.name(key));
        }
    }
    crate::limits::check_expression("projection", &text)?;
    let rendered = placeholders.finish(&[Some(&text)])?;
    Ok((Some(text), rendered.names))
}

type AttributeNames = HashMap<String, String>;

impl Gets {
    /// The key of `chunk` an item or unprocessed key DynamoDB answered stands for: its
    /// position in `chunk`, and the key's place in the batch.
    fn find(&self, table: &str, item: &ItemMap, chunk: &[usize]) -> Option<(usize, usize)> {
        let read = self.tables.get(table)?;
        let at = *self.index.get(&read.names.key_id(table, item)?)?;
        Some((chunk.iter().position(|&c| c == at)?, at))
    }
}

impl Batch for Gets {
    const OPERATION: &'static str = "BatchGetItem";
    type Answer = BatchGetItemOutput;

    /// Requests of at most 100 keys, in order.
    fn chunks(&self, pending: &[usize]) -> Vec<Vec<usize>> {
        pending.chunks(MAX_BATCH_GET_KEYS).map(<[usize]>::to_vec).collect()
    }

    fn request(
        &mut self,
        sender: &Sender,
        chunk: &[usize],
    ) -> impl Future<Output = Result<BatchGetItemOutput, Error>> + Send + use<> {
        let mut by_table: HashMap<&str, Vec<ItemMap>> = HashMap::new();
        let mut order: Vec<&str> = Vec::new();
        for &at in chunk {
            let entry = &self.entries[at];
            let keys = by_table.entry(&entry.table).or_insert_with(|| {
                order.push(&entry.table);
                Vec::new()
            });
            // Keys are small, and a read is safe to resend: the request is rebuilt from them.
            keys.push(entry.key.clone());
        }
        let tables = order.join(",");
        let items: HashMap<String, KeysAndAttributes> = by_table
            .into_iter()
            .map(|(table, keys)| {
                let read = &self.tables[table];
                let keys_and_attributes = KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .set_consistent_read(read.consistent.then_some(true))
                    .set_projection_expression(read.expression.clone())
                    .set_expression_attribute_names(read.attribute_names.clone())
                    .build()
                    .expect("keys are set");
                (table.to_owned(), keys_and_attributes)
            })
            .collect();
        let client = sender.client.clone();
        let capacity = sender.capacity.clone();
        let meter = sender.meter.clone();
        async move {
            let request = client
                .batch_get_item()
                .set_request_items(Some(items))
                .set_return_consumed_capacity(capacity)
                .send();
            crate::ops::send_to(&tables, "BatchGetItem", meter.as_ref(), request).await
        }
    }

    fn settle(&mut self, chunk: Vec<usize>, outcome: Result<BatchGetItemOutput, Error>, round: &mut Round) {
        let output = match outcome {
            Ok(output) => output,
            Err(error) if error.is_retryable() => {
                for at in chunk {
                    round.again(at);
                }
                return round.retryable(error);
            }
            Err(error) => {
                self.failed += chunk.len();
                return round.failed(error);
            }
        };
        for used in output.consumed_capacity.iter().flatten() {
            round.consumed(used.capacity_units());
        }
        let mut answered = vec![false; chunk.len()];
        for (table, items) in output.responses.into_iter().flatten() {
            for item in items {
                let Some((n, at)) = self.find(&table, &item, &chunk) else {
                    tracing::warn!(table, "an item matches no key of its request");
                    continue;
                };
                answered[n] = true;
                let entry = &self.entries[at];
                self.slots[entry.group].found(entry.index, item);
                round.done();
            }
        }
        let mut unprocessed = vec![false; chunk.len()];
        for (table, keys) in output.unprocessed_keys.into_iter().flatten() {
            for key in keys.keys {
                match self.find(&table, &key, &chunk) {
                    Some((n, _)) => unprocessed[n] = true,
                    None => tracing::warn!(table, "an unprocessed key matches no key of its request"),
                }
            }
        }
        for (n, &at) in chunk.iter().enumerate() {
            if answered[n] {
                continue;
            }
            if unprocessed[n] {
                round.again(at);
            } else {
                let entry = &self.entries[at];
                self.slots[entry.group].missing(entry.index);
                round.done();
            }
        }
    }
}

/// Reads the items of one table with these keys, as a batch. Made by [`Table::get_all`]; see
/// [`BatchGet`] for how keys are checked, sent and retried.
///
/// ```no_run
/// # use dynamodb_mapper::{Item, Table};
/// # use dynamodb_mapper::ops::Fetched;
/// # #[derive(Item, Clone, Debug)] #[item(table = "users")]
/// # struct User { #[partition_key] id: String }
/// # async fn run(users: Table<User>) -> Result<(), dynamodb_mapper::Error> {
/// let ids = ["ana", "rui", "eva"];
/// let got = users.get_all(ids).consistent_read().await?;
/// for (id, fetched) in ids.iter().zip(got.items) {
///     match fetched {
///         Fetched::Found(user) => println!("{id}: {user:?}"),
///         Fetched::Missing => println!("{id}: no such user"),
///         other => println!("{id}: not read ({other:?})"),
///     }
/// }
/// # Ok(()) }
/// ```
#[must_use = "a batch does nothing until it is awaited"]
pub struct GetAll<T, O = T> {
    batch: BatchGet,
    handle: GetHandle<T, O>,
}

impl<T, O> GetAll<T, O> {
    pub(super) fn batch_options(&mut self) -> &mut BatchOptions {
        &mut self.batch.options
    }
}

impl<T: Item + Send + 'static> GetAll<T> {
    pub(crate) fn new<K>(table: &Table<T>, keys: impl IntoIterator<Item = K>) -> Self
    where
        T: KeyFrom<K>,
    {
        let mut batch = BatchGet::new(table.target().config().clone());
        let handle = batch.get(table, keys);
        GetAll { batch, handle }
    }
}

impl<T: Item + 'static, O: Attributes + Send + 'static> GetAll<T, O> {
    /// Reads strongly consistently, at twice the capacity.
    pub fn consistent_read(mut self) -> Self {
        let name = self.batch.groups[0].target.name().to_owned();
        self.batch.consistent.push(name);
        self
    }

    /// Reads only the attributes of `P`; see [`BatchGet::get_projected`].
    pub fn project<P: Attributes + Send + 'static>(mut self) -> GetAll<T, P> {
        let group = &mut self.batch.groups[self.handle.group];
        group.projection = Some(P::SCHEMA);
        group.slots = new_slots::<T, P>;
        GetAll {
            batch: self.batch,
            handle: GetHandle {
                batch: self.handle.batch,
                group: self.handle.group,
                _types: Marker::default(),
            },
        }
    }

    /// Reads the items. An `Err` means nothing was sent.
    pub async fn send(self) -> Result<GetAllOutput<O>, Error> {
        let mut output = self.batch.send().await?;
        let items = output.take(self.handle)?;
        Ok(GetAllOutput {
            items,
            errors: output.errors,
            consumed_capacity: output.consumed_capacity,
            requests: output.requests,
            rounds: output.rounds,
        })
    }
}

impl<T: Item + Send + 'static, O: Attributes + Send + 'static> IntoFuture for GetAll<T, O> {
    type Output = Result<GetAllOutput<O>, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// What a batch get on one table read.
#[derive(Debug)]
#[non_exhaustive]
pub struct GetAllOutput<O> {
    /// One outcome per key, in the order of the keys.
    pub items: Vec<Fetched<O>>,
    /// The errors of requests that failed (see [`BatchGetOutput::errors`]).
    pub errors: Vec<Error>,
    /// The capacity units all requests consumed, when DynamoDB reported them.
    pub consumed_capacity: Option<f64>,
    /// The `BatchGetItem` requests sent.
    pub requests: u32,
    /// The rounds sent.
    pub rounds: u32,
}
