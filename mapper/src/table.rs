//! [`Table<T>`]: typed operations on one table, and [`Index`] for its secondary indexes.

use std::marker::PhantomData;
use std::sync::Arc;

use aws_sdk_dynamodb::Client;

use crate::error::{ConvertError, Error};
use crate::expr::{Condition, UpdateExpression};
use crate::extension::{BeforeWrite, Operation};
use crate::item::{Attributes, Item, ItemMap, KeyFrom};
use crate::mapper::Mapper;
use crate::ops::{CreateTable, Delete, Get, Put, Query, Scan, Update};
use crate::schema::IndexSchema;
use crate::value::ToAttributeValue;

/// The table of item type `T`. Made by [`Mapper::table`] or [`Mapper::table_named`]; cheap to
/// clone.
///
/// Every operation is a builder: set its options, then `.await` it (or call `send`).
///
/// ```no_run
/// # use dynamodb_mapper::{Item, Table, expr::Condition};
/// # #[derive(Item, Clone)] #[item(table = "customers")]
/// # struct Customer { #[partition_key] id: String, #[sort_key] region: String, visits: u32 }
/// # async fn run(customers: Table<Customer>, customer: Customer) -> Result<(), dynamodb_mapper::Error> {
/// customers.put(&customer).condition(Condition::attr("id").not_exists()).await?;
/// let found: Option<Customer> = customers.get(("42", "eu")).consistent_read().await?;
/// let updated: Customer = customers.update(&customer).await?;
/// let in_eu: Vec<Customer> = customers.query("42").sort_begins_with("eu").all().await?;
/// customers.delete(("42", "eu")).await?;
/// # Ok(()) }
/// ```
pub struct Table<T> {
    mapper: Mapper,
    name: Arc<str>,
    _item: PhantomData<fn() -> T>,
}

impl<T> Clone for Table<T> {
    fn clone(&self) -> Self {
        Table {
            mapper: self.mapper.clone(),
            name: self.name.clone(),
            _item: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for Table<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<T: Item> Table<T> {
    pub(crate) fn new(mapper: Mapper, name: String) -> Self {
        Table {
            mapper,
            name: name.into(),
            _item: PhantomData,
        }
    }

    /// The table's name in DynamoDB.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The mapper this table belongs to.
    pub fn mapper(&self) -> &Mapper {
        &self.mapper
    }

    pub(crate) fn client(&self) -> &Client {
        self.mapper.client()
    }

    /// Writes an item, replacing any item with the same key.
    pub fn put<'a>(&'a self, item: &'a T) -> Put<'a, T> {
        Put::new(self, item)
    }

    /// Reads the item with this key: `table.get("id")` or `table.get(("id", "sort"))`.
    pub fn get<K>(&self, key: K) -> Get<'_, T>
    where
        T: KeyFrom<K>,
    {
        Get::new(self, T::key_from(key))
    }

    /// Updates the stored item from `item`: sets its present attributes and removes those
    /// that are `None` (unless [`ignore_nulls`](Update::ignore_nulls)), creating the item if
    /// there is none. Returns the item as stored after the update.
    pub fn update<'a>(&'a self, item: &'a T) -> Update<'a, T> {
        Update::new(self, item)
    }

    /// Deletes the item with this key.
    pub fn delete<K>(&self, key: K) -> Delete<'_, T>
    where
        T: KeyFrom<K>,
    {
        Delete::new(self, T::key_from(key), false)
    }

    /// Deletes the stored item with the key of `item`. With
    /// [`VersionedRecords`](crate::extension::VersionedRecords), only if the stored version is
    /// still the one `item` was read with.
    pub fn delete_item<'a>(&'a self, item: &'a T) -> Delete<'a, T> {
        Delete::new(self, item.to_item(), true)
    }

    /// Reads the item, applies `change` and writes it back with [`update`](Table::update). If
    /// another writer got there first (the version moved on), applies `change` to the item
    /// stored now — which the failed write returned, so no extra read — and tries again, up to
    /// `attempts` writes in all. Returns the item as stored.
    ///
    /// Without a `#[version]` attribute there is no conflict to detect: the first write wins.
    ///
    /// ```no_run
    /// # use dynamodb_mapper::{Item, Table};
    /// # #[derive(Item)] #[item(table = "accounts")]
    /// # struct Account { #[partition_key] id: String, balance: i64, #[version] version: Option<u64> }
    /// # async fn run(accounts: Table<Account>) -> Result<(), dynamodb_mapper::Error> {
    /// let account = accounts.read_modify_write("acc-1", 10, |a| a.balance -= 25).await?;
    /// # Ok(()) }
    /// ```
    pub async fn read_modify_write<K, F>(&self, key: K, attempts: u32, mut change: F) -> Result<T, Error>
    where
        T: KeyFrom<K>,
        F: FnMut(&mut T),
    {
        let not_found = || Error::ItemNotFound {
            table: self.name().to_owned(),
        };
        let mut item = self.get(key).consistent_read().send().await?.ok_or_else(not_found)?;
        let attempts = attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            change(&mut item);
            match self.update(&item).send().await {
                Err(Error::ConditionFailed(failed)) if attempt < attempts => {
                    item = failed.item::<T>().ok_or_else(not_found)??;
                }
                Err(Error::ConditionFailed(failed)) => {
                    return Err(Error::TooManyConflicts {
                        attempts,
                        last: Box::new(Error::ConditionFailed(failed)),
                    });
                }
                result => return result,
            }
        }
    }

    /// The items with this partition key, optionally narrowed by sort key conditions.
    pub fn query(&self, partition_key: impl Into<T::PartitionKey>) -> Query<'_, T, T::SortKey>
    where
        T::PartitionKey: crate::value::KeyAttribute,
    {
        Query::new(self, None, key_value(partition_key.into()))
    }

    /// Every item of the table.
    pub fn scan(&self) -> Scan<'_, T> {
        Scan::new(self, None)
    }

    /// A secondary index of the table, by the name given in `#[index_partition_key]` /
    /// `#[index_sort_key]`.
    pub fn index(&self, name: &str) -> Result<Index<'_, T>, Error> {
        let schema = T::TABLE.index(name).ok_or_else(|| {
            let known: Vec<&str> = T::TABLE.indexes.iter().map(|i| i.name).collect();
            Error::Configuration(format!(
                "`{}` has no index `{name}`; its indexes: {known:?}",
                T::SCHEMA.type_name
            ))
        })?;
        Ok(Index { table: self, schema })
    }

    /// Creates the table from `T`'s schema: keys, indexes, billing, stream, TTL.
    pub fn create_table(&self) -> CreateTable<'_, T> {
        CreateTable::new(self)
    }

    /// Deletes the table and every item in it.
    pub async fn delete_table(&self) -> Result<(), Error> {
        self.client()
            .delete_table()
            .table_name(self.name())
            .send()
            .await
            .map_err(|e| Error::from_sdk(self.name(), e))?;
        Ok(())
    }

    /// DynamoDB's description of the table.
    pub async fn describe_table(&self) -> Result<aws_sdk_dynamodb::types::TableDescription, Error> {
        let output = self
            .client()
            .describe_table()
            .table_name(self.name())
            .send()
            .await
            .map_err(|e| Error::from_sdk(self.name(), e))?;
        output
            .table
            .ok_or_else(|| Error::Configuration(format!("DescribeTable returned no table for `{}`", self.name())))
    }

    /// Whether the table exists.
    pub async fn exists(&self) -> Result<bool, Error> {
        match self.describe_table().await {
            Ok(_) => Ok(true),
            Err(Error::TableNotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Reads an item DynamoDB returned into `O` (the item type or a projection of it), after
    /// the extensions' `after_read`.
    pub(crate) fn read<O: Attributes>(&self, mut item: ItemMap) -> Result<O, Error> {
        self.mapper.chain().after_read(T::TABLE, &self.name, &mut item)?;
        Ok(crate::item::decode(item)?)
    }

    /// Reads a page of query or scan results.
    pub(crate) fn read_page<O: Attributes>(
        &self,
        items: Option<Vec<ItemMap>>,
        last_evaluated_key: Option<ItemMap>,
    ) -> Result<crate::ops::Page<O>, Error> {
        let items = items
            .unwrap_or_default()
            .into_iter()
            .map(|item| self.read(item))
            .collect::<Result<_, _>>()?;
        let next = last_evaluated_key
            .filter(|k| !k.is_empty())
            .map(crate::ops::Cursor::from_item_map);
        Ok(crate::ops::Page { items, next })
    }

    /// Runs the extensions' `before_write` and returns the request's condition: the caller's
    /// AND the extensions'.
    pub(crate) fn before_write(
        &self,
        operation: Operation,
        item: &mut ItemMap,
        condition: Option<Condition>,
        update: Option<&mut UpdateExpression>,
    ) -> Result<Option<Condition>, Error> {
        let mut conditions: Vec<Condition> = condition.into_iter().collect();
        let mut cx = BeforeWrite::new(operation, T::TABLE, &self.name, item, &mut conditions, update);
        self.mapper.chain().before_write(&mut cx)?;
        Ok(Condition::all(conditions))
    }

    /// The primary key attributes of an item map.
    pub(crate) fn key_of(&self, item: &ItemMap) -> Result<ItemMap, Error> {
        let schema = T::TABLE;
        std::iter::once(schema.partition_key)
            .chain(schema.sort_key)
            .map(|key| match item.get(key.name) {
                Some(value) => Ok((key.name.to_owned(), value.clone())),
                None => Err(ConvertError::custom("the key attribute is missing")
                    .in_attribute(key.name)
                    .in_item(T::SCHEMA.type_name)
                    .into()),
            })
            .collect()
    }

    /// An SDK error, with the item a failed condition carries passed through `after_read`.
    pub(crate) fn fail<E>(&self, error: aws_sdk_dynamodb::error::SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>) -> Error
    where
        E: std::error::Error + 'static,
        aws_sdk_dynamodb::Error: From<aws_sdk_dynamodb::error::SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>>,
    {
        let mut error = Error::from_sdk(&self.name, error);
        if let Error::ConditionFailed(failed) = &mut error
            && let Some(item) = failed.item_map_mut()
            && let Err(refused) = self.mapper.chain().after_read(T::TABLE, &self.name, item)
        {
            failed.set_after_read_error(refused);
        }
        error
    }
}

/// A secondary index of a table: query or scan it.
pub struct Index<'a, T> {
    table: &'a Table<T>,
    schema: &'static IndexSchema,
}

impl<'a, T: Item> Index<'a, T> {
    /// The index's schema.
    pub fn schema(&self) -> &'static IndexSchema {
        self.schema
    }

    /// The items whose index partition key equals `partition_key`. Key values are checked
    /// against the index's key types when the request is built.
    pub fn query(&self, partition_key: impl ToAttributeValue) -> Query<'a, T, crate::ops::AnyKey> {
        Query::new(self.table, Some(self.schema), key_value(partition_key))
    }

    /// Every item in the index.
    pub fn scan(&self) -> Scan<'a, T> {
        Scan::new(self.table, Some(self.schema))
    }
}

/// A key value, which must be stored (not `None`).
pub(crate) fn key_value(value: impl ToAttributeValue) -> Result<aws_sdk_dynamodb::types::AttributeValue, ConvertError> {
    value
        .to_attribute_value()?
        .ok_or_else(|| ConvertError::custom("a key value cannot be None or an empty set"))
}
