//! Reads of many items: query and scan over one set of read options, pages and cursors.

mod page;
mod query;
mod scan;

pub use page::{Cursor, Page};
pub use query::{AnyKey, KeyValue, Query};
pub use scan::Scan;

pub(crate) use page::RawPage;
pub(crate) use query::key_value;

use aws_sdk_dynamodb::types::Select;

use std::future::Future;

use futures_util::stream::Stream;

use crate::error::UnreadableItem;
use crate::error::{Error, RefusalKind};
use crate::expr::{Condition, Placeholders};
use crate::extension::ItemImage;
use crate::item::{Attributes, Item, ItemMap};
use crate::ops::CapacityMeter;
use crate::schema::{IndexKind, IndexSchema, ItemSchema, Projection, TableSchema};
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

    /// The filter expression, rendered through the request's placeholders and checked
    /// against DynamoDB's expression size.
    pub(crate) fn filter(&self, placeholders: &mut Placeholders) -> Result<Option<String>, Error> {
        let Some(filter) = &self.filter else { return Ok(None) };
        let text = filter.clone().render_into(placeholders)?;
        crate::limits::check_expression("filter", &text)?;
        Ok(Some(text))
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
        let partial_index = index.is_some_and(|i| i.projection != Projection::All);
        if self.projection.is_some() || partial_index {
            ItemImage::Partial
        } else {
            ItemImage::Whole
        }
    }

    /// Refuses to read whole items from an index that holds only some attributes: every item
    /// would fail to decode. Such an index is read into a projection type.
    pub(crate) fn check_index_projection(&self, index: Option<&IndexSchema>, item_type: &str) -> Result<(), Error> {
        match index {
            Some(index) if index.projection != Projection::All && self.projection.is_none() && !self.count_only => {
                Err(Error::refused(
                    RefusalKind::InvalidArgument,
                    format!(
                        "index `{}` holds only some attributes of `{item_type}` ({:?}): read it with `.project::<P>()` into a type of those attributes",
                        index.name, index.projection
                    ),
                ))
            }
            _ => Ok(()),
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

/// One response of a query or scan, whichever it was.
pub(crate) struct Response {
    pub(crate) items: Option<Vec<ItemMap>>,
    pub(crate) last_evaluated_key: Option<ItemMap>,
    pub(crate) count: i32,
    pub(crate) capacity: Option<f64>,
}

macro_rules! fetched_from {
    ($($output:ty),*) => {$(
        impl From<$output> for Response {
            fn from(output: $output) -> Self {
                Response {
                    capacity: output.consumed_capacity.as_ref().and_then(|c| c.capacity_units()),
                    items: output.items,
                    last_evaluated_key: output.last_evaluated_key,
                    count: output.count,
                }
            }
        }
    )*};
}

fetched_from!(
    aws_sdk_dynamodb::operation::query::QueryOutput,
    aws_sdk_dynamodb::operation::scan::ScanOutput
);

/// A query or scan: what paging, streaming and counting need of it.
pub(crate) trait PagedRead: Clone + Send + 'static {
    /// The table's item type.
    type Item: Item;
    /// What each item is read into.
    type Output: Attributes + Send + 'static;

    fn target(&self) -> &Target;
    fn index(&self) -> Option<&'static IndexSchema>;
    fn options(&self) -> &ReadOptions;
    fn options_mut(&mut self) -> &mut ReadOptions;

    /// Sends one request.
    fn request(self) -> impl Future<Output = Result<Response, Error>> + Send;
}

/// One page, each item read on its own.
pub(crate) async fn fetch<R: PagedRead>(read: R) -> Result<RawPage<R::Output>, Error> {
    let target = read.target().clone();
    let image = read.options().image(read.index());
    let fetched = read.request().await?;
    Ok(read_page(
        &target,
        <R::Item as Item>::TABLE,
        image,
        fetched.items,
        fetched.last_evaluated_key,
        fetched.capacity,
    ))
}

/// Every page from the read's start, each fetched when the stream is polled past the previous.
pub(crate) fn raw_pages<R: PagedRead>(
    read: R,
) -> impl Stream<Item = Result<RawPage<R::Output>, Error>> + Unpin + Send + 'static {
    let start = read.options().start.clone();
    page::pages(start, move |cursor| {
        let mut read = read.clone();
        read.options_mut().start = cursor;
        fetch(read)
    })
}

/// How many items match, counted by DynamoDB over every page (`Select = COUNT`).
pub(crate) async fn count<R: PagedRead>(mut read: R) -> Result<u64, Error> {
    read.options_mut().count_only = true;
    let mut total = 0u64;
    loop {
        let fetched = read.clone().request().await?;
        total += u64::try_from(fetched.count).unwrap_or(0);
        match fetched.last_evaluated_key.filter(|k| !k.is_empty()) {
            Some(key) => read.options_mut().start = Some(Cursor::from_item_map(key)),
            None => return Ok(total),
        }
    }
}
