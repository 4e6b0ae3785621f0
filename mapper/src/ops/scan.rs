//! `Scan`: every item of the table or index, optionally in parallel segments.

use std::marker::PhantomData;

use aws_sdk_dynamodb::types::Select;
use futures_util::stream::{self, Stream, StreamExt, TryStreamExt};

use super::page::{self, Cursor, Page};
use crate::error::{Error, RefusalKind};
use crate::expr::{Condition, Placeholders};
use crate::item::{Attributes, Item};
use crate::schema::{IndexSchema, ItemSchema};
use crate::table::Table;

/// Every item of a table or index. Made by [`Table::scan`] and
/// [`Index::scan`](crate::Index::scan).
#[must_use = "a scan does nothing until it is read"]
pub struct Scan<'a, T, O = T> {
    table: &'a Table<T>,
    index: Option<&'static IndexSchema>,
    filter: Option<Condition>,
    limit: Option<i32>,
    consistent_read: bool,
    segment: Option<(u32, u32)>,
    start: Option<Cursor>,
    projection: Option<&'static ItemSchema>,
    _output: PhantomData<fn() -> O>,
}

impl<T, O> Clone for Scan<'_, T, O> {
    fn clone(&self) -> Self {
        Scan {
            table: self.table,
            index: self.index,
            filter: self.filter.clone(),
            limit: self.limit,
            consistent_read: self.consistent_read,
            segment: self.segment,
            start: self.start.clone(),
            projection: self.projection,
            _output: PhantomData,
        }
    }
}

impl<'a, T: Item> Scan<'a, T> {
    pub(crate) fn new(table: &'a Table<T>, index: Option<&'static IndexSchema>) -> Self {
        Scan {
            table,
            index,
            filter: None,
            limit: None,
            consistent_read: false,
            segment: None,
            start: None,
            projection: None,
            _output: PhantomData,
        }
    }
}

impl<'a, T: Item, O: Attributes + 'a> Scan<'a, T, O> {
    /// Keeps only the items matching `filter` (applied after reading: filtered-out items
    /// still consume capacity).
    pub fn filter(mut self, filter: Condition) -> Self {
        self.filter = Some(filter);
        self
    }

    /// Reads at most `limit` items per request (DynamoDB's `Limit`): the page size, not a
    /// total. For a total, take from the stream: `.stream().take(n)`.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(i32::try_from(limit).unwrap_or(i32::MAX).max(1));
        self
    }

    /// Strongly consistent reads.
    pub fn consistent_read(mut self) -> Self {
        self.consistent_read = true;
        self
    }

    /// Reads only segment `segment` of `total` (for workers that split a scan among them).
    pub fn segment(mut self, segment: u32, total: u32) -> Self {
        self.segment = Some((segment, total));
        self
    }

    /// Starts after the item a previous page ended on.
    pub fn start_from(mut self, cursor: Cursor) -> Self {
        self.start = Some(cursor);
        self
    }

    /// Reads only the attributes of `P`, a struct deriving [`Attributes`].
    pub fn project<P: Attributes>(self) -> Scan<'a, T, P> {
        Scan {
            table: self.table,
            index: self.index,
            filter: self.filter,
            limit: self.limit,
            consistent_read: self.consistent_read,
            segment: self.segment,
            start: self.start,
            projection: Some(P::SCHEMA),
            _output: PhantomData,
        }
    }

    /// The first page (or the page after [`start_from`](Scan::start_from)).
    pub async fn page(self) -> Result<Page<O>, Error> {
        let table = self.table;
        if let Some((segment, total)) = self.segment
            && !((1..=1_000_000).contains(&total) && segment < total)
        {
            return Err(Error::refused(RefusalKind::InvalidArgument, format!(
                "scan segment {segment} of {total}: need 0 <= segment < total <= 1000000"
            )));
        }
        super::check_consistent_read(self.index, self.consistent_read)?;
        let mut placeholders = Placeholders::new();
        let filter = self.filter.map(|f| f.render(&mut placeholders)).transpose()?;
        let projection = super::projection(self.projection, &mut placeholders)?;
        let expressions = placeholders.finish(&[filter.as_deref(), projection.as_deref()])?;

        let request = table
            .client()
            .scan()
            .table_name(table.name())
            .set_index_name(self.index.map(|i| i.name.to_owned()))
            .set_filter_expression(filter)
            .set_projection_expression(projection.clone())
            .set_select(projection.as_ref().map(|_| Select::SpecificAttributes))
            .set_expression_attribute_names(expressions.names)
            .set_expression_attribute_values(expressions.values)
            .set_limit(self.limit)
            .consistent_read(self.consistent_read)
            // Both fit an i32: checked above.
            .set_segment(self.segment.map(|s| s.0 as i32))
            .set_total_segments(self.segment.map(|s| s.1 as i32))
            .set_exclusive_start_key(self.start.map(Cursor::into_item_map))
            .set_return_consumed_capacity(super::capacity_request(table.mapper()))
            .send();
        let output = super::send(table, "Scan", request).await?;
        table.read_page(output.items, output.last_evaluated_key)
    }

    /// Every page, each fetched when the stream is polled past the previous one.
    pub fn pages(self) -> impl Stream<Item = Result<Page<O>, Error>> + Unpin + 'a {
        let start = self.start.clone();
        page::pages(start, move |cursor| {
            let mut scan = self.clone();
            scan.start = cursor;
            scan.page()
        })
    }

    /// Every item, fetching pages lazily.
    pub fn stream(self) -> impl Stream<Item = Result<O, Error>> + Unpin + 'a {
        page::items(self.pages())
    }

    /// Every item, read by `total` segments in parallel; items arrive as each segment's pages
    /// do, so their order is not defined. Each segment starts at its beginning: a scan with a
    /// [`start_from`](Scan::start_from) cursor or a [`segment`](Scan::segment) yields an
    /// [`Error::Refused`] instead (a cursor belongs to one segment).
    pub fn parallel(self, total: u32) -> impl Stream<Item = Result<O, Error>> + Unpin + 'a {
        let total = total.max(1);
        let refusal = (self.start.is_some() || self.segment.is_some()).then(|| {
            Err(Error::refused(
                RefusalKind::InvalidArgument,
                "a parallel scan starts every segment at its beginning: remove `start_from` and `segment`",
            ))
        });
        let segments: Vec<_> = if refusal.is_some() {
            Vec::new()
        } else {
            (0..total)
                .map(|segment| Box::pin(self.clone().segment(segment, total).stream()))
                .collect()
        };
        stream::select_all(segments).chain(stream::iter(refusal))
    }

    /// Every item, collected.
    pub async fn all(self) -> Result<Vec<O>, Error> {
        self.stream().try_collect().await
    }
}
