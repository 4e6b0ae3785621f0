//! Optimistic locking: `#[version]`.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{BeforeWrite, Extension, Operation, WriteMode, tagged};
use crate::error::{Error, RefusalKind};
use crate::expr::Condition;
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

    fn before_write(&self, cx: &mut BeforeWrite<'_>) -> Result<(), Error> {
        let Some((
            name,
            Tag::Version {
                start_at,
                increment_by,
                max,
            },
        )) = tagged(cx.schema(), |t| matches!(t, Tag::Version { .. })).next()
        else {
            return Ok(());
        };
        if cx.mode() == WriteMode::Batch {
            return Err(Error::extension(
                "VersionedRecords",
                format!(
                    "`{name}` is a version, and a batch write cannot carry its condition: write the item alone or in a transaction"
                ),
            ));
        }
        let read = match cx.item().get(name) {
            None | Some(AttributeValue::Null(_)) => None,
            Some(AttributeValue::N(text)) => Some(text.parse::<i128>().map_err(|_| {
                Error::refused(
                    RefusalKind::InvalidVersion,
                    format!("version `{name}` is `{text}`, not an integer"),
                )
            })?),
            Some(other) => {
                return Err(Error::refused(
                    RefusalKind::InvalidVersion,
                    format!("version `{name}` holds {}, not a number", crate::value::type_of(other)),
                ));
            }
        };
        // A new item: no version is stored, or a NULL one (boto3 writes Python's `None` so).
        let condition = match read {
            None => Condition::attr(name)
                .not_exists()
                .or(Condition::attr(name).has_type("NULL")),
            Some(read) => Condition::attr(name).eq(AttributeValue::N(read.to_string())),
        };
        match cx.operation() {
            Operation::Put | Operation::Update => {
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
                cx.item_mut()
                    .insert(name.to_owned(), AttributeValue::N(next.to_string()));
                cx.add_condition(condition);
            }
            Operation::Delete { whole_item: true } => cx.add_condition(condition),
            Operation::Delete { whole_item: false } => {}
        }
        Ok(())
    }
}
