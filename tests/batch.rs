//! Batch writes and batch gets against the local server: chunking, refusals before sending,
//! the extensions in batch mode (DESIGN §4's batch column), typed leftovers and per-key
//! outcomes in request order. Stored values are checked in the raw items.
//!
//! The rounds that resend leftovers (unprocessed items and keys, throttling, the caller's
//! round limit, the deadline, the backoff) are tested in `batch_rounds.rs`, and the spans in
//! `tracing_spans.rs`: each binary is its own process, so no test here runs with a `tracing`
//! subscriber installed by another, and nothing the logic needs can hide in a span's fields.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use dynamodb_mapper::extension::{AtomicCounters, AutoUuids, BeforeWrite, Extension, VersionedRecords, WriteMode};
use dynamodb_mapper::ops::{CapacityMeter, Fetched};
use dynamodb_mapper::{Attributes, Error, Item, KeyFrom, Mapper, RefusalKind, Table};
use dynamodb_mapper_workspace::clock::stepping_clock;
use dynamodb_mapper_workspace::local::{self, Need};
use uuid::Uuid;

type Raw = HashMap<String, AttributeValue>;

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.into())
}

fn n(text: &str) -> AttributeValue {
    AttributeValue::N(text.into())
}

async fn table<T: Item + 'static>(mapper: &Mapper, prefix: &str) -> Table<T> {
    local::new_table(mapper, prefix).await
}

async fn raw_items<T: Item>(table: &Table<T>) -> Vec<Raw> {
    local::raw_items(table).await
}

/// The stored item with partition key `id` (a table keyed by `id` alone).
async fn raw<T: Item + KeyFrom<&'static str>>(table: &Table<T>, id: &'static str) -> Raw {
    local::raw_item(table, id).await
}

fn refusal(error: &Error) -> RefusalKind {
    error
        .as_refusal()
        .unwrap_or_else(|| panic!("not a refusal: {error}"))
        .kind()
}

// ---------------------------------------------------------------------------------------------
// Chunking, order and outcomes

#[derive(Item, Debug, Clone, PartialEq)]
#[item(rename_all = "camelCase")]
struct Event {
    #[partition_key]
    stream: String,
    #[sort_key]
    seq: u32,
    body: String,
}

fn event(stream: &str, seq: u32) -> Event {
    Event {
        stream: stream.into(),
        seq,
        body: format!("event {seq} of {stream}"),
    }
}

#[derive(Attributes, Debug, Clone, PartialEq)]
struct Body {
    body: String,
}

#[tokio::test]
async fn put_all_of_more_than_25_items_is_chunked_and_stores_every_item() {
    let mapper = Mapper::new(local::client());
    let events = table::<Event>(&mapper, "events").await;
    let items: Vec<Event> = (0..60).map(|i| event("a", i)).collect();
    let written = events.put_all(items.clone()).await.unwrap();
    assert!(written.unprocessed.is_empty(), "{:?}", written.errors);
    assert!(written.errors.is_empty());
    assert_eq!((written.requests, written.rounds), (3, 1)); // 25 + 25 + 10
    let stored = raw_items(&events).await;
    assert_eq!(stored.len(), 60);
    let seqs: HashSet<String> = stored.iter().map(|i| i["seq"].as_n().unwrap().clone()).collect();
    assert_eq!(seqs, (0..60).map(|i| i.to_string()).collect());
    assert!(stored.iter().all(|i| i["body"].as_s().unwrap().starts_with("event ")));

    // And away again, by key.
    let keys: Vec<(String, u32)> = (0..60).map(|i| ("a".to_owned(), i)).collect();
    let deleted = events.delete_all(keys).await.unwrap();
    assert!(deleted.unprocessed.is_empty());
    assert_eq!(deleted.requests, 3);
    assert!(raw_items(&events).await.is_empty());
}

#[tokio::test]
async fn get_all_of_101_keys_answers_each_key_in_request_order() {
    let mapper = Mapper::new(local::client());
    let events = table::<Event>(&mapper, "events").await;
    // Even sequence numbers are stored, odd ones are not.
    let stored: Vec<Event> = (0..101).filter(|i| i % 2 == 0).map(|i| event("s", i)).collect();
    assert!(events.put_all(stored).await.unwrap().unprocessed.is_empty());
    // Ask in a scrambled order, 101 keys: two requests.
    let order: Vec<u32> = (0..101).map(|i| (i * 37) % 101).collect();
    let got = events
        .get_all(order.iter().map(|&i| ("s", i)))
        .consistent_read()
        .await
        .unwrap();
    assert_eq!(got.requests, 2);
    assert_eq!(got.items.len(), 101);
    for (&seq, fetched) in order.iter().zip(&got.items) {
        if seq % 2 == 0 {
            assert_eq!(fetched.as_found(), Some(&event("s", seq)), "key {seq}");
        } else {
            assert!(fetched.is_missing(), "key {seq}: {fetched:?}");
        }
    }

    // A projection reads only the projected attributes, still matched to their keys.
    let bodies = events
        .get_all([("s", 4u32), ("s", 5), ("s", 2)])
        .project::<Body>()
        .consistent_read()
        .await
        .unwrap();
    let bodies: Vec<Option<Body>> = bodies.items.into_iter().map(Fetched::found).collect();
    assert_eq!(
        bodies,
        [
            Some(Body {
                body: "event 4 of s".into()
            }),
            None,
            Some(Body {
                body: "event 2 of s".into()
            })
        ]
    );
}

#[derive(Item, Debug, Clone, PartialEq)]
struct Profile {
    #[partition_key]
    id: String,
    age: u8,
}

#[tokio::test]
async fn batches_across_tables_come_back_typed_per_handle() {
    let mapper = Mapper::new(local::client());
    let events = table::<Event>(&mapper, "events").await;
    let profiles = table::<Profile>(&mapper, "profiles").await;
    profiles
        .put(&Profile {
            id: "gone".into(),
            age: 1,
        })
        .await
        .unwrap();

    let meter = CapacityMeter::new();
    let mut batch = mapper.batch_write();
    let put_events = batch.put(&events, (0..30).map(|i| event("x", i)));
    let put_profiles = batch.put(
        &profiles,
        [Profile {
            id: "ana".into(),
            age: 40,
        }],
    );
    let deleted = batch.delete(&profiles, ["gone"]);
    assert_eq!(batch.len(), 32);
    let mut result = batch.capacity(&meter).await.unwrap();
    assert!(result.is_complete());
    assert_eq!(result.requests, 2);
    assert!(result.take(put_events).unwrap().is_empty());
    assert!(result.take(put_profiles).unwrap().is_empty());
    assert!(result.take(deleted).unwrap().is_empty());
    assert_eq!(raw_items(&events).await.len(), 30);
    assert_eq!(raw(&profiles, "ana").await["age"], n("40"));
    assert!(raw(&profiles, "gone").await.is_empty());
    let units = result.consumed_capacity.expect("a metered batch reports its capacity");
    assert!(units > 0.0);
    assert!((units - meter.total()).abs() < 1e-9, "{units} vs {}", meter.total());

    let mut batch = mapper.batch_get();
    let some_events = batch.get(&events, [("x", 29u32), ("x", 99), ("x", 0)]);
    let some_profiles = batch.get(&profiles, ["gone", "ana"]);
    let mut got = batch.consistent_read(&events).consistent_read(&profiles).await.unwrap();
    assert!(got.is_complete());
    let events_got: Vec<Option<Event>> = got.take(some_events).unwrap().into_iter().map(Fetched::found).collect();
    assert_eq!(events_got, [Some(event("x", 29)), None, Some(event("x", 0))]);
    let profiles_got = got.take(some_profiles).unwrap();
    assert!(profiles_got[0].is_missing());
    assert_eq!(profiles_got[1].as_found().map(|p| p.age), Some(40));
}

#[tokio::test]
async fn an_unreadable_item_does_not_fail_the_others() {
    let mapper = Mapper::new(local::client());
    let profiles = table::<Profile>(&mapper, "profiles").await;
    let written = profiles
        .put_all(["a", "c"].map(|id| Profile { id: id.into(), age: 30 }))
        .await
        .unwrap();
    assert!(written.unprocessed.is_empty());
    mapper
        .client()
        .put_item()
        .table_name(profiles.name())
        .item("id", s("b"))
        .item("age", s("not a number"))
        .send()
        .await
        .unwrap();
    let got = profiles.get_all(["a", "b", "c", "d"]).consistent_read().await.unwrap();
    assert!(matches!(&got.items[0], Fetched::Found(p) if p.id == "a"));
    match &got.items[1] {
        Fetched::Unreadable { key, error } => {
            assert_eq!(key, &Raw::from([("id".to_owned(), s("b"))]));
            assert!(matches!(error, Error::Convert(_)), "{error}");
            assert!(
                error.to_string().contains("age"),
                "the error names the attribute: {error}"
            );
        }
        other => panic!("expected an unreadable item, got {other:?}"),
    }
    assert!(matches!(&got.items[2], Fetched::Found(p) if p.id == "c"));
    assert!(got.items[3].is_missing());
}

#[tokio::test]
async fn a_failed_request_leaves_its_writes_over_typed_and_the_rest_written() {
    let mapper = Mapper::new(local::client());
    let profiles = table::<Profile>(&mapper, "profiles").await;
    let nowhere = mapper
        .table_named::<Event>(&local::unique_table_name("missing"))
        .unwrap();
    let mut batch = mapper.batch_write();
    let people: Vec<Profile> = (0..30)
        .map(|i| Profile {
            id: format!("p{i:02}"),
            age: i,
        })
        .collect();
    let put_people = batch.put(&profiles, people.clone());
    let put_events = batch.put(&nowhere, (0..5).map(|i| event("n", i)));
    let mut result = batch.await.unwrap();
    // Request 1: p00..p24, written. Request 2: p25..p29 and the 5 events, refused as a whole
    // (a missing table is not retryable).
    assert!(!result.is_complete());
    assert_eq!(result.unprocessed(), 10);
    assert_eq!(result.requests, 2);
    assert_eq!(result.errors.len(), 1);
    assert!(
        matches!(result.errors[0], Error::TableNotFound { .. }),
        "{}",
        result.errors[0]
    );
    assert_eq!(result.take(put_people).unwrap(), people[25..].to_vec());
    assert_eq!(
        result.take(put_events).unwrap(),
        (0..5).map(|i| event("n", i)).collect::<Vec<_>>()
    );
    let stored: HashSet<String> = raw_items(&profiles)
        .await
        .iter()
        .map(|i| i["id"].as_s().unwrap().clone())
        .collect();
    assert_eq!(stored, people[..25].iter().map(|p| p.id.clone()).collect());
}

// ---------------------------------------------------------------------------------------------
// Refused before sending

#[tokio::test]
async fn duplicate_keys_are_refused_before_anything_is_sent() {
    let mapper = Mapper::new(local::client());
    let events = table::<Event>(&mapper, "events").await;
    let mut items: Vec<Event> = (0..30).map(|i| event("d", i)).collect();
    items.push(event("d", 3));
    let error = events.put_all(items).await.unwrap_err();
    assert_eq!(refusal(&error), RefusalKind::DuplicateKey, "{error}");
    assert!(raw_items(&events).await.is_empty());

    // A put and a delete of one key.
    let mut batch = mapper.batch_write();
    let _puts = batch.put(&events, [event("d", 1)]);
    let _deletes = batch.delete(&events, [("d", 1u32)]);
    let error = batch.await.unwrap_err();
    assert_eq!(refusal(&error), RefusalKind::DuplicateKey, "{error}");
    assert!(raw_items(&events).await.is_empty());

    // The same key twice in a get.
    let error = events.get_all([("d", 1u32), ("d", 2), ("d", 1)]).await.unwrap_err();
    assert_eq!(refusal(&error), RefusalKind::DuplicateKey, "{error}");
    // The same key in two gets of one batch.
    let mut batch = mapper.batch_get();
    let _a = batch.get(&events, [("d", 1u32)]);
    let _b = batch.get(&events, [("d", 1u32)]);
    assert_eq!(refusal(&batch.await.unwrap_err()), RefusalKind::DuplicateKey);
    // The same key in two tables is two items.
    if !local::can_check(Need::SameKeyInTwoTables, "one key in two tables") {
        return;
    }
    let other = table::<Event>(&mapper, "events").await;
    let mut batch = mapper.batch_write();
    let _a = batch.put(&events, [event("d", 1)]);
    let _b = batch.put(&other, [event("d", 1)]);
    let result = batch.await.unwrap();
    assert!(result.is_complete(), "{:?}", result.errors);
    assert_eq!(raw_items(&other).await.len(), 1);
    assert_eq!(raw_items(&events).await.len(), 1, "the refused batches wrote nothing");
}

/// Drops the sort key of every batch write, or makes it a string.
struct BreakKeys {
    mistype: bool,
}

impl Extension for BreakKeys {
    fn before_write(&self, cx: &mut BeforeWrite<'_>) -> Result<(), Error> {
        if cx.mode() == WriteMode::Batch {
            if self.mistype {
                cx.item_mut().insert("seq".into(), s("one"));
            } else {
                cx.item_mut().remove("seq");
            }
        }
        Ok(())
    }
}

#[tokio::test]
async fn missing_or_mistyped_keys_and_oversized_items_are_refused_before_sending() {
    for mistype in [false, true] {
        let mapper = Mapper::builder(local::client())
            .extensions([Arc::new(BreakKeys { mistype }) as Arc<dyn Extension>])
            .build();
        let events = table::<Event>(&mapper, "events").await;
        let error = events.put_all((0..5).map(|i| event("k", i))).await.unwrap_err();
        assert_eq!(refusal(&error), RefusalKind::InvalidKey, "{error}");
        assert!(error.to_string().contains("seq"), "{error}");
        assert!(raw_items(&events).await.is_empty());
    }

    let mapper = Mapper::new(local::client());
    let events = table::<Event>(&mapper, "events").await;
    let mut items: Vec<Event> = (0..5).map(|i| event("big", i)).collect();
    items[3].body = "x".repeat(400 * 1024);
    let error = events.put_all(items).await.unwrap_err();
    assert_eq!(refusal(&error), RefusalKind::ItemTooLarge, "{error}");
    assert!(error.to_string().contains("write 3"), "{error}");
    assert!(raw_items(&events).await.is_empty());

    let error = events.get_all([("", 1u32)]).await.unwrap_err();
    assert_eq!(refusal(&error), RefusalKind::EmptyKeyValue, "{error}");
}

// ---------------------------------------------------------------------------------------------
// The extensions in a batch (DESIGN §4, batch column)

#[derive(Item, Debug, Clone, PartialEq)]
struct Doc {
    #[partition_key]
    id: String,
    body: String,
    #[version(start_at = 1, increment_by = 2)]
    version: Option<u64>,
}

fn doc(id: &str, body: &str, version: Option<u64>) -> Doc {
    Doc {
        id: id.into(),
        body: body.into(),
        version,
    }
}

#[tokio::test]
async fn a_versioned_put_is_refused_naming_the_attribute_unless_opted_out() {
    let mapper = Mapper::new(local::client());
    let docs = table::<Doc>(&mapper, "docs").await;
    let error = docs.put_all([doc("a", "new", None)]).await.unwrap_err();
    assert_eq!(refusal(&error), RefusalKind::VersionedBatch, "{error}");
    assert!(error.to_string().contains("Doc.version"), "{error}");
    assert!(raw_items(&docs).await.is_empty());

    // Opted out: a new item gets `start_at`; a read item its version + `increment_by`, written
    // without a condition, so it overwrites a newer stored version (no optimistic locking).
    docs.put(&doc("b", "stored", None)).await.unwrap(); // version 1
    let mut stored = docs.get("b").consistent_read().await.unwrap().unwrap();
    stored.body = "newer".into();
    docs.put(&stored).await.unwrap(); // version 3
    let written = docs
        .put_all([doc("a", "new", None), doc("b", "from a stale read", Some(1))])
        .without_version_check()
        .await
        .unwrap();
    assert!(written.unprocessed.is_empty());
    let a = raw(&docs, "a").await;
    assert_eq!((&a["version"], &a["body"]), (&n("1"), &s("new")));
    let b = raw(&docs, "b").await;
    assert_eq!((&b["version"], &b["body"]), (&n("3"), &s("from a stale read")));
}

#[tokio::test]
async fn a_delete_of_a_read_item_is_refused_unless_opted_out_and_a_delete_by_key_is_allowed() {
    let mapper = Mapper::new(local::client());
    let docs = table::<Doc>(&mapper, "docs").await;
    for id in ["a", "b", "c"] {
        docs.put(&doc(id, "x", None)).await.unwrap();
    }
    let read = docs.get("a").consistent_read().await.unwrap().unwrap();
    let error = docs.delete_items([read.clone()]).await.unwrap_err();
    assert_eq!(refusal(&error), RefusalKind::VersionedBatch, "{error}");
    assert!(error.to_string().contains("version"), "{error}");
    assert_eq!(raw(&docs, "a").await["version"], n("1"));

    // Opted out: deleted whatever version is stored.
    let mut newer = read.clone();
    newer.body = "changed".into();
    docs.put(&newer).await.unwrap();
    let deleted = docs.delete_items([read]).without_version_check().await.unwrap();
    assert!(deleted.unprocessed.is_empty());
    assert!(raw(&docs, "a").await.is_empty());

    // By key: no version involved.
    let deleted = docs.delete_all(["b", "c"]).await.unwrap();
    assert!(deleted.unprocessed.is_empty());
    assert!(raw_items(&docs).await.is_empty());
}

#[derive(Item, Debug, Clone, PartialEq)]
struct Page {
    #[partition_key]
    id: String,
    #[atomic_counter(start = 10, inc = 5)]
    views: i64,
    #[auto_timestamp]
    updated_at: Option<DateTime<Utc>>,
    #[auto_uuid]
    token: Option<Uuid>,
    #[auto_uuid]
    reference: Option<String>,
}

fn page(id: &str) -> Page {
    Page {
        id: id.into(),
        views: 999,
        updated_at: None,
        token: None,
        reference: Some("kept".into()),
    }
}

#[tokio::test]
async fn counters_timestamps_and_uuids_apply_in_a_batch_put() {
    let mapper = Mapper::builder(local::client())
        .extensions([
            Arc::new(VersionedRecords) as Arc<dyn Extension>,
            Arc::new(AtomicCounters),
            Arc::new(stepping_clock()),
            Arc::new(AutoUuids),
        ])
        .build();
    let pages = table::<Page>(&mapper, "pages").await;
    let given: Vec<Page> = (0..30).map(|i| page(&format!("p{i}"))).collect();
    let written = pages.put_all(given).await.unwrap();
    assert!(written.unprocessed.is_empty());
    let stored = raw_items(&pages).await;
    assert_eq!(stored.len(), 30);
    let mut tokens = HashSet::new();
    let mut times = HashSet::new();
    for item in &stored {
        assert_eq!(item["views"], n("10"), "the counter writes its start");
        let time = item["updated_at"].as_s().unwrap();
        assert!(time.starts_with("2030-01-01T00:"), "{time}");
        times.insert(time.clone());
        let token = item["token"].as_s().unwrap();
        Uuid::parse_str(token).unwrap();
        tokens.insert(token.clone());
        assert_eq!(item["reference"], s("kept"), "a set UUID is kept");
    }
    assert_eq!(tokens.len(), 30, "one UUID per item");
    assert_eq!(times.len(), 30, "the clock was read once per item");

    // A batch delete by key touches none of them.
    let deleted = pages.delete_all((0..30).map(|i| format!("p{i}"))).await.unwrap();
    assert!(deleted.unprocessed.is_empty());
    assert!(raw_items(&pages).await.is_empty());
}

#[tokio::test]
async fn leftovers_are_the_items_as_given_not_as_the_extensions_changed_them() {
    let mapper = Mapper::builder(local::client())
        .extensions([
            Arc::new(AtomicCounters) as Arc<dyn Extension>,
            Arc::new(AutoUuids),
            Arc::new(stepping_clock()),
        ])
        .build();
    // A table that does not exist: every write is left over.
    let pages = mapper
        .table_named::<Page>(&local::unique_table_name("missing"))
        .unwrap();
    let given: Vec<Page> = (0..3).map(|i| page(&format!("p{i}"))).collect();
    let written = pages.put_all(given.clone()).await.unwrap();
    assert_eq!(written.unprocessed, given);
    assert_eq!(written.errors.len(), 1);
    assert_eq!(written.rounds, 1);
}

#[tokio::test]
async fn an_empty_batch_sends_nothing() {
    let mapper = Mapper::new(local::client());
    let events = mapper.table_named::<Event>("never-created").unwrap();
    let written = events.put_all(Vec::new()).await.unwrap();
    assert_eq!((written.requests, written.rounds), (0, 0));
    let got = events.get_all(Vec::<(String, u32)>::new()).await.unwrap();
    assert!(got.items.is_empty());
    assert_eq!((got.requests, got.rounds), (0, 0));
    assert!(got.errors.is_empty());
    let error = events.put_all([event("a", 1)]).concurrency(0).await.unwrap_err();
    assert_eq!(refusal(&error), RefusalKind::InvalidArgument);
}

#[tokio::test]
async fn handles_are_taken_once_and_only_from_their_own_batch() {
    let mapper = Mapper::new(local::client());
    let profiles = table::<Profile>(&mapper, "profiles").await;
    let mut first = mapper.batch_write();
    let a = first.put(&profiles, [Profile { id: "a".into(), age: 1 }]);
    let mut second = mapper.batch_write();
    let b = second.put(&profiles, [Profile { id: "b".into(), age: 2 }]);
    let mut first = first.await.unwrap();
    assert!(first.take(a).unwrap().is_empty());
    let error = first.take(b).unwrap_err();
    assert_eq!(
        refusal(&error),
        RefusalKind::ForeignHandle,
        "a handle of another batch is refused"
    );

    // Two projections of one table in one batch get are refused: DynamoDB takes one per table.
    let mut batch = mapper.batch_get();
    let _whole = batch.get(&profiles, ["a"]);
    let _ids = batch.get_projected::<_, ProfileId, _>(&profiles, ["b"]);
    assert_eq!(refusal(&batch.await.unwrap_err()), RefusalKind::InvalidArgument);
}

#[derive(Attributes, Debug, Clone, PartialEq)]
struct ProfileId {
    id: String,
}
