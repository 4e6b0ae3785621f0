//! Conversion between Rust values and DynamoDB's [`AttributeValue`].
//!
//! | Rust | DynamoDB |
//! |---|---|
//! | `i8`..`i128`, `u8`..`u128`, `isize`, `usize` | `N` (out-of-range reads are errors, never wrapped; any number text whose value is an integer reads: `1E+2`, `-0`, `100.0`) |
//! | `f32`, `f64` | `N` (NaN and infinities are rejected) |
//! | `bool` | `BOOL` |
//! | `String`, `&str` | `S` |
//! | `Vec<u8>`, `VecDeque<u8>`, [`bytes::Bytes`] | `B` |
//! | `Vec<T>`, `VecDeque<T>` | `L` |
//! | `HashMap<String, T>`, `BTreeMap<String, T>` | `M` |
//! | `HashSet<T>`, `BTreeSet<T>` of strings, numbers or bytes | `SS`, `NS`, `BS`; an empty set is not written and reads back empty |
//! | `Option<T>` | `None` is not written; absent or `NULL` reads as `None` |
//! | `chrono::DateTime<Utc>` | `S`, RFC 3339 with nine sub-second digits, so text order is time order; [`epoch_seconds`] stores `N` |
//! | [`JavaInstant`], [`PynamoDateTime`] | `S`, as Java's `Instant.toString()` / PynamoDB's `UTCDateTimeAttribute` write it (see [`time`]) |
//! | [`UnixSeconds`], [`UnixMillis`] | `N`, seconds or milliseconds since the Unix epoch |
//! | `uuid::Uuid` | `S`, hyphenated lowercase |
//! | a struct deriving [`Attributes`](crate::Attributes) or [`Item`](crate::Item) | `M` |
//! | a unit enum deriving [`Attributes`](crate::Attributes) | `S` (the variant's name) |
//! | any `Serialize + Deserialize` type, with `#[attribute(serde)]` | through `serde_dynamo` |
//!
//! DynamoDB numbers hold at most 38 significant digits between 1E-130 and 1E+126; writing a
//! value outside that (`i128::MIN`, `u128::MAX`, `1e200`) is an
//! [`OutOfRange`](crate::ConvertErrorKind::OutOfRange) error rather than a request DynamoDB
//! would refuse.
//!
//! Inside a list or a map, a value that would not be written (`None`, an empty set) is stored
//! as `NULL`, so that positions and keys survive a round trip. A struct stored as a nested map
//! is written as the item itself is: a `None` field is left out of its map (reading accepts
//! `NULL` and absence alike).
//!
//! Reading consumes the attribute: strings, lists and byte buffers are moved out of the
//! `AttributeValue`, not copied.

mod borrowed;
mod collection;
#[cfg(any(feature = "dynamodb-json", feature = "testing"))]
pub(crate) mod dynamodb_json;
mod error;
mod number;
mod number_text;
mod scalar;
#[cfg(feature = "chrono")]
#[cfg_attr(docsrs, doc(cfg(feature = "chrono")))]
pub mod time;
mod time_format;
#[cfg(feature = "uuid")]
mod uuid;

pub mod epoch_seconds;
#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
pub mod via_serde;

#[cfg(feature = "chrono")]
#[cfg_attr(docsrs, doc(cfg(feature = "chrono")))]
pub use time::{JavaInstant, PynamoDateTime, UnixMillis, UnixSeconds};

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

#[doc(hidden)]
pub use borrowed::{AttributeRef, ListRef, MapRef, ViewAttribute};
pub use error::{ConvertError, ConvertErrorKind};
pub use time_format::{TimeFormat, Timestamp};

/// An item as the SDK sends and receives it: attribute names to values.
pub type ItemMap = HashMap<String, AttributeValue>;

/// A Rust value that can be written as a DynamoDB attribute.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be stored as a DynamoDB attribute",
    label = "no conversion to an AttributeValue",
    note = "derive `Attributes` for a struct or unit enum, mark the field `#[attribute(serde)]` for a serde type, or convert it with `#[attribute(with = path)]`"
)]
///
/// Implemented for the types in the [module table](self), and by `#[derive(Item)]` and
/// `#[derive(Attributes)]`. Implement it (with [`FromAttributeValue`]) to store a type of your
/// own; or write a converter module and use `#[attribute(with = path)]`.
pub trait ToAttributeValue {
    /// How values of this type are stored, as far as the type decides it;
    /// [`AttributeType::Dynamic`] (the default) if it is decided at run time. The derives
    /// record it in each attribute's [schema](crate::schema::AttributeSchema::attribute_type).
    const ATTRIBUTE_TYPE: &'static AttributeType = &AttributeType::Dynamic;

    /// How a sequence of `Self` (a `Vec<Self>`) is stored: a list by default, binary for `u8`.
    #[doc(hidden)]
    const SEQUENCE_ATTRIBUTE_TYPE: &'static AttributeType = &AttributeType::L(Self::ATTRIBUTE_TYPE);

    /// The attribute to store, or `None` to store nothing (a `None`, an empty set).
    fn to_attribute_value(&self) -> Result<Option<AttributeValue>, ConvertError>;

    /// Writes a sequence of `Self` (a `Vec<Self>`): a list by default. `u8` overrides it so
    /// that `Vec<u8>` is binary.
    #[doc(hidden)]
    fn sequence_to_attribute_value<'a, I>(items: I) -> Result<Option<AttributeValue>, ConvertError>
    where
        Self: Sized + 'a,
        I: ExactSizeIterator<Item = &'a Self>,
    {
        let mut list = Vec::with_capacity(items.len());
        for (i, item) in items.enumerate() {
            let value = item.to_attribute_value().map_err(|e| e.at_index(i))?;
            list.push(value.unwrap_or_else(|| AttributeValue::Null(true)));
        }
        Ok(Some(AttributeValue::L(list)))
    }
}

/// A Rust value that can be read from a DynamoDB attribute.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read from a DynamoDB attribute",
    label = "no conversion from an AttributeValue",
    note = "derive `Attributes` for a struct or unit enum, mark the field `#[attribute(serde)]` for a serde type, or convert it with `#[attribute(with = path)]`"
)]
///
/// Reading consumes the `AttributeValue` so that strings and buffers move instead of being
/// copied.
pub trait FromAttributeValue: Sized {
    /// Reads the value from an attribute that is present.
    fn from_attribute_value(value: AttributeValue) -> Result<Self, ConvertError>;

    /// The value of an absent attribute: an error unless the type has a natural empty value
    /// (`None`, an empty set).
    fn from_missing() -> Result<Self, ConvertError> {
        Err(ConvertError::missing::<Self>())
    }

    /// Reads a sequence of `Self` (a `Vec<Self>`): a list by default; `u8` reads binary.
    #[doc(hidden)]
    fn sequence_from_attribute_value(value: AttributeValue) -> Result<Vec<Self>, ConvertError> {
        match value {
            AttributeValue::L(list) => {
                let mut out = Vec::with_capacity(list.len());
                for (i, v) in list.into_iter().enumerate() {
                    out.push(Self::from_attribute_value(v).map_err(|e| e.at_index(i))?);
                }
                Ok(out)
            }
            other => Err(ConvertError::wrong_type::<Vec<Self>>("L", &other)),
        }
    }

    /// Reads the value from an attribute seen in place, copying only what `Self` keeps. By
    /// default a copy of the attribute goes through
    /// [`from_attribute_value`](Self::from_attribute_value); the crate's own types read in
    /// place.
    #[doc(hidden)]
    fn from_attribute_ref(value: AttributeRef<'_>) -> Result<Self, ConvertError> {
        Self::from_attribute_value(value.to_owned_value())
    }

    /// [`sequence_from_attribute_value`](Self::sequence_from_attribute_value), in place.
    #[doc(hidden)]
    fn sequence_from_attribute_ref(value: AttributeRef<'_>) -> Result<Vec<Self>, ConvertError> {
        match value {
            AttributeRef::L(list) => {
                let mut out = Vec::with_capacity(list.len());
                for i in 0..list.len() {
                    let v = list.get(i).unwrap_or(AttributeRef::Null(true));
                    out.push(Self::from_attribute_ref(v).map_err(|e| e.at_index(i))?);
                }
                Ok(out)
            }
            other => Err(ConvertError::wrong_type_ref::<Vec<Self>>("L", other)),
        }
    }
}

/// How DynamoDB stores a Rust type, as far as the type alone decides it: the
/// [`ToAttributeValue::ATTRIBUTE_TYPE`] of each type, recorded per attribute in the
/// [schema](crate::schema::AttributeSchema::attribute_type).
///
/// ```
/// use std::collections::HashMap;
/// use dynamodb_mapper::value::{AttributeType, SetType, ToAttributeValue};
///
/// assert_eq!(*<Option<u32>>::ATTRIBUTE_TYPE, AttributeType::N);
/// assert_eq!(*<Vec<u8>>::ATTRIBUTE_TYPE, AttributeType::B);
/// assert_eq!(*<Vec<String>>::ATTRIBUTE_TYPE, AttributeType::L(&AttributeType::S));
/// assert_eq!(*<HashMap<String, bool>>::ATTRIBUTE_TYPE, AttributeType::M(&AttributeType::Bool));
/// assert_eq!(*<std::collections::BTreeSet<i64>>::ATTRIBUTE_TYPE, AttributeType::Set(SetType::Number));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttributeType {
    /// A string (`S`).
    S,
    /// A number (`N`).
    N,
    /// Binary (`B`).
    B,
    /// A boolean (`BOOL`).
    Bool,
    /// A string, number or binary set (`SS`, `NS`, `BS`).
    Set(SetType),
    /// A list (`L`) whose elements are stored as given.
    L(&'static AttributeType),
    /// A map (`M`) with keys chosen at run time, whose values are stored as given.
    M(&'static AttributeType),
    /// A map (`M`) holding the attributes of a struct deriving
    /// [`Attributes`](crate::Attributes).
    Struct(NestedStruct),
    /// Decided at run time: an [`AttributeValue`], a type that does not say, or a field stored
    /// through a converter (`#[attribute(with = ...)]`, `#[attribute(serde)]`).
    Dynamic,
}

/// A struct stored as a nested map: its name, and which attributes that act only at the top
/// level of an item it has (for the derive's compile-time checks). Made by the derives; the
/// struct's whole schema is its [`Attributes::SCHEMA`](crate::Attributes::SCHEMA).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NestedStruct {
    type_name: &'static str,
    top_level_only: u8,
}

impl NestedStruct {
    #[doc(hidden)]
    pub const fn new(type_name: &'static str, top_level_only: u8) -> Self {
        NestedStruct {
            type_name,
            top_level_only,
        }
    }

    /// The struct's name.
    pub const fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// Which attributes that act only at the top level of an item (keys, `#[version]`,
    /// `#[ttl]`, ...) the struct has, as `__private::top_level_only` flags.
    #[doc(hidden)]
    pub const fn top_level_only(&self) -> u8 {
        self.top_level_only
    }
}

/// The scalar types a key attribute can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScalarType {
    /// String (`S`).
    S,
    /// Number (`N`).
    N,
    /// Binary (`B`).
    B,
}

impl ScalarType {
    /// The SDK's name for this type, as used in key schemas and attribute definitions.
    pub fn as_sdk(self) -> aws_sdk_dynamodb::types::ScalarAttributeType {
        use aws_sdk_dynamodb::types::ScalarAttributeType;
        match self {
            ScalarType::S => ScalarAttributeType::S,
            ScalarType::N => ScalarAttributeType::N,
            ScalarType::B => ScalarAttributeType::B,
        }
    }
}

/// A type that can be a table or index key: stored as a string, number or binary scalar.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a DynamoDB key attribute",
    label = "not a string, number or binary scalar",
    note = "keys must be stored as S, N or B: use String, an integer, a float, Vec<u8>, Bytes, Uuid, DateTime<Utc>, or a unit enum deriving `Attributes`"
)]
pub trait KeyAttribute: ToAttributeValue + FromAttributeValue {
    /// How the key is stored.
    const SCALAR_TYPE: ScalarType;

    /// Reads a key attribute of an item: like
    /// [`from_attribute_value`](FromAttributeValue::from_attribute_value), but stored text
    /// that this type would not write back byte for byte is a
    /// [`NonCanonicalKey`](crate::ConvertErrorKind::NonCanonicalKey) error. DynamoDB compares
    /// keys byte for byte, so writing such an item back would address another item: an update
    /// would create a duplicate, a delete would delete nothing.
    ///
    /// The default reads as `from_attribute_value` does, at no cost: right for types whose
    /// text has one form (strings, binary, unit enums) and for numbers, which DynamoDB
    /// compares by value. Types that read several forms of one value (times, UUIDs) override
    /// it.
    ///
    /// Items decoded by the mapper (get, query, scan, the item an update returns) read their
    /// table and index keys through it. A key built from a value (`get(key)`, `delete(key)`)
    /// is only written, so it cannot detect the mismatch: it simply finds no item.
    ///
    /// ```
    /// # #[cfg(feature = "chrono")] {
    /// use aws_sdk_dynamodb::types::AttributeValue;
    /// use chrono::{DateTime, Utc};
    /// use dynamodb_mapper::ConvertErrorKind;
    /// use dynamodb_mapper::value::{JavaInstant, KeyAttribute};
    ///
    /// let java = || AttributeValue::S("2019-01-13T14:00:00Z".into());
    /// let err = DateTime::<Utc>::from_key_attribute_value(java()).unwrap_err();
    /// assert!(matches!(
    ///     err.kind(),
    ///     ConvertErrorKind::NonCanonicalKey { matching: Some("JavaInstant"), .. }
    /// ));
    /// assert!(JavaInstant::from_key_attribute_value(java()).is_ok());
    /// # }
    /// ```
    #[inline(always)]
    fn from_key_attribute_value(value: AttributeValue) -> Result<Self, ConvertError> {
        Self::from_attribute_value(value)
    }

    /// A table key field's read in a derived struct: the key check of the stored value, or,
    /// without one, the type's own answer to a missing value.
    #[doc(hidden)]
    #[inline(always)]
    fn from_key_field(value: Option<AttributeValue>) -> Result<Self, ConvertError>
    where
        Self: Sized,
    {
        match value {
            Some(value) => Self::from_key_attribute_value(value),
            None => Self::from_missing(),
        }
    }

    /// Writes an owned key part, as a key given by value is written (`get(key)`,
    /// `delete(key)`, a batch's keys). The default is
    /// [`to_attribute_value`](ToAttributeValue::to_attribute_value); strings and binary
    /// override it to move their contents into the attribute instead of copying them.
    #[inline(always)]
    fn into_key_attribute_value(self) -> Result<Option<AttributeValue>, ConvertError>
    where
        Self: Sized,
    {
        self.to_attribute_value()
    }
}

/// A type that can be a secondary index key: a [`KeyAttribute`], or an `Option` of one (items
/// without the attribute are left out of the index: a sparse index).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a DynamoDB index key attribute",
    label = "not a string, number or binary scalar, or an Option of one",
    note = "index keys are stored as S, N or B: use String, an integer, a float, Vec<u8>, Bytes, Uuid, DateTime<Utc>, a unit enum deriving `Attributes`, or an Option of one"
)]
pub trait IndexKeyAttribute: Sized {
    /// How the key is stored.
    const SCALAR_TYPE: ScalarType;

    /// Reads the attribute (`None`: absent) through
    /// [`KeyAttribute::from_key_attribute_value`]; for an `Option`, absent or `NULL` is `None`.
    fn from_index_key_value(value: Option<AttributeValue>) -> Result<Self, ConvertError>;
}

impl<T: KeyAttribute> IndexKeyAttribute for T {
    const SCALAR_TYPE: ScalarType = T::SCALAR_TYPE;

    #[inline(always)]
    fn from_index_key_value(value: Option<AttributeValue>) -> Result<Self, ConvertError> {
        match value {
            Some(value) => T::from_key_attribute_value(value),
            None => T::from_missing(),
        }
    }
}

impl<T: KeyAttribute> IndexKeyAttribute for Option<T> {
    const SCALAR_TYPE: ScalarType = T::SCALAR_TYPE;

    #[inline]
    fn from_index_key_value(value: Option<AttributeValue>) -> Result<Self, ConvertError> {
        match value {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(value) => T::from_key_attribute_value(value).map(Some),
        }
    }
}

/// A type that can be a member of a string, number or binary set (`SS`, `NS`, `BS`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be stored in a DynamoDB set",
    note = "sets hold strings (String, Uuid, a unit enum), integers, or bytes (Vec<u8>, Bytes); use a Vec for a list"
)]
pub trait SetElement: Sized {
    /// Which set type holds this element.
    const SET_TYPE: SetType;
    /// The member as stored.
    fn to_member(&self) -> Result<SetMember, ConvertError>;
    /// Reads a member. String and number sets give [`SetMember::Text`], binary ones
    /// [`SetMember::Binary`].
    fn from_member(member: SetMember) -> Result<Self, ConvertError>;
}

/// The three set types of DynamoDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetType {
    /// `SS`
    String,
    /// `NS`
    Number,
    /// `BS`
    Binary,
}

/// One member of a set, as stored.
#[derive(Debug, Clone, PartialEq)]
pub enum SetMember {
    /// A string set's member, or a number set's member in DynamoDB's number syntax.
    Text(String),
    /// A binary set's member.
    Binary(aws_sdk_dynamodb::primitives::Blob),
}

impl SetType {
    /// `SS`, `NS` or `BS`.
    pub fn name(self) -> &'static str {
        match self {
            SetType::String => "SS",
            SetType::Number => "NS",
            SetType::Binary => "BS",
        }
    }
}

impl SetMember {
    /// The error for a member of `T` found in the wrong kind of set.
    pub(crate) fn mismatch<T: SetElement>(&self) -> ConvertError {
        ConvertError::new(ConvertErrorKind::WrongType {
            expected: T::SET_TYPE.name(),
            found: match self {
                SetMember::Text(_) => "SS or NS",
                SetMember::Binary(_) => "BS",
            },
            rust_type: std::any::type_name::<T>(),
        })
    }
}

/// The DynamoDB type name of a value (`S`, `N`, `M`, ...), for error messages.
pub fn type_of(value: &AttributeValue) -> &'static str {
    match value {
        AttributeValue::S(_) => "S",
        AttributeValue::N(_) => "N",
        AttributeValue::B(_) => "B",
        AttributeValue::Bool(_) => "BOOL",
        AttributeValue::Null(_) => "NULL",
        AttributeValue::L(_) => "L",
        AttributeValue::M(_) => "M",
        AttributeValue::Ss(_) => "SS",
        AttributeValue::Ns(_) => "NS",
        AttributeValue::Bs(_) => "BS",
        _ => "an unknown type",
    }
}

/// An `AttributeValue` is written as it is.
impl ToAttributeValue for AttributeValue {
    fn to_attribute_value(&self) -> Result<Option<AttributeValue>, ConvertError> {
        Ok(Some(self.clone()))
    }
}

impl FromAttributeValue for AttributeValue {
    fn from_attribute_value(value: AttributeValue) -> Result<Self, ConvertError> {
        Ok(value)
    }
}

impl<T: ToAttributeValue + ?Sized> ToAttributeValue for &T {
    const ATTRIBUTE_TYPE: &'static AttributeType = T::ATTRIBUTE_TYPE;
    fn to_attribute_value(&self) -> Result<Option<AttributeValue>, ConvertError> {
        (**self).to_attribute_value()
    }
}

impl<T: ToAttributeValue + ?Sized> ToAttributeValue for Box<T> {
    const ATTRIBUTE_TYPE: &'static AttributeType = T::ATTRIBUTE_TYPE;
    fn to_attribute_value(&self) -> Result<Option<AttributeValue>, ConvertError> {
        (**self).to_attribute_value()
    }
}

impl<T: FromAttributeValue> FromAttributeValue for Box<T> {
    fn from_attribute_value(value: AttributeValue) -> Result<Self, ConvertError> {
        T::from_attribute_value(value).map(Box::new)
    }
    fn from_attribute_ref(value: AttributeRef<'_>) -> Result<Self, ConvertError> {
        T::from_attribute_ref(value).map(Box::new)
    }
    fn from_missing() -> Result<Self, ConvertError> {
        T::from_missing().map(Box::new)
    }
}
