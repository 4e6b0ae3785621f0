//! Pages of query and scan results, and the cursor that continues them.

use std::future::Future;

use futures_util::stream::{self, Stream, TryStreamExt};

use crate::error::Error;
use crate::item::ItemMap;

/// One page of a query or scan.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<O> {
    /// The page's items.
    pub items: Vec<O>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
}

/// The position after a page: DynamoDB's `LastEvaluatedKey`. Hand it back to
/// [`Query::start_from`](super::Query::start_from) or [`Scan::start_from`](super::Scan::start_from)
/// for the next page, for instance across requests of a paginated API.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor(ItemMap);

impl Cursor {
    /// A cursor from a `LastEvaluatedKey` kept elsewhere.
    pub fn from_item_map(key: ItemMap) -> Self {
        Cursor(key)
    }

    /// The `LastEvaluatedKey`.
    pub fn as_item_map(&self) -> &ItemMap {
        &self.0
    }

    /// The `LastEvaluatedKey`, consumed.
    pub fn into_item_map(self) -> ItemMap {
        self.0
    }
}

/// Pages fetched one after the other, each only when the stream is polled past the previous
/// one.
pub(crate) fn pages<O, F, Fut>(
    start: Option<Cursor>,
    mut fetch: F,
) -> impl Stream<Item = Result<Page<O>, Error>> + Unpin
where
    F: FnMut(Option<Cursor>) -> Fut,
    Fut: Future<Output = Result<Page<O>, Error>>,
{
    // `None` once the last page has been returned.
    Box::pin(stream::try_unfold(Some(start), move |state| {
        let next = state.map(&mut fetch);
        async move {
            match next {
                None => Ok(None),
                Some(fetching) => {
                    let page = fetching.await?;
                    let state = page.next.clone().map(Some);
                    Ok(Some((page, state)))
                }
            }
        }
    }))
}

/// The items of a stream of pages.
pub(crate) fn items<O>(
    pages: impl Stream<Item = Result<Page<O>, Error>> + Unpin,
) -> impl Stream<Item = Result<O, Error>> + Unpin {
    pages
        .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
        .try_flatten()
}
