//! Pages of query and scan results, and the cursor that continues them.

use std::future::Future;

use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::stream::{self, Stream, TryStreamExt};

use crate::error::{Error, RefusalKind, UnreadableItem};
use crate::item::ItemMap;

/// One page of a query or scan.
///
/// An item that cannot be read (it fails to decode, or an extension refuses it) does not fail
/// the page: it is set aside in [`unreadable`](Page::unreadable) with its key and the reason,
/// and the cursor is kept, so one corrupt row never makes the rest of a table unreadable.
#[derive(Debug)]
#[non_exhaustive]
pub struct Page<O> {
    /// The page's items, in the order DynamoDB returned them.
    pub items: Vec<O>,
    /// The items that could not be read.
    pub unreadable: Vec<UnreadableItem>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
    /// The capacity units the request consumed, when DynamoDB reported them (see
    /// [`MapperBuilder::consumed_capacity`](crate::MapperBuilder::consumed_capacity) and
    /// [`CapacityMeter`](super::CapacityMeter)).
    pub consumed_capacity: Option<f64>,
}

/// A page as fetched: each item's outcome, in order.
pub(crate) struct RawPage<O> {
    pub(crate) items: Vec<Result<O, Box<UnreadableItem>>>,
    pub(crate) next: Option<Cursor>,
    pub(crate) consumed_capacity: Option<f64>,
}

impl<O> RawPage<O> {
    pub(crate) fn into_page(self) -> Page<O> {
        let mut items = Vec::with_capacity(self.items.len());
        let mut unreadable = Vec::new();
        for item in self.items {
            match item {
                Ok(item) => items.push(item),
                Err(bad) => unreadable.push(*bad),
            }
        }
        Page {
            items,
            unreadable,
            next: self.next,
            consumed_capacity: self.consumed_capacity,
        }
    }
}

/// The position after a page: DynamoDB's `LastEvaluatedKey`. Hand it back to
/// [`Query::start_from`](super::Query::start_from) or [`Scan::start_from`](super::Scan::start_from)
/// for the next page. An API that pages for its clients can give them the cursor as an opaque
/// [token](Cursor::to_token) and take it back with [`Cursor::from_token`].
///
/// ```
/// use std::collections::HashMap;
/// use aws_sdk_dynamodb::types::AttributeValue;
/// use dynamodb_mapper::Cursor;
///
/// let cursor = Cursor::from_item_map(HashMap::from([
///     ("id".to_owned(), AttributeValue::S("ana".into())),
///     ("n".to_owned(), AttributeValue::N("42".into())),
/// ]));
/// let token = cursor.to_token(); // hexadecimal: safe in a URL
/// assert_eq!(Cursor::from_token(&token)?, cursor);
/// assert!(Cursor::from_token("not a cursor").is_err());
/// # Ok::<(), dynamodb_mapper::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor(ItemMap);

impl Cursor {
    /// The cursor as an opaque token of hexadecimal digits. Key attributes are strings,
    /// numbers or binary, which is all a token holds.
    pub fn to_token(&self) -> String {
        let mut entries: Vec<(&String, &AttributeValue)> = self.0.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        let mut bytes = Vec::new();
        for (name, value) in entries {
            let (kind, data): (u8, &[u8]) = match value {
                AttributeValue::S(s) => (b'S', s.as_bytes()),
                AttributeValue::N(n) => (b'N', n.as_bytes()),
                AttributeValue::B(b) => (b'B', b.as_ref()),
                // A key holds only the three scalar types.
                _ => continue,
            };
            bytes.push(kind);
            for part in [name.as_bytes(), data] {
                bytes.extend_from_slice(format!("{}:", part.len()).as_bytes());
                bytes.extend_from_slice(part);
            }
        }
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A cursor from a token made by [`to_token`](Cursor::to_token).
    pub fn from_token(token: &str) -> Result<Self, Error> {
        let invalid = || Error::refused(RefusalKind::BadCursor, "not a cursor token");
        if !token.len().is_multiple_of(2) {
            return Err(invalid());
        }
        let bytes = (0..token.len())
            .step_by(2)
            .map(|i| token.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(invalid)?;
        let mut rest = bytes.as_slice();
        // `<length>:<bytes>`
        let take = |rest: &mut &[u8]| -> Option<Vec<u8>> {
            let colon = rest.iter().position(|b| *b == b':')?;
            let len: usize = std::str::from_utf8(&rest[..colon]).ok()?.parse().ok()?;
            let end = (colon + 1).checked_add(len)?;
            let part = rest.get(colon + 1..end)?.to_vec();
            *rest = &rest[end..];
            Some(part)
        };
        let mut key = ItemMap::new();
        while let Some((&kind, tail)) = rest.split_first() {
            rest = tail;
            let name = take(&mut rest)
                .and_then(|n| String::from_utf8(n).ok())
                .ok_or_else(invalid)?;
            let data = take(&mut rest).ok_or_else(invalid)?;
            let value = match kind {
                b'S' => AttributeValue::S(String::from_utf8(data).map_err(|_| invalid())?),
                b'N' => AttributeValue::N(String::from_utf8(data).map_err(|_| invalid())?),
                b'B' => AttributeValue::B(data.into()),
                _ => return Err(invalid()),
            };
            key.insert(name, value);
        }
        if key.is_empty() {
            return Err(invalid());
        }
        Ok(Cursor(key))
    }

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
) -> impl Stream<Item = Result<RawPage<O>, Error>> + Unpin + Send + 'static
where
    O: Send + 'static,
    F: FnMut(Option<Cursor>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<RawPage<O>, Error>> + Send + 'static,
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

/// The items of a stream of pages, in order; an unreadable item is an
/// [`Error::UnreadableItem`] in its place, and the stream goes on.
pub(crate) fn items<O: Send + 'static>(
    pages: impl Stream<Item = Result<RawPage<O>, Error>> + Unpin + Send + 'static,
) -> impl Stream<Item = Result<O, Error>> + Unpin + Send + 'static {
    pages
        .map_ok(|page| stream::iter(page.items.into_iter().map(|item| item.map_err(Error::UnreadableItem))))
        .try_flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_every_key_type() {
        let cursor = Cursor::from_item_map(ItemMap::from([
            ("pk".to_owned(), AttributeValue::S("a:b 🦀".into())),
            ("sk".to_owned(), AttributeValue::N("-1.5".into())),
            ("bin".to_owned(), AttributeValue::B(vec![0u8, 58, 255].into())),
            ("".to_owned(), AttributeValue::S(String::new())),
        ]));
        let token = cursor.to_token();
        assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(Cursor::from_token(&token).unwrap(), cursor);
    }

    #[test]
    fn garbage_tokens_are_errors() {
        let huge_length = format!("53{}3a", "39".repeat(25));
        for garbage in [
            "",
            "0",
            "zz",
            "53",
            "5331",
            "53313a",
            "58313a6131",
            "5339393a",
            &huge_length,
        ] {
            assert!(Cursor::from_token(garbage).is_err(), "{garbage}");
        }
    }
}
