//! Automatic timestamps: `#[auto_timestamp]`.

use std::sync::Arc;

use super::{BeforeWrite, Extension, Operation, tagged};
use crate::error::Error;
use crate::schema::{Tag, UpdateBehavior};
use crate::value::ToAttributeValue;

/// Where [`AutoTimestamps`] reads the time.
pub type Clock = Arc<dyn Fn() -> chrono::DateTime<chrono::Utc> + Send + Sync>;

/// Sets attributes tagged `#[auto_timestamp]` to the current time on every put and update
/// (opt-in). With `#[update_behavior(write_if_not_exists)]` the attribute is a created-at: an
/// update writes the time only if none is stored, and a put keeps the value the item already
/// carries (an item that was read), so a created-at survives both.
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
        *tag == Tag::AutoTimestamp
    }

    fn before_write(&self, cx: &mut BeforeWrite<'_>) -> Result<(), Error> {
        let operation = cx.operation();
        if !matches!(operation, Operation::Put | Operation::Update | Operation::Patch) {
            return Ok(());
        }
        let schema = cx.schema();
        let names: Vec<&str> = tagged(schema, |t| *t == Tag::AutoTimestamp)
            .map(|(name, _)| name)
            // A created-at the item already carries is kept: a put replaces the stored one.
            .filter(|name| {
                let created_at = schema
                    .attribute(name)
                    .is_some_and(|a| a.update_behavior() == UpdateBehavior::WriteIfNotExists);
                !(created_at && operation == Operation::Put && cx.item().contains_key(*name))
            })
            .collect();
        if names.is_empty() {
            return Ok(());
        }
        let Some(now) = (self.clock)().to_attribute_value()? else {
            return Ok(());
        };
        for name in names {
            cx.item_mut().insert(name.to_owned(), now.clone());
        }
        Ok(())
    }
}
