//! [`ConvertError`]: a value that could not be converted between its Rust type and an
//! [`AttributeValue`](aws_sdk_dynamodb::types::AttributeValue). It belongs to the conversion
//! layer, which depends on nothing above it.

use std::fmt;

/// A value that could not be converted between its Rust type and an `AttributeValue`.
///
/// The error names the item type, the attribute path (`address.city`, `tags[2]`), the Rust
/// type involved and what went wrong:
///
/// ```
/// use std::collections::HashMap;
/// use aws_sdk_dynamodb::types::AttributeValue;
/// use dynamodb_mapper::Item;
///
/// #[derive(Item, Debug)]
/// struct Player {
///     #[partition_key]
///     name: String,
///     level: u8,
/// }
///
/// let item = HashMap::from([
///     ("name".to_owned(), AttributeValue::S("ana".into())),
///     ("level".to_owned(), AttributeValue::N("300".into())),
/// ]);
/// let err = Player::from_item(item).unwrap_err();
/// assert_eq!(err.path(), "level");
/// assert_eq!(
///     err.to_string(),
///     "attribute `level` of `Player`: number 300 is out of range for u8"
/// );
/// ```
#[derive(Clone)]
pub struct ConvertError {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: ConvertErrorKind,
    /// Outermost segment last: errors gain context on their way out.
    path: Vec<PathSegment>,
    item: Option<&'static str>,
}

#[derive(Clone)]
enum PathSegment {
    Attribute(String),
    Index(usize),
}

/// What went wrong in a [`ConvertError`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConvertErrorKind {
    /// A required attribute is absent from the item.
    Missing {
        /// The Rust type that was expected.
        rust_type: &'static str,
    },
    /// The attribute holds another DynamoDB type than the Rust type is stored as.
    WrongType {
        /// The DynamoDB type expected (`S`, `N`, `M`, ...).
        expected: &'static str,
        /// The DynamoDB type found.
        found: &'static str,
        /// The Rust type that was being read.
        rust_type: &'static str,
    },
    /// A number does not fit the Rust type, or a value does not fit a DynamoDB number.
    OutOfRange {
        /// The number, as text.
        value: String,
        /// The type it does not fit (a Rust type or `DynamoDB number`).
        target: &'static str,
    },
    /// A number attribute whose text is not a number of the expected kind.
    InvalidNumber {
        /// The text found.
        value: String,
        /// The Rust type that was being read.
        rust_type: &'static str,
    },
    /// NaN or an infinity, which DynamoDB cannot store.
    NotFinite {
        /// The Rust float type.
        rust_type: &'static str,
    },
    /// A string that is not an RFC 3339 timestamp, or a time DynamoDB cannot order as text.
    InvalidTimestamp {
        /// The text or time found.
        value: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A key attribute's stored text that its Rust type would write back differently
    /// (`2019-01-13T14:00:00Z` read as `DateTime<Utc>`, which writes nine sub-second digits).
    /// DynamoDB compares keys byte for byte, so writing the item back would address another
    /// item: read the attribute with the type named in `matching`.
    NonCanonicalKey {
        /// The stored text.
        value: String,
        /// The text the Rust type writes for the same value.
        written: String,
        /// The Rust type that was being read.
        rust_type: &'static str,
        /// A type of this crate that writes the stored text as it is, if one does.
        matching: Option<&'static str>,
    },
    /// A string that is not a UUID.
    InvalidUuid {
        /// The text found.
        value: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A string that names none of the variants of a unit enum.
    UnknownVariant {
        /// The text found.
        value: String,
        /// The names that are accepted.
        expected: &'static [&'static str],
    },
    /// The serde bridge (`#[attribute(serde)]`) failed.
    Serde {
        /// serde_dynamo's message.
        message: String,
    },
    /// A converter of the user's (`#[attribute(with = ...)]`) failed.
    Custom {
        /// The converter's message.
        message: String,
    },
}

impl ConvertError {
    /// An error of the given kind, without context yet.
    pub fn new(kind: ConvertErrorKind) -> Self {
        ConvertError {
            inner: Box::new(Inner {
                kind,
                path: Vec::new(),
                item: None,
            }),
        }
    }

    /// A required attribute of type `T` is absent.
    pub fn missing<T: ?Sized>() -> Self {
        Self::new(ConvertErrorKind::Missing {
            rust_type: std::any::type_name::<T>(),
        })
    }

    /// An attribute holds `found` where `T`, stored as `expected`, was wanted.
    pub fn wrong_type<T: ?Sized>(expected: &'static str, found: &aws_sdk_dynamodb::types::AttributeValue) -> Self {
        Self::new(ConvertErrorKind::WrongType {
            expected,
            found: crate::value::type_of(found),
            rust_type: std::any::type_name::<T>(),
        })
    }

    /// [`wrong_type`](Self::wrong_type) for a value seen in place.
    #[doc(hidden)]
    #[cold]
    pub fn wrong_type_ref<T: ?Sized>(expected: &'static str, found: crate::value::AttributeRef<'_>) -> Self {
        Self::new(ConvertErrorKind::WrongType {
            expected,
            found: found.type_name(),
            rust_type: std::any::type_name::<T>(),
        })
    }

    /// A free-form error for user converters (`#[attribute(with = ...)]`).
    pub fn custom(message: impl fmt::Display) -> Self {
        Self::new(ConvertErrorKind::Custom {
            message: message.to_string(),
        })
    }

    /// Adds the attribute name this error happened under (called from the inside out).
    pub fn in_attribute(mut self, name: &str) -> Self {
        self.inner.path.push(PathSegment::Attribute(name.to_owned()));
        self
    }

    /// Adds the list position this error happened at (called from the inside out).
    pub fn at_index(mut self, index: usize) -> Self {
        self.inner.path.push(PathSegment::Index(index));
        self
    }

    /// Names the item type being converted (called from the inside out: the outermost wins,
    /// since the path is relative to it).
    pub fn in_item(mut self, type_name: &'static str) -> Self {
        self.inner.item = Some(type_name);
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ConvertErrorKind {
        &self.inner.kind
    }

    /// The item type being converted when it went wrong, if known.
    pub fn item_type(&self) -> Option<&'static str> {
        self.inner.item
    }

    /// The attribute path, outermost first: `address.city`, `tags[2]`, or `""` at the top.
    pub fn path(&self) -> String {
        let mut out = String::new();
        for segment in self.inner.path.iter().rev() {
            match segment {
                PathSegment::Attribute(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                PathSegment::Index(i) => {
                    out.push('[');
                    out.push_str(itoa::Buffer::new().format(*i));
                    out.push(']');
                }
            }
        }
        out
    }
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path();
        match (path.is_empty(), self.inner.item) {
            (false, Some(item)) => write!(f, "attribute `{path}` of `{}`: ", short_type_name(item))?,
            (false, None) => write!(f, "attribute `{path}`: ")?,
            (true, Some(item)) => write!(f, "`{}`: ", short_type_name(item))?,
            (true, None) => {}
        }
        fmt::Display::fmt(&self.inner.kind, f)
    }
}

impl fmt::Debug for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConvertError")
            .field("item", &self.inner.item)
            .field("path", &self.path())
            .field("kind", &self.inner.kind)
            .finish()
    }
}

impl std::error::Error for ConvertError {}

impl fmt::Display for ConvertErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { rust_type } => {
                write!(f, "missing, expected a value of type {}", short_type_name(rust_type))
            }
            Self::WrongType {
                expected,
                found,
                rust_type,
            } => write!(
                f,
                "expected {expected} for {}, found {found}",
                short_type_name(rust_type)
            ),
            Self::OutOfRange { value, target } => {
                write!(f, "number {value} is out of range for {}", short_type_name(target))
            }
            Self::InvalidNumber { value, rust_type } => {
                write!(f, "`{value}` is not a valid {}", short_type_name(rust_type))
            }
            Self::NotFinite { rust_type } => write!(
                f,
                "{} is NaN or infinite, which DynamoDB cannot store",
                short_type_name(rust_type)
            ),
            Self::InvalidTimestamp { value, reason } => {
                write!(f, "`{value}` is not a valid timestamp: {reason}")
            }
            Self::NonCanonicalKey {
                value,
                written,
                rust_type,
                matching,
            } => {
                let rust_type = short_type_name(rust_type);
                write!(
                    f,
                    "stored key `{value}` would be written back by {rust_type} as `{written}`, which is another key; "
                )?;
                match matching {
                    Some(matching) => write!(f, "read this attribute as {matching}"),
                    None => f.write_str("no type of this crate writes this text: rewrite the stored keys"),
                }
            }
            Self::InvalidUuid { value, reason } => {
                write!(f, "`{value}` is not a valid UUID: {reason}")
            }
            Self::UnknownVariant { value, expected } => {
                write!(f, "`{value}` is not one of ")?;
                for (i, name) in expected.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "`{name}`")?;
                }
                Ok(())
            }
            Self::Serde { message } => write!(f, "serde: {message}"),
            Self::Custom { message } => f.write_str(message),
        }
    }
}

/// `alloc::vec::Vec<alloc::string::String>` → `Vec<String>`: type names as users write them.
pub(crate) fn short_type_name(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    let mut segment_start = 0;
    for (i, c) in full.char_indices() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            if c == ':' && full[i..].starts_with("::") {
                out.truncate(segment_start);
            } else if c != ':' {
                out.push(c);
            }
        } else {
            out.push(c);
            segment_start = out.len();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_lose_their_module_paths() {
        assert_eq!(short_type_name("alloc::string::String"), "String");
        assert_eq!(
            short_type_name("alloc::vec::Vec<core::option::Option<alloc::string::String>>"),
            "Vec<Option<String>>"
        );
        assert_eq!(
            short_type_name("std::collections::hash::map::HashMap<alloc::string::String, u8>"),
            "HashMap<String, u8>"
        );
        assert_eq!(short_type_name("u8"), "u8");
        assert_eq!(short_type_name("[u8]"), "[u8]");
    }

    #[test]
    fn path_reads_outermost_first() {
        let err = ConvertError::missing::<String>()
            .in_attribute("city")
            .at_index(2)
            .in_attribute("addresses")
            .in_item("Address")
            .in_item("Customer");
        assert_eq!(err.path(), "addresses[2].city");
        assert_eq!(err.item_type(), Some("Customer"));
        assert_eq!(
            err.to_string(),
            "attribute `addresses[2].city` of `Customer`: missing, expected a value of type String"
        );
    }
}
