//! Typed table operations against the local DynamoDB-compatible server: success and failure
//! paths of every operation.

use std::collections::HashSet;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, TimeZone, Utc};
use dynamodb_mapper::expr::{Condition, Expression, Path};
use dynamodb_mapper::testing::{self, StrictChecks};
use dynamodb_mapper::{Attributes, Cursor, Error, Item, Mapper, RefusalKind, Table};
use dynamodb_mapper_workspace::local::{self, Need};
use futures::TryStreamExt;

#[derive(Item, Debug, Clone, PartialEq)]
#[item(table = "orders", rename_all = "camelCase")]
struct Order {
    #[partition_key]
    customer: String,
    #[sort_key]
    order_id: String,
    #[index_sort_key("by_total")]
    total: u64,
    #[index_partition_key("by_status")]
    status: String,
    #[index_sort_key("by_status")]
    placed: DateTime<Utc>,
    note: Option<String>,
    tags: HashSet<String>,
}

/// A projection of `Order`.
#[derive(Attributes, Debug, Clone, PartialEq)]
#[item(rename_all = "camelCase")]
struct OrderSummary {
    order_id: String,
    total: u64,
}

fn order(customer: &str, n: u32) -> Order {
    Order {
        customer: customer.into(),
        order_id: format!("2024-01-{:02}#{n:03}", n % 28 + 1),
        total: u64::from(n) * 10,
        status: if n.is_multiple_of(2) { "open" } else { "shipped" }.into(),
        placed: Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::minutes(i64::from(n)),
        note: n.is_multiple_of(3).then(|| format!("note {n}")),
        tags: HashSet::from([format!("t{}", n % 4)]),
    }
}

async fn orders() -> Table<Order> {
    let mapper = Mapper::new(local::client());
    let table = mapper
        .table_named::<Order>(&local::unique_table_name("orders"))
        .unwrap();
    table.create_table().await.unwrap();
    table
}

#[tokio::test]
async fn put_then_get() {
    let table = orders().await;
    let o = order("ana", 3);
    table.put(&o).await.unwrap();
    // An eventually consistent read (the default) may miss a write it follows: read until it
    // shows, or the endpoint's deadline passes.
    let key = (o.customer.clone(), o.order_id.clone());
    let got = local::eventually(async || table.get(key.clone()).await.unwrap(), Option::is_some).await;
    assert_eq!(got, Some(o.clone()));
    let consistent = table.get(("ana", o.order_id.as_str())).consistent_read().await.unwrap();
    assert_eq!(consistent, Some(o));
    assert_eq!(table.get(("ana", "missing")).consistent_read().await.unwrap(), None);
}

#[tokio::test]
async fn get_with_projection() {
    let table = orders().await;
    let o = order("ana", 7);
    table.put(&o).await.unwrap();
    let summary: Option<OrderSummary> = table
        .get(("ana", o.order_id.as_str()))
        .project::<OrderSummary>()
        .consistent_read()
        .await
        .unwrap();
    assert_eq!(
        summary,
        Some(OrderSummary {
            order_id: o.order_id.clone(),
            total: 70
        })
    );
}

#[tokio::test]
async fn put_replaces_and_returns_the_old_item() {
    let table = orders().await;
    let mut o = order("ana", 1);
    assert_eq!(table.put(&o).return_old().await.unwrap(), None);
    let before = o.clone();
    o.total = 999;
    assert_eq!(table.put(&o).return_old().await.unwrap(), Some(before));
    assert_eq!(
        table
            .get(("ana", o.order_id.as_str()))
            .consistent_read()
            .await
            .unwrap()
            .unwrap()
            .total,
        999
    );
}

#[tokio::test]
async fn failed_put_condition_carries_the_stored_item() {
    let table = orders().await;
    let o = order("ana", 2);
    table.put(&o).await.unwrap();
    let mut other = o.clone();
    other.total = 1;
    let err = table
        .put(&other)
        .condition(Condition::attr("customer").not_exists())
        .await
        .unwrap_err();
    let Error::ConditionFailed(failed) = err else {
        panic!("expected ConditionFailed, got {err:?}")
    };
    assert_eq!(failed.item::<Order>().unwrap().unwrap(), o);
    // The write really was rejected.
    assert_eq!(
        table
            .get(("ana", o.order_id.as_str()))
            .consistent_read()
            .await
            .unwrap()
            .unwrap()
            .total,
        o.total
    );
    // A condition that holds lets the write through.
    table
        .put(&other)
        .condition(Condition::attr("total").eq(o.total))
        .await
        .unwrap();
    assert_eq!(
        table
            .get(("ana", o.order_id.as_str()))
            .consistent_read()
            .await
            .unwrap()
            .unwrap()
            .total,
        1
    );
}

#[tokio::test]
async fn update_sets_removes_and_returns_the_new_item() {
    let table = orders().await;
    let mut o = order("bob", 3);
    assert!(o.note.is_some());
    table.put(&o).await.unwrap();
    o.note = None;
    o.total = 12;
    let updated = table.update(&o).await.unwrap();
    assert_eq!(updated, o);
    let stored = table
        .get(("bob", o.order_id.as_str()))
        .consistent_read()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.note, None);
    assert_eq!(stored.total, 12);
}

#[tokio::test]
async fn update_with_ignore_nulls_keeps_stored_values() {
    let table = orders().await;
    let o = order("bob", 6);
    table.put(&o).await.unwrap();
    let mut partial = o.clone();
    partial.note = None;
    partial.tags.clear();
    partial.status = "closed".into();
    let updated = table.update(&partial).ignore_nulls().await.unwrap();
    assert_eq!(updated.note, o.note);
    assert_eq!(updated.tags, o.tags);
    assert_eq!(updated.status, "closed");
}

#[tokio::test]
async fn update_creates_a_missing_item_and_honours_conditions() {
    let table = orders().await;
    let o = order("cy", 4);
    assert_eq!(table.update(&o).await.unwrap(), o);
    let err = table
        .update(&o)
        .condition(Condition::attr("status").eq("cancelled"))
        .await
        .unwrap_err();
    let failed = err.as_condition_failed().expect("a failed condition");
    assert_eq!(failed.item::<Order>().unwrap().unwrap(), o);
}

#[tokio::test]
async fn delete_by_key_and_by_item() {
    let table = orders().await;
    let (a, b) = (order("dee", 1), order("dee", 2));
    table.put(&a).await.unwrap();
    table.put(&b).await.unwrap();
    table.delete(("dee", a.order_id.as_str())).await.unwrap();
    assert_eq!(
        table.get(("dee", a.order_id.as_str())).consistent_read().await.unwrap(),
        None
    );
    assert_eq!(table.delete_item(&b).return_old().await.unwrap(), Some(b.clone()));
    assert_eq!(
        table.get(("dee", b.order_id.as_str())).consistent_read().await.unwrap(),
        None
    );
    // Deleting what is not there succeeds, and returns nothing.
    assert_eq!(table.delete_item(&b).return_old().await.unwrap(), None);
}

#[tokio::test]
async fn failed_delete_condition_keeps_the_item() {
    let table = orders().await;
    let o = order("eve", 5);
    table.put(&o).await.unwrap();
    let err = table
        .delete_item(&o)
        .condition(Condition::attr("status").eq("open"))
        .await
        .unwrap_err();
    assert_eq!(err.as_condition_failed().unwrap().item::<Order>().unwrap().unwrap(), o);
    assert!(
        table
            .get(("eve", o.order_id.as_str()))
            .consistent_read()
            .await
            .unwrap()
            .is_some()
    );
    let missing = table
        .delete(("eve", "nothing"))
        .condition(Condition::attr("customer").exists())
        .await
        .unwrap_err();
    assert!(missing.as_condition_failed().unwrap().item_map().is_none());
}

async fn seeded(customer: &str, count: u32) -> (Table<Order>, Vec<Order>) {
    let table = orders().await;
    let mut all = Vec::new();
    for n in 0..count {
        let o = order(customer, n);
        table.put(&o).await.unwrap();
        all.push(o);
    }
    table.put(&order("someone-else", 1)).await.unwrap();
    all.sort_by(|a, b| a.order_id.cmp(&b.order_id));
    (table, all)
}

#[tokio::test]
async fn query_by_partition_and_every_sort_condition() {
    let (table, all) = seeded("fay", 10).await;
    let ids: Vec<&str> = all.iter().map(|o| o.order_id.as_str()).collect();
    let query_ids = |orders: Vec<Order>| orders.into_iter().map(|o| o.order_id).collect::<Vec<_>>();

    assert_eq!(
        query_ids(table.query("fay").consistent_read().all().await.unwrap()),
        ids
    );
    assert_eq!(
        query_ids(
            table
                .query("fay")
                .consistent_read()
                .sort_eq(ids[3])
                .all()
                .await
                .unwrap()
        ),
        [ids[3]]
    );
    assert_eq!(
        query_ids(
            table
                .query("fay")
                .consistent_read()
                .sort_lt(ids[2])
                .all()
                .await
                .unwrap()
        ),
        &ids[..2]
    );
    assert_eq!(
        query_ids(
            table
                .query("fay")
                .consistent_read()
                .sort_le(ids[2])
                .all()
                .await
                .unwrap()
        ),
        &ids[..3]
    );
    assert_eq!(
        query_ids(
            table
                .query("fay")
                .consistent_read()
                .sort_gt(ids[7])
                .all()
                .await
                .unwrap()
        ),
        &ids[8..]
    );
    assert_eq!(
        query_ids(
            table
                .query("fay")
                .consistent_read()
                .sort_ge(ids[7])
                .all()
                .await
                .unwrap()
        ),
        &ids[7..]
    );
    assert_eq!(
        query_ids(
            table
                .query("fay")
                .consistent_read()
                .sort_between(ids[2], ids[5])
                .all()
                .await
                .unwrap()
        ),
        &ids[2..=5]
    );
    let prefix = &ids[4][..10];
    let expected: Vec<&str> = ids.iter().copied().filter(|id| id.starts_with(prefix)).collect();
    assert_eq!(
        query_ids(
            table
                .query("fay")
                .consistent_read()
                .sort_begins_with(prefix)
                .all()
                .await
                .unwrap()
        ),
        expected
    );
    let mut reversed = ids.clone();
    reversed.reverse();
    assert_eq!(
        query_ids(table.query("fay").descending().consistent_read().all().await.unwrap()),
        reversed
    );
    assert!(table.query("nobody").all().await.unwrap().is_empty());
}

#[tokio::test]
async fn query_with_filter_and_projection() {
    let (table, all) = seeded("gus", 9).await;
    let open: Vec<Order> = table
        .query("gus")
        .consistent_read()
        .filter(
            Condition::attr("status")
                .eq("open")
                .and(Condition::attr("note").exists()),
        )
        .all()
        .await
        .unwrap();
    let expected: Vec<Order> = all
        .iter()
        .filter(|o| o.status == "open" && o.note.is_some())
        .cloned()
        .collect();
    assert_eq!(open, expected);
    let summaries: Vec<OrderSummary> = table
        .query("gus")
        .consistent_read()
        .project::<OrderSummary>()
        .all()
        .await
        .unwrap();
    assert_eq!(summaries.len(), 9);
    assert_eq!(summaries[0].order_id, all[0].order_id);
}

#[tokio::test]
async fn query_pages_lazily_across_many_pages() {
    let (table, all) = seeded("hal", 11).await;
    // Page by page, as an API handing an opaque cursor token to its clients would.
    let mut token: Option<String> = None;
    let mut pages = 0;
    let mut seen = Vec::new();
    loop {
        let mut query = table.query("hal").consistent_read().limit(3);
        if let Some(t) = token.take() {
            query = query.start_from(Cursor::from_token(&t).unwrap());
        }
        let page = query.page().await.unwrap();
        assert!(page.items.len() <= 3);
        pages += 1;
        seen.extend(page.items);
        match page.next {
            Some(next) => token = Some(next.to_token()),
            None => break,
        }
    }
    assert!(pages >= 4, "{pages} pages");
    assert_eq!(seen, all);
    // The stream fetches the same pages on demand.
    let streamed: Vec<Order> = table
        .query("hal")
        .consistent_read()
        .limit(3)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed, all);
    let page_sizes: Vec<usize> = table
        .query("hal")
        .consistent_read()
        .limit(4)
        .pages()
        .map_ok(|p| p.items.len())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(page_sizes.iter().sum::<usize>(), 11);
    assert!(page_sizes.len() >= 3);
}

#[tokio::test]
async fn query_global_and_local_indexes() {
    let (table, all) = seeded("ida", 8).await;
    // Global index: partition `status`, sort `placed`.
    let mut expected: Vec<Order> = all
        .iter()
        .filter(|o| o.status == "open" && o.placed >= Utc.with_ymd_and_hms(2024, 1, 1, 0, 3, 0).unwrap())
        .cloned()
        .collect();
    expected.sort_by_key(|o| o.placed);
    // Read until the writes show: no read of a global index is consistent.
    let by_status = table.index("by_status").unwrap();
    let open: Vec<Order> = local::eventually(
        async || {
            by_status
                .query("open")
                .sort_ge(Utc.with_ymd_and_hms(2024, 1, 1, 0, 3, 0).unwrap())
                .all()
                .await
                .unwrap()
        },
        |open| open.len() >= expected.len(),
    )
    .await;
    assert_eq!(open, expected);
    // Local index: the table's partition, sort `total`.
    let big: Vec<Order> = table
        .index("by_total")
        .unwrap()
        .query("ida")
        .consistent_read()
        .sort_gt(40u64)
        .descending()
        .all()
        .await
        .unwrap();
    let totals: Vec<u64> = big.iter().map(|o| o.total).collect();
    assert_eq!(totals, [70, 60, 50]);
    // Key values are checked against the index schema.
    let err = table
        .index("by_total")
        .unwrap()
        .query("ida")
        .sort_gt("text")
        .all()
        .await
        .unwrap_err();
    assert_eq!(err.as_refusal().unwrap().kind(), RefusalKind::InvalidKey, "{err}");
    assert!(matches!(table.index("nope"), Err(Error::Configuration(_))));
    // DynamoDB has no consistent reads on global indexes; local ones have them.
    let err = table
        .index("by_status")
        .unwrap()
        .query("open")
        .consistent_read()
        .all()
        .await
        .unwrap_err();
    assert_eq!(
        err.as_refusal().unwrap().kind(),
        RefusalKind::ConsistentReadOnGlobalIndex,
        "{err}"
    );
    assert_eq!(
        table
            .index("by_total")
            .unwrap()
            .query("ida")
            .consistent_read()
            .all()
            .await
            .unwrap()
            .len(),
        all.len()
    );
}

#[tokio::test]
async fn scan_with_filter_and_parallel_segments() {
    let (table, mut all) = seeded("jo", 20).await;
    all.push(order("someone-else", 1));
    let shipped: Vec<Order> = table
        .scan()
        .consistent_read()
        .filter(Condition::attr("status").eq("shipped"))
        .all()
        .await
        .unwrap();
    assert_eq!(shipped.len(), all.iter().filter(|o| o.status == "shipped").count());

    let mut parallel: Vec<Order> = table
        .scan()
        .consistent_read()
        .limit(2)
        .parallel(4)
        .try_collect()
        .await
        .unwrap();
    let key = |o: &Order| (o.customer.clone(), o.order_id.clone());
    parallel.sort_by_key(key);
    all.sort_by_key(key);
    // Every item exactly once.
    assert_eq!(parallel, all);
    let mut by_segment = 0;
    for segment in 0..4 {
        by_segment += table
            .scan()
            .consistent_read()
            .segment(segment, 4)
            .all()
            .await
            .unwrap()
            .len();
    }
    assert_eq!(by_segment, all.len());
    assert!(matches!(
        table.scan().segment(4, 4).all().await,
        Err(Error::Refused(r)) if r.kind() == RefusalKind::InvalidArgument
    ));
}

/// Attribute names that are reserved words or hold dots, dashes, `#` and `:`.
#[derive(Item, Debug, Clone, PartialEq)]
struct Awkward {
    #[partition_key]
    #[attribute(rename = "name")]
    name: String,
    #[sort_key]
    #[attribute(rename = "size")]
    size: u32,
    #[attribute(rename = "status")]
    status: String,
    #[attribute(rename = "a.b")]
    dotted: String,
    #[attribute(rename = "with-dash")]
    dashed: Option<String>,
    #[attribute(rename = "#hash:colon")]
    symbols: Option<u8>,
    #[attribute(rename = "values")]
    nested: std::collections::HashMap<String, String>,
}

#[tokio::test]
async fn reserved_words_and_odd_names() {
    let mapper = Mapper::new(local::client());
    let table = mapper
        .table_named::<Awkward>(&local::unique_table_name("awkward"))
        .unwrap();
    table.create_table().await.unwrap();
    let item = Awkward {
        name: "n".into(),
        size: 1,
        status: "ok".into(),
        dotted: "d".into(),
        dashed: Some("x".into()),
        symbols: Some(3),
        nested: [("key.with.dots".to_owned(), "v".to_owned())].into(),
    };
    table
        .put(&item)
        .condition(
            Condition::attr("name")
                .not_exists()
                .and(Condition::attr("a.b").not_exists()),
        )
        .await
        .unwrap();
    let mut changed = item.clone();
    changed.dashed = None;
    changed.status = "changed".into();
    let updated = table
        .update(&changed)
        .condition(
            Condition::attr("#hash:colon")
                .eq(3u8)
                .and(Condition::attr("with-dash").exists())
                .and(Condition::path(Path::attr("values").field("key.with.dots")).eq("v")),
        )
        .await
        .unwrap();
    assert_eq!(updated, changed);
    let found: Vec<Awkward> = table
        .query("n")
        .consistent_read()
        .sort_between(0u32, 5u32)
        .filter(
            Condition::attr("status")
                .eq("changed")
                .and(Condition::attr("a.b").size().eq(1)),
        )
        .all()
        .await
        .unwrap();
    assert_eq!(found, [changed.clone()]);
    table
        .delete_item(&changed)
        .condition(Condition::attr("size").eq(1u32))
        .await
        .unwrap();
    assert!(table.scan().consistent_read().all().await.unwrap().is_empty());
}

#[tokio::test]
async fn hand_written_expressions_merge_without_collisions() {
    let table = orders().await;
    let o = order("kim", 1);
    table.put(&o).await.unwrap();
    // The hand-written placeholders reuse the names the mapper generates; they are renamed.
    let raw = Expression::new("#n0 = :v0 AND size(#n1) > :v1")
        .name("#n0", "status")
        .name("#n1", "tags")
        .value(":v0", "shipped")
        .value(":v1", 0);
    let found = table
        .query("kim")
        .consistent_read()
        .filter(Condition::attr("total").eq(10u64).and(raw.into()))
        .all()
        .await
        .unwrap();
    assert_eq!(found, std::slice::from_ref(&o));
    // Mistakes in hand-written expressions are refused before anything is sent.
    let unused = Expression::new("#a = :b")
        .name("#a", "status")
        .value(":b", "x")
        .value(":c", "unused");
    let err = table.put(&o).condition(unused).await.unwrap_err();
    assert_eq!(err.as_refusal().unwrap().kind(), RefusalKind::Placeholders, "{err}");
}

#[tokio::test]
async fn errors_tell_missing_tables_and_invalid_requests_apart() {
    let mapper = Mapper::new(local::client());
    let missing = mapper
        .table_named::<Order>(&local::unique_table_name("missing"))
        .unwrap();
    let err = missing.get(("a", "b")).await.unwrap_err();
    assert!(matches!(err, Error::TableNotFound { .. }), "{err:?}");
    assert!(!missing.exists().await.unwrap());

    let table = orders().await;
    assert!(table.exists().await.unwrap());
    // DynamoDB refuses an empty string as a key: refused before sending.
    let mut bad = order("", 1);
    bad.customer = String::new();
    let err = table.put(&bad).await.unwrap_err();
    assert_eq!(err.as_refusal().unwrap().kind(), RefusalKind::EmptyKeyValue, "{err}");
    assert!(err.to_string().contains("`customer`"), "{err}");
    // What only DynamoDB checks comes back as `Validation`, showing DynamoDB's own message.
    if !local::can_check(Need::ExpressionValidation, "a malformed condition") {
        return;
    }
    let err = table
        .put(&order("c", 1))
        .condition(Expression::new("#t = = :v").name("#t", "total").value(":v", 1))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Validation { .. }), "{err:?}");
    assert!(!err.to_string().contains("unhandled error"), "{err}");
    assert!(err.to_string().to_lowercase().contains("syntax"), "{err}");
    assert!(std::error::Error::source(&err).is_some());
}

#[tokio::test]
async fn table_names_come_from_the_schema_or_the_caller() {
    let client = local::client();
    let mapper = Mapper::builder(client.clone())
        .table_prefix(local::unique_table_name("env"))
        .build();
    let table = mapper.table::<Order>().unwrap();
    assert!(table.name().ends_with("orders"));
    assert!(table.name().starts_with(&format!("{}-env-", local::table_prefix())));
    table.create_table().await.unwrap();
    // Every page: an account may hold more tables than one page lists.
    let mut names = Vec::new();
    let mut after = None;
    loop {
        let page = client
            .list_tables()
            .set_exclusive_start_table_name(after)
            .send()
            .await
            .unwrap();
        names.extend(page.table_names.unwrap_or_default());
        after = page.last_evaluated_table_name;
        if after.is_none() {
            break;
        }
    }
    assert!(names.contains(&table.name().to_owned()));
    table.delete_table().await.unwrap();
    // DynamoDB describes a deleted table as `DELETING` for a while.
    assert!(local::gone(&table).await);

    #[derive(Item)]
    struct Unnamed {
        #[partition_key]
        id: String,
    }
    let err = Mapper::new(client).table::<Unnamed>().unwrap_err();
    assert!(err.to_string().contains("#[item(table"), "{err}");
}

#[tokio::test]
async fn create_table_from_the_schema() {
    #[derive(Item)]
    #[item(table = "sagas", rename_all = "camelCase")]
    struct Saga {
        #[partition_key]
        #[index_partition_key("correlationIndex")]
        saga_name: String,
        #[sort_key]
        saga_id: String,
        #[index_sort_key("correlationIndex")]
        correlation_id: String,
        #[ttl]
        expires_at: Option<DateTime<Utc>>,
    }
    let client = local::client();
    let mapper = Mapper::new(client.clone());
    let table = mapper.table_named::<Saga>(&local::unique_table_name("sagas")).unwrap();
    table
        .create_table()
        .provisioned(5, 3)
        .stream(aws_sdk_dynamodb::types::StreamViewType::NewAndOldImages)
        .await
        .unwrap();
    let description = table.describe_table().await.unwrap();
    let throughput = description.provisioned_throughput().unwrap();
    assert_eq!(throughput.read_capacity_units(), Some(5));
    assert_eq!(throughput.write_capacity_units(), Some(3));
    assert_eq!(
        description.stream_specification().and_then(|s| s.stream_view_type()),
        Some(&aws_sdk_dynamodb::types::StreamViewType::NewAndOldImages)
    );
    // An index with its own `#[index_partition_key]` is global, even on the table's
    // partition key field; it gets the table's provisioned capacity.
    assert!(description.local_secondary_indexes().is_empty());
    let global = description.global_secondary_indexes();
    assert_eq!(global.len(), 1);
    assert_eq!(global[0].index_name(), Some("correlationIndex"));
    let index_keys: Vec<(&str, &str)> = global[0]
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type().as_str()))
        .collect();
    assert_eq!(index_keys, [("sagaName", "HASH"), ("correlationId", "RANGE")]);
    assert_eq!(
        global[0].provisioned_throughput().and_then(|t| t.read_capacity_units()),
        Some(5)
    );
    let ttl = client
        .describe_time_to_live()
        .table_name(table.name())
        .send()
        .await
        .unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), Some("expiresAt"));
    // DynamoDB may report `ENABLING` for up to an hour after time to live is turned on; the
    // local server turns it on at once.
    let status = ttl.time_to_live_status().map(|s| s.as_str());
    if local::is_local() {
        assert_eq!(status, Some("ENABLED"));
    } else {
        assert!(matches!(status, Some("ENABLED" | "ENABLING")), "{status:?}");
    }
    // Creating it twice is an error from DynamoDB, kept as the source.
    assert!(table.create_table().await.is_err());

    let orders = orders().await;
    // Only global indexes have a capacity of their own.
    let err = orders
        .create_table()
        .provisioned(1, 1)
        .index_capacity("by_total", 1, 1)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Configuration(_)), "{err}");
    let description = orders.describe_table().await.unwrap();
    assert_eq!(description.global_secondary_indexes().len(), 1);
    assert_eq!(description.local_secondary_indexes().len(), 1);
    assert_eq!(
        description.billing_mode_summary().and_then(|b| b.billing_mode()),
        Some(&aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
    );
}

#[tokio::test]
async fn every_request_passes_the_placeholder_check() {
    // Every client of the suite checks each request on the wire; this proves the check runs
    // and can fail.
    let table = orders().await;
    // Checks of this test's own, as the suite's counter moves with every test running.
    let checks = StrictChecks::new();
    let client = local::client_builder().strict_checks(&checks).build();
    let own = Mapper::new(client.clone()).table_named::<Order>(table.name()).unwrap();
    own.query("x")
        .filter(Condition::attr("status").eq("a"))
        .all()
        .await
        .unwrap();
    assert_eq!(checks.checked_requests(), 1);
    let err = client
        .scan()
        .table_name(table.name())
        .filter_expression("#s = :a")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":a", AttributeValue::S("a".into()))
        .expression_attribute_values(":unused", AttributeValue::S("b".into()))
        .send()
        .await
        .unwrap_err();
    let message = format!("{:?}", err);
    assert!(message.contains("declared but unused"), "{message}");
    assert_eq!(
        testing::refusal_in(&err).map(|r| r.kind()),
        Some(RefusalKind::Placeholders)
    );
    assert_eq!(
        checks.checked_requests(),
        1,
        "a refused request is not counted as passed"
    );
}

#[tokio::test]
async fn sparse_index_holds_only_items_with_the_key() {
    #[derive(Item, Debug, Clone, PartialEq)]
    struct Invite {
        #[partition_key]
        id: String,
        #[index_partition_key("by_referrer")]
        referrer: Option<String>,
    }
    let mapper = Mapper::new(local::client());
    let invites = mapper
        .table_named::<Invite>(&local::unique_table_name("invites"))
        .unwrap();
    invites.create_table().await.unwrap();
    for (id, referrer) in [("a", Some("ana")), ("b", None), ("c", Some("ana"))] {
        let invite = Invite {
            id: id.into(),
            referrer: referrer.map(Into::into),
        };
        invites.put(&invite).await.unwrap();
    }
    // A global index: read until the writes show.
    let by_referrer = invites.index("by_referrer").unwrap();
    let read = local::eventually(async || by_referrer.query("ana").all().await.unwrap(), |r| r.len() >= 2).await;
    let mut by_ana: Vec<String> = read.into_iter().map(|i| i.id).collect();
    by_ana.sort();
    assert_eq!(by_ana, ["a", "c"]);
    let scanned = local::eventually(async || by_referrer.scan().all().await.unwrap(), |r| r.len() >= 2).await;
    assert_eq!(scanned.len(), 2);
}

#[tokio::test]
async fn names_repeated_through_flatten_are_refused_when_the_table_is_made() {
    #[derive(dynamodb_mapper::Attributes, Debug, Clone, PartialEq)]
    struct Audit {
        note: String,
    }
    #[derive(Item, Debug, Clone, PartialEq)]
    struct Clash {
        #[partition_key]
        id: String,
        note: String,
        #[attribute(flatten)]
        audit: Audit,
    }
    let err = Mapper::new(local::client())
        .table_named::<Clash>("clashes")
        .unwrap_err();
    assert!(matches!(err, Error::Configuration(_)));
    assert!(err.to_string().contains("two attributes named `note`"), "{err}");
}

#[tokio::test]
async fn create_table_gives_each_index_its_declared_projection() {
    #[derive(Item)]
    #[item(table = "shipments", rename_all = "camelCase")]
    #[item(index(name = "by_carrier", projection = "keys_only"))]
    #[item(index(name = "by_day", include("weight", "destination")))]
    struct Shipment {
        #[partition_key]
        id: String,
        #[sort_key]
        leg: u32,
        #[index_partition_key("by_carrier")]
        carrier: String,
        #[index_partition_key("everything")]
        status: String,
        #[index_sort_key("by_day")]
        day: String,
        weight: u32,
        destination: String,
    }
    let mapper = Mapper::new(local::client());
    let table = mapper
        .table_named::<Shipment>(&local::unique_table_name("shipments"))
        .unwrap();
    table.create_table().await.unwrap();
    let description = table.describe_table().await.unwrap();
    let projection = |name: &str| {
        let global = description
            .global_secondary_indexes()
            .iter()
            .map(|i| (i.index_name(), i.projection()));
        let local = description
            .local_secondary_indexes()
            .iter()
            .map(|i| (i.index_name(), i.projection()));
        global
            .chain(local)
            .find(|(index, _)| *index == Some(name))
            .and_then(|(_, projection)| projection.cloned())
            .unwrap_or_else(|| panic!("index {name} has a projection"))
    };
    use aws_sdk_dynamodb::types::ProjectionType;
    assert_eq!(
        projection("by_carrier").projection_type(),
        Some(&ProjectionType::KeysOnly)
    );
    assert_eq!(projection("everything").projection_type(), Some(&ProjectionType::All));
    let by_day = projection("by_day");
    assert_eq!(by_day.projection_type(), Some(&ProjectionType::Include));
    let mut included = by_day.non_key_attributes().to_vec();
    included.sort();
    assert_eq!(included, ["destination", "weight"]);
}
