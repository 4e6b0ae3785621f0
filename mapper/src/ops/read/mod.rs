//! Reads of many items: [`Query`] and [`Scan`] are one builder, [`Read`], whose options and
//! ways of reading (a page, every page, a stream of items, all items, a count) are written
//! once; what differs — a query's key condition and order, a scan's segment — is its kind
//! ([`QueryKeys`], [`ScanSegment`]). Pages and cursors are in [`page`].

mod keys;
mod page;
mod query;
mod scan;

pub use keys::{ConsistentRead, Global, Keys, Local, PartitionValue, SortPrefix, Sorts, TypedIndexKind, Unchecked};
pub use page::{Cursor, Page};
pub use query::{AnyKey, KeyValue, Query, QueryKeys};
pub use scan::{Scan, ScanSegment};

pub(crate) use query::key_value;

use std::future::Future;
use std::sync::Arc;

use aws_sdk_dynamodb::types::Select;
use futures_util::stream::{Stream, TryStreamExt};

use crate::error::{Error, RefusalKind};
use crate::expr::{Condition, IntoCondition, Placeholders};
use crate::extension::ItemImage;
use crate::item::{Attributes, Item, ItemMap};
use crate::ops::{CapacityMeter, Marker};
use crate::schema::{IndexKind, IndexSchema, ItemSchema, Projection, TableSchema};
use crate::target::Target;
use page::RawPage;

/// A read of many items of a table or index: a [`Query`] (one partition) or a [`Scan`] (every
/// item), as its kind `K` says. Made by [`Table::query`](crate::Table::query),
/// [`Table::scan`](crate::Table::scan) and their [`Index`](crate::Index) twins.
///
/// Read it as a [`stream`](Read::stream) of items that fetches pages as it goes, as
/// [`all`](Read::all) items, [`page`](Read::page) by page with a [`Cursor`], or just
/// [`count`](Read::count) them. The builder owns what it needs, so the stream can be returned
/// from a function or spawned.
#[must_use = "a read does nothing until it is read"]
pub struct Read<T, O, K> {
    target: Target,
    index: Option<&'static IndexSchema>,
    kind: K,
    options: ReadOptions,
    _types: Marker<(T, O)>,
}

impl<T, O, K: Clone> Clone for Read<T, O, K> {
    fn clone(&self) -> Self {
        Read {
            target: self.target.clone(),
            index: self.index,
            kind: self.kind.clone(),
            options: self.options.clone(),
            _types: Marker::default(),
        }
    }
}

impl<T, O, K: std::fmt::Debug> std::fmt::Debug for Read<T, O, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Read")
            .field("table", &self.target.name())
            .field("index", &self.index.map(|i| i.name))
            .field("kind", &self.kind)
            .field("options", &self.options)
            .finish()
    }
}

mod sealed {
    /// What a kind of read sends: one request, from the read's table, index and options.
    pub trait ReadKind: Clone + Send + Sync + 'static {
        #[doc(hidden)]
        fn request<T: crate::Item>(
            &self,
            read: &super::Parts<'_>,
        ) -> impl std::future::Future<Output = Result<super::Response, crate::Error>> + Send;

        /// Appends what a page token of this read is bound to: the key condition, the scan
        /// segment.
        #[doc(hidden)]
        fn scope(&self, out: &mut Vec<u8>);
    }
}

pub(crate) use sealed::ReadKind;

/// The kind of index a read's kind reads ([`Unchecked`] for a table or an index named at run
/// time).
pub trait ReadsIndex {
    /// [`Unchecked`], [`Global`] or [`Local`].
    type Index;
}

impl<S, X> ReadsIndex for QueryKeys<S, X> {
    type Index = X;
}

impl<X> ReadsIndex for ScanSegment<X> {
    type Index = X;
}

/// What a read's kind sends its request from. (Public only in name: its module is private.)
#[doc(hidden)]
#[derive(Debug)]
pub struct Parts<'a> {
    pub(crate) target: &'a Target,
    pub(crate) index: Option<&'static IndexSchema>,
    pub(crate) options: &'a ReadOptions,
    /// The exclusive start key: the cursor's, or the token's once opened.
    pub(crate) start: Option<&'a ItemMap>,
}

impl<T, K> Read<T, T, K> {
    pub(crate) fn new(target: Target, index: Option<&'static IndexSchema>, kind: K) -> Self {
        Read {
            target,
            index,
            kind,
            options: ReadOptions::default(),
            _types: Marker::default(),
        }
    }
}

impl<T, O, K> Read<T, O, K> {
    pub(crate) fn kind_mut(&mut self) -> &mut K {
        &mut self.kind
    }

    /// The same read, its kind changed by `f` (a typed query's sort conditions move it on).
    pub(crate) fn map_kind<K2>(self, f: impl FnOnce(K) -> K2) -> Read<T, O, K2> {
        Read {
            target: self.target,
            index: self.index,
            kind: f(self.kind),
            options: self.options,
            _types: Marker::default(),
        }
    }

    pub(crate) fn options(&self) -> &ReadOptions {
        &self.options
    }
}

impl<T: Item + 'static, O: Attributes + Send + 'static, K: ReadKind> Read<T, O, K> {
    /// Keeps only the items matching `filter`. The filter runs after the page is read:
    /// filtered-out items still consume capacity and count toward [`limit`](Read::limit). A
    /// query's filter cannot name a key attribute of the table or index queried (DynamoDB
    /// refuses it: use the key condition instead).
    pub fn filter(mut self, filter: impl IntoCondition<T>) -> Self {
        self.options.filter = Some(filter.into_condition());
        self
    }

    /// Reads at most `limit` items per request (DynamoDB's `Limit`, 1 or more): the page size,
    /// not a total. For a total, take from the stream: `.stream().take(n)`.
    pub fn limit(mut self, limit: u32) -> Self {
        self.options.limit = Some(limit);
        self
    }

    /// Strongly consistent reads: of a table or a local secondary index. A typed global
    /// index's read does not compile with it; a global index named at run time refuses it
    /// when the request is built.
    pub fn consistent_read(mut self) -> Self
    where
        K: ReadsIndex,
        K::Index: ConsistentRead,
    {
        self.options.consistent_read = true;
        self
    }

    /// Starts after the item a previous page ended on.
    pub fn start_from(mut self, cursor: Cursor) -> Self {
        self.options.start = Some(Start::Cursor(cursor));
        self
    }

    /// Starts after the item a page token ends on: a [`Cursor::to_token`] an API client
    /// handed back. With [`CursorKeys`](crate::CursorKeys) on the mapper, the token must be
    /// one it sealed for this same read (table, index, partition key and sort condition, or
    /// scan segment), unaltered and not expired; any other is refused
    /// ([`RefusalKind::BadCursor`]) before a request is sent. Without keys, a plain token is
    /// taken as it is.
    ///
    /// ```no_run
    /// # use dynamodb_mapper::{Item, Table};
    /// # #[derive(Item, Clone)] #[item(table = "orders")]
    /// # struct Order { #[partition_key] customer: String, #[sort_key] placed: u64 }
    /// # async fn run(orders: Table<Order>, token: Option<String>) -> Result<(), dynamodb_mapper::Error> {
    /// let mut query = orders.query("ana").limit(20);
    /// if let Some(token) = &token {
    ///     query = query.start_from_token(token); // from the client's `?page=` parameter
    /// }
    /// let page = query.page().await?;
    /// let next_token: Option<String> = page.next.map(|cursor| cursor.to_token());
    /// # Ok(()) }
    /// ```
    pub fn start_from_token(mut self, token: &str) -> Self {
        self.options.start = Some(Start::Token(token.into()));
        self
    }

    /// Adds the capacity every request consumes to `meter`.
    pub fn capacity(mut self, meter: &CapacityMeter) -> Self {
        self.options.meter = Some(meter.clone());
        self
    }

    /// Reads only the attributes of `P`, a struct deriving [`Attributes`]. Extensions see
    /// [partial](crate::extension::ItemImage::Partial) items.
    pub fn project<P: Attributes>(self) -> Read<T, P, K> {
        let mut options = self.options;
        options.projection = Some(P::SCHEMA);
        Read {
            target: self.target,
            index: self.index,
            kind: self.kind,
            options,
            _types: Marker::default(),
        }
    }

    /// The first page (or the page after [`start_from`](Read::start_from)). Items that cannot
    /// be read are set aside in [`Page::unreadable`]; the cursor is kept.
    pub async fn page(self) -> Result<Page<O>, Error> {
        self.fetch().await.map(RawPage::into_page)
    }

    /// Every page, each fetched when the stream is polled past the previous one.
    pub fn pages(self) -> impl Stream<Item = Result<Page<O>, Error>> + Unpin + Send + 'static {
        self.raw_pages().map_ok(RawPage::into_page)
    }

    /// Every item, fetching pages lazily. An item that cannot be read is an
    /// [`Error::UnreadableItem`] in its place, and the stream goes on.
    pub fn stream(self) -> impl Stream<Item = Result<O, Error>> + Unpin + Send + 'static {
        page::items(self.raw_pages())
    }

    /// Every item, collected; fails at the first error.
    pub async fn all(self) -> Result<Vec<O>, Error> {
        self.stream().try_collect().await
    }

    /// How many items match (after the filter), counted by DynamoDB over every page
    /// (`Select = COUNT`): no item is transferred.
    pub async fn count(mut self) -> Result<u64, Error> {
        self.options.count_only = true;
        let mut total = 0u64;
        loop {
            let fetched = self.request().await?;
            total += u64::try_from(fetched.count).unwrap_or(0);
            match fetched.last_evaluated_key.filter(|k| !k.is_empty()) {
                Some(key) => self.options.start = Some(Start::Cursor(Cursor::from_item_map(key))),
                None => return Ok(total),
            }
        }
    }

    /// Sends one request.
    fn request(&self) -> impl Future<Output = Result<Response, Error>> + Send + use<'_, T, O, K> {
        let start = match &self.options.start {
            Some(Start::Token(token)) => self.open_token(token).map(Some),
            _ => Ok(None),
        };
        async move {
            let opened = start?;
            let start = match &self.options.start {
                Some(Start::Cursor(cursor)) => Some(cursor.as_item_map()),
                _ => opened.as_ref(),
            };
            let parts = Parts {
                target: &self.target,
                index: self.index,
                options: &self.options,
                start,
            };
            self.kind.request::<T>(&parts).await
        }
    }

    /// One page, each item read on its own; its cursor sealed when the mapper has cursor
    /// keys.
    async fn fetch(self) -> Result<RawPage<O>, Error> {
        let image = self.options.image(self.index);
        let fetched = self.request().await?;
        let mut page = read_page(
            &self.target,
            T::TABLE,
            image,
            fetched.items,
            fetched.last_evaluated_key,
            fetched.capacity,
        );
        if let Some(next) = page.next.take() {
            page.next = Some(self.seal(next)?);
        }
        Ok(page)
    }

    /// What this read's page tokens are bound to: the table, the index, and the kind's own
    /// (key condition, or scan segment).
    #[cfg(feature = "sealed-cursors")]
    fn scope(&self) -> Vec<u8> {
        let mut scope = b"dynamodb-mapper page v1".to_vec();
        page::push_part(&mut scope, self.target.name().as_bytes());
        page::push_part(&mut scope, self.index.map_or("", |i| i.name).as_bytes());
        self.kind.scope(&mut scope);
        scope
    }

    /// `cursor`, with its token sealed for this read when the mapper has cursor keys.
    fn seal(&self, cursor: Cursor) -> Result<Cursor, Error> {
        #[cfg(feature = "sealed-cursors")]
        if let Some(keys) = &self.target.config().cursor_keys {
            let token = keys.seal(&self.scope(), &page::encode_key(cursor.as_item_map()))?;
            return Ok(cursor.with_sealed_token(token));
        }
        Ok(cursor)
    }

    /// The start key in `token`: sealed for this read by the mapper's cursor keys, if it has
    /// them, or plain.
    fn open_token(&self, token: &str) -> Result<ItemMap, Error> {
        #[cfg(feature = "sealed-cursors")]
        if let Some(keys) = &self.target.config().cursor_keys {
            let bytes = keys.open(&self.scope(), token)?;
            return page::decode_key(&bytes)
                .ok_or_else(|| Error::refused(RefusalKind::BadCursor, "the page token holds no key"));
        }
        Cursor::from_token(token).map(Cursor::into_item_map)
    }

    /// Every page from the read's start, each fetched when the stream is polled past the
    /// previous.
    fn raw_pages(self) -> impl Stream<Item = Result<RawPage<O>, Error>> + Unpin + Send + 'static {
        let start = self.options.start.clone();
        page::pages(start, move |cursor| {
            let mut read = self.clone();
            read.options.start = cursor;
            read.fetch()
        })
    }
}

/// Where a read starts, if not at the beginning.
#[derive(Debug, Clone)]
pub(crate) enum Start {
    /// After a cursor of this process.
    Cursor(Cursor),
    /// After the cursor in a token, opened when the request is built.
    Token(Arc<str>),
}

impl From<Cursor> for Start {
    fn from(cursor: Cursor) -> Self {
        Start::Cursor(cursor)
    }
}

/// The options of a query or scan.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReadOptions {
    pub(crate) filter: Option<Condition>,
    pub(crate) limit: Option<u32>,
    pub(crate) consistent_read: bool,
    pub(crate) start: Option<Start>,
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

/// What every request of a read carries besides its kind's own: checked, and rendered
/// through the request's placeholders.
pub(crate) struct Common {
    pub(crate) limit: Option<i32>,
    pub(crate) filter: Option<String>,
    pub(crate) select: Option<Select>,
    pub(crate) projection: Option<String>,
}

impl ReadOptions {
    /// Checks the options against the index read and renders the filter and projection.
    pub(crate) fn common(
        &self,
        index: Option<&IndexSchema>,
        item_type: &str,
        placeholders: &mut Placeholders,
    ) -> Result<Common, Error> {
        self.check_consistent_read(index)?;
        self.check_index_projection(index, item_type)?;
        let limit = if self.count_only { None } else { self.limit()? };
        let filter = self.filter(placeholders)?;
        let (select, projection) = self.select(placeholders)?;
        Ok(Common {
            limit,
            filter,
            select,
            projection,
        })
    }
}

/// A `Query` or `Scan` request (`$request`, a method of the client) with what every read
/// sends: the table and index, the filter, projection and select, the placeholders, the page
/// size, the consistency, the start and the capacity; `$build` adds the kind's own.
macro_rules! read_request {
    ($request:ident, $parts:expr, $common:expr, $expressions:expr, |$builder:ident| $build:expr) => {{
        let Parts {
            target,
            index,
            options,
            start,
        } = $parts;
        let common = $common;
        let $builder = target
            .client()
            .$request()
            .table_name(target.name())
            .set_index_name(index.map(|i| i.name.to_owned()))
            .set_filter_expression(common.filter)
            .set_projection_expression(common.projection)
            .set_select(common.select)
            .set_expression_attribute_names($expressions.names)
            .set_expression_attribute_values($expressions.values)
            .set_limit(common.limit)
            .consistent_read(options.consistent_read)
            .set_exclusive_start_key(start.cloned())
            .set_return_consumed_capacity(target.capacity_request(options.meter.is_some()));
        crate::ops::sent($build.send())
    }};
}

pub(crate) use read_request;

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
        .map(|item| crate::plan::read::decode_keyed(target.chain(), schema, target.name(), image, item))
        .collect();
    RawPage {
        items,
        next: last_evaluated_key.filter(|k| !k.is_empty()).map(Cursor::from_item_map),
        consumed_capacity,
    }
}

/// One response of a query or scan, whichever it was. (Public only in name: its module is
/// private.)
#[doc(hidden)]
#[derive(Debug)]
pub struct Response {
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
