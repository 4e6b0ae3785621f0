//! A converter that stores a time as a number of seconds since the Unix epoch (`N`), the
//! format DynamoDB's time to live reads. `#[ttl]` fields use it automatically; use it on
//! other fields with `#[attribute(with = dynamodb_mapper::value::epoch_seconds)]`.
//!
//! Sub-second precision is dropped when writing.
//!
//! ```
//! # #[cfg(feature = "chrono")] {
//! use chrono::{DateTime, TimeZone, Utc};
//! use dynamodb_mapper::Item;
//!
//! #[derive(Item, Debug, PartialEq)]
//! struct Session {
//!     #[partition_key]
//!     id: String,
//!     #[attribute(with = dynamodb_mapper::value::epoch_seconds)]
//!     started: DateTime<Utc>,
//! }
//!
//! let session = Session { id: "s1".into(), started: Utc.timestamp_opt(1_700_000_000, 0).unwrap() };
//! let item = session.to_item()?;
//! assert_eq!(item["started"].as_n().unwrap(), "1700000000");
//! assert_eq!(Session::from_item(item)?, session);
//! # }
//! # Ok::<(), dynamodb_mapper::ConvertError>(())
//! ```

use aws_sdk_dynamodb::types::AttributeValue;

use super::{FromAttributeValue, ToAttributeValue};
use crate::value::{ConvertError, ConvertErrorKind};

/// A time that can be stored as epoch seconds: `DateTime<Utc>`, the integer types (already
/// seconds), and `Option` of them.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be stored as epoch seconds",
    note = "`#[ttl]` and `epoch_seconds` take `DateTime<Utc>`, an integer, or an Option of them"
)]
pub trait EpochSeconds: Sized {
    /// The seconds to store, or `None` to store nothing.
    fn to_epoch_seconds(&self) -> Result<Option<i64>, ConvertError>;
    /// The value for the stored seconds, or for an absent attribute (`None`).
    fn from_epoch_seconds(seconds: Option<i64>) -> Result<Self, ConvertError>;
}

/// Writes `value` as epoch seconds.
pub fn to_attribute_value<T: EpochSeconds>(value: &T) -> Result<Option<AttributeValue>, ConvertError> {
    match value.to_epoch_seconds()? {
        Some(seconds) => seconds.to_attribute_value(),
        None => Ok(None),
    }
}

/// Reads epoch seconds; an absent or `NULL` attribute is `None` for `Option`, an error otherwise.
pub fn from_attribute_value<T: EpochSeconds>(value: Option<AttributeValue>) -> Result<T, ConvertError> {
    let seconds = match value {
        None | Some(AttributeValue::Null(_)) => None,
        Some(value) => Some(i64::from_attribute_value(value)?),
    };
    T::from_epoch_seconds(seconds)
}

impl<T: EpochSeconds> EpochSeconds for Option<T> {
    fn to_epoch_seconds(&self) -> Result<Option<i64>, ConvertError> {
        match self {
            Some(value) => value.to_epoch_seconds(),
            None => Ok(None),
        }
    }
    fn from_epoch_seconds(seconds: Option<i64>) -> Result<Self, ConvertError> {
        seconds.map(|s| T::from_epoch_seconds(Some(s))).transpose()
    }
}

macro_rules! integer_seconds {
    ($($t:ty),*) => {$(
        impl EpochSeconds for $t {
            fn to_epoch_seconds(&self) -> Result<Option<i64>, ConvertError> {
                i64::try_from(*self).map(Some).map_err(|_| {
                    ConvertError::new(ConvertErrorKind::OutOfRange { value: self.to_string(), target: "i64" })
                })
            }
            fn from_epoch_seconds(seconds: Option<i64>) -> Result<Self, ConvertError> {
                let seconds = seconds.ok_or_else(ConvertError::missing::<$t>)?;
                <$t>::try_from(seconds).map_err(|_| {
                    ConvertError::new(ConvertErrorKind::OutOfRange {
                        value: seconds.to_string(),
                        target: stringify!($t),
                    })
                })
            }
        }
    )*};
}

integer_seconds!(i32, i64, i128, u32, u64, u128);

#[cfg(feature = "chrono")]
impl EpochSeconds for chrono::DateTime<chrono::Utc> {
    fn to_epoch_seconds(&self) -> Result<Option<i64>, ConvertError> {
        Ok(Some(self.timestamp()))
    }
    fn from_epoch_seconds(seconds: Option<i64>) -> Result<Self, ConvertError> {
        let seconds = seconds.ok_or_else(ConvertError::missing::<Self>)?;
        chrono::DateTime::from_timestamp(seconds, 0).ok_or_else(|| {
            ConvertError::new(ConvertErrorKind::InvalidTimestamp {
                value: seconds.to_string(),
                reason: "outside the range of DateTime<Utc>".to_owned(),
            })
        })
    }
}
