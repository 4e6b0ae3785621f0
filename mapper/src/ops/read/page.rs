//! Pages of query and scan results, and the cursor that continues them.

use std::future::Future;
use std::sync::Arc;

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
/// [`Read::start_from`](super::Read::start_from) for the next page. An API that pages for its
/// clients gives them the cursor as a [token](Cursor::to_token) and takes it back with
/// [`Read::start_from_token`](super::Read::start_from_token).
///
/// **What a token exposes.** Without cursor keys, a token is the plain encoding of the key
/// attributes' names and values (hexadecimal): anyone holding it reads the last item's keys
/// (on an index query, the table's own key too), and a client may change it. A mapper given
/// [`CursorKeys`](crate::CursorKeys) (feature `sealed-cursors`) seals every token instead:
/// encrypted, authenticated, bound to the read that made it, and refused
/// ([`RefusalKind::BadCursor`]) before anything is sent when altered, expired or used on
/// another read. See the README's "Serving pages to clients".
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
/// let token = cursor.to_token(); // plain hexadecimal: safe in a URL, but not secret
/// assert_eq!(Cursor::from_token(&token)?, cursor);
/// assert!(Cursor::from_token("not a cursor").is_err());
/// # Ok::<(), dynamodb_mapper::Error>(())
/// ```
#[derive(Clone)]
pub struct Cursor {
    key: ItemMap,
    /// The token sealed for the read that made the cursor, when its mapper has cursor keys.
    sealed: Option<Arc<str>>,
}

impl PartialEq for Cursor {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl std::fmt::Debug for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cursor")
            .field("key", &self.key)
            .field("sealed", &self.sealed.is_some())
            .finish()
    }
}

impl Cursor {
    /// The cursor as a token for an API client, URL-safe: sealed when the mapper that read
    /// the page has [`CursorKeys`](crate::CursorKeys), plain hexadecimal otherwise (which
    /// reveals the key values: see the type's documentation).
    pub fn to_token(&self) -> String {
        match &self.sealed {
            Some(token) => token.to_string(),
            None => encode_key(&self.key).iter().map(|b| format!("{b:02x}")).collect(),
        }
    }

    /// A cursor from a plain token made by [`to_token`](Cursor::to_token) without cursor
    /// keys. Nothing authenticates a plain token: a read of a mapper with cursor keys takes
    /// tokens through [`Read::start_from_token`](super::Read::start_from_token), which refuses
    /// any it did not seal.
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
        decode_key(&bytes).map(Cursor::from_item_map).ok_or_else(invalid)
    }

    /// A cursor from a `LastEvaluatedKey` kept elsewhere.
    pub fn from_item_map(key: ItemMap) -> Self {
        Cursor { key, sealed: None }
    }

    /// The cursor with the token sealed for it.
    #[cfg(feature = "sealed-cursors")]
    pub(crate) fn with_sealed_token(mut self, token: String) -> Self {
        self.sealed = Some(token.into());
        self
    }

    /// The `LastEvaluatedKey`.
    pub fn as_item_map(&self) -> &ItemMap {
        &self.key
    }

    /// The `LastEvaluatedKey`, consumed.
    pub fn into_item_map(self) -> ItemMap {
        self.key
    }
}

/// Appends `part` as `<length>:<bytes>`.
pub(crate) fn push_part(out: &mut Vec<u8>, part: &[u8]) {
    out.extend_from_slice(part.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(part);
}

/// A key value's type (`S`, `N`, `B`) and bytes; `None` for any other type, which no key
/// holds.
fn scalar(value: &AttributeValue) -> Option<(u8, &[u8])> {
    match value {
        AttributeValue::S(s) => Some((b'S', s.as_bytes())),
        AttributeValue::N(n) => Some((b'N', n.as_bytes())),
        AttributeValue::B(b) => Some((b'B', b.as_ref())),
        _ => None,
    }
}

/// Appends a key value: its type and its bytes as a part (`?` for a type no key holds).
pub(crate) fn push_value(out: &mut Vec<u8>, value: &AttributeValue) {
    let (kind, data) = scalar(value).unwrap_or((b'?', &[]));
    out.push(kind);
    push_part(out, data);
}

/// A key's attributes, in name order: for each, its type, then its name and its value as
/// parts. Key attributes are strings, numbers or binary, which is all a cursor holds.
pub(crate) fn encode_key(key: &ItemMap) -> Vec<u8> {
    let mut entries: Vec<(&String, &AttributeValue)> = key.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let mut bytes = Vec::new();
    for (name, (kind, data)) in entries.into_iter().filter_map(|(n, v)| Some((n, scalar(v)?))) {
        bytes.push(kind);
        push_part(&mut bytes, name.as_bytes());
        push_part(&mut bytes, data);
    }
    bytes
}

/// The key [`encode_key`] encoded; `None` for anything else, or no attribute.
pub(crate) fn decode_key(mut rest: &[u8]) -> Option<ItemMap> {
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
        let name = String::from_utf8(take(&mut rest)?).ok()?;
        let data = take(&mut rest)?;
        let value = match kind {
            b'S' => AttributeValue::S(String::from_utf8(data).ok()?),
            b'N' => AttributeValue::N(String::from_utf8(data).ok()?),
            b'B' => AttributeValue::B(data.into()),
            _ => return None,
        };
        key.insert(name, value);
    }
    (!key.is_empty()).then_some(key)
}

/// Pages fetched one after the other, each only when the stream is polled past the previous
/// one.
pub(crate) fn pages<O, S, F, Fut>(
    start: Option<S>,
    mut fetch: F,
) -> impl Stream<Item = Result<RawPage<O>, Error>> + Unpin + Send + 'static
where
    O: Send + 'static,
    S: From<Cursor> + Send + 'static,
    F: FnMut(Option<S>) -> Fut + Send + 'static,
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
                    let state = page.next.clone().map(|next| Some(S::from(next)));
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
