//! `Query`: the items of one partition, on the table or on an index.

use std::marker::PhantomData;

use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::stream::{Stream, TryStreamExt};

use super::page::{self, Cursor, Page, RawPage};
use super::{self as read_options, PagedRead, ReadOptions, Response};
use crate::error::{ConvertError, Error, RefusalKind};
use crate::expr::{Condition, Placeholders};
use crate::item::{Attributes, Item};
use crate::limits::KeyRole;
use crate::ops::CapacityMeter;
use crate::schema::{IndexSchema, KeySchema};
use crate::target::Target;
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

/// A key value, which must be stored (not `None`).
pub(crate) fn key_value(value: impl ToAttributeValue) -> Result<AttributeValue, ConvertError> {
    value
        .to_attribute_value()?
        .ok_or_else(|| ConvertError::custom("a key value cannot be None or an empty set"))
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

/// The items of one partition, in sort key order. Made by [`Table::query`](crate::Table::query)
/// and [`Index::query`](crate::Index::query).
///
/// Read it as a [`stream`](Query::stream) of items that fetches pages as it goes, as
/// [`all`](Query::all) items, [`page`](Query::page) by page with a [`Cursor`], or just
/// [`count`](Query::count) them. The builder owns what it needs, so the stream can be returned
/// from a function or spawned.
#[must_use = "a query does nothing until it is read"]
pub struct Query<T, S, O = T> {
    target: Target,
    index: Option<&'static IndexSchema>,
    partition: Result<AttributeValue, ConvertError>,
    sort: Option<Result<SortCondition, ConvertError>>,
    descending: bool,
    options: ReadOptions,
    _types: crate::ops::Marker<(T, S, O)>,
}

impl<T, S, O> Clone for Query<T, S, O> {
    fn clone(&self) -> Self {
        Query {
            target: self.target.clone(),
            index: self.index,
            partition: self.partition.clone(),
            sort: self.sort.clone(),
            descending: self.descending,
            options: self.options.clone(),
            _types: PhantomData,
        }
    }
}

impl<T: Item, S> Query<T, S> {
    pub(crate) fn new(
        target: Target,
        index: Option<&'static IndexSchema>,
        partition: Result<AttributeValue, ConvertError>,
    ) -> Self {
        Query {
            target,
            index,
            partition,
            sort: None,
            descending: false,
            options: ReadOptions::default(),
            _types: PhantomData,
        }
    }
}

impl<T: Item + 'static, S: 'static, O: Attributes + Send + 'static> Query<T, S, O> {
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
    /// It cannot name a key attribute of the table or index queried (DynamoDB refuses it:
    /// use the key condition instead).
    pub fn filter(mut self, filter: impl Into<Condition>) -> Self {
        self.options.filter = Some(filter.into());
        self
    }

    /// Reads at most `limit` items per request (DynamoDB's `Limit`, 1 or more): the page size,
    /// not a total. For a total, take from the stream: `.stream().take(n)`.
    pub fn limit(mut self, limit: u32) -> Self {
        self.options.limit = Some(limit);
        self
    }

    /// Highest sort key first.
    pub fn descending(mut self) -> Self {
        self.descending = true;
        self
    }

    /// Strongly consistent reads (not available on global secondary indexes).
    pub fn consistent_read(mut self) -> Self {
        self.options.consistent_read = true;
        self
    }

    /// Starts after the item a previous page ended on.
    pub fn start_from(mut self, cursor: Cursor) -> Self {
        self.options.start = Some(cursor);
        self
    }

    /// Adds the capacity every request consumes to `meter`.
    pub fn capacity(mut self, meter: &CapacityMeter) -> Self {
        self.options.meter = Some(meter.clone());
        self
    }

    /// Reads only the attributes of `P`, a struct deriving [`Attributes`]. Extensions see
    /// [partial](crate::extension::ItemImage::Partial) items.
    pub fn project<P: Attributes>(self) -> Query<T, S, P> {
        let mut options = self.options;
        options.projection = Some(P::SCHEMA);
        Query {
            target: self.target,
            index: self.index,
            partition: self.partition,
            sort: self.sort,
            descending: self.descending,
            options,
            _types: PhantomData,
        }
    }

    /// The first page (or the page after [`start_from`](Query::start_from)). Items that cannot
    /// be read are set aside in [`Page::unreadable`]; the cursor is kept.
    pub async fn page(self) -> Result<Page<O>, Error> {
        read_options::fetch(self).await.map(RawPage::into_page)
    }

    /// Every page, each fetched when the stream is polled past the previous one.
    pub fn pages(self) -> impl Stream<Item = Result<Page<O>, Error>> + Unpin + Send + 'static {
        read_options::raw_pages(self).map_ok(RawPage::into_page)
    }

    /// Every item, fetching pages lazily. An item that cannot be read is an
    /// [`Error::UnreadableItem`] in its place, and the stream goes on.
    pub fn stream(self) -> impl Stream<Item = Result<O, Error>> + Unpin + Send + 'static {
        page::items(read_options::raw_pages(self))
    }
    /// Every item, collected; fails at the first error.
    pub async fn all(self) -> Result<Vec<O>, Error> {
        self.stream().try_collect().await
    }

    /// How many items match (after the filter), counted by DynamoDB over every page
    /// (`Select = COUNT`): no item is transferred.
    pub async fn count(self) -> Result<u64, Error> {
        read_options::count(self).await
    }
}

impl<T: Item + 'static, S: 'static, O: Attributes + Send + 'static> PagedRead for Query<T, S, O> {
    type Item = T;
    type Output = O;

    fn target(&self) -> &Target {
        &self.target
    }

    fn index(&self) -> Option<&'static IndexSchema> {
        self.index
    }

    fn options(&self) -> &ReadOptions {
        &self.options
    }

    fn options_mut(&mut self) -> &mut ReadOptions {
        &mut self.options
    }

    /// Sends one `Query` request.
    async fn request(self) -> Result<Response, Error> {
        let target = &self.target;
        let options = &self.options;
        let (partition_key, sort_key, keys_of) = match self.index {
            Some(index) => (index.partition_key, index.sort_key, index.name),
            None => (T::TABLE.partition_key, T::TABLE.sort_key, target.name()),
        };
        options.check_consistent_read(self.index)?;
        options.check_index_projection(self.index, T::SCHEMA.type_name)?;
        let limit = options.limit()?;
        if let Some(filter) = &options.filter
            && let Some(key) = filter
                .attribute_names()
                .into_iter()
                .find(|name| *name == partition_key.name || sort_key.is_some_and(|k| k.name == *name))
        {
            return Err(Error::refused(
                RefusalKind::FilterOnKey,
                format!(
                    "the filter names `{key}`, a key of `{keys_of}`: put key conditions in the query's key condition"
                ),
            ));
        }
        let partition = checked(self.partition?, &partition_key, KeyRole::Partition, self.index)?;
        let mut placeholders = Placeholders::new();
        let mut key_condition = String::new();
        placeholders.push_name(partition_key.name, &mut key_condition);
        key_condition.push_str(" = ");
        placeholders.push_value(partition, &mut key_condition);
        if let Some(sort) = self.sort {
            let sort_key = sort_key.ok_or_else(|| {
                Error::refused(
                    RefusalKind::InvalidArgument,
                    format!("`{keys_of}` has no sort key to compare"),
                )
            })?;
            let name = placeholders.name(sort_key.name);
            let value = |v: AttributeValue, placeholders: &mut Placeholders| -> Result<String, Error> {
                Ok(placeholders.value(checked(v, &sort_key, KeyRole::Sort, self.index)?))
            };
            let condition = match sort? {
                SortCondition::Compare(op, v) => format!("{name} {op} {}", value(v, &mut placeholders)?),
                SortCondition::Between(low, high) => {
                    let low = value(low, &mut placeholders)?;
                    format!("{name} BETWEEN {low} AND {}", value(high, &mut placeholders)?)
                }
                SortCondition::BeginsWith(prefix) => {
                    if sort_key.scalar_type == ScalarType::N {
                        return Err(Error::refused(
                            RefusalKind::InvalidArgument,
                            format!(
                                "begins_with needs a string or binary sort key; `{}` is a number",
                                sort_key.name
                            ),
                        ));
                    }
                    format!("begins_with({name}, {})", value(prefix, &mut placeholders)?)
                }
            };
            key_condition.push_str(" AND ");
            key_condition.push_str(&condition);
        }
        crate::limits::check_expression("key condition", &key_condition)?;
        let filter = options.filter(&mut placeholders)?;
        let (select, projection) = options.select(&mut placeholders)?;
        let expressions = placeholders.finish(&[Some(&key_condition), filter.as_deref(), projection.as_deref()])?;

        let request = target
            .client()
            .query()
            .table_name(target.name())
            .set_index_name(self.index.map(|i| i.name.to_owned()))
            .key_condition_expression(key_condition)
            .set_filter_expression(filter)
            .set_projection_expression(projection)
            .set_select(select)
            .set_expression_attribute_names(expressions.names)
            .set_expression_attribute_values(expressions.values)
            .set_limit(if options.count_only { None } else { limit })
            .scan_index_forward(!self.descending)
            .consistent_read(options.consistent_read)
            .set_exclusive_start_key(options.start.clone().map(Cursor::into_item_map))
            .set_return_consumed_capacity(target.capacity_request(options.meter.is_some()))
            .send();
        let output = crate::ops::send(target, T::TABLE, "Query", options.meter.as_ref(), request).await?;
        Ok(output.into())
    }
}

/// Checks a key value against the key's schema: its type, not empty, within its size.
pub(crate) fn checked(
    value: AttributeValue,
    key: &KeySchema,
    role: KeyRole,
    index: Option<&IndexSchema>,
) -> Result<AttributeValue, Error> {
    crate::plan::check_key_value(key, role, &value, index.map(|i| i.name))?;
    Ok(value)
}
