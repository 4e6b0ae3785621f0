//! The traits the derives implement: [`Attributes`] for any struct stored as a map of
//! attributes, [`Item`] for a table's item type with its keys.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::schema::{ItemSchema, TableSchema};
pub use crate::value::ItemMap;
use crate::value::{ConvertError, FromAttributeValue, KeyAttribute, ScalarType, ToAttributeValue};

/// A struct stored as a map of attributes: a whole item, a nested map (`M`) inside one, or
/// fields flattened into one (`#[attribute(flatten)]`).
///
/// Implemented by `#[derive(Attributes)]` (and by `#[derive(Item)]`). A struct deriving it is
/// also a [`ToAttributeValue`](crate::value::ToAttributeValue) and
/// [`FromAttributeValue`](crate::value::FromAttributeValue) stored as `M`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a struct of attributes",
    label = "cannot be flattened or read as a projection",
    note = "derive `Attributes` for it"
)]
pub trait Attributes: Sized {
    /// The struct's attributes and their tags.
    const SCHEMA: &'static ItemSchema;

    /// How many attributes [`write_attributes`](Self::write_attributes) writes at most.
    const ATTRIBUTE_COUNT: usize;

    /// Inserts this value's attributes into `item`.
    fn write_attributes(&self, item: &mut ItemMap) -> Result<(), ConvertError>;

    /// Reads this value's attributes, removing them from `item` (values are moved, not copied).
    /// Attributes it does not know are left in `item`.
    fn read_attributes(item: &mut ItemMap) -> Result<Self, ConvertError>;

    /// Reads this value's attributes from an item it consumes or one seen in place. The
    /// derives read both ways with one body; by default, the item is read through
    /// [`read_attributes`](Self::read_attributes).
    #[doc(hidden)]
    fn read_from<F: crate::__private::Fields>(item: &mut F) -> Result<Self, ConvertError> {
        item.read_owned(Self::read_attributes)
    }
}

/// A table's item type: a struct with a partition key, optionally a sort key, and secondary
/// index keys. Implemented by `#[derive(Item)]`.
///
/// ```
/// use dynamodb_mapper::Item;
///
/// #[derive(Item, Debug, PartialEq)]
/// #[item(table = "customers")]
/// struct Customer {
///     #[partition_key]
///     id: String,
///     #[sort_key]
///     region: String,
///     visits: u32,
/// }
///
/// let c = Customer { id: "42".into(), region: "eu".into(), visits: 3 };
/// let item = c.to_item()?;
/// assert_eq!(item.len(), 3);
/// assert_eq!(c.key(), ("42".to_string(), "eu".to_string()));
/// assert_eq!(c.key_item()?, Customer::key_from(("42", "eu"))?);
/// assert_eq!(Customer::from_item(item)?, c);
/// # Ok::<(), dynamodb_mapper::ConvertError>(())
/// ```
pub trait Item: Attributes {
    /// The table's keys and indexes.
    const TABLE: &'static TableSchema;

    /// The primary key as owned values: the partition key's type, or a
    /// `(partition, sort)` tuple.
    type Key;

    /// The partition key's type (a [`KeyAttribute`]; the derive checks it).
    type PartitionKey;

    /// The sort key's type, or [`NoSortKey`] for a table without one.
    type SortKey;

    /// Converts the item to the map DynamoDB stores.
    fn to_item(&self) -> Result<ItemMap, ConvertError> {
        let mut item = HashMap::with_capacity(Self::ATTRIBUTE_COUNT);
        match self.write_attributes(&mut item) {
            Ok(()) => Ok(item),
            Err(e) => Err(e.in_item(Self::SCHEMA.type_name)),
        }
    }

    /// Reads an item from the map DynamoDB returned, consuming it.
    fn from_item(mut item: ItemMap) -> Result<Self, ConvertError> {
        Self::read_attributes(&mut item).map_err(|e| e.in_item(Self::SCHEMA.type_name))
    }

    /// This item's primary key (cloned out of it).
    fn key(&self) -> Self::Key;

    /// This item's primary key attributes, as DynamoDB expects a `Key`.
    fn key_item(&self) -> Result<ItemMap, ConvertError>;

    /// The primary key attributes for a key value.
    fn key_to_item(key: Self::Key) -> Result<ItemMap, ConvertError>;

    /// Reads the primary key from an item's key attributes (a stream record's `Keys`, say),
    /// removing them from `item`, as [`from_item`](Self::from_item) reads them: through each
    /// key type's [key check](crate::value::KeyAttribute::from_key_attribute_value) or the
    /// field's converter.
    ///
    /// ```
    /// use dynamodb_mapper::Item;
    ///
    /// #[derive(Item)]
    /// struct Customer {
    ///     #[partition_key]
    ///     id: String,
    ///     #[sort_key]
    ///     region: String,
    /// }
    ///
    /// let mut keys = Customer::key_from(("42", "eu"))?;
    /// assert_eq!(Customer::read_key(&mut keys)?, ("42".to_string(), "eu".to_string()));
    /// assert!(keys.is_empty());
    /// # Ok::<(), dynamodb_mapper::ConvertError>(())
    /// ```
    fn read_key(item: &mut ItemMap) -> Result<Self::Key, ConvertError>;

    /// [`read_key`](Self::read_key) from an item it consumes or one seen in place.
    #[doc(hidden)]
    fn read_key_from<F: crate::__private::Fields>(item: &mut F) -> Result<Self::Key, ConvertError> {
        item.read_owned(Self::read_key)
    }

    /// The primary key attributes for anything convertible to the key's types:
    /// `Customer::key_from(("42", "eu"))` for a `(String, String)` key.
    fn key_from<K>(key: K) -> Result<ItemMap, ConvertError>
    where
        Self: KeyFrom<K>,
    {
        Self::key_to_item(<Self as KeyFrom<K>>::into_key(key))
    }
}

/// An item type with a `#[version]` attribute of its own: writes of it are conditional on the
/// version that was read, so a lost race is detected. Implemented by `#[derive(Item)]` exactly
/// when the struct itself has a `#[version]` field; a version inside a flattened struct is
/// found at run time only (from the [schema](crate::schema)), so it does not make the item
/// `Versioned`.
///
/// ```
/// use dynamodb_mapper::{Item, Versioned};
///
/// #[derive(Item)]
/// struct Account {
///     #[partition_key]
///     id: String,
///     #[version]
///     version: Option<u64>,
/// }
///
/// fn needs_versions<T: Versioned>() {}
/// needs_versions::<Account>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no `#[version]` attribute",
    label = "not versioned",
    note = "read_modify_write needs a `#[version]` attribute on the item: nothing else detects that another writer changed the item between the read and the write"
)]
pub trait Versioned: Item {}

/// Conversion from convenient values to an item's [`Item::Key`]: any `A: Into<P>` for a
/// partition key of type `P`, any `(A, B)` with `A: Into<P>, B: Into<S>` for a composite key.
/// Implemented by `#[derive(Item)]`.
pub trait KeyFrom<K>: Item {
    /// The key value.
    fn into_key(key: K) -> Self::Key;
}

/// The sort key type of a table without a sort key: it has no values, so sort key conditions
/// on such a table do not compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoSortKey {}

#[diagnostic::do_not_recommend]
impl ToAttributeValue for NoSortKey {
    fn to_attribute_value(&self) -> Result<Option<AttributeValue>, ConvertError> {
        match *self {}
    }
}

#[diagnostic::do_not_recommend]
impl FromAttributeValue for NoSortKey {
    fn from_attribute_value(_: AttributeValue) -> Result<Self, ConvertError> {
        Err(ConvertError::custom("the table has no sort key"))
    }
}

#[diagnostic::do_not_recommend]
impl KeyAttribute for NoSortKey {
    const SCALAR_TYPE: ScalarType = ScalarType::S;
}

/// Reads any struct deriving [`Attributes`] from a whole item (a projection of a table's
/// items, for instance).
pub(crate) fn decode<O: Attributes>(mut item: ItemMap) -> Result<O, ConvertError> {
    O::read_attributes(&mut item).map_err(|e| e.in_item(O::SCHEMA.type_name))
}

impl crate::ConditionFailed {
    /// The item stored now, decoded; `None` if no item is stored.
    pub fn item<T: Attributes>(&self) -> Result<Option<T>, ConvertError> {
        self.item_map().cloned().map(decode).transpose()
    }
}

impl crate::error::CancellationReason {
    /// The item stored now, decoded as `T`; `None` when no item is stored or the action's
    /// condition did not fail. ([`TransactionCanceled::item`](crate::ops::TransactionCanceled::item)
    /// decodes it as the action's own type, through its handle.)
    pub fn item<T: Attributes>(&self) -> Result<Option<T>, crate::Error> {
        Ok(self.item_map().cloned().map(decode).transpose()?)
    }
}
