//! Batches on one table: [`Table::put_all`](crate::Table::put_all),
//! [`delete_all`](crate::Table::delete_all), [`delete_items`](crate::Table::delete_items) and
//! [`get_all`](crate::Table::get_all), each a batch of one call whose result is that call's.

use super::get::{GetHandle, new_slots};
use super::{BatchGet, BatchOptions, BatchWrite, Fetched, WriteHandle};
use crate::error::Error;
use crate::item::{Attributes, Item, KeyFrom};
use crate::ops::Marker;
use crate::ops::send_on_await;
use crate::target::Table;

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
///
/// # Cancel safety
///
/// As for [`BatchWrite`]: dropping the future leaves the answered requests written, one in
/// flight possibly applied, the rest not; the list of what was not written is lost. Sending
/// the same puts or deletes again is safe (they are idempotent).
#[must_use = "a batch does nothing until it is awaited"]
pub struct WriteAll<H> {
    batch: BatchWrite,
    handle: H,
}

impl<H> std::fmt::Debug for WriteAll<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteAll")
            .field("batch", &self.batch)
            .finish_non_exhaustive()
    }
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

send_on_await!([H] WriteAll<H> => Result<WriteAllOutput<H::Unprocessed>, Error>,
    where H: WriteHandle + Send + 'static, H::Unprocessed: Send);

/// What a batch write on one table did.
#[derive(Debug)]
#[non_exhaustive]
#[must_use = "some writes may be left over: see `unprocessed`"]
pub struct WriteAllOutput<U> {
    /// What was not written, as given: the items for puts and item deletes, the keys for
    /// deletes by key. Empty when everything was written.
    pub unprocessed: U,
    /// The errors of requests that failed (see [`BatchWriteOutput::errors`](crate::ops::BatchWriteOutput::errors)).
    pub errors: Vec<Error>,
    /// The capacity units all requests consumed, when DynamoDB reported them.
    pub consumed_capacity: Option<f64>,
    /// The `BatchWriteItem` requests sent.
    pub requests: u32,
    /// The rounds sent.
    pub rounds: u32,
}

/// Reads the items of one table with these keys, as a batch. Made by [`Table::get_all`]; see
/// [`BatchGet`] for how keys are checked, sent and retried.
///
/// # Cancel safety
///
/// Reads only: dropping the future changes nothing.
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

impl<T, O> std::fmt::Debug for GetAll<T, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GetAll")
            .field("batch", &self.batch)
            .finish_non_exhaustive()
    }
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

send_on_await!([T: Item + Send + 'static, O: Attributes + Send + 'static] GetAll<T, O> => Result<GetAllOutput<O>, Error>);

/// What a batch get on one table read.
#[derive(Debug)]
#[non_exhaustive]
pub struct GetAllOutput<O> {
    /// One outcome per key, in the order of the keys.
    pub items: Vec<Fetched<O>>,
    /// The errors of requests that failed (see [`BatchGetOutput::errors`](crate::ops::BatchGetOutput::errors)).
    pub errors: Vec<Error>,
    /// The capacity units all requests consumed, when DynamoDB reported them.
    pub consumed_capacity: Option<f64>,
    /// The `BatchGetItem` requests sent.
    pub requests: u32,
    /// The rounds sent.
    pub rounds: u32,
}
