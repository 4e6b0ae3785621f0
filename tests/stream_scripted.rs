//! The change-stream reader against a scripted DynamoDB Streams endpoint: lineage and a split
//! while reading, a closed shard, a shard listing over two pages, the DescribeStream rate, an
//! expired iterator mid-shard, throttling, trimmed records.

use std::time::Duration;

use dynamodb_mapper::stream::{ChangeReader, Checkpoint, ShardPosition, StreamErrorKind, Trimmed};
use dynamodb_mapper::testing::{ClientBuilder, SCRIPTED_STREAM_ARN, ScriptedStream};
use dynamodb_mapper::{Error, Item, Mapper, RetryPolicy};
use futures::StreamExt;
use serde_json::json;

#[derive(Item, Debug, Clone, PartialEq)]
#[item(table = "scripted")]
struct Event {
    #[partition_key]
    id: String,
    n: u32,
}

fn add(stream: &ScriptedStream, shard: &str, id: &str, n: u32) -> String {
    stream.insert(
        shard,
        json!({"id": {"S": id}}),
        json!({"id": {"S": id}, "n": {"N": n.to_string()}}),
    )
}

fn reader(stream: &ScriptedStream) -> ChangeReader<Event> {
    // The DynamoDB client is never called: the stream's ARN is given.
    let mapper = Mapper::new(ClientBuilder::new("http://127.0.0.1:9").build());
    mapper
        .table::<Event>()
        .expect("a table handle")
        .changes(&stream.client())
        .stream_arn(SCRIPTED_STREAM_ARN)
        .idle_delay(Duration::from_millis(1))
        .max_idle_delay(Duration::from_millis(5))
        .describe_interval(Duration::from_millis(20))
        .retry_policy(
            RetryPolicy::default()
                .base_delay(Duration::from_millis(1))
                .max_delay(Duration::from_millis(5)),
        )
}

/// Reads until the stream ends (all shards closed and read), or `n` items, within 10 s.
async fn read(
    changes: &mut dynamodb_mapper::stream::ChangeStream<Event>,
    n: usize,
) -> Vec<Result<(String, u32, String), Error>> {
    let mut out = Vec::new();
    while out.len() < n {
        match tokio::time::timeout(Duration::from_secs(10), changes.next())
            .await
            .expect("within 10 s")
        {
            Some(item) => out.push(item.map(|c| {
                (
                    c.shard_id.clone().unwrap(),
                    c.new.as_ref().unwrap().n,
                    c.sequence_number.clone(),
                )
            })),
            None => break,
        }
    }
    out
}

#[tokio::test]
async fn parents_before_children_across_a_split_and_two_listing_pages() {
    let stream = ScriptedStream::new();
    // root (closed) → a (splits while read into a1, a2); b is independent and closed.
    stream.shard("root", None).close("root");
    stream.shard("a", Some("root"));
    stream.shard("b", None).close("b");
    stream.split_when_read("a", &["a1", "a2"]);
    add(&stream, "root", "r", 1);
    add(&stream, "root", "r", 2);
    add(&stream, "a", "x", 3);
    add(&stream, "b", "y", 10);
    add(&stream, "a1", "x", 4);
    add(&stream, "a2", "z", 5);
    stream.close("a1").close("a2");
    stream
        .shards_per_page(2)
        .records_per_page(1)
        .throttle("DescribeStream", 1);

    let mut changes = reader(&stream).max_concurrent_shards(2).stream();
    let seen: Vec<(String, u32, String)> = read(&mut changes, 100).await.into_iter().map(Result::unwrap).collect();
    let order: Vec<(&str, u32)> = seen.iter().map(|(s, n, _)| (s.as_str(), *n)).collect();
    assert_eq!(seen.len(), 6, "{order:?}");
    let at = |n: u32| order.iter().position(|(_, m)| *m == n).unwrap();
    assert!(at(1) < at(2) && at(2) < at(3), "root before its child a: {order:?}");
    assert!(
        at(3) < at(4) && at(3) < at(5),
        "a before its children a1, a2: {order:?}"
    );
    // Every shard read to its end; the stream ended by itself (all closed).
    let checkpoint = changes.checkpoint();
    assert!(
        checkpoint.position("root").is_none(),
        "root dropped: its child has an entry"
    );
    assert!(
        checkpoint.position("a").is_none(),
        "a dropped: both children have entries"
    );
    assert_eq!(checkpoint.position("a1"), Some(&ShardPosition::Finished));
    assert_eq!(checkpoint.position("b"), Some(&ShardPosition::Finished));
    // The listing came over pages of two shards; one throttled call was retried; calls
    // stayed at least the describe interval apart.
    let describes: Vec<_> = stream
        .requests()
        .into_iter()
        .filter(|r| r.operation == "DescribeStream")
        .collect();
    assert!(describes.len() >= 3, "{}", describes.len());
    assert!(describes[0].failed && !describes[1].failed);
    for pair in describes.windows(2) {
        assert!(pair[1].at.duration_since(pair[0].at) >= Duration::from_millis(20));
    }
    assert_eq!(stream.requests_of("GetShardIterator", Some("a1")), 1);
}

#[tokio::test]
async fn an_expired_iterator_and_throttling_lose_and_repeat_nothing() {
    let stream = ScriptedStream::new();
    stream.shard("s", None);
    let sequences: Vec<String> = (1..=5).map(|n| add(&stream, "s", "k", n)).collect();
    stream
        .close("s")
        .records_per_page(2)
        .expire_iterator_after("s", 1)
        .throttle("GetRecords", 2);
    let mut changes = reader(&stream).stream();
    let seen: Vec<_> = read(&mut changes, 100).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(seen.iter().map(|s| s.1).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
    // Renewed after the last record read: two iterators, the second after sequence 2.
    assert_eq!(stream.requests_of("GetShardIterator", Some("s")), 2);
    assert_eq!(seen[1].2, sequences[1]);
    // 2 throttled + 1 expired + 3 pages.
    assert_eq!(stream.requests_of("GetRecords", Some("s")), 6);
}

#[tokio::test]
async fn trimmed_records_are_an_error_unless_told_to_go_on_from_the_oldest() {
    let stream = ScriptedStream::new();
    stream.shard("s", None);
    let first = add(&stream, "s", "k", 1);
    for n in 2..=4 {
        add(&stream, "s", "k", n);
    }
    stream.close("s").trim("s", 2);
    let mut checkpoint = Checkpoint::new();
    checkpoint.set("s", ShardPosition::After(first));

    let mut changes = reader(&stream).from_checkpoint(checkpoint.clone()).stream();
    let outcome = read(&mut changes, 100).await;
    assert_eq!(outcome.len(), 1);
    let error = outcome.into_iter().next().unwrap().unwrap_err();
    match &error {
        Error::Stream(failure) => assert_eq!(failure.kind, StreamErrorKind::Trimmed),
        other => panic!("unexpected {other:?}"),
    }
    assert!(error.to_string().contains("trimmed"), "{error}");

    let mut changes = reader(&stream)
        .from_checkpoint(checkpoint)
        .on_trimmed(Trimmed::FromOldest)
        .stream();
    let seen: Vec<_> = read(&mut changes, 100).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(seen.iter().map(|s| s.1).collect::<Vec<_>>(), [3, 4]);
}

#[tokio::test]
async fn a_checkpoint_resumes_across_a_split_with_nothing_lost_or_repeated() {
    let stream = ScriptedStream::new();
    // root (closed, 2 records) split into c1 and c2 (closed, 2 records each).
    stream.shard("root", None);
    stream.shard("c1", Some("root"));
    stream.shard("c2", Some("root"));
    add(&stream, "root", "r", 1);
    add(&stream, "root", "r", 2);
    add(&stream, "c1", "x", 3);
    add(&stream, "c1", "x", 4);
    add(&stream, "c2", "y", 5);
    add(&stream, "c2", "y", 6);
    stream.close("root").close("c1").close("c2").records_per_page(1);

    // Stop after every number of changes, save the checkpoint (as JSON), resume from it: the
    // changes before and after add up to all six, each once, parents before children.
    for stop in 1..=5 {
        let mut changes = reader(&stream).stream();
        let first: Vec<u32> = read(&mut changes, stop)
            .await
            .into_iter()
            .map(|c| c.unwrap().1)
            .collect();
        assert_eq!(first.len(), stop);
        let saved = serde_json::to_string(changes.checkpoint()).unwrap();
        drop(changes);
        let checkpoint: Checkpoint = serde_json::from_str(&saved).unwrap();
        let mut resumed = reader(&stream).from_checkpoint(checkpoint).stream();
        let rest: Vec<u32> = read(&mut resumed, 100)
            .await
            .into_iter()
            .map(|c| c.unwrap().1)
            .collect();
        let mut all: Vec<u32> = first.iter().chain(&rest).copied().collect();
        let order = all.clone();
        all.sort_unstable();
        assert_eq!(
            all,
            [1, 2, 3, 4, 5, 6],
            "stopped after {stop}: {first:?} then {rest:?} ({saved})"
        );
        let at = |n: u32| order.iter().position(|m| *m == n).unwrap();
        assert!(at(1) < at(2) && at(2) < at(3) && at(2) < at(5), "{order:?}");
        assert!(at(3) < at(4) && at(5) < at(6), "{order:?}");
    }
}
