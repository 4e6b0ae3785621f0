//! `Query`: the items of one partition, on the table or on an index.

use aws_sdk_dynamodb::types::AttributeValue;

use super::keys::{SortPrefix, Sorts, TypedIndexKind, Unchecked};
use super::page;
use super::{Parts, Read, ReadKind, Response, read_request};
use crate::error::{ConvertError, Error, RefusalKind};
use crate::expr::{FieldValue, Placeholders};
use crate::item::{Attributes, Item};
use crate::limits::KeyRole;
use crate::ops::Marker;
use crate::schema::{IndexSchema, KeySchema};
use crate::value::{KeyAttribute, ScalarType, ToAttributeValue};

/// A value for a key of type `S`: an `S`, or a borrowed form of one (`&str` for a `String`
/// key), for typed keys; any value for [`AnyKey`] (an index named at run time, whose keys are
/// checked against its schema when the request is built).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a value of the key attribute `{S}`",
    label = "expected a `{S}`",
    note = "sort conditions take the sort key attributes' own types, in key order: equality on the leading ones first"
)]
pub trait KeyValue<S> {
    /// The value as stored.
    fn into_key_value(self) -> Result<AttributeValue, ConvertError>;
}

impl<S: KeyAttribute, V: FieldValue<S>> KeyValue<S> for V {
    fn into_key_value(self) -> Result<AttributeValue, ConvertError> {
        key_value(self.into_value())
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

/// What a query has beyond the options every read has: the partition, the sort key
/// conditions and the order. `S` is what the sort conditions take (the sort key's type for a
/// table, [`AnyKey`] for an index named at run time, [`Sorts`] for a typed index handle), `X`
/// the kind of index read.
pub struct QueryKeys<S, X = Unchecked> {
    /// One value per partition key attribute, in key order.
    partition: Result<Vec<AttributeValue>, ConvertError>,
    /// One condition per sort key attribute, from the first: equalities, then at most one
    /// other condition.
    sort: Vec<Result<SortCondition, ConvertError>>,
    descending: bool,
    _sort: Marker<(S, X)>,
}

impl<S, X> QueryKeys<S, X> {
    pub(crate) fn new(partition: Result<Vec<AttributeValue>, ConvertError>) -> Self {
        QueryKeys {
            partition,
            sort: Vec::new(),
            descending: false,
            _sort: Marker::default(),
        }
    }

    /// The same keys, the sort conditions now taking `S2`.
    fn retyped<S2>(self) -> QueryKeys<S2, X> {
        QueryKeys {
            partition: self.partition,
            sort: self.sort,
            descending: self.descending,
            _sort: Marker::default(),
        }
    }
}

impl<S, X> Clone for QueryKeys<S, X> {
    fn clone(&self) -> Self {
        QueryKeys {
            partition: self.partition.clone(),
            sort: self.sort.clone(),
            descending: self.descending,
            _sort: Marker::default(),
        }
    }
}

impl<S, X> std::fmt::Debug for QueryKeys<S, X> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryKeys")
            .field("partition", &self.partition)
            .field("sort", &self.sort)
            .field("descending", &self.descending)
            .finish()
    }
}

impl<T, O, S, X> Read<T, O, QueryKeys<S, X>> {
    /// Highest sort key first.
    pub fn descending(mut self) -> Self {
        self.kind_mut().descending = true;
        self
    }
}

impl<T: Item + 'static, S: 'static, O: Attributes + Send + 'static> Read<T, O, QueryKeys<S>> {
    /// The key's one sort condition (a table's or an index named at run time).
    fn sort(mut self, condition: Result<SortCondition, ConvertError>) -> Self {
        self.kind_mut().sort = vec![condition];
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
        self.sort(between(low, high))
    }

    /// Sort key starting with `prefix` (string and binary sort keys).
    pub fn sort_begins_with(self, prefix: impl KeyValue<S>) -> Self {
        self.sort(prefix.into_key_value().map(SortCondition::BeginsWith))
    }
}

fn between<S>(low: impl KeyValue<S>, high: impl KeyValue<S>) -> Result<SortCondition, ConvertError> {
    low.into_key_value()
        .and_then(|low| Ok(SortCondition::Between(low, high.into_key_value()?)))
}

/// The sort conditions of a typed index handle's query: each applies to the first sort key
/// attribute not compared yet, so they follow the key's order. An equality leaves the next
/// attribute to compare; any other condition ends the key condition, as DynamoDB requires.
impl<T, O, L, X: TypedIndexKind> Read<T, O, QueryKeys<Sorts<L>, X>> {
    fn then_sort<L2>(mut self, condition: Result<SortCondition, ConvertError>) -> Read<T, O, QueryKeys<Sorts<L2>, X>> {
        self.kind_mut().sort.push(condition);
        self.map_kind(QueryKeys::retyped)
    }

    /// The next sort key attribute equal to `value`; the attribute after it may be compared
    /// next.
    pub fn sort_eq(self, value: impl KeyValue<L::Head>) -> Read<T, O, QueryKeys<Sorts<L::Tail>, X>>
    where
        L: SortPrefix,
    {
        self.then_sort(value.into_key_value().map(|v| SortCondition::Compare("=", v)))
    }

    /// The next sort key attribute less than `value`.
    pub fn sort_lt(self, value: impl KeyValue<L::Head>) -> Read<T, O, QueryKeys<Sorts<()>, X>>
    where
        L: SortPrefix,
    {
        self.then_sort(value.into_key_value().map(|v| SortCondition::Compare("<", v)))
    }

    /// The next sort key attribute less than or equal to `value`.
    pub fn sort_le(self, value: impl KeyValue<L::Head>) -> Read<T, O, QueryKeys<Sorts<()>, X>>
    where
        L: SortPrefix,
    {
        self.then_sort(value.into_key_value().map(|v| SortCondition::Compare("<=", v)))
    }

    /// The next sort key attribute greater than `value`.
    pub fn sort_gt(self, value: impl KeyValue<L::Head>) -> Read<T, O, QueryKeys<Sorts<()>, X>>
    where
        L: SortPrefix,
    {
        self.then_sort(value.into_key_value().map(|v| SortCondition::Compare(">", v)))
    }

    /// The next sort key attribute greater than or equal to `value`.
    pub fn sort_ge(self, value: impl KeyValue<L::Head>) -> Read<T, O, QueryKeys<Sorts<()>, X>>
    where
        L: SortPrefix,
    {
        self.then_sort(value.into_key_value().map(|v| SortCondition::Compare(">=", v)))
    }

    /// The next sort key attribute between `low` and `high`, inclusive.
    pub fn sort_between(
        self,
        low: impl KeyValue<L::Head>,
        high: impl KeyValue<L::Head>,
    ) -> Read<T, O, QueryKeys<Sorts<()>, X>>
    where
        L: SortPrefix,
    {
        self.then_sort(between(low, high))
    }

    /// The next sort key attribute starting with `prefix` (string and binary attributes).
    pub fn sort_begins_with(self, prefix: impl KeyValue<L::Head>) -> Read<T, O, QueryKeys<Sorts<()>, X>>
    where
        L: SortPrefix,
    {
        self.then_sort(prefix.into_key_value().map(SortCondition::BeginsWith))
    }
}

impl<S: 'static, X: Send + Sync + 'static> ReadKind for QueryKeys<S, X> {
    /// A query's page tokens are bound to its partition key, sort conditions and order.
    fn scope(&self, out: &mut Vec<u8>) {
        out.push(if self.descending { b'q' } else { b'Q' });
        match &self.partition {
            Ok(values) => values.iter().for_each(|v| page::push_value(out, v)),
            // Refused when the request is built.
            Err(_) => out.push(b'!'),
        }
        out.push(b'|');
        for condition in &self.sort {
            match condition {
                Ok(SortCondition::Compare(op, v)) => {
                    page::push_part(out, op.as_bytes());
                    page::push_value(out, v);
                }
                Ok(SortCondition::Between(low, high)) => {
                    page::push_part(out, b"between");
                    page::push_value(out, low);
                    page::push_value(out, high);
                }
                Ok(SortCondition::BeginsWith(prefix)) => {
                    page::push_part(out, b"begins_with");
                    page::push_value(out, prefix);
                }
                Err(_) => out.push(b'!'),
            }
        }
    }

    /// Sends one `Query` request.
    async fn request<T: Item>(&self, read: &Parts<'_>) -> Result<Response, Error> {
        let Parts {
            target, index, options, ..
        } = *read;
        let table_partition = std::slice::from_ref(&T::TABLE.partition_key);
        let (partition_keys, sort_keys, keys_of): (&[KeySchema], &[KeySchema], &str) = match index {
            Some(index) => (index.partition_keys, index.sort_keys, index.name),
            None => (table_partition, T::TABLE.sort_key.as_slice(), target.name()),
        };
        if let Some(filter) = &options.filter
            && let Some(key) = filter
                .attribute_names()
                .into_iter()
                .find(|name| partition_keys.iter().chain(sort_keys).any(|k| k.name == *name))
        {
            return Err(Error::refused(
                RefusalKind::FilterOnKey,
                format!(
                    "the filter names `{key}`, a key of `{keys_of}`: put key conditions in the query's key condition"
                ),
            ));
        }
        let partition = self.partition.clone()?;
        if partition.len() != partition_keys.len() {
            return Err(Error::refused(
                RefusalKind::InvalidKey,
                format!(
                    "`{keys_of}` has {} partition key attributes and the query gives {}: query a multi-attribute key through the index's typed handle",
                    partition_keys.len(),
                    partition.len()
                ),
            ));
        }
        let mut placeholders = Placeholders::new();
        let mut key_condition = String::new();
        for (i, (key, value)) in partition_keys.iter().zip(partition).enumerate() {
            if i > 0 {
                key_condition.push_str(" AND ");
            }
            let value = checked(value, key, KeyRole::Partition, index)?;
            placeholders.push_name(key.name, &mut key_condition);
            key_condition.push_str(" = ");
            placeholders.push_value(value, &mut key_condition);
        }
        if self.sort.len() > sort_keys.len() {
            return Err(Error::refused(
                RefusalKind::InvalidArgument,
                format!("`{keys_of}` has no sort key to compare"),
            ));
        }
        let last = self.sort.len().saturating_sub(1);
        for (i, (sort_key, sort)) in sort_keys.iter().zip(&self.sort).enumerate() {
            let name = placeholders.name(sort_key.name);
            let value = |v: AttributeValue, placeholders: &mut Placeholders| -> Result<String, Error> {
                Ok(placeholders.value(checked(v, sort_key, KeyRole::Sort, index)?))
            };
            let condition = match sort.clone()? {
                SortCondition::Compare("=", v) => format!("{name} = {}", value(v, &mut placeholders)?),
                _ if i < last => {
                    return Err(Error::refused(
                        RefusalKind::InvalidArgument,
                        format!(
                            "the sort key attributes of `{keys_of}` before the last one compared take equalities: `{}` has another condition",
                            sort_key.name
                        ),
                    ));
                }
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
