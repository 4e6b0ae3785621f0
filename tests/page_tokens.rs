//! Page tokens a client may hold, against the local server: sealed by the mapper's cursor
//! keys, they round-trip through queries, index queries, scans and scan segments; every kind
//! of tampering (a character changed anywhere, another table, index, partition, sort
//! condition, order or segment, an expired token, a retired key, a plain token, an empty or a
//! huge one) is refused with nothing sent; and no token carries a key value in any encoding
//! tried here.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use dynamodb_mapper::testing::Faults;
use dynamodb_mapper::{Cursor, CursorKey, CursorKeys, Item, Mapper, RefusalKind, Table};
use dynamodb_mapper_workspace::local;

/// A user's orders: the partition key is an email, which a token must not reveal.
#[derive(Item, Debug, Clone, PartialEq)]
struct Order {
    #[partition_key]
    email: String,
    #[sort_key]
    placed: u32,
    #[index_partition_key("by_status")]
    status: String,
    #[index_sort_key("by_status")]
    total: u64,
}

const EMAIL: &str = "ana.secret@example.com";
const OTHER: &str = "bo@example.com";

fn keys() -> CursorKeys {
    CursorKeys::new(CursorKey::new(7, [42; 32]))
}

/// A mapper sealing its tokens with `keys`, recording what it sends.
fn mapper(keys: CursorKeys, faults: &Faults) -> Mapper {
    Mapper::builder(local::client_builder().faults(faults).build())
        .cursor_keys(keys)
        .build()
}

/// A table of 10 orders of `EMAIL` and 10 of `OTHER`, all `open`, and its recording mapper.
async fn orders(faults: &Faults) -> Table<Order> {
    let table = local::new_table::<Order>(&mapper(keys(), faults), "tokens").await;
    let orders = [EMAIL, OTHER].into_iter().flat_map(|email| {
        (1..=10).map(move |placed| Order {
            email: email.into(),
            placed,
            status: "open".into(),
            total: u64::from(placed) * 100,
        })
    });
    assert!(table.put_all(orders).await.unwrap().unprocessed.is_empty());
    // The global index shows the writes late elsewhere: the tests read it at once.
    let by_status = table.index(Order::BY_STATUS);
    assert_eq!(
        local::settled(async || by_status.scan().count().await.unwrap(), 20).await,
        20
    );
    faults.clear_requests();
    table
}

/// Asserts `error` is a `BadCursor` refusal and that no request was sent since the last
/// check.
fn refused(faults: &Faults, error: dynamodb_mapper::Error, case: &str) {
    assert_eq!(
        error.as_refusal().map(|r| r.kind()),
        Some(RefusalKind::BadCursor),
        "{case}: {error}"
    );
    assert_eq!(faults.requests().len(), 0, "{case}: nothing is sent");
}

#[tokio::test]
async fn sealed_tokens_round_trip_through_queries_index_queries_and_scans() {
    let faults = Faults::new();
    let table = orders(&faults).await;

    // A query, page by page through tokens: every item once, in order.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut query = table.query(EMAIL).consistent_read().sort_ge(2).limit(3);
        if let Some(token) = &token {
            query = query.start_from_token(token);
        }
        let page = query.page().await.unwrap();
        seen.extend(page.items.iter().map(|o| o.placed));
        match page.next {
            Some(next) => token = Some(next.to_token()),
            None => break,
        }
    }
    assert_eq!(seen, (2..=10).collect::<Vec<_>>());

    // An index query: the token also holds the table's key of the last item.
    let by_status = table.index(Order::BY_STATUS);
    let first = by_status.query("open").limit(4).page().await.unwrap();
    let token = first.next.unwrap().to_token();
    let rest = by_status.query("open").start_from_token(&token).all().await.unwrap();
    assert_eq!(first.items.len() + rest.len(), 20);
    assert!(!rest.iter().any(|o| first.items.contains(o)));
    // Counting from a token counts what is left.
    assert_eq!(
        by_status.query("open").start_from_token(&token).count().await.unwrap(),
        16
    );

    // A scan, and a segment of a parallel scan.
    let first = table.scan().consistent_read().limit(5).page().await.unwrap();
    let token = first.next.unwrap().to_token();
    let rest = table
        .scan()
        .consistent_read()
        .start_from_token(&token)
        .all()
        .await
        .unwrap();
    assert_eq!(first.items.len() + rest.len(), 20);
    let mut segment_items = 0;
    let mut token: Option<String> = None;
    loop {
        let mut scan = table.scan().consistent_read().segment(1, 3).limit(2);
        if let Some(token) = &token {
            scan = scan.start_from_token(token);
        }
        let page = scan.page().await.unwrap();
        segment_items += page.items.len();
        match page.next {
            Some(next) => token = Some(next.to_token()),
            None => break,
        }
    }
    let whole_segment = table.scan().consistent_read().segment(1, 3).all().await.unwrap();
    assert_eq!(segment_items, whole_segment.len());
}

#[tokio::test]
async fn every_kind_of_tampering_is_refused_with_nothing_sent() {
    let faults = Faults::new();
    let table = orders(&faults).await;
    let page = table
        .query(EMAIL)
        .consistent_read()
        .sort_gt(1)
        .limit(3)
        .page()
        .await
        .unwrap();
    let token = page.next.unwrap().to_token();
    faults.clear_requests();

    // One character changed, at every position, to every other character of the alphabet
    // at the first and last positions and to one other elsewhere.
    let alphabet: Vec<char> = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        .chars()
        .collect();
    let chars: Vec<char> = token.chars().collect();
    for position in 0..chars.len() {
        let replacements: Vec<char> = if position == 0 || position == chars.len() - 1 {
            alphabet.iter().copied().filter(|c| *c != chars[position]).collect()
        } else {
            let other = alphabet[(alphabet.iter().position(|c| *c == chars[position]).unwrap() + 1) % 64];
            vec![other]
        };
        for replacement in replacements {
            let mut altered = chars.clone();
            altered[position] = replacement;
            let altered: String = altered.into_iter().collect();
            // The last character carries unused low bits in base64: a change there may
            // decode to the same bytes, which is the same token.
            if URL_SAFE_NO_PAD.decode(&altered).ok() == URL_SAFE_NO_PAD.decode(&token).ok() {
                continue;
            }
            let error = table
                .query(EMAIL)
                .consistent_read()
                .sort_gt(1)
                .limit(3)
                .start_from_token(&altered)
                .page()
                .await
                .unwrap_err();
            refused(&faults, error, &format!("position {position} -> {replacement}"));
        }
    }
    // Truncated, extended.
    for altered in [&token[..token.len() - 1], &format!("{token}A"), &token[4..]] {
        let error = table
            .query(EMAIL)
            .consistent_read()
            .sort_gt(1)
            .start_from_token(altered)
            .page()
            .await
            .unwrap_err();
        refused(&faults, error, "truncated or extended");
    }

    // The same token on another read.
    let other_table = local::new_table::<Order>(&mapper(keys(), &faults), "tokens-other").await;
    faults.clear_requests();
    let cases = [
        (
            "another table",
            other_table
                .query(EMAIL)
                .consistent_read()
                .sort_gt(1)
                .start_from_token(&token)
                .page()
                .await,
        ),
        (
            "another partition",
            table
                .query(OTHER)
                .consistent_read()
                .sort_gt(1)
                .start_from_token(&token)
                .page()
                .await,
        ),
        (
            "another sort condition",
            table
                .query(EMAIL)
                .consistent_read()
                .sort_gt(2)
                .start_from_token(&token)
                .page()
                .await,
        ),
        (
            "no sort condition",
            table
                .query(EMAIL)
                .consistent_read()
                .start_from_token(&token)
                .page()
                .await,
        ),
        (
            "the other order",
            table
                .query(EMAIL)
                .consistent_read()
                .sort_gt(1)
                .descending()
                .start_from_token(&token)
                .page()
                .await,
        ),
        (
            "a scan",
            table.scan().consistent_read().start_from_token(&token).page().await,
        ),
    ];
    for (case, result) in cases {
        refused(&faults, result.unwrap_err(), case);
    }
    let error = table
        .index(Order::BY_STATUS)
        .query("open")
        .start_from_token(&token)
        .page()
        .await
        .unwrap_err();
    refused(&faults, error, "another index");

    // A scan segment's token on another segment, or on the whole scan.
    let mut segments = Vec::new();
    for segment in 0..4 {
        let page = table
            .scan()
            .consistent_read()
            .segment(segment, 4)
            .limit(1)
            .page()
            .await
            .unwrap();
        if let Some(next) = page.next {
            segments.push((segment, next.to_token()));
        }
    }
    // 20 items in 4 segments: some segment holds two or more.
    let (segment, segment_token) = segments.first().cloned().expect("a segment of two items or more");
    faults.clear_requests();
    for (case, result) in [
        (
            "another segment",
            table
                .scan()
                .consistent_read()
                .segment((segment + 1) % 4, 4)
                .start_from_token(&segment_token)
                .page()
                .await,
        ),
        (
            "another total",
            table
                .scan()
                .consistent_read()
                .segment(segment, 5)
                .start_from_token(&segment_token)
                .page()
                .await,
        ),
        (
            "the whole scan",
            table
                .scan()
                .consistent_read()
                .start_from_token(&segment_token)
                .page()
                .await,
        ),
    ] {
        refused(&faults, result.unwrap_err(), case);
    }

    // Empty, huge, and plain (a token made without keys) tokens.
    let plain = Cursor::from_item_map(
        table
            .query(EMAIL)
            .consistent_read()
            .limit(1)
            .page()
            .await
            .unwrap()
            .next
            .unwrap()
            .into_item_map(),
    )
    .to_token();
    faults.clear_requests();
    for (case, bad) in [
        ("empty", String::new()),
        ("huge", "A".repeat(100_000)),
        ("plain", plain),
    ] {
        let error = table
            .query(EMAIL)
            .consistent_read()
            .start_from_token(&bad)
            .page()
            .await
            .unwrap_err();
        refused(&faults, error, case);
    }
}

#[tokio::test]
async fn an_expired_token_and_a_retired_key_are_refused() {
    let faults = Faults::new();
    let table = orders(&faults).await;
    let name = table.name().to_owned();
    let table_with = |keys: CursorKeys| mapper(keys, &faults).table_named::<Order>(&name).unwrap();

    // Sealed with key 7; the service rotates to key 8, still accepting 7, then retires 7.
    let token = table
        .query(EMAIL)
        .consistent_read()
        .limit(2)
        .page()
        .await
        .unwrap()
        .next
        .unwrap()
        .to_token();
    let rotated = table_with(CursorKeys::new(CursorKey::new(8, [8; 32])).accept(CursorKey::new(7, [42; 32])));
    let page = rotated
        .query(EMAIL)
        .consistent_read()
        .limit(2)
        .start_from_token(&token)
        .page()
        .await
        .unwrap();
    assert_eq!(page.items.iter().map(|o| o.placed).collect::<Vec<_>>(), [3, 4]);
    // The rotated mapper seals with key 8, which the old mapper does not know.
    let newer = page.next.unwrap().to_token();
    faults.clear_requests();
    let error = table
        .query(EMAIL)
        .consistent_read()
        .start_from_token(&newer)
        .page()
        .await
        .unwrap_err();
    refused(&faults, error, "a key not known yet");
    let retired = table_with(CursorKeys::new(CursorKey::new(8, [8; 32])));
    let error = retired
        .query(EMAIL)
        .consistent_read()
        .start_from_token(&token)
        .page()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("key 7"), "{error}");
    refused(&faults, error, "a retired key");
    // Another secret under the same key id opens nothing.
    let impostor = table_with(CursorKeys::new(CursorKey::new(7, [1; 32])));
    let error = impostor
        .query(EMAIL)
        .consistent_read()
        .start_from_token(&token)
        .page()
        .await
        .unwrap_err();
    refused(&faults, error, "another secret");

    // A maximum age: accepted while young, refused once older.
    let short = table_with(keys().max_age(Duration::from_millis(300)));
    let young = short
        .query(EMAIL)
        .consistent_read()
        .limit(2)
        .page()
        .await
        .unwrap()
        .next
        .unwrap()
        .to_token();
    assert_eq!(
        short
            .query(EMAIL)
            .consistent_read()
            .limit(2)
            .start_from_token(&young)
            .page()
            .await
            .unwrap()
            .items
            .len(),
        2
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    faults.clear_requests();
    let error = short
        .query(EMAIL)
        .consistent_read()
        .start_from_token(&young)
        .page()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("expired"), "{error}");
    refused(&faults, error, "expired");

    // A mapper without keys takes no sealed token.
    let unkeyed = Mapper::new(local::client_builder().faults(&faults).build())
        .table_named::<Order>(&name)
        .unwrap();
    let error = unkeyed
        .query(EMAIL)
        .consistent_read()
        .start_from_token(&token)
        .page()
        .await
        .unwrap_err();
    refused(&faults, error, "a sealed token on a mapper without keys");
}

/// Every way `text` could appear in `token` that a test can try: as is, in hexadecimal, in
/// base64 (standard and URL-safe, padded or not) starting at any byte offset, and in the
/// token's decoded bytes.
fn reveals(token: &str, text: &str) -> bool {
    let bytes = text.as_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut needles = vec![text.to_owned(), hex.clone(), hex.to_uppercase()];
    for offset in 0..3 {
        // `text` preceded by `offset` bytes: the base64 characters that depend on it alone.
        let mut shifted = vec![0u8; offset];
        shifted.extend_from_slice(bytes);
        let encoded = STANDARD.encode(&shifted);
        let start = (offset * 4).div_ceil(3) + 1;
        let end = encoded.trim_end_matches('=').len().saturating_sub(2);
        if start < end {
            let core = &encoded[start..end];
            needles.push(core.to_owned());
            needles.push(core.replace('+', "-").replace('/', "_"));
        }
    }
    let decoded = URL_SAFE_NO_PAD.decode(token).unwrap_or_default();
    needles.iter().any(|n| token.contains(n.as_str())) || decoded.windows(bytes.len()).any(|w| w == bytes)
}

#[tokio::test]
async fn a_token_reveals_no_key_value_and_stays_short() {
    let faults = Faults::new();
    let table = orders(&faults).await;
    let token = table
        .query(EMAIL)
        .consistent_read()
        .limit(1)
        .page()
        .await
        .unwrap()
        .next
        .unwrap()
        .to_token();
    // The check itself finds the email in a plain token, as hex.
    let plain = Cursor::from_item_map(dynamodb_mapper::ItemMap::from([(
        "email".to_owned(),
        dynamodb_mapper::aws_sdk_dynamodb::types::AttributeValue::S(EMAIL.into()),
    )]))
    .to_token();
    assert!(reveals(&plain, EMAIL));
    // And finds it in base64 at each offset.
    for prefix in ["", "x", "xy"] {
        assert!(reveals(&URL_SAFE_NO_PAD.encode(format!("{prefix}{EMAIL}")), EMAIL));
    }
    assert!(!reveals(&token, EMAIL), "{token}");
    assert!(!reveals(&token, "ana.secret"), "{token}");
    // An index query's token holds the table's key too: neither shows.
    let index_token = table
        .index(Order::BY_STATUS)
        .query("open")
        .limit(1)
        .page()
        .await
        .unwrap()
        .next
        .unwrap()
        .to_token();
    assert!(!reveals(&index_token, "example.com"), "{index_token}");
    // URL-safe, and short: a two-attribute key (a 22-character email and a one-digit
    // number) in 128 characters: 51 bytes of format (version, key id, nonce, tag, time) and
    // the attributes' names and values.
    assert!(
        token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "{token}"
    );
    println!("a two-attribute key's token: {} characters", token.len());
    assert_eq!(token.len(), 128, "{token}");
}
