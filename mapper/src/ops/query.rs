//! `Query`: the items of one partition, on the table or on an index.

use std::marker::PhantomData;

use aws_sdk_dynamodb::types::{AttributeValue, Select};
use futures_util::stream::{Stream, TryStreamExt};

use super::page::{self, Cursor, Page};
use crate::error::{ConvertError, Error, RefusalKind};
use crate::expr::{Condition, Placeholders};
use crate::item::{Attributes, Item};
use crate::schema::{IndexSchema, KeySchema};
use crate::table::{Table, key_value};
use crate::value::{KeyAttribute, ScalarType, ToAttributeValue};

/// A value for a key of type `S`: anything `Into<S>` for a table's typed keys, any value for
/// [`AnyKey`] (an index's keys, checked against the index's schema when the request is built).
pub trait KeyValue<S> {
    /// The value as stored.
    fn into_key_value(self) -> Result<AttributeValue, ConvertError>;
}

impl<S: KeyAttribute, V: Into<S>> KeyValue<S> for V {
    fn into_key_value(self) -> Result<AttributeValue, ConvertError> {
        key_value(self.into())
    }
}

/// The key type of an index query: any value, checked at run time.
#[derive(Debug, Clone, Copy)]
pub enum AnyKey {}

impl<V: ToAttributeValue> KeyValue<AnyKey> for V {
    fn into_key_value(self) -> Result<AttributeValue, ConvertError> {
        key_value(self)
    }
}

#[derive(Debug, Clone)]
enum SortCondition {
    Compare(&'static str, AttributeValue),
    Between(AttributeValue, AttributeValue),
    BeginsWith(AttributeValue),
}

/// The items of one partition, in sort key order. Made by [`Table::query`] and
/// [`Index::query`](crate::Index::query).
///
/// Read it as a [`stream`](Query::stream) of items that fetches pages as it goes, as
/// [`all`](Query::all) items, or [`page`](Query::page) by page with a [`Cursor`].
#[must_use = "a query does nothing until it is read"]
pub struct Query<'a, T, S, O = T> {
    table: &'a Table<T>,
    index: Option<&'static IndexSchema>,
    partition: Result<AttributeValue, ConvertError>,
    sort: Option<Result<SortCondition, ConvertError>>,
    filter: Option<Condition>,
    limit: Option<i32>,
    descending: bool,
    consistent_read: bool,
    start: Option<Cursor>,
    projection: Option<&'static crate::schema::ItemSchema>,
    _types: PhantomData<fn() -> (S, O)>,
}

impl<T, S, O> Clone for Query<'_, T, S, O> {
    fn clone(&self) -> Self {
        Query {
            table: self.table,
            index: self.index,
            partition: self.partition.clone(),
            sort: self.sort.clone(),
            filter: self.filter.clone(),
            limit: self.limit,
            descending: self.descending,
            consistent_read: self.consistent_read,
            start: self.start.clone(),
            projection: self.projection,
            _types: PhantomData,
        }
    }
}

impl<'a, T: Item, S> Query<'a, T, S> {
    pub(crate) fn new(
        table: &'a Table<T>,
        index: Option<&'static IndexSchema>,
        partition: Result<AttributeValue, ConvertError>,
    ) -> Self {
        Query {
            table,
            index,
            partition,
            sort: None,
            filter: None,
            limit: None,
            descending: false,
            consistent_read: false,
            start: None,
            projection: None,
            _types: PhantomData,
        }
    }
}

impl<'a, T: Item, S, O: Attributes> Query<'a, T, S, O> {
    fn sort(mut self, condition: Result<SortCondition, ConvertError>) -> Self {
        self.sort = Some(condition);
        self
    }

    /// Sort key equal to `value`.
    pub fn sort_eq(self, value: impl KeyValue<S>) -> Self {
        self.sort(value.into_key_value().map(|v| SortCondition::Compare("=", v)))
    }

    /// Sort key less than `value`.
    pub fn sort_lt(self, value: impl KeyValue<S>) -> Self {
        self.sort(value.into_key_value().map(|v| SortCondition::Compare("<", v)))
    }

    /// Sort key less than or equal to `value`.
    pub fn sort_le(self, value: impl KeyValue<S>) -> Self {
        self.sort(value.into_key_value().map(|v| SortCondition::Compare("<=", v)))
    }

    /// Sort key greater than `value`.
    pub fn sort_gt(self, value: impl KeyValue<S>) -> Self {
        self.sort(value.into_key_value().map(|v| SortCondition::Compare(">", v)))
    }

    /// Sort key greater than or equal to `value`.
    pub fn sort_ge(self, value: impl KeyValue<S>) -> Self {
        self.sort(value.into_key_value().map(|v| SortCondition::Compare(">=", v)))
    }

    /// Sort key between `low` and `high`, inclusive.
    pub fn sort_between(self, low: impl KeyValue<S>, high: impl KeyValue<S>) -> Self {
        let condition = low
            .into_key_value()
            .and_then(|low| Ok(SortCondition::Between(low, high.into_key_value()?)));
        self.sort(condition)
    }

    /// Sort key starting with `prefix` (string and binary sort keys).
    pub fn sort_begins_with(self, prefix: impl KeyValue<S>) -> Self {
        self.sort(prefix.into_key_value().map(SortCondition::BeginsWith))
    }

    /// Keeps only the items matching `filter`. The filter runs after the page is read:
    /// filtered-out items still consume capacity and count toward [`limit`](Query::limit).
    pub fn filter(mut self, filter: Condition) -> Self {
        self.filter = Some(filter);
        self
    }

    /// Reads at most `limit` items per request (DynamoDB's `Limit`): the page size, not a
    /// total. For a total, take from the stream: `.stream().take(n)`.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(i32::try_from(limit).unwrap_or(i32::MAX).max(1));
        self
    }

    /// Highest sort key first.
    pub fn descending(mut self) -> Self {
        self.descending = true;
        self
    }

    /// Strongly consistent reads (not available on global secondary indexes).
    pub fn consistent_read(mut self) -> Self {
        self.consistent_read = true;
        self
    }

    /// Starts after the item a previous page ended on.
    pub fn start_from(mut self, cursor: Cursor) -> Self {
        self.start = Some(cursor);
        self
    }

    /// Reads only the attributes of `P`, a struct deriving [`Attributes`].
    pub fn project<P: Attributes>(self) -> Query<'a, T, S, P> {
        Query {
            table: self.table,
            index: self.index,
            partition: self.partition,
            sort: self.sort,
            filter: self.filter,
            limit: self.limit,
            descending: self.descending,
            consistent_read: self.consistent_read,
            start: self.start,
            projection: Some(P::SCHEMA),
            _types: PhantomData,
        }
    }

    /// The first page (or the page after [`start_from`](Query::start_from)).
    pub async fn page(self) -> Result<Page<O>, Error> {
        let table = self.table;
        let (partition_key, sort_key) = match self.index {
            Some(index) => (index.partition_key, index.sort_key),
            None => (T::TABLE.partition_key, T::TABLE.sort_key),
        };
        super::check_consistent_read(self.index, self.consistent_read)?;
        let partition = checked(self.partition?, &partition_key)?;
        let mut placeholders = Placeholders::new();
        let mut key_condition = format!(
            "{} = {}",
            placeholders.name(partition_key.name),
            placeholders.value(partition)
        );
        if let Some(sort) = self.sort {
            let sort_key = sort_key.ok_or_else(|| {
                Error::refused(RefusalKind::InvalidArgument, format!(
                    "`{}` has no sort key to compare",
                    self.index.map_or(table.name(), |i| i.name)
                ))
            })?;
            let name = placeholders.name(sort_key.name);
            let condition = match sort? {
                SortCondition::Compare(op, v) => format!("{name} {op} {}", placeholders.value(checked(v, &sort_key)?)),
                SortCondition::Between(low, high) => format!(
                    "{name} BETWEEN {} AND {}",
                    placeholders.value(checked(low, &sort_key)?),
                    placeholders.value(checked(high, &sort_key)?)
                ),
                SortCondition::BeginsWith(prefix) => {
                    if sort_key.scalar_type == ScalarType::N {
                        return Err(Error::refused(RefusalKind::InvalidArgument, format!(
                            "begins_with needs a string or binary sort key; `{}` is a number",
                            sort_key.name
                        )));
                    }
                    format!(
                        "begins_with({name}, {})",
                        placeholders.value(checked(prefix, &sort_key)?)
                    )
                }
            };
            key_condition.push_str(" AND ");
            key_condition.push_str(&condition);
        }
        let filter = self.filter.map(|f| f.render(&mut placeholders)).transpose()?;
        let projection = super::projection(self.projection, &mut placeholders)?;
        let expressions = placeholders.finish(&[Some(&key_condition), filter.as_deref(), projection.as_deref()])?;

        let request = table
            .client()
            .query()
            .table_name(table.name())
            .set_index_name(self.index.map(|i| i.name.to_owned()))
            .key_condition_expression(key_condition)
            .set_filter_expression(filter)
            .set_projection_expression(projection.clone())
            .set_select(projection.as_ref().map(|_| Select::SpecificAttributes))
            .set_expression_attribute_names(expressions.names)
            .set_expression_attribute_values(expressions.values)
            .set_limit(self.limit)
            .scan_index_forward(!self.descending)
            .consistent_read(self.consistent_read)
            .set_exclusive_start_key(self.start.map(Cursor::into_item_map))
            .set_return_consumed_capacity(super::capacity_request(table.mapper()))
            .send();
        let output = super::send(table, "Query", request).await?;
        table.read_page(output.items, output.last_evaluated_key)
    }

    /// Every page, each fetched when the stream is polled past the previous one.
    pub fn pages(self) -> impl Stream<Item = Result<Page<O>, Error>> + Unpin + 'a
    where
        S: 'a,
        O: 'a,
    {
        let start = self.start.clone();
        page::pages(start, move |cursor| {
            let mut query = self.clone();
            query.start = cursor;
            query.page()
        })
    }

    /// Every item, fetching pages lazily.
    pub fn stream(self) -> impl Stream<Item = Result<O, Error>> + Unpin + 'a
    where
        S: 'a,
        O: 'a,
    {
        page::items(self.pages())
    }

    /// Every item, collected.
    pub async fn all(self) -> Result<Vec<O>, Error>
    where
        S: 'a,
        O: 'a,
    {
        self.stream().try_collect().await
    }
}

/// Checks a key value's type against the key's schema.
pub(crate) fn checked(value: AttributeValue, key: &KeySchema) -> Result<AttributeValue, Error> {
    let matches = matches!(
        (&value, key.scalar_type),
        (AttributeValue::S(_), ScalarType::S)
            | (AttributeValue::N(_), ScalarType::N)
            | (AttributeValue::B(_), ScalarType::B)
    );
    if matches {
        Ok(value)
    } else {
        Err(Error::refused(RefusalKind::InvalidKey, format!(
            "key `{}` is of type {:?}, not {}",
            key.name,
            key.scalar_type,
            crate::value::type_of(&value)
        )))
    }
}
