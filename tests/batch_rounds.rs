//! The rounds of a batch: what DynamoDB leaves undone (unprocessed items and keys, throttled
//! requests) is sent again in rounds, bounded by the caller's `RetryPolicy` (its rounds, the
//! rounds without progress, the deadline) with a backoff that grows from the base delay, and
//! what is still undone is handed back. Faults are injected at the HTTP layer (the `testing`
//! feature) and the requests counted.
//!
//! Nothing listens to `tracing` in this binary, on purpose: a program's usual state, in which
//! a span's fields are never evaluated, so a round counted inside one would not be counted
//! (the spans are tested in `tracing_spans.rs`). The test build has tracing's `log` feature
//! (through the local server's web stack), with which tracing evaluates a disabled span's
//! fields for the `log` crate as long as no subscriber was ever installed; so every test first
//! installs [`tracing::subscriber::NoSubscriber`], which listens to nothing, as a program
//! without that feature behaves. `.ci/run` also runs this binary with the mapper built without
//! overflow checks, as a release build is, where an arithmetic overflow wraps instead of
//! panicking.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::config::{AsyncSleep, SharedAsyncSleep, Sleep};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use dynamodb_mapper::extension::{AtomicCounters, AutoUuids, Extension};
use dynamodb_mapper::testing::{Faults, InjectedFault, Times, no_retries};
use dynamodb_mapper::{Item, KeyFrom, Mapper, RetryPolicy, Table};
use dynamodb_mapper_workspace::clock::stepping_clock;
use dynamodb_mapper_workspace::local;
use uuid::Uuid;

type Raw = HashMap<String, AttributeValue>;

/// Installs the subscriber that listens to nothing, once per process (see the module's docs).
fn nothing_listens() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        tracing::subscriber::set_global_default(tracing::subscriber::NoSubscriber::default())
            .expect("the only global subscriber");
    });
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.into())
}

async fn table<T: Item + 'static>(mapper: &Mapper, prefix: &str) -> Table<T> {
    nothing_listens();
    local::new_table(mapper, prefix).await
}

async fn raw_items<T: Item>(table: &Table<T>) -> Vec<Raw> {
    local::raw_items(table).await
}

/// The stored item with partition key `id` (a table keyed by `id` alone).
async fn raw<T: Item + KeyFrom<&'static str>>(table: &Table<T>, id: &'static str) -> Raw {
    local::raw_item(table, id).await
}

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

// ---------------------------------------------------------------------------------------------
// Faults: unprocessed items and keys, throttling (the `testing` feature's fault injection)

/// A mapper whose client injects `faults` (and the SDK's testing retries: 3 attempts).
fn faulty_mapper(faults: &Faults) -> Mapper {
    Mapper::new(local::client_builder().faults(faults).build())
}

/// Fast rounds for tests: 1 to 5 ms waits, 3 rounds without progress.
fn fast_rounds() -> RetryPolicy {
    RetryPolicy::default()
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
    let got = events
        .get_all(given.iter().map(|e| ("u", e.seq)))
        .consistent_read()
        .await
        .unwrap();
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
    let written = events.put_all(given[28..].to_vec()).retry(policy).await.unwrap();
    assert_eq!(written.unprocessed, given[28..].to_vec());
    // Stopped by the deadline, long before 100 rounds without progress.
    assert!(written.rounds >= 2 && written.rounds < 100, "{} rounds", written.rounds);
}

#[tokio::test]
async fn a_batch_get_throttled_past_the_sdks_retries_is_sent_again_with_the_same_keys() {
    let faults = Faults::new();
    let mapper = faulty_mapper(&faults);
    let events = table::<Event>(&mapper, "events").await;
    let stored: Vec<Event> = (0..30).map(|i| event("g", i)).collect();
    assert!(events.put_all(stored.clone()).await.unwrap().unprocessed.is_empty());
    // Four throttles: the SDK gives up after 3 attempts; the next round sends the request
    // again, its keys rebuilt (the first request took them), and every key is answered.
    faults.on("BatchGetItem").throttle(4);
    let got = events
        .get_all(stored.iter().map(|e| ("g", e.seq)))
        .retry(fast_rounds())
        .consistent_read()
        .await
        .unwrap();
    assert_eq!((got.rounds, got.requests), (2, 2));
    let got: Vec<Event> = got.items.into_iter().map(|f| f.found().unwrap()).collect();
    assert_eq!(got, stored);
    let requests = faults.requests_of("BatchGetItem");
    let attempts: Vec<u32> = requests.iter().map(|r| r.attempt).collect();
    assert_eq!(attempts, [1, 2, 3, 1, 2]);
    let keys = |body: &serde_json::Value| {
        let mut keys = body["RequestItems"].as_object().unwrap().values().next().unwrap()["Keys"]
            .as_array()
            .unwrap()
            .clone();
        keys.sort_by_key(|k| k.to_string());
        keys
    };
    assert_eq!(
        keys(&requests[0].body),
        keys(&requests[4].body),
        "the same keys, as given"
    );
    assert_eq!(keys(&requests[0].body).len(), 30);
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
    let got = events
        .get_all(keys.clone())
        .retry(fast_rounds())
        .consistent_read()
        .await
        .unwrap();
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
    let got = events
        .get_all(keys)
        .retry(fast_rounds())
        .consistent_read()
        .await
        .unwrap();
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

// ---------------------------------------------------------------------------------------------
// The rounds counted, the caller's limit kept, the waits bounded

/// An async sleep that records every wait it is asked for and returns at once. Given to the
/// mapper ([`MapperBuilder::sleep_impl`](dynamodb_mapper::MapperBuilder::sleep_impl)), it sees
/// exactly the rounds' waits (the client's own timeouts keep the client's sleep).
#[derive(Debug, Clone, Default)]
struct RecordedSleeps(Arc<Mutex<Vec<Duration>>>);

impl AsyncSleep for RecordedSleeps {
    fn sleep(&self, duration: Duration) -> Sleep {
        self.0.lock().unwrap().push(duration);
        Sleep::new(std::future::ready(()))
    }
}

impl RecordedSleeps {
    fn waits(&self) -> Vec<Duration> {
        self.0.lock().unwrap().clone()
    }
}

/// A mapper injecting `faults`, without the SDK's own retries (each request is one attempt),
/// whose rounds wait through `sleeps`.
fn recording_mapper(faults: &Faults, sleeps: &RecordedSleeps) -> Mapper {
    let client = local::client_builder()
        .faults(faults)
        .retry_config(no_retries())
        .build();
    Mapper::builder(client)
        .sleep_impl(SharedAsyncSleep::new(sleeps.clone()))
        .build()
}

/// The ceiling of the wait before retry `n` (0 for the first): `min(base · 2ⁿ, cap)`.
fn ceiling(base: Duration, cap: Duration, n: usize) -> Duration {
    base.saturating_mul(1u32 << n.min(31)).min(cap)
}

#[tokio::test]
async fn leftovers_needing_three_rounds_report_three_rounds_and_waits_under_the_backoff() {
    let faults = Faults::new();
    let sleeps = RecordedSleeps::default();
    let mapper = recording_mapper(&faults, &sleeps);
    let events = table::<Event>(&mapper, "events").await;
    // The first three requests each leave their last 5 writes unprocessed. Round 1: 25 + 5
    // writes, 10 left; round 2: those 10, 5 left; round 3: the last 5, all written.
    faults.on("BatchWriteItem").unprocessed(5, 3);
    let (base, cap) = (Duration::from_millis(40), Duration::from_millis(60));
    let policy = RetryPolicy::default().base_delay(base).max_delay(cap);
    let given: Vec<Event> = (0..30).map(|i| event("r", i)).collect();
    let written = events.put_all(given.clone()).retry(policy).await.unwrap();
    assert!(written.unprocessed.is_empty(), "{:?}", written.errors);
    assert_eq!((written.requests, written.rounds), (4, 3));
    assert_eq!(raw_items(&events).await.len(), 30);
    let waits = sleeps.waits();
    assert_eq!(waits.len(), 2, "one wait before each round after the first: {waits:?}");
    for (n, wait) in waits.iter().enumerate() {
        assert!(*wait <= ceiling(base, cap, n), "wait {n} is {wait:?}");
    }

    // Batch gets with unprocessed keys count their rounds the same way.
    sleeps.0.lock().unwrap().clear();
    faults.on("BatchGetItem").unprocessed(4, 2);
    let got = events
        .get_all(given.iter().map(|e| ("r", e.seq)))
        .retry(policy)
        .consistent_read()
        .await
        .unwrap();
    // Round 1: 30 keys, 4 left; round 2: those 4, withheld again; round 3: all found.
    assert_eq!((got.requests, got.rounds), (3, 3));
    assert!(got.items.iter().all(|f| f.as_found().is_some()));
    let waits = sleeps.waits();
    assert_eq!(waits.len(), 2, "{waits:?}");
    for (n, wait) in waits.iter().enumerate() {
        assert!(*wait <= ceiling(base, cap, n), "wait {n} is {wait:?}");
    }
}

#[tokio::test]
async fn leftovers_that_never_end_stop_after_the_callers_rounds_and_come_back() {
    let faults = Faults::new();
    let sleeps = RecordedSleeps::default();
    let mapper = recording_mapper(&faults, &sleeps);
    let events = table::<Event>(&mapper, "events").await;
    // Every request leaves its last two writes unprocessed: after round 1 nothing more gets
    // done, and the rounds without progress allow 100, so only the caller's limit of 4 rounds
    // ends them.
    faults.on("BatchWriteItem").unprocessed(2, Times::Always);
    let (base, cap) = (Duration::from_millis(1), Duration::from_millis(3));
    let policy = RetryPolicy::default()
        .max_rounds(4)
        .base_delay(base)
        .max_delay(cap)
        .max_rounds_without_progress(100);
    let given: Vec<Event> = (0..10).map(|i| event("m", i)).collect();
    let written = events.put_all(given.clone()).retry(policy).await.unwrap();
    assert_eq!((written.requests, written.rounds), (4, 4));
    // The two withheld writes are handed back, as given; the rest is stored.
    assert_eq!(written.unprocessed, given[8..].to_vec());
    assert!(written.errors.is_empty(), "{:?}", written.errors);
    let stored: HashSet<String> = raw_items(&events)
        .await
        .iter()
        .map(|i| i["seq"].as_n().unwrap().clone())
        .collect();
    assert_eq!(stored, (0..8).map(|i| i.to_string()).collect());
    let waits = sleeps.waits();
    assert_eq!(waits.len(), 3, "{waits:?}");
    for (n, wait) in waits.iter().enumerate() {
        assert!(*wait <= ceiling(base, cap, n), "wait {n} is {wait:?}");
    }
}
