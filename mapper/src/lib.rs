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
//!     #[attribute(default)]
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
//! A [`Mapper`] wraps the SDK client and hands out typed [`Table`]s, whose operations are
//! builders to `.await`:
//!
//! ```no_run
//! # use dynamodb_mapper::{Item, Mapper};
//! # #[derive(Item, Debug, Clone)] #[item(table = "customers")]
//! # struct Customer { #[partition_key] id: String, #[sort_key] region: String, status: String, visits: u32, #[version] version: Option<u64> }
//! # async fn run(client: aws_sdk_dynamodb::Client, customer: Customer) -> Result<(), dynamodb_mapper::Error> {
//! let mapper = Mapper::new(client); // loads optimistic locking and atomic counters
//! let customers = mapper.table::<Customer>()?;
//! customers.create_table().await?;
//! customers.put(&customer).await?; // a new item: version 0, only if none is stored
//! let mut read = customers.get(("42", "eu")).await?.expect("stored");
//! read.status = "gold".into();
//! let updated = customers.update(&read).await?; // only if the version is still the one read
//! let f = Customer::fields(); // typed paths: stored names, value types, what each allows
//! let active: Vec<Customer> = customers
//!     .query("42")
//!     .filter(f.status.eq("gold").and(f.visits.ge(10)))
//!     .all()
//!     .await?;
//! customers.patch(("42", "eu")).add(&f.visits, 1).await?; // a stored item, only the action sent
//! customers.delete_item(&updated).await?;
//! # Ok(()) }
//! ```
//!
//! Conditions, filters and patches are built from the paths `Type::fields()` returns
//! ([`expr::Field`]): a misspelled name, a value of the wrong type, `add` on a string or a
//! condition on another item type's fields do not compile. The untyped
//! [`expr::Condition`] and [`expr::UpdateExpression`] stay as the escape hatch.
//!
//! Secondary indexes are read through the handles the derive declares for them
//! (`Customer::BY_EMAIL`, an [`IndexOf`]): `customers.index(Customer::BY_EMAIL).query(..)`
//! takes the index's own key types, a tuple for a multi-attribute key, and offers
//! `consistent_read` only on a local index. `index("name")?` reads an index named at run time.
//!
//! # How data flows
//!
//! struct → item map → extension chain → plan → SDK, and back:
//!
//! 1. [`value`] converts Rust values to and from `AttributeValue`; the derives build an
//!    [`ItemMap`] from your struct with it ([`Item::to_item`]), and describe the type in
//!    [`schema`].
//! 2. [`expr`] builds conditions and update actions, typed by the paths the derives generate;
//!    [`limits`] holds DynamoDB's limits.
//! 3. [`extension`]s run before every write, in order (optimistic locking, counters,
//!    timestamps, ids, yours), and after every read, in reverse.
//! 4. A write becomes a plan, by one path whether it is sent alone, in a batch or in a
//!    transaction: the chain's changes, the key, the rendered expressions, what the write
//!    expects to find stored and what it is known to store.
//! 5. [`ops`] sends plans and reads, by family: single items, reads (query and scan),
//!    batches, transactions, table administration. Every returned item goes back through the
//!    chain and is decoded by one path.
//!
//! [`Table`] and [`Mapper`] only build operations. See [`Item`](derive@Item) for the attribute
//! reference.
//!
//! # Cancel safety
//!
//! Dropping an operation's future (a timeout around it, a `select!`, a client hanging up)
//! stops it where it is. A single write is one request: applied or not, unknown if it was in
//! flight. The operations that send several requests document what they leave behind in a
//! `# Cancel safety` section: [`ops::BatchWrite`] and [`ops::WriteAll`] (what was answered
//! is written, the rest may not be; sending the same batch again is safe), [`ops::BatchGet`]
//! and [`ops::GetAll`] (reads only), [`ops::TransactWrite`] (all or nothing; resend with your
//! own client request token to find out), and [`ops::ReadModifyWrite`] and
//! [`ops::TransactReadModifyWrite`] (the last write may have applied: re-read before running
//! the change again).
//!
//! With the `testing` feature, `testing` gives your tests an in-process local DynamoDB, fault
//! injection (throttling, unprocessed batch items, transaction conflicts, timeouts and
//! dropped connections) and strict request checks.

#![warn(missing_docs, missing_debug_implementations)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The derives name this crate `::dynamodb_mapper`; so do its own unit tests.
#[cfg(test)]
extern crate self as dynamodb_mapper;

#[cfg(feature = "sealed-cursors")]
mod cursor_keys;
mod error;
pub mod expr;
pub mod extension;
mod item;
pub mod limits;
mod mapper;
pub mod ops;
mod plan;
mod retry;
pub mod schema;
#[cfg(any(feature = "streams", feature = "lambda", feature = "dynamodb-json"))]
#[cfg_attr(
    docsrs,
    doc(cfg(any(feature = "streams", feature = "lambda", feature = "dynamodb-json")))
)]
pub mod stream;
mod table;
mod target;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
pub mod value;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use error::{ConditionFailed, Error, Refusal, RefusalKind};
pub use value::{ConvertError, ConvertErrorKind};

/// The AWS SDK this crate is built on, so that your `Client` and ours are the same type.
pub use aws_sdk_dynamodb;
#[cfg(feature = "sealed-cursors")]
#[cfg_attr(docsrs, doc(cfg(feature = "sealed-cursors")))]
pub use cursor_keys::{CursorKey, CursorKeys};
pub use item::{Attributes, Item, ItemMap, KeyFrom, NoSortKey, Versioned};
pub use mapper::{Mapper, MapperBuilder};
pub use ops::{Cursor, Page};
pub use retry::RetryPolicy;
pub use table::{Index, IndexOf, IntoIndex};
pub use target::Table;

/// Derives [`Item`](trait@Item) (and [`Attributes`](trait@Attributes)) for a struct with named
/// fields: a table's item type.
///
/// # Container attributes
///
/// | attribute | effect |
/// |---|---|
/// | `#[item(table = "name")]` | the table name ([`TableSchema::table_name`](schema::TableSchema::table_name)) |
/// | `#[item(rename_all = "camelCase")]` | stored names of all fields: `lowercase`, `UPPERCASE`, `PascalCase`, `camelCase`, `snake_case`, `SCREAMING_SNAKE_CASE`, `kebab-case`, `SCREAMING-KEBAB-CASE`; exactly serde's names for the same rule |
/// | `#[item(crate = "path")]` | where the generated code finds this crate, if renamed |
/// | `#[item(index(name = "by_email", projection = "keys_only"))]` | the attributes a secondary index holds ([`Projection`](schema::Projection)) besides the keys: `projection = "all"` (the default), `projection = "keys_only"`, or `include("total", "status")` for those attributes (stored names); `create_table` creates the index so. Repeat for each index. |
///
/// # Field attributes
///
/// | attribute | effect |
/// |---|---|
/// | `#[partition_key]` | the partition (hash) key; exactly one per item; a string, number or binary type |
/// | `#[sort_key]` | the sort (range) key; at most one |
/// | `#[attribute(rename = "name")]` | the stored name (wins over `rename_all`) |
/// | `#[attribute(with = path)]` | store through the module `path`, which has `fn to_attribute_value(&T) -> Result<Option<AttributeValue>, ConvertError>` and `fn from_attribute_value(Option<AttributeValue>) -> Result<T, ConvertError>` (`None`: the attribute is absent); e.g. [`value::epoch_seconds`] |
/// | `#[attribute(serde)]` | store any `Serialize + Deserialize` type through `serde_dynamo` ([`value::via_serde`]) |
/// | `#[attribute(skip)]` | never stored; read as `Default::default()` |
/// | `#[attribute(default)]` | an absent (or `NULL`) attribute reads as `Default::default()` instead of an error |
/// | `#[attribute(flatten)]` | the fields of a struct deriving [`Attributes`](trait@Attributes) are stored beside this struct's own |
/// | `#[index_partition_key("index")]` | partition key of a global secondary index (may be the table's partition key field, or an `Option` for a sparse index); repeat for several indexes. The derive declares the index's typed handle, an [`IndexOf`] constant named after the index in `SCREAMING_SNAKE_CASE` (`Type::BY_EMAIL`), for [`Table::index`] |
/// | `#[index_sort_key("index")]` | sort key of a secondary index; an index without an `#[index_partition_key]` is a local index (the table's partition key) |
/// | `#[index_partition_key("index", order = n)]`, `#[index_sort_key("index", order = n)]` | one attribute of a global index's multi-attribute key: up to four partition and four sort attributes, each a string, number or binary, in positions 1 to n; queried with a tuple of partition values and sort conditions left to right |
/// | `#[ttl]` | the time-to-live attribute: `DateTime<Utc>` or integer epoch seconds (or an `Option` of them), stored as epoch seconds |
/// | `#[version]`, `#[version(start_at = 0, increment_by = 1)]` | optimistic locking; the field is `Option<integer>`, `None` for an item never written; the item is then [`Versioned`](trait@Versioned) |
/// | `#[atomic_counter]`, `#[atomic_counter(start = 0, inc = 1)]` | a counter the server increments on every write; an integer field |
/// | `#[auto_timestamp]` | set to the current time on every write, in the field's own format: `DateTime<Utc>`, a [time type](crate::value::time) (`UnixMillis`, `UnixSeconds`, `JavaInstant`, `PynamoDateTime`), or an `Option` of one |
/// | `#[auto_uuid]` | a random UUID when unset; `String`, `Uuid` or `Option` of them |
/// | `#[update_behavior(write_always)]`, `#[update_behavior(write_if_not_exists)]` | whether an update overwrites a stored value |
/// | `#[tag("name")]` | a tag for your own extensions to find the attribute by |
///
/// The lifecycle attributes (`version`, `atomic_counter`, `auto_timestamp`, `auto_uuid`,
/// `update_behavior`, `tag`) are recorded in the [`schema`] as [`Tag`](schema::Tag)s. They act
/// at the top level of an item: on its own fields or those of a flattened struct. In a
/// struct stored as a nested map (directly, or inside an `Option`, a list or a map), keys and
/// lifecycle attributes would do nothing, so they are compile errors at the field that
/// stores it (checked for field types that do not involve the struct's type parameters).
///
/// `default`, `skip` and `flatten` live under `#[attribute(...)]` because other derives use
/// those names: `#[derive(Item, Default, Serialize, Deserialize)]` works with serde's own
/// attributes beside ours. The bare forms are errors naming the new spelling.
///
/// # Generated field paths
///
/// Besides the traits, the derive generates `Type::fields()`, returning a `TypeFields` struct
/// (same visibility as the struct) with one typed path ([`expr::Field`]) per stored field,
/// under the field's Rust name: conditions, filters and patches are built from them
/// (`Customer::fields().email.eq("a@b.c")`). A struct deriving
/// [`Attributes`](derive@Attributes) has them too, reached from the item through
/// [`nested`](expr::Field::nested). A type that defines its own `fields` function cannot
/// derive `Item` or `Attributes`.
///
/// # Checked at compile time
///
/// Mistakes are compile errors pointing at the offending token, all reported at once: no or
/// two partition keys, two sort keys, a key of a type that is not a string, number or binary,
/// `#[version]` not on `Option<integer>`, a counter on a non-integer, `#[auto_uuid]` or
/// `#[auto_timestamp]`/`#[ttl]` on the wrong type, two fields stored under one name, `skip`
/// on a key, a local index on a table without sort key, misspelled keys (with a "did you
/// mean"), and attributes that exclude each other.
///
/// ```
/// use chrono::{DateTime, Utc};
/// use dynamodb_mapper::Item;
///
/// #[derive(Item, Debug, Clone, PartialEq)]
/// #[item(table = "customers", rename_all = "camelCase")]
/// struct Customer {
///     #[partition_key]
///     id: String,
///     #[sort_key]
///     region: String,
///     #[attribute(rename = "email_address")]
///     #[index_partition_key("by_email")]
///     email: String,
///     #[version]
///     version: Option<u64>,
///     #[atomic_counter(start = 10, inc = 5)]
///     visits: i64,
///     #[auto_timestamp]
///     updated_at: Option<DateTime<Utc>>,
///     #[auto_uuid]
///     #[update_behavior(write_if_not_exists)]
///     token: Option<String>,
///     #[ttl]
///     expires_at: Option<DateTime<Utc>>,
///     #[attribute(skip)]
///     cached: Option<String>,
/// }
///
/// let schema = Customer::TABLE;
/// assert_eq!(schema.ttl_attribute(), Some("expiresAt"));
/// assert_eq!(schema.index("by_email").unwrap().partition_keys[0].name, "email_address");
/// ```
pub use dynamodb_mapper_derive::Item;

/// Derives [`Attributes`](trait@Attributes) for a struct stored inside an item, as a nested
/// map (`M`) or flattened (`#[attribute(flatten)]`); or, on an enum of unit variants, its conversion to and from a
/// string (`S`: the variant's name, after `rename_all` and `#[attribute(rename = "...")]`),
/// which can also be a key or a set member.
///
/// Fields take the same attributes as [`Item`](derive@Item), except keys and the table name.
///
/// ```
/// use dynamodb_mapper::{Attributes, Item};
///
/// #[derive(Attributes, Debug, PartialEq)]
/// #[item(rename_all = "camelCase")]
/// struct Audit {
///     created_by: String,
///     revision: u32,
/// }
///
/// #[derive(Attributes, Debug, PartialEq)]
/// #[item(rename_all = "snake_case")]
/// enum Status {
///     Draft,
///     InReview,
///     #[attribute(rename = "live")]
///     Published,
/// }
///
/// #[derive(Item, Debug, PartialEq)]
/// struct Page {
///     #[partition_key]
///     path: String,
///     status: Status,
///     #[attribute(flatten)]
///     audit: Audit,
/// }
///
/// let page = Page {
///     path: "/".into(),
///     status: Status::InReview,
///     audit: Audit { created_by: "ana".into(), revision: 3 },
/// };
/// let item = page.to_item()?;
/// assert_eq!(item["status"].as_s().unwrap(), "in_review");
/// assert_eq!(item["createdBy"].as_s().unwrap(), "ana");
/// assert_eq!(Page::from_item(item)?, page);
/// # Ok::<(), dynamodb_mapper::ConvertError>(())
/// ```
pub use dynamodb_mapper_derive::Attributes;
