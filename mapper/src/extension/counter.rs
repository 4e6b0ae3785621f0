//! Server-side counters: `#[atomic_counter]`.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{BeforeWrite, Extension, Operation, tagged};
use crate::error::Error;
use crate::expr::{Path, UpdateValue};
use crate::schema::Tag;

/// Counters incremented by DynamoDB itself on every update (loaded by default).
///
/// A put writes `start`. An update sends `SET c = if_not_exists(c, start - inc) + inc` and
/// not the struct's own value (so the two never collide), so concurrent updates never lose an
/// increment; the item the update returns carries the new value.
#[derive(Debug, Clone, Copy, Default)]
pub struct AtomicCounters;

impl Extension for AtomicCounters {
    fn name(&self) -> &str {
        "AtomicCounters"
    }

    fn handles(&self, tag: &Tag) -> bool {
        matches!(tag, Tag::AtomicCounter { .. })
    }

    fn before_write(&self, cx: &mut BeforeWrite<'_>) -> Result<(), Error> {
        let counters: Vec<(&str, i64, i64)> = tagged(cx.schema(), |t| matches!(t, Tag::AtomicCounter { .. }))
            .filter_map(|(name, tag)| match tag {
                Tag::AtomicCounter { start, inc } => Some((name, start, inc)),
                _ => None,
            })
            .collect();
        let number = |n: i128| AttributeValue::N(n.to_string());
        for (name, start, inc) in counters {
            match cx.operation() {
                Operation::Put => {
                    cx.item_mut().insert(name.to_owned(), number(i128::from(start)));
                }
                Operation::Update | Operation::Patch => {
                    cx.item_mut().remove(name);
                    let before_first = number(i128::from(start) - i128::from(inc));
                    let value = UpdateValue::if_not_exists(Path::static_attr(name), UpdateValue::Value(before_first))
                        .plus(UpdateValue::Value(number(i128::from(inc))));
                    if let Some(update) = cx.update() {
                        // A patch that writes the counter itself keeps its own action.
                        if !update.touches(name) {
                            update.set(Path::static_attr(name), value);
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}
