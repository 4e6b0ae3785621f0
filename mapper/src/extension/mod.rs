//! The extension chain: hooks that run before every write and after every read.
//!
//! A [`Mapper`](crate::Mapper) holds an ordered list of [`Extension`]s. Before every write — a
//! put, update, patch or delete, alone, in a batch or in a transaction ([`WriteMode`]) — each
//! extension's [`before_write`](Extension::before_write) runs in order: it may change the item,
//! AND a condition into the request, and (for updates) add update actions. The write then
//! becomes its request by one path, whatever sends it, so the rules below cannot drift between
//! modes. After every read — get, query, scan, the item an update returns, the item a failed
//! condition returns — each [`after_read`](Extension::after_read) runs in reverse order, so the
//! first extension sees the stored item last, as it wrote it first; [`AfterRead::image`] says
//! whether it sees a whole item or a projection.
//!
//! [`Mapper::new`](crate::Mapper::new) loads [`VersionedRecords`] and [`AtomicCounters`].
//! [`MapperBuilder::extension`](crate::MapperBuilder::extension) adds one after them;
//! [`MapperBuilder::extensions`](crate::MapperBuilder::extensions) replaces the list (an empty
//! list means none); [`AutoTimestamps`] and [`AutoUuids`] are opt-in. A table whose item type
//! carries a lifecycle attribute (`#[version]`, `#[atomic_counter]`, `#[auto_timestamp]`,
//! `#[auto_uuid]`) that no loaded extension handles is refused when the [`Table`](crate::Table)
//! is made, instead of silently doing nothing.
//!
//! | extension | put | update | patch | delete | batch write | transaction |
//! |---|---|---|---|---|---|---|
//! | [`VersionedRecords`] | new item (`None`): writes `start_at` if `attribute_not_exists(v) OR attribute_type(v, NULL)`; read item: writes `v + increment_by` if `v = :read` | same as put | with [`expect_version`](crate::ops::Patch::expect_version): as update; without: `SET v = if_not_exists(v, start_at - increment_by) + increment_by`, no condition | `delete_item`: if `v = :read`; `delete(key)`: no condition | refused ([`RefusalKind::VersionedBatch`](crate::RefusalKind::VersionedBatch)), unless the caller opts out: the version is written without its condition | as the single write |
//! | [`AtomicCounters`] | writes `start` | `SET c = if_not_exists(c, start - inc) + inc`; the struct's own value is not sent | as update, unless the patch writes the counter itself | — | writes `start` | as put / update |
//! | [`AutoTimestamps`] | sets now, in the field's own [format](crate::value::TimeFormat); a created-at (`#[update_behavior(write_if_not_exists)]`) keeps the value the item carries | sets now; a created-at: `if_not_exists` | as update, unless the patch writes the timestamp itself | — | sets now | as put / update |
//! | [`AutoUuids`] | generates when unset | unset: `if_not_exists(u, :new)` (a key: generated); set: written | unset: `if_not_exists(u, :new)` | — | generates when unset | as put / update |
//!
//! On a transaction's condition check the built-in extensions do nothing: only the caller's
//! condition applies.
//!
//! Your own extensions find their attributes by `#[tag("...")]`:
//!
//! ```
//! use dynamodb_mapper::extension::{AfterRead, BeforeWrite, Extension};
//! use dynamodb_mapper::schema::Tag;
//! use dynamodb_mapper::Error;
//!
//! /// Upper-cases every attribute tagged `#[tag("upper")]`.
//! struct Upper;
//!
//! impl Extension for Upper {
//!     fn before_write(&self, cx: &mut BeforeWrite<'_>) -> Result<(), Error> {
//!         let names: Vec<&str> = cx.schema().item.tagged(|t| *t == Tag::User("upper")).map(|a| a.name).collect();
//!         for name in names {
//!             if let Some(aws_sdk_dynamodb::types::AttributeValue::S(s)) = cx.item_mut().get_mut(name) {
//!                 *s = s.to_uppercase();
//!             }
//!         }
//!         Ok(())
//!     }
//! }
//! ```

mod counter;
#[cfg(feature = "chrono")]
mod timestamp;
#[cfg(feature = "uuid")]
mod uuid;
mod version;

use std::borrow::Cow;
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;

pub use counter::AtomicCounters;
#[cfg(feature = "chrono")]
#[cfg_attr(docsrs, doc(cfg(feature = "chrono")))]
pub use timestamp::{AutoTimestamps, Clock};
#[cfg(feature = "uuid")]
#[cfg_attr(docsrs, doc(cfg(feature = "uuid")))]
pub use uuid::AutoUuids;
pub use version::VersionedRecords;

use crate::error::Error;
use crate::expr::{Condition, UpdateExpression};
use crate::item::ItemMap;
use crate::schema::{TableSchema, Tag};

/// A hook into every write and read of the mapper. Both hooks do nothing by default.
pub trait Extension: Send + Sync {
    /// A name for error messages.
    fn name(&self) -> &str {
        std::any::type_name::<Self>()
    }

    /// Whether this extension acts on attributes carrying `tag`. A table whose item type has
    /// a lifecycle tag that no loaded extension handles is refused.
    fn handles(&self, tag: &Tag) -> bool {
        let _ = tag;
        false
    }

    /// Runs before a put, update or delete, in the order the extensions were given.
    fn before_write(&self, cx: &mut BeforeWrite<'_>) -> Result<(), Error> {
        let _ = cx;
        Ok(())
    }

    /// Runs after every read, in reverse order.
    fn after_read(&self, cx: &mut AfterRead<'_>) -> Result<(), Error> {
        let _ = cx;
        Ok(())
    }

    /// Whether [`after_read`](Self::after_read) may change or refuse an item (`true` unless
    /// overridden). An extension that acts only on writes returns `false`: when no loaded
    /// extension acts on reads, items that must be kept whole (a stream record's images) are
    /// read in place instead of copied for the chain first.
    fn acts_after_read(&self) -> bool {
        true
    }
}

/// The kind of write being prepared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// A put: the item replaces any stored one.
    Put,
    /// An update from a whole item: after the chain, every attribute without an action is
    /// `SET` (or `REMOVE`d when absent).
    Update,
    /// An update from actions ([`Table::patch`](crate::Table::patch)): the item map holds only
    /// the key and, if the caller gave it, the version that was read; the caller's actions are
    /// in [`BeforeWrite::update`]. Attributes an extension puts into the item map are `SET`;
    /// nothing is removed.
    Patch,
    /// A condition check of a transaction: the item map holds the key; nothing is written.
    ConditionCheck,
    /// A delete. `whole_item` is true for [`Table::delete_item`](crate::Table::delete_item)
    /// (the item map holds the item that was read) and false for
    /// [`Table::delete`](crate::Table::delete) (the item map holds only the key).
    Delete {
        /// Whether the whole item that was read is known.
        whole_item: bool,
    },
}

/// Whether the write stands alone or is part of a transaction or batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteMode {
    /// A single request.
    Single,
    /// One action of a transaction.
    Transaction,
    /// One request of a batch write, which cannot carry conditions.
    Batch,
}

/// What [`Extension::before_write`] can see and change.
pub struct BeforeWrite<'a> {
    operation: Operation,
    mode: WriteMode,
    skip_version_check: bool,
    schema: &'static TableSchema,
    table: &'a str,
    item: &'a mut ItemMap,
    conditions: &'a mut Vec<Condition>,
    update: Option<&'a mut UpdateExpression>,
    expected: &'a mut Vec<Expectation>,
}

impl std::fmt::Debug for BeforeWrite<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BeforeWrite")
            .field("operation", &self.operation)
            .field("mode", &self.mode)
            .field("table", &self.table)
            .field("item", &self.item)
            .field("conditions", &self.conditions)
            .field("update", &self.update)
            .finish_non_exhaustive()
    }
}

/// A value a write expects to find stored, as an extension recorded it
/// ([`BeforeWrite::expect`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expectation {
    pub(crate) name: Cow<'static, str>,
    /// `None`: no value is stored (absent or `NULL`).
    pub(crate) value: Option<AttributeValue>,
}

impl<'a> BeforeWrite<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        operation: Operation,
        mode: WriteMode,
        schema: &'static TableSchema,
        table: &'a str,
        item: &'a mut ItemMap,
        conditions: &'a mut Vec<Condition>,
        update: Option<&'a mut UpdateExpression>,
        expected: &'a mut Vec<Expectation>,
    ) -> Self {
        BeforeWrite {
            operation,
            mode,
            skip_version_check: false,
            schema,
            table,
            item,
            conditions,
            update,
            expected,
        }
    }

    /// Put, update or delete.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// Single request, transaction or batch.
    pub fn mode(&self) -> WriteMode {
        self.mode
    }

    /// Whether the caller gave up the version check for this write (a batch write's
    /// `without_version_check()`): the version is still written, without its condition.
    pub fn version_check_skipped(&self) -> bool {
        self.skip_version_check
    }

    pub(crate) fn skip_version_check(mut self, skip: bool) -> Self {
        self.skip_version_check = skip;
        self
    }

    /// The table's schema, with the tags of every attribute.
    pub fn schema(&self) -> &'static TableSchema {
        self.schema
    }

    /// The table's name.
    pub fn table_name(&self) -> &str {
        self.table
    }

    /// The item as it will be written (for a delete by key, only the key).
    pub fn item(&self) -> &ItemMap {
        self.item
    }

    /// The item, to change.
    pub fn item_mut(&mut self) -> &mut ItemMap {
        self.item
    }

    /// ANDs a condition into the request.
    pub fn add_condition(&mut self, condition: Condition) {
        self.conditions.push(condition);
    }

    /// Records that this write holds only if the stored attribute `name` is `value` (`None`:
    /// no value is stored), a rule the extension enforces with its own condition
    /// ([`add_condition`](Self::add_condition)). [`VersionedRecords`] records the version
    /// read.
    ///
    /// The mapper reads the record, never the extension's rule: when the write's condition
    /// fails and the stored item holds something else in `name`, another writer got there
    /// first, and the failure is a conflict
    /// ([`CancellationReason::is_version_conflict`](crate::ops::CancellationReason::is_version_conflict))
    /// that a read-modify-write loop retries from a fresh read; otherwise it is the caller's
    /// own condition that failed.
    pub fn expect(&mut self, name: impl Into<Cow<'static, str>>, value: Option<AttributeValue>) {
        let name = name.into();
        self.expected.retain(|e| e.name != name);
        self.expected.push(Expectation { name, value });
    }

    /// The update's actions, for an update or a patch; `None` for a put, delete or condition
    /// check. After the chain, the
    /// mapper turns the item into actions for every attribute that has none yet: `SET` for
    /// each attribute in the item (including ones an extension added), `REMOVE` for each of
    /// the struct's attributes that is absent.
    pub fn update(&mut self) -> Option<&mut UpdateExpression> {
        self.update.as_deref_mut()
    }
}

/// Whether a read returned every attribute of the item or only some.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ItemImage {
    /// The whole item: a get, query or scan without a projection, an update's new image, a
    /// replaced or deleted item, a failed condition's stored item.
    Whole,
    /// Some attributes only: a projection (`project::<P>()`), or an index that does not
    /// project every attribute. An extension that needs the whole item (a checksum) should
    /// skip it.
    Partial,
}

/// What [`Extension::after_read`] can see and change.
pub struct AfterRead<'a> {
    schema: &'static TableSchema,
    table: &'a str,
    image: ItemImage,
    item: &'a mut ItemMap,
}

impl std::fmt::Debug for AfterRead<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AfterRead")
            .field("table", &self.table)
            .field("image", &self.image)
            .field("item", &self.item)
            .finish_non_exhaustive()
    }
}

impl AfterRead<'_> {
    /// Whether the item is whole or partial (projected).
    pub fn image(&self) -> ItemImage {
        self.image
    }

    /// The table's schema.
    pub fn schema(&self) -> &'static TableSchema {
        self.schema
    }

    /// The table's name.
    pub fn table_name(&self) -> &str {
        self.table
    }

    /// The item as read.
    pub fn item(&self) -> &ItemMap {
        self.item
    }

    /// The item, to change before it is decoded.
    pub fn item_mut(&mut self) -> &mut ItemMap {
        self.item
    }
}

/// An ordered list of extensions.
#[derive(Clone)]
pub(crate) struct Chain {
    extensions: Arc<[Arc<dyn Extension>]>,
}

impl Chain {
    pub(crate) fn new(extensions: Vec<Arc<dyn Extension>>) -> Self {
        Chain {
            extensions: extensions.into(),
        }
    }

    /// The default extensions: optimistic locking and atomic counters.
    pub(crate) fn default_extensions() -> Vec<Arc<dyn Extension>> {
        vec![Arc::new(VersionedRecords), Arc::new(AtomicCounters)]
    }

    pub(crate) fn names(&self) -> Vec<&str> {
        self.extensions.iter().map(|e| e.name()).collect()
    }

    /// Refuses a schema with a lifecycle tag no extension handles.
    pub(crate) fn check(&self, schema: &'static TableSchema) -> Result<(), Error> {
        for attribute in schema.item.all_attributes() {
            for tag in attribute.tags {
                let (attribute_name, needed) = match tag {
                    Tag::Version { .. } => ("#[version]", "VersionedRecords"),
                    Tag::AtomicCounter { .. } => ("#[atomic_counter]", "AtomicCounters"),
                    Tag::AutoTimestamp { .. } => ("#[auto_timestamp]", "AutoTimestamps"),
                    Tag::AutoUuid => ("#[auto_uuid]", "AutoUuids"),
                    _ => continue,
                };
                if !self.extensions.iter().any(|e| e.handles(tag)) {
                    return Err(Error::Configuration(format!(
                        "`{}.{}` is {attribute_name}, but no loaded extension handles it \
                         (loaded: {:?}); add `dynamodb_mapper::extension::{needed}` to the mapper's extensions",
                        schema.item.type_name,
                        attribute.field,
                        self.names()
                    )));
                }
            }
        }
        Ok(())
    }

    /// Whether no extension is loaded.
    pub(crate) fn is_empty(&self) -> bool {
        self.extensions.is_empty()
    }

    /// Whether an extension's `after_read` may change or refuse an item.
    pub(crate) fn acts_after_read(&self) -> bool {
        self.extensions.iter().any(|e| e.acts_after_read())
    }

    /// Runs every `before_write`, in order.
    pub(crate) fn before_write(&self, cx: &mut BeforeWrite<'_>) -> Result<(), Error> {
        self.extensions.iter().try_for_each(|e| e.before_write(cx))
    }

    /// Runs every `after_read`, in reverse order.
    pub(crate) fn after_read(
        &self,
        schema: &'static TableSchema,
        table: &str,
        image: ItemImage,
        item: &mut ItemMap,
    ) -> Result<(), Error> {
        if self.extensions.is_empty() {
            return Ok(());
        }
        let mut cx = AfterRead {
            schema,
            table,
            image,
            item,
        };
        self.extensions.iter().rev().try_for_each(|e| e.after_read(&mut cx))
    }
}
