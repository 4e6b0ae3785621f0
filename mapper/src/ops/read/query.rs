//! `Query`: the items of one partition, on the table or on an index.

use aws_sdk_dynamodb::types::AttributeValue;

use super::page::Cursor;
use super::{Parts, Read, ReadKind, Response, read_request};
use crate::error::{ConvertError, Error, RefusalKind};
use crate::expr::Placeholders;
use crate::item::{Attributes, Item};
use crate::limits::KeyRole;
use crate::ops::Marker;
use crate::schema::{IndexSchema, KeySchema};
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

/// The items of one partition, in sort key order: a [`Read`] whose kind is [`QueryKeys`]. Made
/// by [`Table::query`](crate::Table::query) and [`Index::query`](crate::Index::query); `S` is
/// the sort key's type, which the sort conditions take.
///
/// Besides what every read has ([`filter`](Read::filter), [`limit`](Read::limit),
/// [`project`](Read::project), [`stream`](Read::stream), [`page`](Read::page),
/// [`count`](Read::count), ...), a query takes a sort key condition (`sort_eq`, `sort_lt`,
/// `sort_le`, `sort_gt`, `sort_ge`, `sort_between`, `sort_begins_with`) and an order
/// ([`descending`](Read::descending)).
///
/// ```no_run
/// # use dynamodb_mapper::{Item, Table};
/// # use futures::TryStreamExt;
/// # #[derive(Item, Clone)] #[item(table = "orders")]
/// # struct Order { #[partition_key] customer: String, #[sort_key] placed: u64, total: u64 }
/// # async fn run(orders: Table<Order>) -> Result<(), dynamodb_mapper::Error> {
/// let recent: Vec<Order> = orders.query("ana").sort_ge(1_700_000_000u64).descending().limit(20).all().await?;
/// let mut pages = orders.query("ana").pages();
/// while let Some(page) = pages.try_next().await? {
///     println!("{} orders, more: {}", page.items.len(), page.next.is_some());
/// }
/// # Ok(()) }
/// ```
pub type Query<T, S, O = T> = Read<T, O, QueryKeys<S>>;

/// What a query has beyond the options every read has: the partition, the sort key condition
/// and the order.
pub struct QueryKeys<S> {
    partition: Result<AttributeValue, ConvertError>,
    sort: Option<Result<SortCondition, ConvertError>>,
    descending: bool,
    _sort: Marker<S>,
}

impl<S> QueryKeys<S> {
    pub(crate) fn new(partition: Result<AttributeValue, ConvertError>) -> Self {
        QueryKeys {
            partition,
            sort: None,
            descending: false,
            _sort: Marker::default(),
        }
    }
}

impl<S> Clone for QueryKeys<S> {
    fn clone(&self) -> Self {
        QueryKeys {
            partition: self.partition.clone(),
            sort: self.sort.clone(),
            descending: self.descending,
            _sort: Marker::default(),
        }
    }
}

impl<S> std::fmt::Debug for QueryKeys<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryKeys")
            .field("partition", &self.partition)
            .field("sort", &self.sort)
            .field("descending", &self.descending)
            .finish()
    }
}

impl<T: Item + 'static, S: 'static, O: Attributes + Send + 'static> Read<T, O, QueryKeys<S>> {
    fn sort(mut self, condition: Result<SortCondition, ConvertError>) -> Self {
        self.kind_mut().sort = Some(condition);
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

    /// Highest sort key first.
    pub fn descending(mut self) -> Self {
        self.kind_mut().descending = true;
        self
    }
}

impl<S: 'static> ReadKind for QueryKeys<S> {
    /// Sends one `Query` request.
    async fn request<T: Item>(&self, read: &Parts<'_>) -> Result<Response, Error> {
        let Parts { target, index, options } = *read;
        let (partition_key, sort_key, keys_of) = match index {
            Some(index) => (index.partition_key, index.sort_key, index.name),
            None => (T::TABLE.partition_key, T::TABLE.sort_key, target.name()),
        };
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
        let partition = checked(self.partition.clone()?, &partition_key, KeyRole::Partition, index)?;
        let mut placeholders = Placeholders::new();
        let mut key_condition = String::new();
        placeholders.push_name(partition_key.name, &mut key_condition);
        key_condition.push_str(" = ");
        placeholders.push_value(partition, &mut key_condition);
        if let Some(sort) = &self.sort {
            let sort_key = sort_key.ok_or_else(|| {
                Error::refused(
                    RefusalKind::InvalidArgument,
                    format!("`{keys_of}` has no sort key to compare"),
                )
            })?;
            let name = placeholders.name(sort_key.name);
            let value = |v: AttributeValue, placeholders: &mut Placeholders| -> Result<String, Error> {
                Ok(placeholders.value(checked(v, &sort_key, KeyRole::Sort, index)?))
            };
            let condition = match sort.clone()? {
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
        let common = options.common(index, T::SCHEMA.type_name, &mut placeholders)?;
        let expressions = placeholders.finish(&[
            Some(&key_condition),
            common.filter.as_deref(),
            common.projection.as_deref(),
        ])?;
        let descending = self.descending;
        let request = read_request!(query, *read, common, expressions, |request| request
            .key_condition_expression(key_condition)
            .scan_index_forward(!descending));
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
