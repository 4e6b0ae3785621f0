//! Support for the code the derives generate. Not public API: it may change in any release.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::{ConvertError, ConvertErrorKind};
use crate::item::{Attributes, ItemMap};
use crate::value::{AttributeRef, FromAttributeValue, MapRef, ToAttributeValue};

pub use aws_sdk_dynamodb::types::AttributeValue as Value;
pub use std::result::Result;

/// A struct's write so far: the error of the first field whose conversion failed. The fields
/// after it are converted but not inserted.
///
/// Each field's write is a call that returns nothing, and the struct's result is read once at
/// the end: a `?` per field would be a branch and an early return per field in every user's
/// crate.
#[derive(Debug)]
pub struct Writing(Result<(), ConvertError>);

impl Writing {
    #[inline(always)]
    pub fn new() -> Self {
        Writing(Ok(()))
    }

    /// Inserts a conversion's output (a field's own type's, or its converter's,
    /// `#[attribute(with = ...)]`) under `name`, unless a field before it failed.
    #[inline(always)]
    pub fn write(
        &mut self,
        item: &mut ItemMap,
        name: &'static str,
        value: Result<Option<AttributeValue>, ConvertError>,
    ) {
        if self.0.is_err() {
            return;
        }
        match value {
            Ok(Some(value)) => {
                item.insert(name.to_owned(), value);
            }
            Ok(None) => {}
            Err(error) => self.0 = Err(error.in_attribute(name)),
        }
    }

    /// The struct's result: `Ok`, or the first field's error.
    #[inline(always)]
    pub fn finish(self) -> Result<(), ConvertError> {
        self.0
    }
}

impl Default for Writing {
    fn default() -> Self {
        Self::new()
    }
}

/// Where a derived struct reads its fields from: an item it consumes (values move out of it)
/// or one seen in place (values are copied as far as the field keeps them).
pub trait Fields {
    /// A field's value as taken from the item.
    type Value;

    /// The value stored under `name`.
    fn take(&mut self, name: &'static str) -> Option<Self::Value>;

    /// Reads a field's value through its type's own conversion.
    fn decode<T: FromAttributeValue>(value: Self::Value) -> Result<T, ConvertError>;

    /// The value in the SDK's type, for a converter.
    fn into_owned(value: Self::Value) -> AttributeValue;

    /// Whether the value is `NULL`.
    fn is_null(value: &Self::Value) -> bool;

    /// Reads through a reader of the SDK's map (an `Attributes` implemented by hand).
    fn read_owned<T>(&mut self, read: fn(&mut ItemMap) -> Result<T, ConvertError>) -> Result<T, ConvertError>;
}

impl Fields for ItemMap {
    type Value = AttributeValue;

    #[inline]
    fn take(&mut self, name: &'static str) -> Option<AttributeValue> {
        self.remove(name)
    }

    #[inline]
    fn decode<T: FromAttributeValue>(value: AttributeValue) -> Result<T, ConvertError> {
        T::from_attribute_value(value)
    }

    #[inline]
    fn into_owned(value: AttributeValue) -> AttributeValue {
        value
    }

    #[inline]
    fn is_null(value: &AttributeValue) -> bool {
        matches!(value, AttributeValue::Null(_))
    }

    fn read_owned<T>(&mut self, read: fn(&mut ItemMap) -> Result<T, ConvertError>) -> Result<T, ConvertError> {
        read(self)
    }
}

/// An item read in place: it is left as it was, whether the read succeeds or not.
///
/// A small map's entries are listed once, and each field found by its name's length and
/// bytes: cheaper than hashing every field's name for a lookup.
pub struct InPlace<'a> {
    map: &'a dyn MapRef,
    entries: [(&'a str, AttributeRef<'a>); SCANNED],
    /// How many of `entries` are listed and not yet taken; `None` when the map is looked up.
    listed: Option<usize>,
}

/// The most entries [`InPlace`] lists; a larger map is looked up by hash.
const SCANNED: usize = 32;

impl<'a> InPlace<'a> {
    /// Reads `map` in place.
    #[inline]
    pub fn new(map: &'a dyn MapRef) -> Self {
        let mut entries = [("", AttributeRef::Null(true)); SCANNED];
        let listed = map.list(&mut entries);
        InPlace { map, entries, listed }
    }
}

impl std::fmt::Debug for InPlace<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("InPlace").field(&self.map.to_item_map()).finish()
    }
}

impl<'a> Fields for InPlace<'a> {
    type Value = AttributeRef<'a>;

    #[inline]
    fn take(&mut self, name: &'static str) -> Option<AttributeRef<'a>> {
        let Some(listed) = &mut self.listed else {
            return self.map.get(name);
        };
        let entries = &mut self.entries[..*listed];
        let found = entries
            .iter()
            .position(|(entry, _)| entry.len() == name.len() && *entry == name)?;
        // Taken, as from an item that is consumed: the scan shrinks.
        let value = entries[found].1;
        entries.swap(found, *listed - 1);
        *listed -= 1;
        Some(value)
    }

    #[inline]
    fn decode<T: FromAttributeValue>(value: AttributeRef<'a>) -> Result<T, ConvertError> {
        T::from_attribute_ref(value)
    }

    fn into_owned(value: AttributeRef<'a>) -> AttributeValue {
        value.to_owned_value()
    }

    #[inline]
    fn is_null(value: &AttributeRef<'a>) -> bool {
        matches!(value, AttributeRef::Null(_))
    }

    fn read_owned<T>(&mut self, read: fn(&mut ItemMap) -> Result<T, ConvertError>) -> Result<T, ConvertError> {
        read(&mut self.map.to_item_map())
    }
}

/// A struct's read so far: the error of the first field that failed. The fields after it are
/// not read, so that an item being consumed keeps them (its key among them, read last, names
/// the item in the error).
///
/// Each field's read gives an `Option` and the struct is built once all are `Some`: a `?` per
/// field would make every failure drop the fields read before it, so that a struct's reader
/// grew with the square of its fields in every user's crate.
#[derive(Debug)]
pub struct Reading(Option<ConvertError>);

impl Reading {
    #[inline(always)]
    pub fn new() -> Self {
        Reading(None)
    }

    /// Whether a field has failed (so that no other is read).
    #[inline(always)]
    fn failed(&self) -> bool {
        self.0.is_some()
    }

    /// A field's value, or `None` after keeping its error.
    #[inline(always)]
    fn keep<T>(&mut self, result: Result<T, ConvertError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.0 = Some(error);
                None
            }
        }
    }

    /// The error of the field that failed, for a struct whose fields were not all read.
    #[cold]
    pub fn into_error(self) -> ConvertError {
        self.0.unwrap_or_else(|| ConvertError::custom("a field was not read"))
    }
}

impl Default for Reading {
    fn default() -> Self {
        Self::new()
    }
}

/// Reads the field stored under `name` (and removes it from an item it consumes).
#[inline]
pub fn read<T: FromAttributeValue>(item: &mut impl Fields, name: &'static str, reading: &mut Reading) -> Option<T> {
    if reading.failed() {
        return None;
    }
    let value = read_field(item, name);
    reading.keep(value)
}

#[inline(always)]
fn read_field<T: FromAttributeValue, F: Fields>(item: &mut F, name: &'static str) -> Result<T, ConvertError> {
    match item.take(name) {
        Some(value) => F::decode::<T>(value),
        None => T::from_missing(),
    }
    .map_err(|e| e.in_attribute(name))
}

/// Reads an `#[attribute(default)]` field: absent or `NULL` gives `Default::default()`.
#[inline]
pub fn read_or_default<T: FromAttributeValue + Default>(
    item: &mut impl Fields,
    name: &'static str,
    reading: &mut Reading,
) -> Option<T> {
    if reading.failed() {
        return None;
    }
    let value = read_field_or_default(item, name);
    reading.keep(value)
}

#[inline(always)]
fn read_field_or_default<T: FromAttributeValue + Default, F: Fields>(
    item: &mut F,
    name: &'static str,
) -> Result<T, ConvertError> {
    match item.take(name) {
        None => Ok(T::default()),
        Some(value) if F::is_null(&value) => Ok(T::default()),
        Some(value) => F::decode::<T>(value).map_err(|e| e.in_attribute(name)),
    }
}

/// Reads a field through a converter (`#[attribute(with = ...)]`, a key's check).
#[inline]
pub fn read_converted<T>(
    item: &mut impl Fields,
    name: &'static str,
    convert: impl FnOnce(Option<AttributeValue>) -> Result<T, ConvertError>,
    reading: &mut Reading,
) -> Option<T> {
    if reading.failed() {
        return None;
    }
    let value = read_field_converted(item, name, convert);
    reading.keep(value)
}

#[inline(always)]
fn read_field_converted<T, F: Fields>(
    item: &mut F,
    name: &'static str,
    convert: impl FnOnce(Option<AttributeValue>) -> Result<T, ConvertError>,
) -> Result<T, ConvertError> {
    convert(item.take(name).map(F::into_owned)).map_err(|e| e.in_attribute(name))
}

/// Reads a flattened struct's fields (its `Attributes::read_from`) from the same item.
#[inline]
pub fn read_flattened<F, T>(
    item: &mut F,
    read: fn(&mut F) -> Result<T, ConvertError>,
    reading: &mut Reading,
) -> Option<T> {
    if reading.failed() {
        return None;
    }
    let value = read(item);
    reading.keep(value)
}

/// A struct stored as a nested map (`M`).
#[inline(always)]
pub fn nested_to_value<T: Attributes>(value: &T) -> Result<Option<AttributeValue>, ConvertError> {
    let mut map = HashMap::with_capacity(T::ATTRIBUTE_COUNT);
    value.write_attributes(&mut map)?;
    Ok(Some(AttributeValue::M(map)))
}

/// A struct read from a nested map (`M`).
#[inline]
pub fn nested_from_value<T: Attributes>(value: AttributeValue) -> Result<T, ConvertError> {
    match value {
        AttributeValue::M(mut map) => T::read_attributes(&mut map),
        other => Err(ConvertError::wrong_type::<T>("M", &other)),
    }
}

/// A struct read from a nested map (`M`) seen in place.
#[inline]
pub fn nested_from_ref<T: Attributes>(value: AttributeRef<'_>) -> Result<T, ConvertError> {
    match value {
        AttributeRef::M(map) => T::read_from(&mut InPlace::new(map)),
        other => Err(ConvertError::wrong_type_ref::<T>("M", other)),
    }
}

/// A unit enum's variant name, seen in place.
#[inline]
pub fn variant_name_ref<T>(value: AttributeRef<'_>) -> Result<&str, ConvertError> {
    match value {
        AttributeRef::S(name) => Ok(name),
        other => Err(ConvertError::wrong_type_ref::<T>("S", other)),
    }
}

/// The error for a name that is none of a unit enum's variants.
#[cold]
pub fn unknown_variant(value: &str, expected: &'static [&'static str]) -> ConvertError {
    ConvertError::new(ConvertErrorKind::UnknownVariant {
        value: value.to_owned(),
        expected,
    })
}

/// Inserts a key attribute, which must have a value.
#[inline(always)]
pub fn write_key<T: ToAttributeValue + ?Sized>(
    item: &mut ItemMap,
    name: &'static str,
    value: &T,
) -> Result<(), ConvertError> {
    write_key_value::<T>(item, name, value.to_attribute_value())
}

/// Inserts a key attribute given as its conversion's output (an owned key part's
/// [`KeyAttribute::into_key_attribute_value`](crate::value::KeyAttribute::into_key_attribute_value)),
/// which must have a value.
#[inline(always)]
pub fn write_key_value<T: ?Sized>(
    item: &mut ItemMap,
    name: &'static str,
    value: Result<Option<AttributeValue>, ConvertError>,
) -> Result<(), ConvertError> {
    match value.map_err(|e| e.in_attribute(name))? {
        Some(value) => {
            item.insert(name.to_owned(), value);
            Ok(())
        }
        None => Err(ConvertError::missing::<T>().in_attribute(name)),
    }
}

/// The error for a set member of the wrong kind, for derived set elements.
#[cold]
pub fn set_member_mismatch<T: crate::value::SetElement>(member: &crate::value::SetMember) -> ConvertError {
    member.mismatch::<T>()
}

#[cfg(feature = "serde")]
pub use serde;

/// Flags of the attributes that act only at the top level of an item, for the check that a
/// struct stored as a nested map has none ([`NestedStruct::top_level_only`]).
///
/// [`NestedStruct::top_level_only`]: crate::value::NestedStruct::top_level_only
pub mod top_level_only {
    /// `#[partition_key]`, `#[sort_key]` or an index key.
    pub const KEY: u8 = 1;
    /// `#[version]`.
    pub const VERSION: u8 = 2;
    /// `#[atomic_counter]`.
    pub const ATOMIC_COUNTER: u8 = 4;
    /// `#[ttl]`.
    pub const TTL: u8 = 8;
    /// `#[auto_timestamp]`.
    pub const AUTO_TIMESTAMP: u8 = 16;
    /// `#[auto_uuid]`.
    pub const AUTO_UUID: u8 = 32;

    /// The flags of the struct a value of this type is stored as, looking through lists and
    /// maps (`Option<T>`, `Vec<T>`, `HashMap<String, T>`, ...); 0 for any other type.
    pub const fn of(ty: &crate::value::AttributeType) -> u8 {
        use crate::value::AttributeType;
        match ty {
            AttributeType::Struct(nested) => nested.top_level_only(),
            AttributeType::L(inner) | AttributeType::M(inner) => of(inner),
            _ => 0,
        }
    }
}

/// The derive's check that a field stores no struct with attributes that act only at the top
/// level of an item as a nested map (directly, or inside lists, maps and `Option`s): a compile
/// error naming the field, its type and the attribute, evaluated where the derive places it
/// (at the field). `ty` is the attribute type of the field's type, `field` its name, `text`
/// its type as written.
pub const fn check_nested(ty: &crate::value::AttributeType, field: &str, text: &str) {
    use top_level_only::{ATOMIC_COUNTER, AUTO_TIMESTAMP, AUTO_UUID, KEY, TTL, VERSION};
    let flags = top_level_only::of(ty);
    if flags == 0 {
        return;
    }
    let mut message = ConstText::new();
    message.push("field `");
    message.push(field);
    message.push("` stores `");
    message.push(text);
    message.push("` as a nested map, where its ");
    let attribute = if flags & KEY != 0 {
        message.push(
            "key attributes (`#[partition_key]`, `#[sort_key]`, index keys) are no keys: store a struct \
             deriving `Attributes`, which has no keys, instead",
        );
        panic!("{}", message.as_str())
    } else if flags & VERSION != 0 {
        "version"
    } else if flags & ATOMIC_COUNTER != 0 {
        "atomic_counter"
    } else if flags & TTL != 0 {
        "ttl"
    } else if flags & AUTO_TIMESTAMP != 0 {
        "auto_timestamp"
    } else if flags & AUTO_UUID != 0 {
        "auto_uuid"
    } else {
        return;
    };
    message.push("`#[");
    message.push(attribute);
    message.push(
        "]` does nothing: mark the field `#[attribute(flatten)]` to store the struct's attributes in \
         the item itself (a struct field can be flattened, a list or a map cannot), or remove `#[",
    );
    message.push(attribute);
    message.push("]` from the nested struct");
    panic!("{}", message.as_str())
}

/// Text put together at compile time, for a compile error's message (at most 1 KB; longer
/// text is cut).
struct ConstText {
    bytes: [u8; 1024],
    len: usize,
}

impl ConstText {
    const fn new() -> Self {
        ConstText {
            bytes: [0; 1024],
            len: 0,
        }
    }

    const fn push(&mut self, text: &str) {
        let text = text.as_bytes();
        let mut i = 0;
        while i < text.len() && self.len < self.bytes.len() {
            self.bytes[self.len] = text[i];
            self.len += 1;
            i += 1;
        }
    }

    const fn as_str(&self) -> &str {
        let (mut text, _) = self.bytes.split_at(self.len);
        // A cut in the middle of a character: drop its first bytes too.
        loop {
            match std::str::from_utf8(text) {
                Ok(text) => return text,
                Err(_) => text = text.split_at(text.len() - 1).0,
            }
        }
    }
}

/// The range of an integer type, for the counter's overflow guard.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an integer type",
    label = "an `#[atomic_counter]` is an integer"
)]
pub trait Integer {
    /// The smallest value.
    const MIN: i128;
    /// The largest value, at most `i128::MAX`.
    const MAX: i128;
}

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl Integer for $t {
            const MIN: i128 = <$t>::MIN as i128;
            const MAX: i128 = if (<$t>::MAX as u128) > (i128::MAX as u128) { i128::MAX } else { <$t>::MAX as i128 };
        }
    )*};
}

integers!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

/// A field path through the value type's own conversion.
#[inline]
pub const fn field<R, V, P>(name: &'static str) -> crate::expr::Field<R, V, P, crate::expr::Own> {
    crate::expr::Field::new(crate::expr::Path::static_attr(name), crate::expr::Own)
}

/// A field path through the field's converter.
#[inline]
pub const fn converted_field<R, V, P, S>(
    name: &'static str,
    encode: fn(V) -> Result<Option<AttributeValue>, ConvertError>,
) -> crate::expr::Field<R, V, P, crate::expr::Converter<V, S>> {
    crate::expr::Field::new(
        crate::expr::Path::static_attr(name),
        crate::expr::Converter::new(encode),
    )
}
