//! The operations of a [`Table<T>`], and [`Index`] for its secondary indexes. They only build
//! operations; the operations own a cheap handle on the table, so their futures and streams
//! are `'static`.

use std::marker::PhantomData;

use crate::error::Error;
use crate::item::{Item, KeyFrom, Versioned};
use crate::ops::{
    AnyKey, BatchWrite, ChangeOutcome, CreateTable, Delete, DeleteHandle, DeleteItemHandle, Get, GetAll,
    PartitionValue, Patch, Put, PutHandle, Query, QueryKeys, Read, ReadModifyWrite, Scan, ScanSegment, Sorts,
    TypedIndexKind, Unchecked, Update, WriteAll, key_value,
};
use crate::schema::IndexSchema;
use crate::target::{Table, Target};
use crate::value::ToAttributeValue;

impl<T: Item> Table<T> {
    /// Writes an item, replacing any item with the same key.
    pub fn put(&self, item: &T) -> Put<T> {
        Put::new(self.target().clone(), item)
    }

    /// Reads the item with this key: `table.get("id")` or `table.get(("id", "sort"))`.
    pub fn get<K>(&self, key: K) -> Get<T>
    where
        T: KeyFrom<K>,
    {
        Get::new(self.target().clone(), T::key_from(key))
    }

    /// Updates the stored item from `item`: sets its present attributes and removes those
    /// that are `None` (unless [`ignore_nulls`](Update::ignore_nulls)), creating the item if
    /// there is none. Returns the item as stored after the update.
    pub fn update(&self, item: &T) -> Update<T> {
        Update::new(self.target().clone(), item)
    }

    /// Updates the stored item with this key by typed update actions (`set`, `add`,
    /// `remove`, `append`, ...), without reading or sending the whole item; fails with
    /// [`Error::ItemNotFound`](crate::Error::ItemNotFound) if no item has the key, unless
    /// [`upsert`](Patch::upsert). See [`Patch`].
    pub fn patch<K>(&self, key: K) -> Patch<T>
    where
        T: KeyFrom<K>,
    {
        Patch::new(self.target().clone(), T::key_from(key))
    }

    /// Deletes the item with this key (without a version check).
    pub fn delete<K>(&self, key: K) -> Delete<T>
    where
        T: KeyFrom<K>,
    {
        Delete::new(self.target().clone(), T::key_from(key), false)
    }

    /// Deletes the stored item with the key of `item`. With
    /// [`VersionedRecords`](crate::extension::VersionedRecords), only if the stored version is
    /// still the one `item` was read with.
    pub fn delete_item(&self, item: &T) -> Delete<T> {
        Delete::new(self.target().clone(), item.to_item(), true)
    }

    /// Puts any number of items in `BatchWriteItem` requests (25 writes each, several at a
    /// time), retrying what DynamoDB leaves unprocessed; what is still not written at the end
    /// comes back as your own items. A `#[version]` is refused unless
    /// [`without_version_check`](WriteAll::without_version_check). See [`BatchWrite`].
    pub fn put_all(&self, items: impl IntoIterator<Item = T>) -> WriteAll<PutHandle<T>>
    where
        T: Send + 'static,
    {
        let mut batch = BatchWrite::new(self.target().config().clone());
        let handle = batch.put(self, items);
        WriteAll::new(batch, handle)
    }

    /// Deletes the items with these keys, as a batch (no version check); the keys not deleted
    /// come back. See [`BatchWrite`].
    pub fn delete_all<K>(&self, keys: impl IntoIterator<Item = K>) -> WriteAll<DeleteHandle<T>>
    where
        T: KeyFrom<K> + 'static,
        T::Key: Clone + Send + 'static,
    {
        let mut batch = BatchWrite::new(self.target().config().clone());
        let handle = batch.delete(self, keys);
        WriteAll::new(batch, handle)
    }

    /// Deletes the stored items with the keys of `items` (items that were read), as a batch; a
    /// `#[version]` is refused unless [`without_version_check`](WriteAll::without_version_check).
    /// See [`BatchWrite::delete_items`].
    pub fn delete_items(&self, items: impl IntoIterator<Item = T>) -> WriteAll<DeleteItemHandle<T>>
    where
        T: Send + 'static,
    {
        let mut batch = BatchWrite::new(self.target().config().clone());
        let handle = batch.delete_items(self, items);
        WriteAll::new(batch, handle)
    }

    /// Reads the items with these keys in `BatchGetItem` requests (100 keys each), one
    /// [`Fetched`](crate::ops::Fetched) per key in the order given: found, missing, unprocessed
    /// or unreadable. See [`GetAll`].
    pub fn get_all<K>(&self, keys: impl IntoIterator<Item = K>) -> GetAll<T>
    where
        T: KeyFrom<K> + Send + 'static,
    {
        GetAll::new(self, keys)
    }

    /// Reads the item, applies `change` and writes it back, retrying from the stored item when
    /// another writer got there first. See [`ReadModifyWrite`]. Only for items with a
    /// `#[version]` ([`Versioned`]): without one, nothing would detect the other writer.
    ///
    /// ```no_run
    /// # use dynamodb_mapper::{Item, Table, ops::ModifyError};
    /// # #[derive(Item)] #[item(table = "accounts")]
    /// # struct Account { #[partition_key] id: String, balance: i64, #[version] version: Option<u64> }
    /// # #[derive(Debug)] struct InsufficientFunds;
    /// # async fn run(accounts: Table<Account>) -> Result<(), dynamodb_mapper::Error> {
    /// // A change that cannot fail:
    /// let account = accounts.read_modify_write("acc-1", |a| a.balance += 25).await?;
    /// // A change that may refuse:
    /// let result = accounts
    ///     .read_modify_write("acc-1", |a| {
    ///         if a.balance < 25 {
    ///             return Err(InsufficientFunds);
    ///         }
    ///         a.balance -= 25;
    ///         Ok(())
    ///     })
    ///     .await;
    /// match result {
    ///     Ok(account) => println!("balance now {}", account.balance),
    ///     Err(ModifyError::Refused(InsufficientFunds)) => println!("not enough money"),
    ///     Err(ModifyError::Failed(e)) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn read_modify_write<'f, K, F, R>(&self, key: K, change: F) -> ReadModifyWrite<'f, T, F>
    where
        T: KeyFrom<K> + Versioned,
        F: FnMut(&mut T) -> R + 'f,
        R: ChangeOutcome,
    {
        ReadModifyWrite::new(self.target().clone(), T::key_from(key), change)
    }

    /// The items with this partition key (a value of its type, or `&str` for a `String`),
    /// optionally narrowed by sort key conditions.
    pub fn query(&self, partition_key: impl PartitionValue<T::PartitionKey>) -> Query<T, T::SortKey> {
        Read::new(self.target().clone(), None, QueryKeys::new(partition_key.into_values()))
    }

    /// Every item of the table.
    pub fn scan(&self) -> Scan<T> {
        Read::new(self.target().clone(), None, ScanSegment::default())
    }

    /// A secondary index of the table: its typed handle, which the derive generates for each
    /// index (`Customer::BY_EMAIL`, for `#[index_partition_key("by_email")]`), or its name
    /// (`index("by_email")?`, checked at run time).
    ///
    /// Through the typed handle, a query takes the index's partition key type (a tuple for a
    /// multi-attribute key) and sort conditions its sort key attributes' types, in key order;
    /// a global index offers no `consistent_read`. By name, key values are checked when the
    /// request is built.
    ///
    /// ```no_run
    /// # use dynamodb_mapper::{Item, Table};
    /// # #[derive(Item, Clone)] #[item(table = "customers")]
    /// # struct Customer { #[partition_key] id: String, #[index_partition_key("by_email")] email: String, #[index_sort_key("by_email")] joined: u64 }
    /// # async fn run(customers: Table<Customer>) -> Result<(), dynamodb_mapper::Error> {
    /// let recent: Vec<Customer> = customers
    ///     .index(Customer::BY_EMAIL)
    ///     .query("ana@example.com")
    ///     .sort_gt(1_700_000_000)
    ///     .all()
    ///     .await?;
    /// let by_name: Vec<Customer> = customers.index("by_email")?.query("ana@example.com").all().await?;
    /// # Ok(()) }
    /// ```
    pub fn index<I: IntoIndex<T>>(&self, index: I) -> I::Index {
        index.into_index(self)
    }

    /// The index named `name`, or the error naming the item's indexes.
    fn named_index(&self, name: &str) -> Result<Index<T>, Error> {
        let schema = T::TABLE.index(name).ok_or_else(|| {
            let known: Vec<&str> = T::TABLE.indexes.iter().map(|i| i.name).collect();
            Error::Configuration(format!(
                "`{}` has no index `{name}`; its indexes: {known:?}",
                T::SCHEMA.type_name
            ))
        })?;
        Ok(Index::new(self.target().clone(), schema))
    }

    /// Creates the table from `T`'s schema: keys, indexes, billing, stream, TTL.
    pub fn create_table(&self) -> CreateTable<T> {
        CreateTable::new(self.target().clone())
    }

    /// Compares the live table with `T`'s declaration: keys, indexes, time to live, and the
    /// stream and billing mode when stated. Returns every difference, each saying whether it
    /// breaks reads or writes. See [`Verify`](crate::ops::Verify).
    pub fn verify(&self) -> crate::ops::Verify<T> {
        crate::ops::Verify::new(self.target().clone())
    }

    /// Deletes the table and every item in it.
    pub async fn delete_table(&self) -> Result<(), Error> {
        crate::ops::delete_table(self.target()).await
    }

    /// DynamoDB's description of the table.
    pub async fn describe_table(&self) -> Result<aws_sdk_dynamodb::types::TableDescription, Error> {
        crate::ops::describe_table(self.target()).await
    }

    /// Whether the table exists.
    pub async fn exists(&self) -> Result<bool, Error> {
        match self.describe_table().await {
            Ok(_) => Ok(true),
            Err(Error::TableNotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// A secondary index of `T`, as `#[derive(Item)]` declares it: an associated constant of the
/// item type for each index, named after it (`Customer::BY_EMAIL` for `"by_email"`,
/// `Order::CORRELATION_INDEX` for `"correlationIndex"`). Give it to
/// [`Table::index`](crate::Table::index).
///
/// Its types say what a query of the index takes: `P` the partition key (a type, or
/// [`Keys<(A, B)>`](crate::ops::Keys) for a multi-attribute key), `L` the sort key attributes
/// (a tuple, in key order; `()` without a sort key), `X` the kind of index
/// ([`Global`](crate::ops::Global) or [`Local`](crate::ops::Local)).
pub struct IndexOf<T, P, L, X> {
    schema: &'static IndexSchema,
    _types: PhantomData<IndexTypes<T, P, L, X>>,
}

impl<T, P, L, X> IndexOf<T, P, L, X> {
    /// The handle of the index `schema`. Made by the derive.
    #[doc(hidden)]
    pub const fn new(schema: &'static IndexSchema) -> Self {
        IndexOf {
            schema,
            _types: PhantomData,
        }
    }

    /// The index's schema.
    pub const fn schema(&self) -> &'static IndexSchema {
        self.schema
    }
}

impl<T, P, L, X> Clone for IndexOf<T, P, L, X> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T, P, L, X> Copy for IndexOf<T, P, L, X> {}

impl<T, P, L, X> std::fmt::Debug for IndexOf<T, P, L, X> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("IndexOf").field(&self.schema.name).finish()
    }
}

/// The types an index handle carries, as a function's output: `Send`, `Sync` and covariant
/// whatever they are.
type IndexTypes<T, P, L, X> = fn() -> (T, P, L, X);

/// What [`Table::index`](crate::Table::index) takes: an index handle of the table's item type
/// ([`IndexOf`]), or an index name.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an index of `{T}`",
    label = "not an index of this table's item type",
    note = "a table's indexes are its item type's handles (`{T}::BY_EMAIL`), or their names: `index(\"by_email\")?`"
)]
pub trait IntoIndex<T> {
    /// The index handle: typed, or a `Result` for a name.
    type Index;

    /// The index of `table`.
    fn into_index(self, table: &Table<T>) -> Self::Index;
}

impl<T: Item, P, L, X: TypedIndexKind> IntoIndex<T> for IndexOf<T, P, L, X> {
    type Index = Index<T, P, L, X>;

    fn into_index(self, table: &Table<T>) -> Index<T, P, L, X> {
        Index::new(table.target().clone(), self.schema)
    }
}

impl<T: Item> IntoIndex<T> for &str {
    type Index = Result<Index<T>, Error>;

    fn into_index(self, table: &Table<T>) -> Result<Index<T>, Error> {
        table.named_index(self)
    }
}

impl<T: Item> IntoIndex<T> for &String {
    type Index = Result<Index<T>, Error>;

    fn into_index(self, table: &Table<T>) -> Result<Index<T>, Error> {
        table.named_index(self)
    }
}

/// A secondary index of a table: query or scan it. Cheap to clone.
///
/// Through a typed handle ([`IndexOf`]) its reads know the index's key types and kind; by name
/// (`Index<T>`, the defaults) they take any key value, checked when the request is built.
pub struct Index<T, P = AnyKey, L = AnyKey, X = Unchecked> {
    target: Target,
    schema: &'static IndexSchema,
    _types: PhantomData<IndexTypes<T, P, L, X>>,
}

impl<T, P, L, X> Index<T, P, L, X> {
    fn new(target: Target, schema: &'static IndexSchema) -> Self {
        Index {
            target,
            schema,
            _types: PhantomData,
        }
    }

    /// The index's schema.
    pub fn schema(&self) -> &'static IndexSchema {
        self.schema
    }
}

impl<T, P, L, X> Clone for Index<T, P, L, X> {
    fn clone(&self) -> Self {
        Index::new(self.target.clone(), self.schema)
    }
}

impl<T, P, L, X> std::fmt::Debug for Index<T, P, L, X> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("table", &self.target.name())
            .field("index", &self.schema.name)
            .finish_non_exhaustive()
    }
}

impl<T: Item> Index<T> {
    /// The items whose index partition key equals `partition_key`. Key values are checked
    /// against the index's key types when the request is built.
    pub fn query(&self, partition_key: impl ToAttributeValue) -> Query<T, AnyKey> {
        Read::new(
            self.target.clone(),
            Some(self.schema),
            QueryKeys::new(key_value(partition_key).map(|v| vec![v])),
        )
    }

    /// Every item in the index.
    pub fn scan(&self) -> Scan<T> {
        Read::new(self.target.clone(), Some(self.schema), ScanSegment::default())
    }
}

impl<T: Item, P, L, X: TypedIndexKind> Index<T, P, L, X> {
    /// The items of one partition of the index: a value of its partition key, or a tuple of
    /// values of its partition key attributes in key order. Sort conditions then take its
    /// sort key attributes in key order: equalities on the leading ones, then at most one
    /// other condition.
    pub fn query(&self, partition_key: impl PartitionValue<P>) -> Read<T, T, QueryKeys<Sorts<L>, X>> {
        Read::new(
            self.target.clone(),
            Some(self.schema),
            QueryKeys::new(partition_key.into_values()),
        )
    }

    /// Every item in the index.
    pub fn scan(&self) -> Read<T, T, ScanSegment<X>> {
        Read::new(self.target.clone(), Some(self.schema), ScanSegment::default())
    }
}
