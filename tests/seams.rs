//! The operations' seams: owned builders and `'static` streams, patches, pages that survive a
//! bad item, counts, capacity meters, the limits refused before sending, and the error shapes.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use dynamodb_mapper::expr::{Condition, Path, UpdateExpression};
use dynamodb_mapper::extension::{AfterRead, AtomicCounters, Extension, ItemImage, VersionedRecords};
use dynamodb_mapper::ops::{CapacityMeter, ModifyError, WrittenItem};
use dynamodb_mapper::{Attributes, Cursor, Error, Item, ItemMap, Mapper, RefusalKind, Table};
use dynamodb_mapper_workspace::local;
use futures::StreamExt;

#[path = "../examples/custom_extension.rs"]
#[allow(dead_code)]
mod custom_extension;

#[derive(Item, Debug, Clone, PartialEq)]
struct Ticket {
    #[partition_key]
    project: String,
    #[sort_key]
    number: u32,
    #[index_partition_key("by_status")]
    status: String,
    title: String,
    tags: Option<Vec<String>>,
    #[version]
    version: Option<u64>,
    #[atomic_counter]
    edits: i64,
}

#[derive(Attributes, Debug, PartialEq)]
struct TicketTitle {
    title: String,
}

fn ticket(number: u32) -> Ticket {
    Ticket {
        project: "p".into(),
        number,
        status: if number.is_multiple_of(2) { "open" } else { "closed" }.into(),
        title: format!("ticket {number}"),
        tags: None,
        version: None,
        edits: 0,
    }
}

async fn tickets_with(mapper: &Mapper) -> Table<Ticket> {
    let table = mapper
        .table_named::<Ticket>(&local::unique_table_name("seams"))
        .unwrap();
    table.create_table().await.unwrap();
    table
}

async fn tickets() -> Table<Ticket> {
    tickets_with(&Mapper::new(local::client())).await
}

fn n(text: &str) -> AttributeValue {
    AttributeValue::N(text.into())
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.into())
}

/// The stored attributes, read behind the mapper's back.
async fn raw(table: &Table<Ticket>, number: u32) -> Option<ItemMap> {
    table
        .mapper()
        .client()
        .get_item()
        .table_name(table.name())
        .key("project", s("p"))
        .key("number", n(&number.to_string()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

/// A query stream that outlives the function that made it, as a handler returning a stream does.
fn open_tickets(table: Table<Ticket>) -> impl futures::Stream<Item = Result<Ticket, Error>> + Send + 'static {
    table
        .query("p")
        .consistent_read()
        .filter(Condition::attr("status").eq("open"))
        .limit(2)
        .stream()
}

#[tokio::test]
async fn builders_and_streams_are_owned() {
    let table = tickets().await;
    for number in 0..6 {
        table.put(&ticket(number)).await.unwrap();
    }
    let stream = open_tickets(table.clone());
    // Spawned: the stream is 'static and Send.
    let found: Vec<Ticket> = tokio::spawn(async move { stream.map(Result::unwrap).collect().await })
        .await
        .unwrap();
    assert_eq!(found.iter().map(|t| t.number).collect::<Vec<_>>(), [0, 2, 4]);
    // An operation future made from a temporary table handle is 'static too.
    let put = table.clone().put(&ticket(9));
    tokio::spawn(put.into_future()).await.unwrap().unwrap();
    let index = table.index("by_status").unwrap();
    // A global index: read until the writes show, as no read of one is consistent.
    let closed = local::eventually(
        async || tokio::spawn(index.query("closed").all()).await.unwrap().unwrap(),
        |closed| closed.len() >= 4,
    )
    .await;
    assert_eq!(closed.len(), 4);
    // count, on the table, a filter and an index.
    assert_eq!(table.query("p").consistent_read().count().await.unwrap(), 7);
    assert_eq!(table.query("p").consistent_read().limit(1).count().await.unwrap(), 7);
    assert_eq!(
        table
            .scan()
            .consistent_read()
            .filter(Condition::attr("status").eq("open"))
            .count()
            .await
            .unwrap(),
        3
    );
    let by_status = table.index("by_status").unwrap();
    let open = local::eventually(async || by_status.query("open").count().await.unwrap(), |n| *n >= 3).await;
    assert_eq!(open, 3);
}

#[tokio::test]
async fn patches_write_only_their_actions_through_the_extensions() {
    let table = tickets().await;
    let f = Ticket::fields();
    let mut stored = ticket(1);
    stored.tags = Some(vec!["a".into()]);
    table.put(&stored).await.unwrap();
    // Without the version read: the version moves on unchecked, the counter counts.
    let patched = table
        .patch(("p", 1u32))
        .set(&f.title, "renamed")
        .append(&f.tags, vec!["b".to_owned()])
        .await
        .unwrap();
    assert_eq!(patched.title, "renamed");
    assert_eq!(patched.tags.unwrap(), ["a", "b"]);
    assert_eq!(patched.version, Some(1));
    assert_eq!(patched.edits, 1);
    let item = raw(&table, 1).await.unwrap();
    assert_eq!(item["status"], s("closed"), "untouched attributes stay");
    assert_eq!(item["version"], n("1"));
    // With the version read: checked.
    let stale = table
        .patch(("p", 1u32))
        .set(&f.title, "stale")
        .expect_version(0u64)
        .await
        .unwrap_err();
    let failed = stale.as_condition_failed().expect("a version conflict");
    assert_eq!(failed.item::<Ticket>().unwrap().unwrap().title, "renamed");
    let fresh = table
        .patch(("p", 1u32))
        .remove(&f.tags)
        .expect_version(1u64)
        .await
        .unwrap();
    assert_eq!(fresh.tags, None);
    assert_eq!(fresh.edits, 2);
    assert_eq!(fresh.version, Some(2));
    // The untyped escape hatch still reaches any attribute; a patch that leaves the item
    // unreadable through it still happened: the error says so, names the attribute, and
    // carries the item's key.
    let mut remove_title = UpdateExpression::new();
    remove_title.remove(Path::attr("title"));
    let err = table.patch(("p", 1u32)).actions(remove_title).await.unwrap_err();
    let Error::WrittenButUnreadable { key, source, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        key,
        &ItemMap::from([("project".into(), s("p")), ("number".into(), n("1"))])
    );
    assert!(source.to_string().contains("title"), "{source}");
    assert!(!err.is_retryable());
    assert!(!raw(&table, 1).await.unwrap().contains_key("title"));
    table.patch(("p", 1u32)).set(&f.title, "back").await.unwrap();
    // A patch of a missing item writes nothing and says so.
    let err = table.patch(("p", 7u32)).set(&f.title, "new").await.unwrap_err();
    assert!(matches!(err, Error::ItemNotFound { .. }), "{err}");
    assert!(raw(&table, 7).await.is_none(), "no half item");
    // An upsert creates it, with the counter's start and the version's.
    let created = table
        .patch(("p", 7u32))
        .set(&f.title, "new")
        .set(&f.status, "open")
        .upsert()
        .await
        .unwrap();
    assert_eq!((created.version, created.edits), (Some(0), 0));
    let item = raw(&table, 7).await.unwrap();
    assert_eq!(item["version"], n("0"));
    assert_eq!(item["edits"], n("0"));
    // Two actions on overlapping paths are refused.
    let err = table
        .patch(("p", 1u32))
        .set(f.tags.at(0), "x")
        .set(&f.tags, vec!["y".to_owned()])
        .await
        .unwrap_err();
    assert_eq!(err.as_refusal().unwrap().kind(), RefusalKind::OverlappingPaths, "{err}");
}

#[tokio::test]
async fn one_bad_item_does_not_hide_the_rest() {
    let table = tickets().await;
    for number in 0..5 {
        table.put(&ticket(number)).await.unwrap();
    }
    // Item 2's title becomes a number, behind the mapper's back.
    table
        .mapper()
        .client()
        .update_item()
        .table_name(table.name())
        .key("project", s("p"))
        .key("number", n("2"))
        .update_expression("SET title = :n")
        .expression_attribute_values(":n", n("42"))
        .send()
        .await
        .unwrap();
    // The stream yields the error in the item's place and goes on.
    let results: Vec<Result<Ticket, Error>> = table.query("p").consistent_read().limit(2).stream().collect().await;
    assert_eq!(results.len(), 5);
    let numbers: Vec<Option<u32>> = results.iter().map(|r| r.as_ref().ok().map(|t| t.number)).collect();
    assert_eq!(numbers, [Some(0), Some(1), None, Some(3), Some(4)]);
    let Err(Error::UnreadableItem(bad)) = &results[2] else {
        panic!("{:?}", results[2])
    };
    assert_eq!(
        bad.key,
        HashMap::from([("project".to_owned(), s("p")), ("number".to_owned(), n("2"))])
    );
    assert!(bad.error.to_string().contains("`title`"), "{}", bad.error);
    // A page sets it aside and keeps its cursor.
    let first = table.query("p").consistent_read().limit(3).page().await.unwrap();
    assert_eq!(first.items.len(), 2);
    assert_eq!(first.unreadable.len(), 1);
    let cursor = Cursor::from_token(&first.next.expect("more pages").to_token()).unwrap();
    let rest = table
        .query("p")
        .consistent_read()
        .start_from(cursor)
        .all()
        .await
        .unwrap();
    assert_eq!(rest.iter().map(|t| t.number).collect::<Vec<_>>(), [3, 4]);
    // `all` fails at the bad item.
    assert!(matches!(
        table.query("p").consistent_read().all().await,
        Err(Error::UnreadableItem(_))
    ));
    // A projection that does not read the bad attribute is fine.
    let titles: Vec<TicketTitle> = table
        .scan()
        .consistent_read()
        .project::<TicketTitle>()
        .filter(Condition::attr("number").ne(2))
        .all()
        .await
        .unwrap();
    assert_eq!(titles.len(), 4);
}

#[tokio::test]
async fn a_projected_read_passes_a_checksum_extension() {
    use custom_extension::{Invoice, InvoiceSummary, VerifyChecksum};
    let extensions: Vec<Arc<dyn Extension>> = vec![Arc::new(VersionedRecords), Arc::new(VerifyChecksum)];
    let mapper = Mapper::builder(local::client()).extensions(extensions).build();
    let invoices = mapper.table_named::<Invoice>(&local::unique_table_name("sum")).unwrap();
    invoices.create_table().await.unwrap();
    let invoice = Invoice {
        number: "1".into(),
        customer: "ana".into(),
        amount_cents: 100,
        note: None,
        version: None,
    };
    invoices.put(&invoice).await.unwrap();
    let summary = invoices
        .get("1")
        .project::<InvoiceSummary>()
        .consistent_read()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(summary.amount_cents, 100);
    let scanned: Vec<InvoiceSummary> = invoices.scan().consistent_read().project().all().await.unwrap();
    assert_eq!(scanned.len(), 1);
    // The whole item is still verified.
    assert_eq!(
        invoices.get("1").consistent_read().await.unwrap().unwrap().customer,
        "ana"
    );
}

/// Refuses every item it reads, to show what survives a failing `after_read`.
struct RefuseReads;

impl Extension for RefuseReads {
    fn after_read(&self, cx: &mut AfterRead<'_>) -> Result<(), Error> {
        if cx.image() == ItemImage::Partial {
            return Ok(());
        }
        Err(Error::extension_with_source(
            "RefuseReads",
            "no reads",
            std::io::Error::other("the cause"),
        ))
    }
}

#[tokio::test]
async fn errors_after_the_write_are_told_apart() {
    let plain = Mapper::new(local::client());
    let table = tickets_with(&plain).await;
    let refusing = Mapper::builder(local::client()).extension(RefuseReads).build();
    let refused = refusing.table_named::<Ticket>(table.name()).unwrap();
    let written = table.put(&ticket(1)).return_item().await.unwrap();
    // The write happened; only reading it back failed: not retryable, carries the item's key.
    let err = refused.update(&written).await.unwrap_err();
    let Error::WrittenButUnreadable { key, source, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(!err.is_retryable());
    assert_eq!(key["number"], n("1"));
    assert!(matches!(**source, Error::Extension { .. }));
    assert!(
        std::error::Error::source(&**source).is_some(),
        "an extension error keeps its source"
    );
    assert_eq!(raw(&table, 1).await.unwrap()["version"], n("1"));
    // A failed condition stays a failed condition when after_read refuses its item.
    let err = refused.update(&written).await.unwrap_err();
    let failed = err.as_condition_failed().expect("a version conflict");
    assert!(failed.after_read_error().is_some());
    assert_eq!(failed.item_map().unwrap()["version"], n("1"), "the raw stored item");
    assert!(!err.is_retryable());
    // What a transaction wrote reads back through the same chain, and fails the same way.
    let mut tx = refusing.transact_write();
    let put = tx.put(&refused, &ticket(2)).handle();
    let committed = tx.await.unwrap();
    let err = committed.item(put).unwrap_err();
    let Error::WrittenButUnreadable { key, source, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(key["number"], n("2"));
    assert!(matches!(**source, Error::Extension { .. }));
    let mut tx = plain.transact_write();
    let put = tx.put(&table, &ticket(3)).handle();
    let committed = tx.await.unwrap();
    let WrittenItem::Known(read) = committed.item(put).unwrap() else {
        panic!("a put's item is known")
    };
    assert_eq!(read.number, 3);
}

#[tokio::test]
async fn read_modify_write_stops_when_the_change_refuses() {
    let table = tickets().await;
    table.put(&ticket(1)).await.unwrap();
    let result = table
        .read_modify_write(("p", 1u32), |t| {
            if t.status == "closed" {
                return Err("closed tickets are not edited");
            }
            t.title = "edited".into();
            Ok(())
        })
        .await;
    assert!(matches!(
        result,
        Err(ModifyError::Refused("closed tickets are not edited"))
    ));
    let item = raw(&table, 1).await.unwrap();
    assert_eq!(item["version"], n("0"), "nothing was written");
    assert_eq!(item["title"], s("ticket 1"));
    let edited = table
        .read_modify_write(("p", 1u32), |t| t.title = "ok".into())
        .await
        .unwrap();
    assert_eq!((edited.title.as_str(), edited.version), ("ok", Some(1)));
}

#[tokio::test]
async fn a_null_version_is_a_new_item() {
    let table = tickets().await;
    // boto3 writes Python's None as NULL.
    let mut item = ticket(1).to_item().unwrap();
    item.insert("version".into(), AttributeValue::Null(true));
    table
        .mapper()
        .client()
        .put_item()
        .table_name(table.name())
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
    let read = table.get(("p", 1u32)).consistent_read().await.unwrap().unwrap();
    assert_eq!(read.version, None);
    let updated = table.update(&read).await.unwrap();
    assert_eq!(updated.version, Some(0));
    // And a put of an item read with a NULL version, too.
    let mut item = ticket(2).to_item().unwrap();
    item.insert("version".into(), AttributeValue::Null(true));
    table
        .mapper()
        .client()
        .put_item()
        .table_name(table.name())
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
    let read = table.get(("p", 2u32)).consistent_read().await.unwrap().unwrap();
    table.put(&read).await.unwrap();
    assert_eq!(raw(&table, 2).await.unwrap()["version"], n("0"));
}

#[tokio::test]
async fn a_capacity_meter_adds_up_what_the_server_reports() {
    let table = tickets().await;
    let meter = CapacityMeter::new();
    table.put(&ticket(1)).capacity(&meter).await.unwrap();
    let after_put = meter.total();
    assert!(after_put > 0.0, "the put's capacity is recorded: {after_put}");
    table.get(("p", 1u32)).capacity(&meter).await.unwrap();
    let after_get = meter.total();
    assert!(after_get > after_put, "{after_get} after {after_put}");
    let page = table.query("p").capacity(&meter).page().await.unwrap();
    let units = page.consumed_capacity.expect("a metered page reports its capacity");
    assert!(units > 0.0);
    assert_eq!(
        meter.total(),
        after_get + units,
        "the meter added exactly the page's units"
    );
    // Without a meter (and without the mapper's setting) no capacity is asked for.
    let unmetered = table.query("p").page().await.unwrap();
    assert_eq!(unmetered.consumed_capacity, None);
}

#[tokio::test]
async fn the_default_extensions_stay_when_one_is_added() {
    let mapper = Mapper::builder(local::client()).extension(RefuseReads).build();
    let debug = format!("{mapper:?}");
    assert!(
        debug.contains("VersionedRecords") && debug.contains("AtomicCounters") && debug.contains("RefuseReads"),
        "{debug}"
    );
    let none = Mapper::builder(local::client())
        .extensions(Vec::<Arc<dyn Extension>>::new())
        .build();
    // Without versions, a table of a versioned type is refused.
    assert!(matches!(
        none.table::<custom_extension::Invoice>(),
        Err(Error::Configuration(_))
    ));
    let only_counters = Mapper::builder(local::client())
        .extensions([Arc::new(AtomicCounters) as Arc<dyn Extension>])
        .build();
    assert!(format!("{only_counters:?}").contains("[\"AtomicCounters\"]"));
}

/// A client whose endpoint refuses connections: a request that were sent would fail with a
/// dispatch error, so a `Refused` error proves nothing was sent.
fn unreachable() -> Mapper {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("k", "s", None, None, "test"))
        .endpoint_url("http://127.0.0.1:9")
        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
        .build();
    Mapper::new(aws_sdk_dynamodb::Client::from_conf(config))
}

#[tokio::test]
async fn limits_are_refused_before_sending() {
    let table = unreachable().table_named::<Ticket>("never-sent").unwrap();
    let kind = |err: Error| match err {
        Error::Refused(r) => r.kind(),
        other => panic!("expected a refusal, got {other:?}"),
    };
    // The endpoint really is unreachable.
    assert!(matches!(table.get(("p", 1u32)).await, Err(Error::NoAnswer { .. })));

    let mut empty_key = ticket(1);
    empty_key.project = String::new();
    assert_eq!(
        kind(table.put(&empty_key).await.unwrap_err()),
        RefusalKind::EmptyKeyValue
    );
    let mut empty_index_key = ticket(1);
    empty_index_key.status = String::new();
    let err = table.update(&empty_index_key).await.unwrap_err();
    assert!(err.to_string().contains("by_status"), "{err}");
    assert_eq!(kind(err), RefusalKind::EmptyKeyValue);
    // Reads by key too: a get, a delete, a transactional get.
    assert_eq!(
        kind(table.get(("", 1u32)).await.unwrap_err()),
        RefusalKind::EmptyKeyValue
    );
    assert_eq!(
        kind(table.delete(("", 1u32)).await.unwrap_err()),
        RefusalKind::EmptyKeyValue
    );
    let mut reads = table.mapper().transact_get();
    let _empty = reads.get(&table, ("", 1u32));
    assert_eq!(kind(reads.send().await.unwrap_err()), RefusalKind::EmptyKeyValue);
    let mut huge = ticket(1);
    huge.title = "x".repeat(400 * 1024);
    assert_eq!(kind(table.put(&huge).await.unwrap_err()), RefusalKind::ItemTooLarge);
    let many = Condition::attr("title").is_in((0..101).map(|i| i.to_string()));
    assert_eq!(
        kind(table.delete(("p", 1u32)).condition(many).await.unwrap_err()),
        RefusalKind::TooManyValues
    );
    let long = Condition::all((0..400).map(|i| Condition::attr("title").ne(i))).unwrap();
    assert_eq!(
        kind(table.put(&ticket(1)).condition(long).await.unwrap_err()),
        RefusalKind::ExpressionTooLarge
    );
    let on_key = table
        .query("p")
        .filter(Condition::attr("number").gt(1))
        .all()
        .await
        .unwrap_err();
    assert_eq!(kind(on_key), RefusalKind::FilterOnKey);
    let on_index_key = table
        .index("by_status")
        .unwrap()
        .query("open")
        .filter(Condition::attr("status").eq("open"))
        .all()
        .await
        .unwrap_err();
    assert_eq!(kind(on_index_key), RefusalKind::FilterOnKey);
    assert_eq!(
        kind(table.query("p").limit(0).all().await.unwrap_err()),
        RefusalKind::InvalidArgument
    );
    assert_eq!(
        kind(table.scan().limit(0).page().await.unwrap_err()),
        RefusalKind::InvalidArgument
    );
    let parallel: Vec<_> = table.scan().parallel(0).collect().await;
    assert_eq!(parallel.len(), 1);
    assert_eq!(
        kind(parallel.into_iter().next().unwrap().unwrap_err()),
        RefusalKind::InvalidArgument
    );
    let too_many: Vec<_> = table.scan().parallel(u32::MAX).collect().await;
    assert_eq!(too_many.len(), 1, "refused before any segment is made");
    assert_eq!(
        kind(too_many.into_iter().next().unwrap().unwrap_err()),
        RefusalKind::InvalidArgument
    );
    assert_eq!(kind(Cursor::from_token("zz").unwrap_err()), RefusalKind::BadCursor);
    let long_key = "k".repeat(2049);
    assert_eq!(
        kind(table.query(long_key).all().await.unwrap_err()),
        RefusalKind::KeyTooLarge
    );
    let consistent = table
        .index("by_status")
        .unwrap()
        .query("open")
        .consistent_read()
        .all()
        .await;
    assert_eq!(kind(consistent.unwrap_err()), RefusalKind::ConsistentReadOnGlobalIndex);
    let wrong_type = table.index("by_status").unwrap().query(7).all().await.unwrap_err();
    assert_eq!(kind(wrong_type), RefusalKind::InvalidKey);
}

#[derive(Item, Debug, Clone, PartialEq)]
struct Gauge {
    #[partition_key]
    id: String,
    #[atomic_counter(start = 250, inc = 5)]
    hits: u8,
    #[atomic_counter(start = -124, inc = -4)]
    drops: i8,
}

#[tokio::test]
async fn a_counter_at_its_types_limit_is_guarded() {
    let mapper = Mapper::new(local::client());
    let gauges = mapper.table_named::<Gauge>(&local::unique_table_name("gauge")).unwrap();
    gauges.create_table().await.unwrap();
    let gauge = Gauge {
        id: "g".into(),
        hits: 0,
        drops: 0,
    };
    gauges.put(&gauge).await.unwrap();
    let once = gauges.update(&gauge).await.unwrap();
    assert_eq!((once.hits, once.drops), (255, -128));
    // 255 + 5 does not fit a u8, nor -128 - 4 an i8: refused by the server, nothing written.
    let err = gauges.update(&gauge).await.unwrap_err();
    let failed = err.as_condition_failed().expect("the guard held the counter");
    assert_eq!(failed.item::<Gauge>().unwrap().unwrap(), once);
    let stored = gauges.get("g").consistent_read().await.unwrap().unwrap();
    assert_eq!(stored, once);
}
