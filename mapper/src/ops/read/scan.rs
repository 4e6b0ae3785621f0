//! `Scan`: every item of the table or index, optionally in parallel segments.

use futures_util::stream::{self, Stream, StreamExt};

use super::keys::Unchecked;
use super::{Parts, Read, ReadKind, Response, read_request};
use crate::error::{Error, RefusalKind};
use crate::expr::Placeholders;
use crate::item::{Attributes, Item};
use crate::ops::Marker;

/// DynamoDB's limit on a scan's segments.
const MAX_SEGMENTS: u32 = 1_000_000;

/// Every item of a table or index: a [`Read`] whose kind is [`ScanSegment`]. Made by
/// [`Table::scan`](crate::Table::scan) and [`Index::scan`](crate::Index::scan).
///
/// Besides what every read has ([`filter`](Read::filter), [`limit`](Read::limit),
/// [`project`](Read::project), [`stream`](Read::stream), [`page`](Read::page),
/// [`count`](Read::count), ...), a scan can read one [`segment`](Read::segment) of several, or
/// all of them [`parallel`](Read::parallel)ly.
///
/// ```no_run
/// # use dynamodb_mapper::{Item, Table};
/// # use futures::TryStreamExt;
/// # #[derive(Item, Clone)] #[item(table = "orders")]
/// # struct Order { #[partition_key] customer: String, #[sort_key] placed: u64, total: u64 }
/// # async fn run(orders: Table<Order>) -> Result<(), dynamodb_mapper::Error> {
/// let every: Vec<Order> = orders.scan().parallel(4).try_collect().await?;
/// let how_many = orders.scan().count().await?;
/// # Ok(()) }
/// ```
pub type Scan<T, O = T> = Read<T, O, ScanSegment>;

/// What a scan has beyond the options every read has: the segment it reads, if not all. `X`
/// is the kind of index read.
pub struct ScanSegment<X = Unchecked> {
    segment: Option<(u32, u32)>,
    _index: Marker<X>,
}

impl<X> Default for ScanSegment<X> {
    fn default() -> Self {
        ScanSegment {
            segment: None,
            _index: Marker::default(),
        }
    }
}

impl<X> Clone for ScanSegment<X> {
    fn clone(&self) -> Self {
        ScanSegment {
            segment: self.segment,
            _index: Marker::default(),
        }
    }
}

impl<X> std::fmt::Debug for ScanSegment<X> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanSegment").field("segment", &self.segment).finish()
    }
}

impl<T: Item + 'static, O: Attributes + Send + 'static, X: Send + Sync + 'static> Read<T, O, ScanSegment<X>> {
    /// Reads only segment `segment` of `total` (for workers that split a scan among them).
    pub fn segment(mut self, segment: u32, total: u32) -> Self {
        self.kind_mut().segment = Some((segment, total));
        self
    }

    /// Every item, read by `total` segments in parallel; items arrive as each segment's pages
    /// do, so their order is not defined. Each segment starts at its beginning: a scan with a
    /// [`start_from`](Read::start_from) cursor or a [`segment`](Read::segment), or a `total`
    /// of 0 or over 1,000,000, yields an [`Error::Refused`] instead.
    pub fn parallel(self, total: u32) -> impl Stream<Item = Result<O, Error>> + Unpin + Send + 'static {
        let refusal = if self.options().start.is_some() || self.kind.segment.is_some() {
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
}

impl<X: Send + Sync + 'static> ReadKind for ScanSegment<X> {
    /// A scan's page tokens are bound to its segment.
    fn scope(&self, out: &mut Vec<u8>) {
        out.push(b'S');
        if let Some((segment, total)) = self.segment {
            out.extend_from_slice(&segment.to_be_bytes());
            out.extend_from_slice(&total.to_be_bytes());
        }
    }

    /// Sends one `Scan` request.
    async fn request<T: Item>(&self, read: &Parts<'_>) -> Result<Response, Error> {
        let Parts {
            target, index, options, ..
        } = *read;
        if let Some((segment, total)) = self.segment
            && !((1..=MAX_SEGMENTS).contains(&total) && segment < total)
        {
            return Err(Error::refused(
                RefusalKind::InvalidArgument,
                format!("scan segment {segment} of {total}: need 0 <= segment < total <= {MAX_SEGMENTS}"),
            ));
        }
        let mut placeholders = Placeholders::new();
        let common = options.common(index, T::SCHEMA.type_name, &mut placeholders)?;
        let expressions = placeholders.finish(&[common.filter.as_deref(), common.projection.as_deref()])?;
        let segment = self.segment;
        // Both fit an i32: checked above.
        let request = read_request!(scan, *read, common, expressions, |request| request
            .set_segment(segment.map(|s| s.0 as i32))
            .set_total_segments(segment.map(|s| s.1 as i32)));
        let output = crate::ops::send(target, T::TABLE, "Scan", options.meter.as_ref(), request).await?;
        Ok(output.into())
    }
}
