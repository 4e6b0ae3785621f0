//! Optimistic locking: `#[version]`.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{BeforeWrite, Extension, Operation, WriteMode};
use crate::error::{Error, RefusalKind};
use crate::expr::{Condition, Path, UpdateValue};
use crate::schema::Tag;

/// Optimistic locking on the attribute tagged `#[version]` (loaded by default).
///
/// A new item (version `None`) is written with `start_at` on condition that no version is
/// stored; an item that was read is written with its version plus `increment_by` on condition
/// that the stored version is still the one read. The same holds for puts and updates, and
/// [`Table::delete_item`](crate::Table::delete_item) deletes only the version that was read.
/// [`Table::delete`](crate::Table::delete) by key has no version condition. A version that
/// would overflow its field's type is an error, not a wrap.
///
/// A write that loses the race fails with [`Error::ConditionFailed`], which carries the
/// stored item; [`Table::read_modify_write`](crate::Table::read_modify_write) retries for you.
#[derive(Debug, Clone, Copy, Default)]
pub struct VersionedRecords;

impl Extension for VersionedRecords {
    fn name(&self) -> &str {
        "VersionedRecords"
    }

    fn handles(&self, tag: &Tag) -> bool {
        matches!(tag, Tag::Version { .. })
    }

    fn acts_after_read(&self) -> bool {
        false
    }

    fn before_write(&self, cx: &mut BeforeWrite<'_>) -> Result<(), Error> {
        let Some((
            attribute,
            &Tag::Version {
                start_at,
                increment_by,
                max,
            },
        )) = cx.schema().item.version_attribute()
        else {
            return Ok(());
        };
        let name = attribute.name;
        let operation = cx.operation();
        let writes = matches!(operation, Operation::Put | Operation::Update | Operation::Patch);
        let guards = writes || operation == (Operation::Delete { whole_item: true });
        if !guards {
            return Ok(());
        }
        // A batch request cannot carry a condition: refuse, unless the caller gave up the check.
        let conditional = !(cx.mode() == WriteMode::Batch && cx.version_check_skipped());
        if cx.mode() == WriteMode::Batch && conditional {
            return Err(Error::refused(
                RefusalKind::VersionedBatch,
                format!(
                    "`{}.{name}` is a `#[version]`, and a batch write cannot carry its condition: \
                     write the item alone or in a transaction, or opt out with `without_version_check()` \
                     (which gives up optimistic locking for that call)",
                    cx.schema().item.type_name
                ),
            ));
        }
        let read = read_version(name, cx.item().get(name))?;
        if operation == Operation::Patch && read.is_none() {
            // A patch without the version that was read: no check, but the version still
            // moves on, so that writers holding an older copy conflict.
            let before_first = number(i128::from(start_at) - i128::from(increment_by));
            let step = number(i128::from(increment_by));
            if let Some(update) = cx.update() {
                update.set(
                    Path::static_attr(name),
                    UpdateValue::if_not_exists(Path::static_attr(name), UpdateValue::Value(before_first))
                        .plus(UpdateValue::Value(step)),
                );
            }
            return Ok(());
        }
        let mut previous = None;
        if writes {
            let next = match read {
                None => i128::from(start_at),
                Some(read) => read
                    .checked_add(i128::from(increment_by))
                    .filter(|next| u128::try_from(*next).is_ok_and(|n| n <= max))
                    .ok_or_else(|| {
                        Error::refused(
                            RefusalKind::VersionOverflow,
                            format!("version `{name}` {read} + {increment_by} overflows its type (at most {max})"),
                        )
                    })?,
            };
            let next = number(next);
            previous = match cx.item_mut().get_mut(name) {
                Some(slot) => Some(std::mem::replace(slot, next)),
                None => {
                    cx.item_mut().insert(name.to_owned(), next);
                    None
                }
            };
        }
        if conditional {
            // A new item: no version is stored, or a NULL one (boto3 writes Python's `None` so).
            // The version read is compared as it was given (DynamoDB compares numbers by value).
            let read = read.map(|read| match previous {
                Some(given @ AttributeValue::N(_)) => given,
                _ => number(read),
            });
            let attribute = || Condition::path(Path::static_attr(name));
            let condition = match &read {
                None => attribute().not_exists().or(attribute().has_type("NULL")),
                Some(read) => attribute().eq(read.clone()),
            };
            cx.add_condition(condition);
            cx.expect(name, read);
        }
        Ok(())
    }
}

/// A number attribute, written without the formatting machinery.
fn number(n: i128) -> AttributeValue {
    AttributeValue::N(itoa::Buffer::new().format(n).to_owned())
}

/// The version an item map carries: `None` when absent or `NULL` (never written).
fn read_version(name: &str, value: Option<&AttributeValue>) -> Result<Option<i128>, Error> {
    match value {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::N(text)) => text.parse::<i128>().map(Some).map_err(|_| {
            Error::refused(
                RefusalKind::InvalidVersion,
                format!("version `{name}` is `{text}`, not an integer"),
            )
        }),
        Some(other) => Err(Error::refused(
            RefusalKind::InvalidVersion,
            format!("version `{name}` holds {}, not a number", crate::value::type_of(other)),
        )),
    }
}
