//! `#[auto_timestamp]` on every time type against the local server: each write path (put,
//! update, patch, batch write, transaction) stores the current time in the field's own format,
//! checked in the raw stored item, and a created-at (`write_if_not_exists`) of each type
//! survives the writes after the first.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, TimeZone, Utc};
use dynamodb_mapper::extension::AutoTimestamps;
use dynamodb_mapper::schema::Tag;
use dynamodb_mapper::value::{JavaInstant, PynamoDateTime, TimeFormat, UnixMillis, UnixSeconds};
use dynamodb_mapper::{Error, Item, ItemMap, Mapper, Table};
use dynamodb_mapper_workspace::local::{self, new_table, raw_item};

/// 2030-01-01T00:00:00.123Z plus `minute` minutes: milliseconds, so that every format shows
/// the precision it keeps.
fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap() + Duration::milliseconds(123) + Duration::minutes(minute)
}

/// A clock that reads [`at(0)`](at), then `at(1)`, and so on: one reading per write.
fn stepping() -> AutoTimestamps {
    let minutes = Arc::new(AtomicI64::new(0));
    AutoTimestamps::with_clock(Arc::new(move || at(minutes.fetch_add(1, Ordering::SeqCst))))
}

fn mapper() -> Mapper {
    Mapper::builder(local::client()).extension(stepping()).build()
}

/// Every time type, as an updated-at and as a created-at.
#[derive(Item, Debug, Clone, PartialEq)]
struct Stamped {
    #[partition_key]
    id: String,
    text: String,
    #[auto_timestamp]
    rfc: Option<DateTime<Utc>>,
    #[auto_timestamp]
    java: Option<JavaInstant>,
    #[auto_timestamp]
    pynamo: Option<PynamoDateTime>,
    #[auto_timestamp]
    seconds: Option<UnixSeconds>,
    #[auto_timestamp]
    millis: Option<UnixMillis>,
    #[auto_timestamp]
    #[update_behavior(write_if_not_exists)]
    rfc_created: Option<DateTime<Utc>>,
    #[auto_timestamp]
    #[update_behavior(write_if_not_exists)]
    java_created: Option<JavaInstant>,
    #[auto_timestamp]
    #[update_behavior(write_if_not_exists)]
    pynamo_created: Option<PynamoDateTime>,
    #[auto_timestamp]
    #[update_behavior(write_if_not_exists)]
    seconds_created: Option<UnixSeconds>,
    #[auto_timestamp]
    #[update_behavior(write_if_not_exists)]
    millis_created: Option<UnixMillis>,
}

fn fresh(id: &str) -> Stamped {
    Stamped {
        id: id.into(),
        text: "first".into(),
        rfc: None,
        java: None,
        pynamo: None,
        seconds: None,
        millis: None,
        rfc_created: None,
        java_created: None,
        pynamo_created: None,
        seconds_created: None,
        millis_created: None,
    }
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.into())
}

fn n(text: &str) -> AttributeValue {
    AttributeValue::N(text.into())
}

/// What each format stores for [`at(minute)`](at), written out by hand.
fn stored(format: TimeFormat, minute: i64) -> AttributeValue {
    let seconds = 1_893_456_000 + 60 * minute;
    match format {
        TimeFormat::Rfc3339 => s(&format!("2030-01-01T00:{minute:02}:00.123000000Z")),
        TimeFormat::Java => s(&format!("2030-01-01T00:{minute:02}:00.123Z")),
        TimeFormat::Pynamo => s(&format!("2030-01-01T00:{minute:02}:00.123000+0000")),
        TimeFormat::Seconds => n(&seconds.to_string()),
        TimeFormat::Millis => n(&format!("{seconds}123")),
        other => panic!("no expectation for {other:?}"),
    }
}

const UPDATED: [(&str, TimeFormat); 5] = [
    ("rfc", TimeFormat::Rfc3339),
    ("java", TimeFormat::Java),
    ("pynamo", TimeFormat::Pynamo),
    ("seconds", TimeFormat::Seconds),
    ("millis", TimeFormat::Millis),
];

const CREATED: [(&str, TimeFormat); 5] = [
    ("rfc_created", TimeFormat::Rfc3339),
    ("java_created", TimeFormat::Java),
    ("pynamo_created", TimeFormat::Pynamo),
    ("seconds_created", TimeFormat::Seconds),
    ("millis_created", TimeFormat::Millis),
];

/// The raw item holds every updated-at at `updated` and every created-at at `created`, each
/// in its own format.
#[track_caller]
fn assert_stored(item: &ItemMap, updated: i64, created: i64) {
    for (names, minute) in [(UPDATED, updated), (CREATED, created)] {
        for (name, format) in names {
            assert_eq!(item.get(name), Some(&stored(format, minute)), "`{name}` in {item:?}");
        }
    }
}

/// The item as read holds the same times, each to the precision its type keeps.
#[track_caller]
fn assert_read(item: &Stamped, updated: i64, created: i64) {
    let (u, c) = (at(updated), at(created));
    assert_eq!(item.rfc, Some(u));
    assert_eq!(item.java, Some(JavaInstant::new(u)));
    assert_eq!(item.pynamo, Some(PynamoDateTime::new(u)));
    assert_eq!(item.seconds, Some(UnixSeconds::new(u)));
    assert_eq!(item.millis, Some(UnixMillis::new(u)));
    assert_eq!(item.rfc_created, Some(c));
    assert_eq!(item.java_created, Some(JavaInstant::new(c)));
    assert_eq!(item.pynamo_created, Some(PynamoDateTime::new(c)));
    assert_eq!(item.seconds_created, Some(UnixSeconds::new(c)));
    assert_eq!(item.millis_created, Some(UnixMillis::new(c)));
    // The seconds keep no fraction, the milliseconds keep it.
    assert_eq!(item.seconds.unwrap().timestamp_subsec_millis(), 0);
    assert_eq!(item.millis.unwrap().timestamp_subsec_millis(), 123);
}

async fn read(table: &Table<Stamped>, id: &str) -> Stamped {
    table
        .get(id)
        .consistent_read()
        .await
        .unwrap()
        .expect("the item is stored")
}

#[test]
fn the_schema_records_each_fields_format() {
    for (name, format) in UPDATED.into_iter().chain(CREATED) {
        let attribute = Stamped::TABLE.attribute(name).unwrap();
        assert!(
            attribute.has_tag(|t| matches!(t, Tag::AutoTimestamp { format: f, .. } if *f == format)),
            "{name}: {:?}",
            attribute.tags
        );
    }
}

#[tokio::test]
async fn put_stores_each_format_and_keeps_each_created_at() {
    let table = new_table::<Stamped>(&mapper(), "stamp-put").await;
    let written = table.put(&fresh("a")).return_item().await.unwrap();
    assert_stored(&raw_item(&table, "a").await, 0, 0);
    assert_read(&written, 0, 0);
    assert_eq!(read(&table, "a").await, written);

    // The item that was read, put again: every updated-at moves on, every created-at it
    // carries is kept.
    let again = table.put(&written).return_item().await.unwrap();
    assert_stored(&raw_item(&table, "a").await, 1, 0);
    assert_read(&again, 1, 0);
}

#[tokio::test]
async fn update_stores_each_format_and_created_ats_survive() {
    let table = new_table::<Stamped>(&mapper(), "stamp-update").await;
    let created = table.update(&fresh("a")).await.unwrap();
    assert_stored(&raw_item(&table, "a").await, 0, 0);
    assert_read(&created, 0, 0);

    // From a struct that never saw the stored created-ats: `if_not_exists` keeps them.
    let mut second = fresh("a");
    second.text = "second".into();
    let updated = table.update(&second).await.unwrap();
    let item = raw_item(&table, "a").await;
    assert_stored(&item, 1, 0);
    assert_eq!(item["text"], s("second"));
    assert_read(&updated, 1, 0);
}

#[tokio::test]
async fn patch_stores_each_format_and_a_patch_action_on_the_field_wins() {
    let table = new_table::<Stamped>(&mapper(), "stamp-patch").await;
    table.put(&fresh("a")).await.unwrap(); // minute 0
    let f = Stamped::fields();
    let patched = table.patch("a").set(&f.text, "patched").await.unwrap();
    assert_stored(&raw_item(&table, "a").await, 1, 0);
    assert_read(&patched, 1, 0);

    // The caller's own action on a timestamp is what is stored; the others move on.
    let chosen = Utc.with_ymd_and_hms(2001, 2, 3, 4, 5, 6).unwrap();
    let patched = table
        .patch("a")
        .set(&f.millis, UnixMillis::new(chosen))
        .set(&f.java, JavaInstant::new(chosen))
        .await
        .unwrap();
    let item = raw_item(&table, "a").await;
    assert_eq!(item["millis"], n("981173106000"));
    assert_eq!(item["java"], s("2001-02-03T04:05:06Z"));
    assert_eq!(item["rfc"], stored(TimeFormat::Rfc3339, 2));
    assert_eq!(item["pynamo"], stored(TimeFormat::Pynamo, 2));
    assert_eq!(item["seconds"], stored(TimeFormat::Seconds, 2));
    for (name, format) in CREATED {
        assert_eq!(item[name], stored(format, 0), "{name}");
    }
    assert_eq!(patched.millis, Some(UnixMillis::new(chosen)));
    assert_eq!(patched.java, Some(JavaInstant::new(chosen)));
}

#[tokio::test]
async fn a_batch_write_stores_each_format_and_keeps_each_created_at() {
    let table = new_table::<Stamped>(&mapper(), "stamp-batch").await;
    let written = table.put_all([fresh("a")]).await.unwrap();
    assert!(written.unprocessed.is_empty() && written.errors.is_empty());
    assert_stored(&raw_item(&table, "a").await, 0, 0);

    let mut stored_item = read(&table, "a").await;
    assert_read(&stored_item, 0, 0);
    stored_item.text = "again".into();
    let written = table.put_all([stored_item]).await.unwrap();
    assert!(written.unprocessed.is_empty() && written.errors.is_empty());
    let item = raw_item(&table, "a").await;
    assert_stored(&item, 1, 0);
    assert_eq!(item["text"], s("again"));
}

#[tokio::test]
async fn a_transaction_stores_each_format_and_keeps_each_created_at() {
    let mapper = mapper();
    let table = new_table::<Stamped>(&mapper, "stamp-tx").await;

    let mut tx = mapper.transact_write();
    tx.put(&table, &fresh("a"));
    tx.send().await.unwrap();
    assert_stored(&raw_item(&table, "a").await, 0, 0);

    // An update from a struct without the created-ats.
    let mut tx = mapper.transact_write();
    tx.update(&table, &fresh("a"));
    tx.send().await.unwrap();
    assert_stored(&raw_item(&table, "a").await, 1, 0);

    let f = Stamped::fields();
    let mut tx = mapper.transact_write();
    tx.patch(&table, "a").set(&f.text, "patched");
    tx.send().await.unwrap();
    assert_stored(&raw_item(&table, "a").await, 2, 0);

    // A put of the item that was read.
    let stored_item = read(&table, "a").await;
    assert_read(&stored_item, 2, 0);
    let mut tx = mapper.transact_write();
    tx.put(&table, &stored_item);
    tx.send().await.unwrap();
    let item = raw_item(&table, "a").await;
    assert_stored(&item, 3, 0);
    assert_eq!(item["text"], s("patched"));
}

/// The time types without `Option`: whatever the struct holds is replaced by now.
#[derive(Item, Debug, Clone, PartialEq)]
struct Required {
    #[partition_key]
    id: String,
    #[auto_timestamp]
    rfc: DateTime<Utc>,
    #[auto_timestamp]
    java: JavaInstant,
    #[auto_timestamp]
    pynamo: PynamoDateTime,
    #[auto_timestamp]
    seconds: UnixSeconds,
    #[auto_timestamp]
    millis: UnixMillis,
}

fn required(id: &str) -> Required {
    let epoch = DateTime::<Utc>::UNIX_EPOCH;
    Required {
        id: id.into(),
        rfc: epoch,
        java: epoch.into(),
        pynamo: epoch.into(),
        seconds: epoch.into(),
        millis: epoch.into(),
    }
}

#[tokio::test]
async fn required_time_fields_are_set_on_put_and_update() {
    let table = new_table::<Required>(&mapper(), "stamp-required").await;
    let written = table.put(&required("a")).return_item().await.unwrap();
    let check = |item: &ItemMap, minute: i64| {
        for (name, format) in UPDATED {
            assert_eq!(item[name], stored(format, minute), "{name}");
        }
    };
    check(&raw_item(&table, "a").await, 0);
    assert_eq!(written.rfc, at(0));
    assert_eq!(written.millis, UnixMillis::new(at(0)));

    let updated = table.update(&required("a")).await.unwrap();
    check(&raw_item(&table, "a").await, 1);
    assert_eq!(updated.seconds, UnixSeconds::new(at(1)));
    assert_eq!(updated.pynamo, PynamoDateTime::new(at(1)));
}

/// A clock beyond what text formats hold: the write is refused, naming the attribute, and
/// nothing is stored.
#[tokio::test]
async fn a_time_the_fields_format_cannot_hold_is_an_error_naming_the_attribute() {
    let far = Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap();
    let mapper = Mapper::builder(local::client())
        .extension(AutoTimestamps::with_clock(Arc::new(move || far)))
        .build();
    let table = new_table::<Stamped>(&mapper, "stamp-far").await;
    let error = table.put(&fresh("a")).await.unwrap_err();
    assert!(matches!(error, Error::Convert(_)), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("rfc") && message.contains("9999"), "{message}");
    assert!(raw_item(&table, "a").await.is_empty());
}
