//! The extension chain against the local server: one test per cell of the semantics table
//! (put / update / delete × each built-in), loading rules, ordering, and concurrency.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use dynamodb_mapper::expr::Condition;
use dynamodb_mapper::extension::{AfterRead, AtomicCounters, AutoUuids, BeforeWrite, Extension, VersionedRecords};
use dynamodb_mapper::{Error, Item, Mapper, RefusalKind, RetryPolicy, Table};
use dynamodb_mapper_workspace::clock::{at, stepping_clock};
use dynamodb_mapper_workspace::local::{self, Need};
use uuid::Uuid;

fn mapper_with(extensions: Vec<Arc<dyn Extension>>) -> Mapper {
    Mapper::builder(local::client()).extensions(extensions).build()
}

async fn table<T: Item + 'static>(mapper: &Mapper) -> Table<T> {
    let table = mapper.table_named::<T>(&local::unique_table_name("ext")).unwrap();
    table.create_table().await.unwrap();
    table
}

/// The stored attributes, read behind the mapper's back.
async fn raw<T: Item + 'static>(table: &Table<T>, key: &str) -> std::collections::HashMap<String, AttributeValue> {
    table
        .mapper()
        .client()
        .get_item()
        .table_name(table.name())
        .key("id", AttributeValue::S(key.into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap_or_default()
}

fn n(value: &str) -> AttributeValue {
    AttributeValue::N(value.into())
}

// ---------------------------------------------------------------------------------------------
// Versioned records

#[derive(Item, Debug, Clone, PartialEq)]
struct Doc {
    #[partition_key]
    id: String,
    body: String,
    #[version]
    version: Option<u64>,
}

fn doc(id: &str, body: &str) -> Doc {
    Doc {
        id: id.into(),
        body: body.into(),
        version: None,
    }
}

#[tokio::test]
async fn version_put_new_item_starts_at_zero_and_only_once() {
    let docs = table::<Doc>(&Mapper::new(local::client())).await;
    let written = docs.put(&doc("a", "first")).return_item().await.unwrap();
    assert_eq!(written.version, Some(0));
    assert_eq!(raw(&docs, "a").await["version"], n("0"));
    // A second "new" item with the same key loses: attribute_not_exists(version).
    let err = docs.put(&doc("a", "second")).await.unwrap_err();
    let failed = err.as_condition_failed().expect("a conflict");
    assert_eq!(failed.item::<Doc>().unwrap().unwrap(), written);
    assert_eq!(raw(&docs, "a").await["body"], AttributeValue::S("first".into()));
}

#[tokio::test]
async fn version_put_of_a_read_item_increments_and_rejects_stale_writes() {
    let docs = table::<Doc>(&Mapper::new(local::client())).await;
    docs.put(&doc("a", "v0")).await.unwrap();
    let mut read = docs.get("a").consistent_read().await.unwrap().unwrap();
    let stale = read.clone();
    read.body = "v1".into();
    assert_eq!(docs.put(&read).return_item().await.unwrap().version, Some(1));
    assert_eq!(raw(&docs, "a").await["version"], n("1"));
    let err = docs.put(&stale).await.unwrap_err();
    let stored: Doc = err.as_condition_failed().unwrap().item().unwrap().unwrap();
    assert_eq!((stored.body.as_str(), stored.version), ("v1", Some(1)));
    assert_eq!(raw(&docs, "a").await["body"], AttributeValue::S("v1".into()));
}

#[tokio::test]
async fn version_update_behaves_as_put() {
    let docs = table::<Doc>(&Mapper::new(local::client())).await;
    // New item through update.
    let created = docs.update(&doc("u", "v0")).await.unwrap();
    assert_eq!(created.version, Some(0));
    assert!(
        docs.update(&doc("u", "again"))
            .await
            .unwrap_err()
            .as_condition_failed()
            .is_some()
    );
    // Read item through update.
    let mut read = created.clone();
    read.body = "v1".into();
    let updated = docs.update(&read).await.unwrap();
    assert_eq!(updated.version, Some(1));
    let err = docs.update(&read).await.unwrap_err();
    assert_eq!(
        err.as_condition_failed().unwrap().item::<Doc>().unwrap().unwrap(),
        updated
    );
    assert_eq!(raw(&docs, "u").await["version"], n("1"));
}

#[tokio::test]
async fn version_delete_item_checks_the_version_delete_by_key_does_not() {
    let docs = table::<Doc>(&Mapper::new(local::client())).await;
    let v0 = docs.put(&doc("d", "v0")).return_item().await.unwrap();
    let v1 = docs
        .update(&Doc {
            body: "v1".into(),
            ..v0.clone()
        })
        .await
        .unwrap();
    // The version read is not the stored one: the delete is refused.
    let err = docs.delete_item(&v0).await.unwrap_err();
    assert_eq!(err.as_condition_failed().unwrap().item::<Doc>().unwrap().unwrap(), v1);
    assert!(docs.get("d").consistent_read().await.unwrap().is_some());
    // The current version deletes.
    docs.delete_item(&v1).await.unwrap();
    assert!(docs.get("d").consistent_read().await.unwrap().is_none());
    // By key: no version condition.
    let again = docs.put(&doc("d", "again")).return_item().await.unwrap();
    docs.update(&again).await.unwrap();
    docs.delete("d").await.unwrap();
    assert!(docs.get("d").consistent_read().await.unwrap().is_none());
}

#[derive(Item, Debug, Clone, PartialEq)]
struct Small {
    #[partition_key]
    id: String,
    #[version(start_at = 240, increment_by = 10)]
    version: Option<u8>,
}

#[tokio::test]
async fn version_start_increment_and_overflow() {
    let smalls = table::<Small>(&Mapper::new(local::client())).await;
    let first = smalls
        .put(&Small {
            id: "s".into(),
            version: None,
        })
        .return_item()
        .await
        .unwrap();
    assert_eq!(first.version, Some(240));
    let second = smalls.update(&first).await.unwrap();
    assert_eq!(second.version, Some(250));
    // 250 + 10 does not fit a u8: an error, and nothing is written.
    let err = smalls.update(&second).await.unwrap_err();
    assert!(
        matches!(err, Error::Refused(ref r) if r.kind() == RefusalKind::VersionOverflow && r.message().contains("overflows")),
        "{err}"
    );
    assert_eq!(raw(&smalls, "s").await["version"], n("250"));
}

// ---------------------------------------------------------------------------------------------
// Atomic counters

#[derive(Item, Debug, Clone, PartialEq)]
struct Page {
    #[partition_key]
    id: String,
    title: String,
    #[atomic_counter(start = 10, inc = 5)]
    views: i64,
    #[atomic_counter]
    edits: u32,
}

fn page(id: &str) -> Page {
    Page {
        id: id.into(),
        title: "t".into(),
        views: 999,
        edits: 999,
    }
}

#[tokio::test]
async fn counter_put_writes_start() {
    let pages = table::<Page>(&Mapper::new(local::client())).await;
    pages.put(&page("p")).await.unwrap();
    let stored = raw(&pages, "p").await;
    assert_eq!(stored["views"], n("10"));
    assert_eq!(stored["edits"], n("0"));
}

#[tokio::test]
async fn counter_update_increments_on_the_server() {
    let pages = table::<Page>(&Mapper::new(local::client())).await;
    // An update of a new item starts the counter.
    let first = pages.update(&page("p")).await.unwrap();
    assert_eq!((first.views, first.edits), (10, 0));
    // The struct's own value is ignored; two updates from the same stale struct both count.
    let stale = page("p");
    pages.update(&stale).await.unwrap();
    let third = pages.update(&stale).await.unwrap();
    assert_eq!((third.views, third.edits), (20, 2));
    assert_eq!(raw(&pages, "p").await["views"], n("20"));
}

#[tokio::test]
async fn counter_delete_is_untouched() {
    let pages = table::<Page>(&Mapper::new(local::client())).await;
    let stored = pages.update(&page("p")).await.unwrap();
    pages.delete_item(&stored).await.unwrap();
    assert!(raw(&pages, "p").await.is_empty());
}

#[tokio::test]
async fn counter_updates_from_many_tasks_sum_exactly() {
    // Eight writers adding to one item at once: an update applied in two steps loses some.
    if local::skip_unless(Need::AtomicWrites) {
        return;
    }
    let pages = table::<Page>(&Mapper::new(local::client())).await;
    pages.put(&page("hot")).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let pages = pages.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..25 {
                pages.update(&page("hot")).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let stored = pages.get("hot").consistent_read().await.unwrap().unwrap();
    assert_eq!(stored.views, 10 + 200 * 5);
    assert_eq!(stored.edits, 200);
}

// ---------------------------------------------------------------------------------------------
// Optimistic locking under concurrency, through the retry helper

#[derive(Item, Debug, Clone, PartialEq)]
struct Counter {
    #[partition_key]
    id: String,
    value: u32,
    #[version]
    version: Option<u64>,
}

#[tokio::test]
async fn read_modify_write_from_many_tasks_loses_no_update() {
    // Eight writers on one item: only a condition checked atomically with its write lets at
    // most one of two writers of the same version through.
    if local::skip_unless(Need::AtomicWrites) {
        return;
    }
    let counters = table::<Counter>(&Mapper::new(local::client())).await;
    counters
        .put(&Counter {
            id: "c".into(),
            value: 0,
            version: None,
        })
        .await
        .unwrap();
    let conflicts = Arc::new(AtomicI64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let counters = counters.clone();
        let conflicts = conflicts.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..25 {
                let mut tries = 0;
                counters
                    .read_modify_write("c", |c| {
                        tries += 1;
                        c.value += 1;
                    })
                    .retry(
                        RetryPolicy::default()
                            .max_attempts(1_000)
                            .base_delay(Duration::from_millis(1))
                            .max_delay(Duration::from_millis(20)),
                    )
                    .await
                    .unwrap();
                conflicts.fetch_add(tries - 1, Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let stored = counters.get("c").consistent_read().await.unwrap().unwrap();
    assert_eq!(stored.value, 200);
    // Every successful write bumped the version once: the one put and 200 updates.
    assert_eq!(stored.version, Some(200));
    println!("retries after conflicts: {}", conflicts.load(Ordering::Relaxed));
}

#[tokio::test]
async fn read_modify_write_gives_up_after_its_attempts() {
    let counters = table::<Counter>(&Mapper::new(local::client())).await;
    let missing = Error::from(counters.read_modify_write("none", |c| c.value += 1).await.unwrap_err());
    assert!(matches!(missing, Error::ItemNotFound { .. }), "{missing}");
    counters
        .put(&Counter {
            id: "c".into(),
            value: 0,
            version: None,
        })
        .await
        .unwrap();
    // A writer that always interferes: every attempt conflicts.
    let interferer = counters.clone();
    let handle = tokio::runtime::Handle::current();
    let err = tokio::task::spawn_blocking(move || {
        handle.block_on(
            counters
                .read_modify_write("c", |c| {
                    c.value += 1;
                    let interferer = interferer.clone();
                    local::block_on_elsewhere(async {
                        let mut stored = interferer.get("c").consistent_read().await.unwrap().unwrap();
                        stored.value += 100;
                        interferer.update(&stored).await.unwrap();
                    });
                })
                .retry(
                    RetryPolicy::default()
                        .max_attempts(3)
                        .max_delay(Duration::from_millis(5)),
                )
                .send(),
        )
    })
    .await
    .unwrap()
    .unwrap_err();
    let err = Error::from(err);
    assert!(matches!(err, Error::TooManyConflicts { attempts: 3, .. }), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Auto timestamps

#[derive(Item, Debug, Clone, PartialEq)]
struct Note {
    #[partition_key]
    id: String,
    text: String,
    #[auto_timestamp]
    updated_at: Option<DateTime<Utc>>,
    #[auto_timestamp]
    #[update_behavior(write_if_not_exists)]
    created_at: Option<DateTime<Utc>>,
}

fn note(id: &str) -> Note {
    Note {
        id: id.into(),
        text: "hi".into(),
        updated_at: None,
        created_at: None,
    }
}

#[tokio::test]
async fn timestamp_put_sets_now() {
    let notes = table::<Note>(&mapper_with(vec![Arc::new(stepping_clock())])).await;
    let written = notes.put(&note("n")).return_item().await.unwrap();
    assert_eq!((written.updated_at, written.created_at), (at(0), at(0)));
    assert_eq!(
        raw(&notes, "n").await["updated_at"],
        AttributeValue::S("2030-01-01T00:00:00.000000000Z".into())
    );
    // Putting the item that was read again: updated-at moves on, the created-at it carries
    // is kept.
    let again = notes.put(&written).return_item().await.unwrap();
    assert_eq!((again.updated_at, again.created_at), (at(1), at(0)));
    assert_eq!(
        raw(&notes, "n").await["created_at"],
        AttributeValue::S("2030-01-01T00:00:00.000000000Z".into())
    );
    // A new item (created-at unset) gets now.
    let fresh = notes.put(&note("m")).return_item().await.unwrap();
    assert_eq!((fresh.updated_at, fresh.created_at), (at(2), at(2)));
}

#[tokio::test]
async fn timestamp_update_sets_now_and_created_at_survives() {
    let notes = table::<Note>(&mapper_with(vec![Arc::new(stepping_clock())])).await;
    let created = notes.update(&note("n")).await.unwrap();
    assert_eq!((created.updated_at, created.created_at), (at(0), at(0)));
    // Even from a struct that never saw the stored created-at.
    let updated = notes.update(&note("n")).await.unwrap();
    assert_eq!((updated.updated_at, updated.created_at), (at(1), at(0)));
    assert_eq!(
        raw(&notes, "n").await["created_at"],
        AttributeValue::S("2030-01-01T00:00:00.000000000Z".into())
    );
}

#[tokio::test]
async fn timestamp_delete_is_untouched() {
    let notes = table::<Note>(&mapper_with(vec![Arc::new(stepping_clock())])).await;
    let written = notes.put(&note("n")).return_item().await.unwrap();
    notes.delete_item(&written).await.unwrap();
    assert!(raw(&notes, "n").await.is_empty());
}

#[tokio::test]
async fn a_lifecycle_attribute_without_its_extension_is_refused() {
    let err = Mapper::new(local::client()).table_named::<Note>("notes").unwrap_err();
    assert!(matches!(err, Error::Configuration(_)));
    let message = err.to_string();
    assert!(
        message.contains("Note.updated_at") && message.contains("AutoTimestamps"),
        "{message}"
    );
    // An empty list loads nothing: a version has nobody to handle it either.
    let err = mapper_with(vec![]).table_named::<Doc>("docs").unwrap_err();
    assert!(err.to_string().contains("VersionedRecords"), "{err}");
    // Without lifecycle attributes, no extension is needed.
    #[derive(Item)]
    struct Plain {
        #[partition_key]
        id: String,
    }
    assert!(mapper_with(vec![]).table_named::<Plain>("plain").is_ok());
}

// ---------------------------------------------------------------------------------------------
// Auto UUIDs

#[derive(Item, Debug, Clone, PartialEq)]
struct Ticket {
    #[partition_key]
    id: String,
    #[auto_uuid]
    token: Option<Uuid>,
    #[auto_uuid]
    reference: Option<String>,
}

fn uuids() -> Mapper {
    mapper_with(vec![Arc::new(AutoUuids)])
}

#[tokio::test]
async fn uuid_put_generates_when_unset_and_keeps_a_set_value() {
    let tickets = table::<Ticket>(&uuids()).await;
    let fixed = Uuid::from_u128(7);
    let written = tickets
        .put(&Ticket {
            id: "t".into(),
            token: Some(fixed),
            reference: None,
        })
        .return_item()
        .await
        .unwrap();
    assert_eq!(written.token, Some(fixed));
    let reference = written.reference.clone().expect("generated");
    assert!(Uuid::parse_str(&reference).is_ok());
    assert_eq!(tickets.get("t").consistent_read().await.unwrap().unwrap(), written);
}

#[tokio::test]
async fn uuid_update_never_replaces_a_stored_id() {
    let tickets = table::<Ticket>(&uuids()).await;
    let created = tickets
        .update(&Ticket {
            id: "t".into(),
            token: None,
            reference: None,
        })
        .await
        .unwrap();
    let (token, reference) = (
        created.token.expect("generated"),
        created.reference.clone().expect("generated"),
    );
    // An update from a struct without the ids keeps the stored ones (if_not_exists).
    let updated = tickets
        .update(&Ticket {
            id: "t".into(),
            token: None,
            reference: None,
        })
        .await
        .unwrap();
    assert_eq!(updated.token, Some(token));
    assert_eq!(updated.reference, Some(reference));
    // A set value is written as it is.
    let chosen = Uuid::from_u128(42);
    let replaced = tickets
        .update(&Ticket {
            token: Some(chosen),
            ..updated
        })
        .await
        .unwrap();
    assert_eq!(replaced.token, Some(chosen));
}

#[tokio::test]
async fn uuid_delete_is_untouched() {
    let tickets = table::<Ticket>(&uuids()).await;
    let written = tickets
        .put(&Ticket {
            id: "t".into(),
            token: None,
            reference: None,
        })
        .return_item()
        .await
        .unwrap();
    // Deleting from a struct without the ids neither generates nor requires them.
    let deleted = tickets
        .delete_item(&Ticket {
            id: "t".into(),
            token: None,
            reference: None,
        })
        .return_old()
        .await
        .unwrap();
    assert_eq!(deleted, Some(written));
    assert!(raw(&tickets, "t").await.is_empty());
}

#[derive(Item, Debug, Clone, PartialEq)]
struct Session {
    #[partition_key]
    #[auto_uuid]
    id: String,
    user: String,
}

#[derive(Item, Debug, Clone, PartialEq)]
struct Device {
    #[partition_key]
    #[auto_uuid]
    id: Uuid,
    name: String,
}

#[tokio::test]
async fn uuid_on_a_partition_key_is_generated_before_the_key_is_used() {
    let sessions = table::<Session>(&uuids()).await;
    // An unset String (empty, its default) gets a UUID, which becomes the key.
    let unset = Session {
        id: String::new(),
        user: "ana".into(),
    };
    let first = sessions.put(&unset).return_item().await.unwrap();
    assert!(Uuid::parse_str(&first.id).is_ok(), "{}", first.id);
    assert_eq!(
        sessions
            .get(first.id.as_str())
            .consistent_read()
            .await
            .unwrap()
            .unwrap(),
        first
    );
    // Each new item gets its own key, through update too.
    let second = sessions.update(&unset).await.unwrap();
    assert_ne!(second.id, first.id);
    assert_eq!(sessions.scan().consistent_read().all().await.unwrap().len(), 2);
    // A set key is kept.
    let kept = sessions.put(&first).return_item().await.unwrap();
    assert_eq!(kept.id, first.id);

    let devices = table::<Device>(&uuids()).await;
    let device = devices
        .put(&Device {
            id: Uuid::nil(),
            name: "phone".into(),
        })
        .return_item()
        .await
        .unwrap();
    assert_ne!(device.id, Uuid::nil());
    assert_eq!(devices.get(device.id).consistent_read().await.unwrap().unwrap(), device);
}

// ---------------------------------------------------------------------------------------------
// write_if_not_exists on any attribute

#[derive(Item, Debug, Clone, PartialEq)]
struct Profile {
    #[partition_key]
    id: String,
    #[update_behavior(write_if_not_exists)]
    first_seen_from: Option<String>,
    last_seen_from: Option<String>,
}

#[tokio::test]
async fn write_if_not_exists_keeps_the_first_value() {
    let profiles = table::<Profile>(&Mapper::new(local::client())).await;
    let visit = |from: &str| Profile {
        id: "p".into(),
        first_seen_from: Some(from.into()),
        last_seen_from: Some(from.into()),
    };
    profiles.update(&visit("lisbon")).await.unwrap();
    let after = profiles.update(&visit("porto")).await.unwrap();
    assert_eq!(after.first_seen_from.as_deref(), Some("lisbon"));
    assert_eq!(after.last_seen_from.as_deref(), Some("porto"));
    // None does not remove it either.
    let cleared = profiles
        .update(&Profile {
            id: "p".into(),
            first_seen_from: None,
            last_seen_from: None,
        })
        .await
        .unwrap();
    assert_eq!(cleared.first_seen_from.as_deref(), Some("lisbon"));
    assert_eq!(cleared.last_seen_from, None);
}

// ---------------------------------------------------------------------------------------------
// Order

/// Doubles `n` on write and halves it on read, logging each call.
struct Double(Arc<Mutex<Vec<&'static str>>>);
/// Adds one to `n` on write and subtracts it on read, logging each call.
struct PlusOne(Arc<Mutex<Vec<&'static str>>>);

fn number(item: &std::collections::HashMap<String, AttributeValue>) -> i64 {
    item["n"].as_n().unwrap().parse().unwrap()
}

impl Extension for Double {
    fn before_write(&self, cx: &mut BeforeWrite<'_>) -> Result<(), Error> {
        self.0.lock().unwrap().push("double.write");
        let n = number(cx.item());
        cx.item_mut().insert("n".into(), AttributeValue::N((n * 2).to_string()));
        Ok(())
    }
    fn after_read(&self, cx: &mut AfterRead<'_>) -> Result<(), Error> {
        self.0.lock().unwrap().push("double.read");
        let n = number(cx.item());
        cx.item_mut().insert("n".into(), AttributeValue::N((n / 2).to_string()));
        Ok(())
    }
}

impl Extension for PlusOne {
    fn before_write(&self, cx: &mut BeforeWrite<'_>) -> Result<(), Error> {
        self.0.lock().unwrap().push("plus_one.write");
        let n = number(cx.item());
        cx.item_mut().insert("n".into(), AttributeValue::N((n + 1).to_string()));
        Ok(())
    }
    fn after_read(&self, cx: &mut AfterRead<'_>) -> Result<(), Error> {
        self.0.lock().unwrap().push("plus_one.read");
        let n = number(cx.item());
        cx.item_mut().insert("n".into(), AttributeValue::N((n - 1).to_string()));
        Ok(())
    }
}

#[derive(Item, Debug, Clone, PartialEq)]
struct Num {
    #[partition_key]
    id: String,
    n: i64,
}

#[tokio::test]
async fn extensions_run_in_order_on_write_and_in_reverse_on_read() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let double_first = mapper_with(vec![Arc::new(Double(log.clone())), Arc::new(PlusOne(log.clone()))]);
    let table_a = table::<Num>(&double_first).await;
    table_a.put(&Num { id: "x".into(), n: 5 }).await.unwrap();
    assert_eq!(raw(&table_a, "x").await["n"], n("11")); // (5 * 2) + 1
    assert_eq!(table_a.get("x").consistent_read().await.unwrap().unwrap().n, 5); // (11 - 1) / 2
    assert_eq!(
        *log.lock().unwrap(),
        ["double.write", "plus_one.write", "plus_one.read", "double.read"]
    );

    let plus_first = mapper_with(vec![Arc::new(PlusOne(log.clone())), Arc::new(Double(log.clone()))]);
    let table_b = plus_first.table_named::<Num>(table_a.name()).unwrap();
    table_b.put(&Num { id: "y".into(), n: 5 }).await.unwrap();
    assert_eq!(raw(&table_b, "y").await["n"], n("12")); // (5 + 1) * 2
    assert_eq!(table_b.get("y").consistent_read().await.unwrap().unwrap().n, 5); // 12 / 2 - 1
}

#[tokio::test]
async fn conditions_from_the_caller_and_the_extensions_are_combined() {
    let docs = table::<Doc>(&Mapper::new(local::client())).await;
    let v0 = docs.put(&doc("c", "v0")).return_item().await.unwrap();
    // The caller's condition fails while the version's holds.
    let err = docs
        .update(&v0)
        .condition(Condition::attr("body").eq("something else"))
        .await
        .unwrap_err();
    assert!(err.as_condition_failed().is_some());
    assert_eq!(raw(&docs, "c").await["version"], n("0"), "nothing written");
    // Both hold.
    let v1 = docs
        .update(&v0)
        .condition(Condition::attr("body").eq("v0"))
        .await
        .unwrap();
    assert_eq!(v1.version, Some(1));
    // The caller's condition holds while the version's fails (`v0` is stale): the version's
    // condition was kept beside the caller's, not replaced by it.
    let err = docs
        .update(&v0)
        .condition(Condition::attr("body").eq("v0"))
        .await
        .unwrap_err();
    assert!(err.as_condition_failed().is_some(), "{err}");
    assert_eq!(raw(&docs, "c").await["version"], n("1"));
}

#[tokio::test]
async fn default_extensions_are_versions_and_counters() {
    let mapper = Mapper::new(local::client());
    let description = format!("{mapper:?}");
    assert!(
        description.contains("VersionedRecords") && description.contains("AtomicCounters"),
        "{description}"
    );
    let explicit = mapper_with(vec![Arc::new(VersionedRecords), Arc::new(AtomicCounters)]);
    let pages = table::<Page>(&explicit).await;
    assert_eq!(pages.update(&page("p")).await.unwrap().views, 10);
}

/// Writes an attribute the struct does not declare: `gsi1pk = "STATUS#<status>"`.
struct CompositeKey;

impl Extension for CompositeKey {
    fn before_write(&self, cx: &mut BeforeWrite<'_>) -> Result<(), Error> {
        if let Some(AttributeValue::S(status)) = cx.item().get("status").cloned() {
            cx.item_mut()
                .insert("gsi1pk".into(), AttributeValue::S(format!("STATUS#{status}")));
        }
        Ok(())
    }
}

#[derive(Item, Debug, Clone, PartialEq)]
struct Task {
    #[partition_key]
    id: String,
    status: String,
}

#[tokio::test]
async fn attributes_an_extension_adds_are_written_by_puts_and_updates() {
    let tasks = table::<Task>(&mapper_with(vec![Arc::new(CompositeKey)])).await;
    let mut task = Task {
        id: "t".into(),
        status: "open".into(),
    };
    tasks.put(&task).await.unwrap();
    assert_eq!(
        raw(&tasks, "t").await["gsi1pk"],
        AttributeValue::S("STATUS#open".into())
    );
    task.status = "closed".into();
    tasks.update(&task).await.unwrap();
    assert_eq!(
        raw(&tasks, "t").await["gsi1pk"],
        AttributeValue::S("STATUS#closed".into())
    );
}
