//! What query and scan share: their options, the projection, and reading a page.

use aws_sdk_dynamodb::types::Select;

use super::CapacityMeter;
use super::page::{Cursor, RawPage, UnreadableItem};
use crate::error::{Error, RefusalKind};
use crate::expr::{Condition, Placeholders};
use crate::extension::ItemImage;
use crate::item::{Attributes, ItemMap};
use crate::schema::{IndexKind, IndexSchema, ItemSchema, TableSchema};
use crate::target::Target;

/// The options of a query or scan.
#[derive(Clone, Default)]
pub(crate) struct ReadOptions {
    pub(crate) filter: Option<Condition>,
    pub(crate) limit: Option<u32>,
    pub(crate) consistent_read: bool,
    pub(crate) start: Option<Cursor>,
    pub(crate) projection: Option<&'static ItemSchema>,
    pub(crate) meter: Option<CapacityMeter>,
    pub(crate) count_only: bool,
}

impl ReadOptions {
    /// DynamoDB's `Limit`, refusing 0 (DynamoDB takes 1 and up).
    pub(crate) fn limit(&self) -> Result<Option<i32>, Error> {
        match self.limit {
            Some(0) => Err(Error::refused(
                RefusalKind::InvalidArgument,
                "`limit(0)`: a page holds at least one item",
            )),
            limit => Ok(limit.map(|l| i32::try_from(l).unwrap_or(i32::MAX))),
        }
    }

    /// Refuses a consistent read of a global secondary index, which DynamoDB does not offer.
    pub(crate) fn check_consistent_read(&self, index: Option<&IndexSchema>) -> Result<(), Error> {
        match index {
            Some(index) if self.consistent_read && index.kind == IndexKind::Global => Err(Error::refused(
                RefusalKind::ConsistentReadOnGlobalIndex,
                format!("global secondary index `{}` cannot be read consistently", index.name),
            )),
            _ => Ok(()),
        }
    }

    /// `Select` and the projection expression: the attributes of the projected type, or the
    /// count only.
    pub(crate) fn select(&self, placeholders: &mut Placeholders) -> Result<(Option<Select>, Option<String>), Error> {
        if self.count_only {
            return Ok((Some(Select::Count), None));
        }
        let projection = projection(self.projection, placeholders)?;
        Ok((projection.as_ref().map(|_| Select::SpecificAttributes), projection))
    }

    /// Whether the items read are whole: not when projected, nor from an index that does not
    /// project every attribute.
    pub(crate) fn image(&self, index: Option<&IndexSchema>) -> ItemImage {
        let _ = index;
        if self.projection.is_some() {
            ItemImage::Partial
        } else {
            ItemImage::Whole
        }
    }
}

/// The projection expression listing the attributes of `schema`, for reads into a struct
/// that holds only some of the item's attributes.
pub(crate) fn projection(
    schema: Option<&'static ItemSchema>,
    placeholders: &mut Placeholders,
) -> Result<Option<String>, Error> {
    let Some(schema) = schema else { return Ok(None) };
    let mut out = String::new();
    for attribute in schema.all_attributes() {
        if !out.is_empty() {
            out.push_str(", ");
        }
        placeholders.push_name(attribute.name, &mut out);
    }
    if out.is_empty() {
        return Err(Error::refused(
            RefusalKind::EmptyProjection,
            format!("`{}` stores no attribute to project", schema.type_name),
        ));
    }
    crate::limits::check_expression("projection", &out)?;
    Ok(Some(out))
}

/// Reads a page of items: each through the extensions and decoded on its own, so one bad item
/// does not fail the others.
pub(crate) fn read_page<O: Attributes>(
    target: &Target,
    schema: &'static TableSchema,
    image: ItemImage,
    items: Option<Vec<ItemMap>>,
    last_evaluated_key: Option<ItemMap>,
    consumed_capacity: Option<f64>,
) -> RawPage<O> {
    let items = items
        .unwrap_or_default()
        .into_iter()
        .map(|item| {
            let key: ItemMap = std::iter::once(schema.partition_key.name)
                .chain(schema.sort_key.map(|k| k.name))
                .filter_map(|name| item.get_key_value(name))
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect();
            crate::plan::read::decode(target.chain(), schema, target.name(), image, item)
                .map_err(|error| Box::new(UnreadableItem { key, error }))
        })
        .collect();
    RawPage {
        items,
        next: last_evaluated_key.filter(|k| !k.is_empty()).map(Cursor::from_item_map),
        consumed_capacity,
    }
}
