//! Automatic timestamps: `#[auto_timestamp]`.

use std::sync::Arc;

use super::{BeforeWrite, Extension, Operation};
use crate::error::Error;
use crate::schema::{Tag, TagKind, UpdateBehavior};
use crate::value::TimeFormat;

/// Where [`AutoTimestamps`] reads the time.
pub type Clock = Arc<dyn Fn() -> chrono::DateTime<chrono::Utc> + Send + Sync>;

/// Sets attributes tagged `#[auto_timestamp]` to the current time on every put and update
/// (opt-in), in the format of each field's type (its
/// [`TimeFormat`](crate::value::TimeFormat)): `DateTime<Utc>`'s RFC 3339 text,
/// [`JavaInstant`](crate::value::JavaInstant), [`PynamoDateTime`](crate::value::PynamoDateTime),
/// [`UnixSeconds`](crate::value::UnixSeconds) or [`UnixMillis`](crate::value::UnixMillis).
///
/// With `#[update_behavior(write_if_not_exists)]` the attribute is a created-at: an update
/// writes the time only if none is stored, and a put keeps the value the item already carries
/// (an item that was read), so a created-at survives both. A patch's own action on the
/// attribute wins over the extension's.
#[derive(Clone)]
pub struct AutoTimestamps {
    clock: Clock,
}

impl AutoTimestamps {
    /// Timestamps from the system clock.
    pub fn new() -> Self {
        Self::with_clock(Arc::new(chrono::Utc::now))
    }

    /// Timestamps from `clock` (a fixed or stepping clock in tests).
    pub fn with_clock(clock: Clock) -> Self {
        AutoTimestamps { clock }
    }
}

impl Default for AutoTimestamps {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for AutoTimestamps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AutoTimestamps").finish_non_exhaustive()
    }
}

impl Extension for AutoTimestamps {
    fn name(&self) -> &str {
        "AutoTimestamps"
    }

    fn handles(&self, tag: &Tag) -> bool {
        matches!(tag, Tag::AutoTimestamp { .. })
    }

    fn acts_after_read(&self) -> bool {
        false
    }

    fn before_write(&self, cx: &mut BeforeWrite<'_>) -> Result<(), Error> {
        let operation = cx.operation();
        if !matches!(operation, Operation::Put | Operation::Update | Operation::Patch) {
            return Ok(());
        }
        let schema = cx.schema();
        let stamps: Vec<(&str, TimeFormat)> = schema
            .item
            .tagged_kind(TagKind::AutoTimestamp)
            .filter_map(|(a, t)| match t {
                Tag::AutoTimestamp { format, .. } => Some((a, *format)),
                _ => None,
            })
            // A created-at the item already carries is kept: a put replaces the stored one.
            .filter(|(a, _)| {
                let created_at = a.update_behavior() == UpdateBehavior::WriteIfNotExists;
                !(created_at && operation == Operation::Put && cx.item().contains_key(a.name))
            })
            .map(|(a, format)| (a.name, format))
            .collect();
        if stamps.is_empty() {
            return Ok(());
        }
        let now = (self.clock)();
        for (name, format) in stamps {
            // The field's own format, through its type's conversion.
            if let Some(value) = format.to_attribute_value(now).map_err(|e| e.in_attribute(name))? {
                cx.item_mut().insert(name.to_owned(), value);
            }
        }
        Ok(())
    }
}
