//! An object mapper for Amazon DynamoDB on the official
//! [`aws-sdk-dynamodb`](https://docs.rs/aws-sdk-dynamodb) crate.
//!
//! Annotate a struct with `#[derive(Item)]` and the mapper writes the
//! `HashMap<String, AttributeValue>` code for you: conversion both ways, keys, secondary
//! indexes, and the tags the lifecycle extensions act on (optimistic locking, atomic counters,
//! timestamps, generated ids).
//!
//! ```
//! use std::collections::{HashMap, HashSet};
//! use dynamodb_mapper::{Attributes, Item};
//!
//! #[derive(Attributes, Debug, Clone, PartialEq)]
//! struct Address {
//!     street: String,
//!     city: String,
//! }
//!
//! #[derive(Attributes, Debug, Clone, Copy, PartialEq)]
//! #[item(rename_all = "SCREAMING_SNAKE_CASE")]
//! enum Tier {
//!     Free,
//!     Pro,
//! }
//!
//! #[derive(Item, Debug, Clone, PartialEq)]
//! #[item(table = "customers", rename_all = "camelCase")]
//! struct Customer {
//!     #[partition_key]
//!     id: String,
//!     #[sort_key]
//!     region: String,
//!     #[index_partition_key("by_email")]
//!     email: String,
//!     #[version]
//!     version: Option<u64>,
//!     tier: Tier,
//!     address: Option<Address>,
//!     tags: HashSet<String>,
//!     #[default]
//!     settings: HashMap<String, String>,
//! }
//!
//! let customer = Customer {
//!     id: "42".into(),
//!     region: "eu".into(),
//!     email: "ana@example.com".into(),
//!     version: None,
//!     tier: Tier::Pro,
//!     address: Some(Address { street: "Rua 1".into(), city: "Porto".into() }),
//!     tags: HashSet::new(),
//!     settings: HashMap::new(),
//! };
//! let item = customer.to_item()?;
//! assert_eq!(item["tier"].as_s().unwrap(), "PRO");
//! assert!(!item.contains_key("version")); // None is not written
//! assert!(!item.contains_key("tags"));    // nor is an empty set
//! assert_eq!(Customer::from_item(item)?, customer);
//! # Ok::<(), dynamodb_mapper::ConvertError>(())
//! ```
//!
//! See [`value`] for how each Rust type is stored, [`Item`](derive@Item) for the attribute
//! reference, and [`schema`] for what the derive records about a type.

mod error;
mod item;
pub mod schema;
pub mod value;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use error::{ConvertError, ConvertErrorKind, Error};
pub use item::{Attributes, Item, ItemMap, KeyFrom};

pub use dynamodb_mapper_derive::{Attributes, Item};
