//! `Scan`: every item of the table or index, optionally in parallel segments.

use std::marker::PhantomData;

use futures_util::stream::{self, Stream, StreamExt, TryStreamExt};

use super::page::{self, Cursor, Page, RawPage};
use super::{self as read_options, PagedRead, ReadOptions, Response};
use crate::error::{Error, RefusalKind};
use crate::expr::{Condition, Placeholders};
use crate::item::{Attributes, Item};
use crate::ops::CapacityMeter;
use crate::schema::IndexSchema;
use crate::target::Target;

/// DynamoDB's limit on a scan's segments.
const MAX_SEGMENTS: u32 = 1_000_000;

/// Every item of a table or index. Made by [`Table::scan`](crate::Table::scan) and
/// [`Index::scan`](crate::Index::scan).
#[must_use = "a scan does nothing until it is read"]
pub struct Scan<T, O = T> {
    target: Target,
    index: Option<&'static IndexSchema>,
    segment: Option<(u32, u32)>,
    options: ReadOptions,
    _types: PhantomData<fn() -> (T, O)>,
}

impl<T, O> Clone for Scan<T, O> {
    fn clone(&self) -> Self {
        Scan {
            target: self.target.clone(),
            index: self.index,
            segment: self.segment,
            options: self.options.clone(),
            _types: PhantomData,
        }
    }
}

impl<T: Item> Scan<T> {
    pub(crate) fn new(target: Target, index: Option<&'static IndexSchema>) -> Self {
        Scan {
            target,
            index,
            segment: None,
            options: ReadOptions::default(),
            _types: PhantomData,
        }
    }
}

impl<T: Item + 'static, O: Attributes + Send + 'static> Scan<T, O> {
    /// Keeps only the items matching `filter` (applied after reading: filtered-out items
    /// still consume capacity).
    pub fn filter(mut self, filter: impl Into<Condition>) -> Self {
        self.options.filter = Some(filter.into());
        self
    }

    /// Reads at most `limit` items per request (DynamoDB's `Limit`, 1 or more): the page size,
    /// not a total. For a total, take from the stream: `.stream().take(n)`.
    pub fn limit(mut self, limit: u32) -> Self {
        self.options.limit = Some(limit);
        self
    }

    /// Strongly consistent reads (not available on global secondary indexes).
    pub fn consistent_read(mut self) -> Self {
        self.options.consistent_read = true;
        self
    }

    /// Reads only segment `segment` of `total` (for workers that split a scan among them).
    pub fn segment(mut self, segment: u32, total: u32) -> Self {
        self.segment = Some((segment, total));
        self
    }

    /// Starts after the item a previous page ended on.
    pub fn start_from(mut self, cursor: Cursor) -> Self {
        self.options.start = Some(cursor);
        self
    }

    /// Adds the capacity every request consumes to `meter`.
    pub fn capacity(mut self, meter: &CapacityMeter) -> Self {
        self.options.meter = Some(meter.clone());
        self
    }

    /// Reads only the attributes of `P`, a struct deriving [`Attributes`]. Extensions see
    /// [partial](crate::extension::ItemImage::Partial) items.
    pub fn project<P: Attributes>(self) -> Scan<T, P> {
        let mut options = self.options;
        options.projection = Some(P::SCHEMA);
        Scan {
            target: self.target,
            index: self.index,
            segment: self.segment,
            options,
            _types: PhantomData,
        }
    }

    /// The first page (or the page after [`start_from`](Scan::start_from)). Items that cannot
    /// be read are set aside in [`Page::unreadable`]; the cursor is kept.
    pub async fn page(self) -> Result<Page<O>, Error> {
        read_options::fetch(self).await.map(RawPage::into_page)
    }

    /// Every page, each fetched when the stream is polled past the previous one.
    pub fn pages(self) -> impl Stream<Item = Result<Page<O>, Error>> + Unpin + Send + 'static {
        read_options::raw_pages(self).map_ok(RawPage::into_page)
    }

    /// Every item, fetching pages lazily. An item that cannot be read is an
    /// [`Error::UnreadableItem`] in its place, and the stream goes on.
    pub fn stream(self) -> impl Stream<Item = Result<O, Error>> + Unpin + Send + 'static {
        page::items(read_options::raw_pages(self))
    }

    /// Every item, read by `total` segments in parallel; items arrive as each segment's pages
    /// do, so their order is not defined. Each segment starts at its beginning: a scan with a
    /// [`start_from`](Scan::start_from) cursor or a [`segment`](Scan::segment), or a `total`
    /// of 0 or over 1,000,000, yields an [`Error::Refused`] instead.
    pub fn parallel(self, total: u32) -> impl Stream<Item = Result<O, Error>> + Unpin + Send + 'static {
        let refusal = if self.options.start.is_some() || self.segment.is_some() {
            Some("a parallel scan starts every segment at its beginning: remove `start_from` and `segment`".to_owned())
        } else if !(1..=MAX_SEGMENTS).contains(&total) {
            Some(format!("`parallel({total})`: a scan has 1 to {MAX_SEGMENTS} segments"))
        } else {
            None
        };
        let segments: Vec<_> = match refusal {
            Some(_) => Vec::new(),
            None => (0..total)
                .map(|segment| Box::pin(self.clone().segment(segment, total).stream()))
                .collect(),
        };
        let refusal = refusal.map(|message| Err(Error::refused(RefusalKind::InvalidArgument, message)));
        stream::select_all(segments).chain(stream::iter(refusal))
    }

    /// Every item, collected; fails at the first error.
    pub async fn all(self) -> Result<Vec<O>, Error> {
        self.stream().try_collect().await
    }

    /// How many items there are (after the filter), counted by DynamoDB over every page
    /// (`Select = COUNT`): no item is transferred.
    pub async fn count(self) -> Result<u64, Error> {
        read_options::count(self).await
    }
}

impl<T: Item + 'static, O: Attributes + Send + 'static> PagedRead for Scan<T, O> {
    type Item = T;
    type Output = O;

    fn target(&self) -> &Target {
        &self.target
    }

    fn index(&self) -> Option<&'static IndexSchema> {
        self.index
    }

    fn options(&self) -> &ReadOptions {
        &self.options
    }

    fn options_mut(&mut self) -> &mut ReadOptions {
        &mut self.options
    }

    /// Sends one `Scan` request.
    async fn request(self) -> Result<Response, Error> {
        let target = &self.target;
        let options = &self.options;
        if let Some((segment, total)) = self.segment
            && !((1..=MAX_SEGMENTS).contains(&total) && segment < total)
        {
            return Err(Error::refused(
                RefusalKind::InvalidArgument,
                format!("scan segment {segment} of {total}: need 0 <= segment < total <= {MAX_SEGMENTS}"),
            ));
        }
        options.check_consistent_read(self.index)?;
        options.check_index_projection(self.index, T::SCHEMA.type_name)?;
        let limit = options.limit()?;
        let mut placeholders = Placeholders::new();
        let filter = options.filter(&mut placeholders)?;
        let (select, projection) = options.select(&mut placeholders)?;
        let expressions = placeholders.finish(&[filter.as_deref(), projection.as_deref()])?;

        let request = target
            .client()
            .scan()
            .table_name(target.name())
            .set_index_name(self.index.map(|i| i.name.to_owned()))
            .set_filter_expression(filter)
            .set_projection_expression(projection)
            .set_select(select)
            .set_expression_attribute_names(expressions.names)
            .set_expression_attribute_values(expressions.values)
            .set_limit(if options.count_only { None } else { limit })
            .consistent_read(options.consistent_read)
            // Both fit an i32: checked above.
            .set_segment(self.segment.map(|s| s.0 as i32))
            .set_total_segments(self.segment.map(|s| s.1 as i32))
            .set_exclusive_start_key(options.start.clone().map(Cursor::into_item_map))
            .set_return_consumed_capacity(target.capacity_request(options.meter.is_some()))
            .send();
        let output = crate::ops::send(target, T::TABLE, "Scan", options.meter.as_ref(), request).await?;
        Ok(output.into())
    }
}
