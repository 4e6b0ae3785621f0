//! Attribute values read in place: the view the readers take of an item they must not consume
//! (a Lambda event's images, kept whole for the error of a record that does not decode), in
//! whichever type holds it. Reading through a view copies only what the Rust value keeps:
//! no map keys, no number text, no intermediate maps or lists.
//!
//! Not public API: the derive's generated readers and the stream sources use it.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::item::ItemMap;

/// An attribute value, borrowed.
#[derive(Clone, Copy)]
pub enum AttributeRef<'a> {
    /// `S`.
    S(&'a str),
    /// `N`, in DynamoDB's number syntax.
    N(&'a str),
    /// `B`.
    B(&'a [u8]),
    /// `BOOL`.
    Bool(bool),
    /// `NULL`.
    Null(bool),
    /// `SS`.
    Ss(&'a [String]),
    /// `NS`.
    Ns(&'a [String]),
    /// `BS`: a list whose elements are `B`.
    Bs(&'a dyn ListRef),
    /// `L`.
    L(&'a dyn ListRef),
    /// `M`.
    M(&'a dyn MapRef),
}

/// A map (`M`, or a whole item) seen through [`AttributeRef`]s.
pub trait MapRef {
    /// How many entries it has.
    fn len(&self) -> usize;

    /// Whether it has no entry.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value under `name`.
    fn get(&self, name: &str) -> Option<AttributeRef<'_>>;

    /// Calls `visit` with every entry.
    fn for_each<'a>(&'a self, visit: &mut dyn FnMut(&'a str, AttributeRef<'a>));

    /// Writes the entries into `out` when they fit, returning how many; `None` (and `out`
    /// unspecified) when there are more.
    fn list<'a>(&'a self, out: &mut [(&'a str, AttributeRef<'a>)]) -> Option<usize>;

    /// A copy in the SDK's type.
    fn to_item_map(&self) -> ItemMap;
}

/// A list (`L`, or the members of a `BS`) seen through [`AttributeRef`]s.
pub trait ListRef {
    /// How many elements it has.
    fn len(&self) -> usize;

    /// Whether it has no element.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element at `index`.
    fn get(&self, index: usize) -> Option<AttributeRef<'_>>;
}

impl AttributeRef<'_> {
    /// The value's DynamoDB type name (`S`, `NS`, `M`, ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            AttributeRef::S(_) => "S",
            AttributeRef::N(_) => "N",
            AttributeRef::B(_) => "B",
            AttributeRef::Bool(_) => "BOOL",
            AttributeRef::Null(_) => "NULL",
            AttributeRef::Ss(_) => "SS",
            AttributeRef::Ns(_) => "NS",
            AttributeRef::Bs(_) => "BS",
            AttributeRef::L(_) => "L",
            AttributeRef::M(_) => "M",
        }
    }

    /// A copy in the SDK's type, for readers that consume one (converters, serde fields, a
    /// user's own `FromAttributeValue`).
    pub fn to_owned_value(&self) -> AttributeValue {
        match *self {
            AttributeRef::S(s) => AttributeValue::S(s.to_owned()),
            AttributeRef::N(n) => AttributeValue::N(n.to_owned()),
            AttributeRef::B(b) => AttributeValue::B(Blob::new(b)),
            AttributeRef::Bool(b) => AttributeValue::Bool(b),
            AttributeRef::Null(n) => AttributeValue::Null(n),
            AttributeRef::Ss(s) => AttributeValue::Ss(s.to_vec()),
            AttributeRef::Ns(n) => AttributeValue::Ns(n.to_vec()),
            AttributeRef::Bs(list) => AttributeValue::Bs(
                (0..list.len())
                    .filter_map(|i| match list.get(i) {
                        Some(AttributeRef::B(b)) => Some(Blob::new(b)),
                        _ => None,
                    })
                    .collect(),
            ),
            AttributeRef::L(list) => AttributeValue::L(
                (0..list.len())
                    .filter_map(|i| list.get(i))
                    .map(|v| v.to_owned_value())
                    .collect(),
            ),
            AttributeRef::M(map) => AttributeValue::M(map.to_item_map()),
        }
    }
}

impl<'a> From<&'a AttributeValue> for AttributeRef<'a> {
    fn from(value: &'a AttributeValue) -> Self {
        match value {
            AttributeValue::S(s) => AttributeRef::S(s),
            AttributeValue::N(n) => AttributeRef::N(n),
            AttributeValue::B(b) => AttributeRef::B(b.as_ref()),
            AttributeValue::Bool(b) => AttributeRef::Bool(*b),
            AttributeValue::Ss(s) => AttributeRef::Ss(s),
            AttributeValue::Ns(n) => AttributeRef::Ns(n),
            AttributeValue::Bs(b) => AttributeRef::Bs(b),
            AttributeValue::L(l) => AttributeRef::L(l),
            AttributeValue::M(m) => AttributeRef::M(m),
            // `NULL`, and a type newer than this crate (which nothing reads).
            _ => AttributeRef::Null(true),
        }
    }
}

/// A type of attribute value that can be seen through an [`AttributeRef`]: the SDK's, and
/// the stream sources' own. Maps and lists of it are [`MapRef`]s and [`ListRef`]s.
pub trait ViewAttribute {
    /// The value, seen in place.
    fn view(&self) -> AttributeRef<'_>;

    /// A copy in the SDK's type.
    fn to_sdk_value(&self) -> AttributeValue {
        self.view().to_owned_value()
    }
}

impl ViewAttribute for AttributeValue {
    fn view(&self) -> AttributeRef<'_> {
        self.into()
    }

    fn to_sdk_value(&self) -> AttributeValue {
        self.clone()
    }
}

/// A binary set's member.
impl ViewAttribute for Blob {
    fn view(&self) -> AttributeRef<'_> {
        AttributeRef::B(self.as_ref())
    }
}

/// A binary set's member, as Lambda's events hold it.
impl ViewAttribute for Vec<u8> {
    fn view(&self) -> AttributeRef<'_> {
        AttributeRef::B(self)
    }
}

impl<V: ViewAttribute> MapRef for HashMap<String, V> {
    fn len(&self) -> usize {
        HashMap::len(self)
    }

    fn get(&self, name: &str) -> Option<AttributeRef<'_>> {
        HashMap::get(self, name).map(V::view)
    }

    fn for_each<'a>(&'a self, visit: &mut dyn FnMut(&'a str, AttributeRef<'a>)) {
        self.iter().for_each(|(name, value)| visit(name, value.view()));
    }

    fn list<'a>(&'a self, out: &mut [(&'a str, AttributeRef<'a>)]) -> Option<usize> {
        let out = out.get_mut(..self.len())?;
        for (slot, (name, value)) in out.iter_mut().zip(self) {
            *slot = (name.as_str(), value.view());
        }
        Some(out.len())
    }

    fn to_item_map(&self) -> ItemMap {
        self.iter()
            .map(|(name, value)| (name.clone(), value.to_sdk_value()))
            .collect()
    }
}

impl<V: ViewAttribute> ListRef for Vec<V> {
    fn len(&self) -> usize {
        Vec::len(self)
    }

    fn get(&self, index: usize) -> Option<AttributeRef<'_>> {
        self.as_slice().get(index).map(V::view)
    }
}

impl std::fmt::Debug for AttributeRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.to_owned_value(), f)
    }
}
