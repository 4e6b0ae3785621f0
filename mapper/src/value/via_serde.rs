//! The serde bridge: stores any `Serialize + Deserialize` value through
//! [`serde_dynamo`](https://docs.rs/serde_dynamo). `#[attribute(serde)]` uses it; it is also
//! usable as `#[attribute(with = dynamodb_mapper::value::via_serde)]`.
//!
//! ```
//! use dynamodb_mapper::Item;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! #[serde(tag = "kind")]
//! enum Payment {
//!     Card { last4: String },
//!     Invoice { days: u32 },
//! }
//!
//! #[derive(Item, Debug, PartialEq)]
//! struct Order {
//!     #[partition_key]
//!     id: String,
//!     #[attribute(serde)]
//!     payment: Payment,
//! }
//!
//! let order = Order { id: "o1".into(), payment: Payment::Invoice { days: 30 } };
//! let item = order.to_item()?;
//! assert!(item["payment"].as_m().is_ok());
//! assert_eq!(Order::from_item(item)?, order);
//! # Ok::<(), dynamodb_mapper::ConvertError>(())
//! ```

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::value::{ConvertError, ConvertErrorKind};

fn serde_error(e: serde_dynamo::Error) -> ConvertError {
    ConvertError::new(ConvertErrorKind::Serde { message: e.to_string() })
}

/// Serializes `value`; a value that serializes to `NULL` (`None`, `()`) is not written.
/// Numbers DynamoDB cannot store (NaN, infinities, more than 38 digits) are errors, as they
/// are for fields stored without serde.
pub fn to_attribute_value<T: Serialize + ?Sized>(value: &T) -> Result<Option<AttributeValue>, ConvertError> {
    match serde_dynamo::to_attribute_value(value).map_err(serde_error)? {
        AttributeValue::Null(_) => Ok(None),
        value => {
            check_numbers(&value)?;
            Ok(Some(value))
        }
    }
}

/// Checks every number inside `value`.
fn check_numbers(value: &AttributeValue) -> Result<(), ConvertError> {
    match value {
        AttributeValue::N(text) => super::number::check_number_text(text),
        AttributeValue::Ns(texts) => texts.iter().try_for_each(|t| super::number::check_number_text(t)),
        AttributeValue::L(list) => list
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| check_numbers(v).map_err(|e| e.at_index(i))),
        AttributeValue::M(map) => map
            .iter()
            .try_for_each(|(k, v)| check_numbers(v).map_err(|e| e.in_attribute(k))),
        _ => Ok(()),
    }
}

/// Deserializes an attribute; an absent one reads as `NULL` if the type accepts that
/// (`Option`), and is a missing-attribute error otherwise.
pub fn from_attribute_value<T: DeserializeOwned>(value: Option<AttributeValue>) -> Result<T, ConvertError> {
    match value {
        Some(value) => serde_dynamo::from_attribute_value(value).map_err(serde_error),
        None => {
            serde_dynamo::from_attribute_value(AttributeValue::Null(true)).map_err(|_| ConvertError::missing::<T>())
        }
    }
}
