//! The change-stream reader on the local server's real stream (one shard): insert, modify,
//! remove in order; a checkpoint resumed with nothing lost or repeated, through serde; LATEST;
//! a table without a stream.

use std::time::Duration;

use aws_sdk_dynamodb::types::StreamViewType;
use dynamodb_mapper::stream::{ChangeKind, ChangeStream, Checkpoint, ShardPosition, StartAt, StreamErrorKind};
use dynamodb_mapper::{Error, Item, Mapper, Table};
use dynamodb_mapper_workspace::local::{self, Need};

/// Why these tests read only the local server's stream.
const LOCAL_STREAM: &str = "the tests' streams client signs for the local server's endpoint; DynamoDB Streams has an endpoint (and credentials) of its own";
use futures::StreamExt;

#[derive(Item, Debug, Clone, PartialEq)]
struct Product {
    #[partition_key]
    id: String,
    name: String,
    price: u32,
}

fn product(id: &str, price: u32) -> Product {
    Product {
        id: id.into(),
        name: format!("product {id}"),
        price,
    }
}

async fn table_with_stream() -> Table<Product> {
    let mapper = Mapper::new(local::client());
    let table = mapper
        .table_named::<Product>(&local::unique_table_name("reader"))
        .unwrap();
    table
        .create_table()
        .stream(StreamViewType::NewAndOldImages)
        .await
        .unwrap();
    table
}

/// The next `n` changes as (kind, id, old price, new price, sequence number), failing after
/// 10 s.
async fn take(
    changes: &mut ChangeStream<Product>,
    n: usize,
) -> Vec<(ChangeKind, String, Option<u32>, Option<u32>, String)> {
    let mut out = Vec::new();
    while out.len() < n {
        let next = tokio::time::timeout(Duration::from_secs(10), changes.next())
            .await
            .expect("a change within 10 s")
            .expect("the stream goes on")
            .expect("a readable change");
        out.push((
            next.kind,
            next.key.clone(),
            next.old.as_ref().map(|p| p.price),
            next.new.as_ref().map(|p| p.price),
            next.sequence_number.clone(),
        ));
    }
    out
}

/// Asserts that nothing more comes within `wait`.
async fn nothing_more(changes: &mut ChangeStream<Product>, wait: Duration) {
    if let Ok(next) = tokio::time::timeout(wait, changes.next()).await {
        panic!(
            "nothing more was expected, got {:?}",
            next.map(|c| c.map(|c| c.sequence_number))
        );
    }
}

fn fast(table: &Table<Product>) -> dynamodb_mapper::stream::ChangeReader<Product> {
    table
        .changes(&local::streams_client())
        .idle_delay(Duration::from_millis(5))
        .max_idle_delay(Duration::from_millis(20))
}

#[tokio::test]
async fn insert_modify_remove_in_order_with_their_images() {
    if local::skip_unless(Need::LocalServer(LOCAL_STREAM)) {
        return;
    }
    let table = table_with_stream().await;
    table.put(&product("p1", 10)).await.unwrap();
    table.put(&product("p1", 12)).await.unwrap();
    table.delete("p1").await.unwrap();
    let mut changes = fast(&table).stream();
    let seen = take(&mut changes, 3).await;
    let summary: Vec<_> = seen.iter().map(|(k, id, o, n, _)| (*k, id.as_str(), *o, *n)).collect();
    assert_eq!(
        summary,
        [
            (ChangeKind::Insert, "p1", None, Some(10)),
            (ChangeKind::Modify, "p1", Some(10), Some(12)),
            (ChangeKind::Remove, "p1", Some(12), None),
        ]
    );
    // The checkpoint stands at the last change yielded, in the one shard.
    let checkpoint = changes.checkpoint().clone();
    assert_eq!(checkpoint.len(), 1);
    let (shard, position) = checkpoint.shards().next().unwrap();
    assert_eq!(position, &ShardPosition::After(seen[2].4.clone()), "{shard}");
    assert!(changes.stream_arn().is_some());
    nothing_more(&mut changes, Duration::from_millis(200)).await;
}

#[tokio::test]
async fn a_checkpoint_resumes_with_nothing_lost_or_repeated() {
    if local::skip_unless(Need::LocalServer(LOCAL_STREAM)) {
        return;
    }
    let table = table_with_stream().await;
    for (i, price) in [1, 2, 3, 4].into_iter().enumerate() {
        table.put(&product(&format!("p{i}"), price)).await.unwrap();
    }
    let mut first = fast(&table).stream();
    let seen = take(&mut first, 2).await;
    assert_eq!(seen.iter().map(|s| s.3).collect::<Vec<_>>(), [Some(1), Some(2)]);
    // Saved as JSON, as a consumer would keep it, and the reader dropped.
    let saved = serde_json::to_string(first.checkpoint()).unwrap();
    drop(first);
    table.put(&product("p9", 9)).await.unwrap();

    let checkpoint: Checkpoint = serde_json::from_str(&saved).unwrap();
    let mut resumed = fast(&table).from_checkpoint(checkpoint).stream();
    let rest = take(&mut resumed, 3).await;
    assert_eq!(
        rest.iter().map(|s| s.3).collect::<Vec<_>>(),
        [Some(3), Some(4), Some(9)]
    );
    let mut sequences: Vec<&String> = seen.iter().chain(&rest).map(|s| &s.4).collect();
    sequences.dedup();
    assert_eq!(sequences.len(), 5, "no change read twice");
    nothing_more(&mut resumed, Duration::from_millis(200)).await;
}

#[tokio::test]
async fn latest_reads_only_changes_written_after_it_began() {
    if local::skip_unless(Need::LocalServer(LOCAL_STREAM)) {
        return;
    }
    let table = table_with_stream().await;
    table.put(&product("old", 1)).await.unwrap();
    let mut changes = fast(&table).start_at(StartAt::Latest).stream();
    // Nothing old comes; polling positions the reader at the newest end.
    nothing_more(&mut changes, Duration::from_millis(300)).await;
    assert!(
        changes.checkpoint().shards().all(|(_, p)| *p == ShardPosition::Latest),
        "{:?}",
        changes.checkpoint()
    );
    table.put(&product("new", 2)).await.unwrap();
    let seen = take(&mut changes, 1).await;
    assert_eq!((seen[0].1.as_str(), seen[0].3), ("new", Some(2)));
}

#[tokio::test]
async fn a_table_without_a_stream_is_a_clear_error() {
    let mapper = Mapper::new(local::client());
    let table = mapper
        .table_named::<Product>(&local::unique_table_name("nostream"))
        .unwrap();
    table.create_table().await.unwrap();
    let mut changes = table.changes(&local::streams_client()).stream();
    let error = changes.next().await.unwrap().expect_err("an error");
    match &error {
        Error::Stream(failure) => assert_eq!(failure.kind, StreamErrorKind::NoStream, "{error}"),
        other => panic!("unexpected {other:?}"),
    }
    assert!(error.to_string().contains("no enabled stream"), "{error}");
    assert!(changes.next().await.is_none(), "the stream ends after its error");
}
