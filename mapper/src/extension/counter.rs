//! Server-side counters: `#[atomic_counter]`.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{BeforeWrite, Extension, Operation};
use crate::error::Error;
use crate::expr::{Condition, Path, UpdateValue};
use crate::schema::{Tag, TagKind};

/// Counters incremented by DynamoDB itself on every update (loaded by default).
///
/// A put writes `start`. An update sends `SET c = if_not_exists(c, start - inc) + inc` and
/// not the struct's own value (so the two never collide), so concurrent updates never lose an
/// increment; the item the update returns carries the new value.
///
/// The count never leaves the field's type: on a type narrower than 64 bits an update carries
/// the guard `attribute_not_exists(c) OR c <= :last` (`>=` for a negative increment), where
/// `:last` is the last value the increment can start from, so an update that would count a
/// `u8` past 255 fails with [`Error::ConditionFailed`] (carrying the stored item) instead of
/// storing a number the type cannot read. A 64-bit counter would take 9.2 × 10¹⁸ increments to
/// overflow, so its requests carry no guard.
#[derive(Debug, Clone, Copy, Default)]
pub struct AtomicCounters;

/// Whether a counter of this range needs the overflow guard: narrower than 64 bits.
fn guarded(min: i128, max: i128) -> bool {
    max < i128::from(i64::MAX) || (min < 0 && min > i128::from(i64::MIN))
}

impl Extension for AtomicCounters {
    fn name(&self) -> &str {
        "AtomicCounters"
    }

    fn handles(&self, tag: &Tag) -> bool {
        matches!(tag, Tag::AtomicCounter { .. })
    }

    fn acts_after_read(&self) -> bool {
        false
    }

    fn before_write(&self, cx: &mut BeforeWrite<'_>) -> Result<(), Error> {
        let counters: Vec<(&str, Tag)> = cx
            .schema()
            .item
            .tagged_kind(TagKind::AtomicCounter)
            .map(|(a, t)| (a.name, *t))
            .collect();
        let number = |n: i128| AttributeValue::N(n.to_string());
        for (name, tag) in counters {
            let Tag::AtomicCounter {
                start, inc, min, max, ..
            } = tag
            else {
                continue;
            };
            match cx.operation() {
                Operation::Put => {
                    cx.item_mut().insert(name.to_owned(), number(i128::from(start)));
                }
                Operation::Update | Operation::Patch => {
                    cx.item_mut().remove(name);
                    let Some(update) = cx.update() else { continue };
                    // A patch that writes the counter itself keeps its own action.
                    if update.touches(name) {
                        continue;
                    }
                    let before_first = number(i128::from(start) - i128::from(inc));
                    let value = UpdateValue::if_not_exists(Path::static_attr(name), UpdateValue::Value(before_first))
                        .plus(UpdateValue::Value(number(i128::from(inc))));
                    update.set(Path::static_attr(name), value);
                    if guarded(min, max) {
                        let inc = i128::from(inc);
                        let guard = if inc >= 0 {
                            Condition::attr(name).le(number(max - inc))
                        } else {
                            Condition::attr(name).ge(number(min - inc))
                        };
                        cx.add_condition(Condition::attr(name).not_exists().or(guard));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}
