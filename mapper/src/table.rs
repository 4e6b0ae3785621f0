//! [`Table<T>`]: typed operations on one table, and [`Index`] for its secondary indexes.

use std::marker::PhantomData;
use std::sync::Arc;

use aws_sdk_dynamodb::Client;

use crate::error::{ConvertError, Error};
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
        Delete::new(self, T::key_from(key))
    }

    /// Deletes the stored item with the key of `item`.
    pub fn delete_item<'a>(&'a self, item: &'a T) -> Delete<'a, T> {
        Delete::new(self, item.key_item())
    }

    /// The items with this partition key, optionally narrowed by sort key conditions.
    pub fn query(&self, partition_key: impl Into<T::PartitionKey>) -> Query<'_, T, T::SortKey> {
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
            .ok_or_else(|| Error::InvalidRequest(format!("DescribeTable returned no table for `{}`", self.name())))
    }

    /// Whether the table exists.
    pub async fn exists(&self) -> Result<bool, Error> {
        match self.describe_table().await {
            Ok(_) => Ok(true),
            Err(Error::TableNotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Reads an item DynamoDB returned into `O` (the item type or a projection of it).
    pub(crate) fn read<O: Attributes>(&self, item: ItemMap) -> Result<O, Error> {
        Ok(crate::item::decode(item)?)
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
