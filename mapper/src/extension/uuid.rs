//! Generated identifiers: `#[auto_uuid]`.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{BeforeWrite, Extension, Operation};
use crate::error::Error;
use crate::expr::{Path, UpdateValue};
use crate::schema::{Tag, TagKind};

/// Gives attributes tagged `#[auto_uuid]` a random UUID when they are unset (opt-in). Unset
/// means `None`, or the type's default: an empty `String`, the nil `Uuid`.
///
/// A put generates one when the attribute is unset and keeps a set value. An update of an
/// unset attribute sends `if_not_exists(u, :new)`, so the stored id never changes; a set one is
/// written as it is. A key attribute is generated before the key is used.
#[derive(Debug, Clone, Copy, Default)]
pub struct AutoUuids;

impl Extension for AutoUuids {
    fn name(&self) -> &str {
        "AutoUuids"
    }

    fn handles(&self, tag: &Tag) -> bool {
        *tag == Tag::AutoUuid
    }

    fn acts_after_read(&self) -> bool {
        false
    }

    fn before_write(&self, cx: &mut BeforeWrite<'_>) -> Result<(), Error> {
        let operation = cx.operation();
        if !matches!(operation, Operation::Put | Operation::Update | Operation::Patch) {
            return Ok(());
        }
        let names: Vec<&str> = cx
            .schema()
            .item
            .tagged_kind(TagKind::AutoUuid)
            .map(|(a, _)| a.name)
            .collect();
        for name in names {
            let unset = match cx.item().get(name) {
                None | Some(AttributeValue::Null(_)) => true,
                Some(AttributeValue::S(s)) => s.is_empty() || *s == uuid::Uuid::nil().to_string(),
                Some(_) => false,
            };
            if !unset {
                continue;
            }
            let fresh = AttributeValue::S(uuid::Uuid::new_v4().to_string());
            if operation != Operation::Put && !cx.schema().is_key(name) {
                cx.item_mut().remove(name);
                if let Some(update) = cx.update()
                    && !update.touches(name)
                {
                    update.set(
                        Path::static_attr(name),
                        UpdateValue::if_not_exists(Path::static_attr(name), UpdateValue::Value(fresh)),
                    );
                }
            } else {
                cx.item_mut().insert(name.to_owned(), fresh);
            }
        }
        Ok(())
    }
}
