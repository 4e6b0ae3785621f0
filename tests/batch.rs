//! Batch writes and batch gets against the local server: chunking, refusals before sending,
//! the extensions in batch mode (DESIGN §4's batch column), typed leftovers and per-key
//! outcomes in request order. Stored values are checked in the raw items.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use dynamodb_mapper::extension::{AtomicCounters, AutoUuids, BeforeWrite, Extension, VersionedRecords, WriteMode};
use dynamodb_mapper::ops::{CapacityMeter, Fetched};
use dynamodb_mapper::testing::{Faults, InjectedFault, Times};
use dynamodb_mapper::{Attributes, Error, Item, Mapper, RefusalKind, RetryPolicy, Table};
use dynamodb_mapper_workspace::clock::stepping_clock;
use dynamodb_mapper_workspace::local;
use uuid::Uuid;

type Raw = HashMap<String, AttributeValue>;

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.into())
}

fn n(text: &str) -> AttributeValue {
    AttributeValue::N(text.into())
}

async fn table<T: Item + 'static>(mapper: &Mapper, prefix: &str) -> Table<T> {
    let table = mapper.table_named::<T>(&local::unique_table_name(prefix)).unwrap();
    table.create_table().await.unwrap();
    table
}

/// Every stored item, read behind the mapper's back.
async fn raw_items<T: Item>(table: &Table<T>) -> Vec<Raw> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = table
            .mapper()
            .client()
            .scan()
            .table_name(table.name())
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        items.extend(page.items.unwrap_or_default());
        start = page.last_evaluated_key.filter(|k| !k.is_empty());
        if start.is_none() {
            return items;
        }
    }
}

/// The stored item with partition key `id` (a table keyed by `id` alone).
async fn raw<T: Item>(table: &Table<T>, id: &str) -> Raw {
    table
        .mapper()
        .client()
        .get_item()
        .table_name(table.name())
        .key("id", s(id))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap_or_default()
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
    batch.capacity(&meter);
    assert_eq!(batch.len(), 32);
    let mut result = batch.await.unwrap();
    assert!(result.is_complete());
    assert_eq!(result.requests, 2);
    assert!(result.take(put_events).is_empty());
    assert!(result.take(put_profiles).is_empty());
    assert!(result.take(deleted).is_empty());
    assert_eq!(raw_items(&events).await.len(), 30);
    assert_eq!(raw(&profiles, "ana").await["age"], n("40"));
    assert!(raw(&profiles, "gone").await.is_empty());
    let units = result.consumed_capacity.expect("a metered batch reports its capacity");
    assert!(units > 0.0);
    assert!((units - meter.total()).abs() < 1e-9, "{units} vs {}", meter.total());

    let mut batch = mapper.batch_get();
    let some_events = batch.get(&events, [("x", 29u32), ("x", 99), ("x", 0)]);
    let some_profiles = batch.get(&profiles, ["gone", "ana"]);
    batch.consistent_read(&profiles);
    let mut got = batch.await.unwrap();
    assert!(got.is_complete());
    let events_got: Vec<Option<Event>> = got.take(some_events).into_iter().map(Fetched::found).collect();
    assert_eq!(events_got, [Some(event("x", 29)), None, Some(event("x", 0))]);
    let profiles_got = got.take(some_profiles);
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
    let got = profiles.get_all(["a", "b", "c", "d"]).await.unwrap();
    assert!(matches!(&got.items[0], Fetched::Found(p) if p.id == "a"));
    match &got.items[1] {
        Fetched::Unreadable { item, error } => {
            assert_eq!(item["age"], s("not a number"));
            assert_eq!(item["id"], s("b"));
            assert!(matches!(error, Error::Convert(_)), "{error}");
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
    assert_eq!(result.take(put_people), people[25..].to_vec());
    assert_eq!(
        result.take(put_events),
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
    let mut stored = docs.get("b").await.unwrap().unwrap();
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
    let read = docs.get("a").await.unwrap().unwrap();
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

// ---------------------------------------------------------------------------------------------
// Spans

/// A span's name, its parent's id and its fields.
type SpanRecord = (String, Option<u64>, HashMap<String, String>);

/// Records every span of the process: its name, fields and parent. Installed as the global
/// subscriber (a per-thread one can miss spans whose call sites other tests' threads
/// registered first); tests find their own spans by table name.
#[derive(Clone, Default)]
struct Spans {
    spans: Arc<std::sync::Mutex<Vec<SpanRecord>>>,
    next: Arc<std::sync::atomic::AtomicU64>,
}

thread_local! {
    /// The spans entered on this thread, innermost last.
    static ENTERED: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn recorded_spans() -> &'static Spans {
    static SPANS: std::sync::OnceLock<Spans> = std::sync::OnceLock::new();
    SPANS.get_or_init(|| {
        let spans = Spans::default();
        tracing::subscriber::set_global_default(spans.clone()).expect("the only global subscriber");
        spans
    })
}

struct Fields<'a>(&'a mut HashMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl tracing::Subscriber for Spans {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let id = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        let mut fields = HashMap::new();
        span.record(&mut Fields(&mut fields));
        fields.insert("id".into(), id.to_string());
        let parent = match span.parent() {
            Some(parent) => Some(parent.into_u64()),
            None if span.is_contextual() => ENTERED.with(|e| e.borrow().last().copied()),
            None => None,
        };
        self.spans
            .lock()
            .unwrap()
            .push((span.metadata().name().to_owned(), parent, fields));
        tracing::span::Id::from_u64(id)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, span: &tracing::span::Id) {
        ENTERED.with(|e| e.borrow_mut().push(span.into_u64()));
    }
    fn exit(&self, span: &tracing::span::Id) {
        ENTERED.with(|e| {
            let mut entered = e.borrow_mut();
            if let Some(at) = entered.iter().rposition(|id| *id == span.into_u64()) {
                entered.remove(at);
            }
        });
    }
}

#[tokio::test(flavor = "current_thread")]
async fn each_request_has_a_span_inside_its_round() {
    let recorder = recorded_spans();
    let mapper = Mapper::new(local::client());
    let events = table::<Event>(&mapper, "events").await;
    let written = events.put_all((0..60).map(|i| event("t", i))).await.unwrap();
    assert!(written.unprocessed.is_empty());
    let spans = recorder.spans.lock().unwrap().clone();
    let requests: Vec<_> = spans
        .iter()
        .filter(|(name, _, fields)| {
            name == "dynamodb"
                && fields.get("operation").map(String::as_str) == Some("BatchWriteItem")
                && fields.get("table") == Some(&events.name().to_owned())
        })
        .collect();
    assert_eq!(requests.len(), 3);
    let parents: HashSet<u64> = requests
        .iter()
        .map(|(_, parent, _)| parent.expect("a parent"))
        .collect();
    assert_eq!(parents.len(), 1, "one round");
    let parent = parents.into_iter().next().unwrap().to_string();
    let round = spans.iter().find(|(_, _, fields)| fields["id"] == parent).unwrap();
    assert_eq!(round.0, "dynamodb_batch_round");
    assert_eq!((round.2["round"].as_str(), round.2["pending"].as_str()), ("1", "60"));
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
    assert!(first.take(a).is_empty());
    let taken = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| first.take(b)));
    assert!(taken.is_err(), "a handle of another batch is refused");

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

// ---------------------------------------------------------------------------------------------
// Faults: unprocessed items and keys, throttling (the `testing` feature's fault injection)

/// A mapper whose client injects `faults` (and the SDK's testing retries: 3 attempts).
fn faulty_mapper(faults: &Faults) -> Mapper {
    Mapper::new(local::client_builder().faults(faults).build())
}

/// Fast rounds for tests: 1 to 5 ms waits, 3 rounds without progress.
fn fast_rounds() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(u32::MAX)
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(5))
        .max_rounds_without_progress(3)
}

/// How many writes each `BatchWriteItem` request carried, as the SDK built it.
fn writes_per_request(faults: &Faults) -> Vec<usize> {
    faults
        .requests_of("BatchWriteItem")
        .iter()
        .map(|r| {
            r.body["RequestItems"]
                .as_object()
                .unwrap()
                .values()
                .map(|writes| writes.as_array().unwrap().len())
                .sum()
        })
        .collect()
}

/// The sort keys (`seq`) of the writes or keys a fault withheld from one request.
fn withheld_seqs(fault: &Option<InjectedFault>) -> HashSet<u32> {
    let Some(InjectedFault::Unprocessed(withheld)) = fault else {
        return HashSet::new();
    };
    let mut seqs = HashSet::new();
    for entries in withheld.as_object().unwrap().values() {
        let list = entries.get("Keys").unwrap_or(entries).as_array().unwrap();
        for entry in list {
            let key = entry
                .pointer("/PutRequest/Item")
                .or(entry.pointer("/DeleteRequest/Key"))
                .unwrap_or(entry);
            seqs.insert(key["seq"]["N"].as_str().unwrap().parse().unwrap());
        }
    }
    seqs
}

#[tokio::test]
async fn unprocessed_items_for_some_rounds_are_all_written_with_bounded_requests() {
    let faults = Faults::new();
    let mapper = faulty_mapper(&faults);
    let events = table::<Event>(&mapper, "events").await;
    // The first three requests each leave their last 5 writes unprocessed.
    faults.on("BatchWriteItem").unprocessed(5, 3);
    let given: Vec<Event> = (0..60).map(|i| event("u", i)).collect();
    let written = events.put_all(given.clone()).retry(fast_rounds()).await.unwrap();
    assert!(written.unprocessed.is_empty(), "{:?}", written.errors);
    assert!(written.errors.is_empty());
    // Round 1: 25 + 25 + 10 writes, 15 left over; round 2: those 15, all written.
    assert_eq!((written.rounds, written.requests), (2, 4));
    assert_eq!(writes_per_request(&faults), [25, 25, 10, 15]);
    assert!(faults.requests_of("BatchWriteItem").iter().all(|r| r.attempt == 1));
    // Nothing lost: every item stored, as given.
    let stored = raw_items(&events).await;
    assert_eq!(stored.len(), 60);
    let got = events.get_all(given.iter().map(|e| ("u", e.seq))).await.unwrap();
    let got: Vec<Event> = got.items.into_iter().map(|f| f.found().unwrap()).collect();
    assert_eq!(got, given);
}

#[tokio::test]
async fn unprocessed_items_forever_come_back_exactly_after_the_rounds_without_progress() {
    let faults = Faults::new();
    let mapper = faulty_mapper(&faults);
    let events = table::<Event>(&mapper, "events").await;
    faults.on("BatchWriteItem").unprocessed(2, Times::Always);
    let given: Vec<Event> = (0..30).map(|i| event("f", i)).collect();
    let written = events.put_all(given.clone()).retry(fast_rounds()).await.unwrap();
    // Round 1: [0..25] and [25..30], 23, 24, 28, 29 withheld. Round 2: those four, 28 and 29
    // withheld, so 23 and 24 are written. Rounds 3 to 5: 28 and 29 withheld, no progress; the
    // third such round stops.
    assert_eq!((written.rounds, written.requests), (5, 6));
    assert_eq!(written.unprocessed, given[28..].to_vec());
    assert!(written.errors.is_empty(), "{:?}", written.errors);
    let requests = faults.requests_of("BatchWriteItem");
    let last = requests.last().unwrap();
    let left: HashSet<u32> = written.unprocessed.iter().map(|e| e.seq).collect();
    assert_eq!(
        withheld_seqs(&last.fault),
        left,
        "the leftovers are exactly what was withheld"
    );
    assert_eq!(writes_per_request(&faults), [25, 5, 4, 2, 2, 2]);
    // 0 lost: what is not left over is stored.
    let stored: HashSet<String> = raw_items(&events)
        .await
        .iter()
        .map(|i| i["seq"].as_n().unwrap().clone())
        .collect();
    assert_eq!(stored, (0..28).map(|i| i.to_string()).collect());

    // The deadline stops the rounds too: none starts after it.
    faults.clear_requests();
    let policy = fast_rounds()
        .base_delay(Duration::from_millis(50))
        .max_delay(Duration::from_millis(50))
        .max_rounds_without_progress(100)
        .deadline(Duration::from_millis(120));
    let started = std::time::Instant::now();
    let written = events.put_all(given[28..].to_vec()).retry(policy).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(written.unprocessed, given[28..].to_vec());
    // Stopped by the deadline, long before 100 rounds without progress.
    assert!(written.rounds >= 2 && written.rounds < 100, "{} rounds", written.rounds);
}

#[tokio::test]
async fn unprocessed_keys_are_fetched_again_or_reported_unprocessed_never_missing() {
    let faults = Faults::new();
    let mapper = faulty_mapper(&faults);
    let events = table::<Event>(&mapper, "events").await;
    let stored: Vec<Event> = (0..150).map(|i| event("k", i)).collect();
    assert!(events.put_all(stored.clone()).await.unwrap().unprocessed.is_empty());

    // Some rounds: the first two requests leave 10 keys each; all are fetched in round 2.
    faults.on("BatchGetItem").unprocessed(10, 2);
    let keys: Vec<(String, u32)> = (0..160).map(|i| ("k".to_owned(), i)).collect();
    let got = events.get_all(keys.clone()).retry(fast_rounds()).await.unwrap();
    assert_eq!((got.rounds, got.requests), (2, 3));
    assert_eq!(got.items.len(), 160);
    for (i, fetched) in got.items.iter().enumerate() {
        if i < 150 {
            assert_eq!(fetched.as_found(), Some(&stored[i]), "key {i}");
        } else {
            assert!(fetched.is_missing(), "key {i}: {fetched:?}");
        }
    }
    let sizes: Vec<usize> = faults
        .requests_of("BatchGetItem")
        .iter()
        .map(|r| {
            r.body["RequestItems"]
                .as_object()
                .unwrap()
                .values()
                .map(|t| t["Keys"].as_array().unwrap().len())
                .sum()
        })
        .collect();
    assert_eq!(sizes, [100, 60, 20]);

    // Forever: the withheld keys are `Unprocessed`, in their places; the others are answered.
    faults.clear_requests();
    faults.on("BatchGetItem").unprocessed(3, Times::Always);
    let got = events.get_all(keys).retry(fast_rounds()).await.unwrap();
    let last = faults.requests_of("BatchGetItem").last().unwrap().clone();
    let withheld = withheld_seqs(&last.fault);
    assert_eq!(withheld.len(), 3);
    assert_eq!(got.items.len(), 160);
    assert_eq!(got.items.iter().filter(|f| f.is_unprocessed()).count(), 3);
    for (i, fetched) in got.items.iter().enumerate() {
        let seq = i as u32;
        if withheld.contains(&seq) {
            assert!(fetched.is_unprocessed(), "key {i}: {fetched:?}");
        } else if i < 150 {
            assert_eq!(fetched.as_found(), Some(&stored[i]), "key {i}");
        } else {
            assert!(fetched.is_missing(), "key {i}: {fetched:?}");
        }
    }
}

#[tokio::test]
async fn throttling_is_retried_by_the_sdk_then_by_the_rounds_then_handed_back() {
    let faults = Faults::new();
    let mapper = faulty_mapper(&faults);
    let events = table::<Event>(&mapper, "events").await;
    let given: Vec<Event> = (0..10).map(|i| event("t", i)).collect();

    // Two throttles: the SDK's own retries (3 attempts) absorb them in one round.
    faults.on("BatchWriteItem").throttle(2);
    let written = events.put_all(given.clone()).retry(fast_rounds()).await.unwrap();
    assert!(written.unprocessed.is_empty());
    assert_eq!((written.rounds, written.requests), (1, 1));
    let attempts: Vec<u32> = faults.requests_of("BatchWriteItem").iter().map(|r| r.attempt).collect();
    assert_eq!(attempts, [1, 2, 3]);
    assert_eq!(raw_items(&events).await.len(), 10);

    // Four throttles: the SDK gives up after 3 attempts, the next round gets through.
    faults.clear_requests();
    faults.on("BatchWriteItem").throttle(4);
    let written = events.put_all(given.clone()).retry(fast_rounds()).await.unwrap();
    assert!(written.unprocessed.is_empty(), "{:?}", written.errors);
    assert_eq!((written.rounds, written.requests), (2, 2));
    let attempts: Vec<u32> = faults.requests_of("BatchWriteItem").iter().map(|r| r.attempt).collect();
    assert_eq!(attempts, [1, 2, 3, 1, 2]);

    // Always throttled: 3 rounds without progress, 3 attempts each, then everything is handed
    // back with the throttling error, which is retryable.
    faults.clear_requests();
    faults.on("BatchWriteItem").throttle(Times::Always);
    let written = events
        .delete_all(given.iter().map(|e| ("t", e.seq)))
        .retry(fast_rounds())
        .await
        .unwrap();
    assert_eq!(written.rounds, 3);
    assert_eq!(faults.requests_of("BatchWriteItem").len(), 9);
    assert_eq!(
        written.unprocessed,
        (0..10).map(|i| ("t".to_owned(), i)).collect::<Vec<_>>()
    );
    assert_eq!(written.errors.len(), 1);
    assert!(written.errors[0].is_retryable(), "{}", written.errors[0]);
    assert_eq!(raw_items(&events).await.len(), 10, "nothing deleted");
}

#[tokio::test]
async fn a_throttled_request_is_prepared_again_and_a_server_error_is_handed_back() {
    let faults = Faults::new();
    let mapper = Mapper::builder(local::client_builder().faults(&faults).build())
        .extensions([
            Arc::new(AtomicCounters) as Arc<dyn Extension>,
            Arc::new(AutoUuids),
            Arc::new(stepping_clock()),
        ])
        .build();
    let pages = table::<Page>(&mapper, "pages").await;
    let given: Vec<Page> = (0..5).map(|i| page(&format!("p{i}"))).collect();
    let first_token = |body: &serde_json::Value| {
        body["RequestItems"][pages.name()][0]["PutRequest"]["Item"]["token"]["S"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    // Throttled past the SDK's 3 attempts: DynamoDB wrote nothing, so the next round sends
    // the writes prepared anew, the extensions run again (a new UUID where none was set).
    faults.on("BatchWriteItem").throttle(3);
    let written = pages.put_all(given.clone()).retry(fast_rounds()).await.unwrap();
    assert!(written.unprocessed.is_empty(), "{:?}", written.errors);
    assert_eq!((written.rounds, written.requests), (2, 2));
    let bodies: Vec<_> = faults
        .requests_of("BatchWriteItem")
        .into_iter()
        .map(|r| r.body)
        .collect();
    assert_eq!(bodies.len(), 4, "3 attempts by the SDK, then 1 in the second round");
    assert_eq!(
        first_token(&bodies[0]),
        first_token(&bodies[2]),
        "the SDK resends the same request"
    );
    assert_ne!(
        first_token(&bodies[0]),
        first_token(&bodies[3]),
        "the round prepared it again"
    );
    let stored = raw(&pages, "p0").await;
    assert_eq!(stored["token"], s(&first_token(&bodies[3])));
    assert_eq!(raw_items(&pages).await.len(), 5);

    // A server error outlasting the SDK's attempts: DynamoDB does not say whether the writes
    // were done, so the rounds do not resend them; they are handed back with the error.
    faults.clear_requests();
    faults.on("BatchWriteItem").server_error(3);
    let written = pages.put_all(given.clone()).retry(fast_rounds()).await.unwrap();
    assert_eq!(written.unprocessed, given);
    assert_eq!((written.rounds, written.requests), (1, 1));
    assert_eq!(faults.requests_of("BatchWriteItem").len(), 3);
    assert_eq!(written.errors.len(), 1);
    let error = &written.errors[0];
    assert!(error.is_retryable() && !error.is_throttling(), "{error}");
}
