//! The local DynamoDB of the tests, on the mapper's `testing` feature: one in-process server
//! ([`LocalDynamoDb::shared`]) per test binary, started on first use; each test makes its own
//! tables ([`unique_table_name`]), so tests run in parallel. Set `DYNAMODB_ENDPOINT` to run
//! against another server (moto, DynamoDB Local, or an account's endpoint) instead.
//!
//! Every client made here runs [`StrictChecks`] on each request: placeholders declared but
//! unused or used but undeclared, and DynamoDB's request limits, fail the request before it is
//! sent, whatever the server.

use std::sync::OnceLock;

use aws_sdk_dynamodb::Client;
use dynamodb_mapper::testing::{ClientBuilder, LocalDynamoDb, StrictChecks};
use dynamodb_mapper::{Item, ItemMap, KeyFrom, Mapper, Table};

pub use dynamodb_mapper::testing::unique_table_name;

/// The in-process server, unless `DYNAMODB_ENDPOINT` names another one.
pub fn local_server() -> Option<&'static LocalDynamoDb> {
    match std::env::var("DYNAMODB_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => None,
        _ => Some(LocalDynamoDb::shared()),
    }
}

/// The server's endpoint URL, starting the in-process server on first use.
pub fn endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| match local_server() {
        Some(server) => server.endpoint().to_owned(),
        None => std::env::var("DYNAMODB_ENDPOINT").expect("set"),
    })
}

fn checks() -> &'static StrictChecks {
    static CHECKS: OnceLock<StrictChecks> = OnceLock::new();
    CHECKS.get_or_init(StrictChecks::new)
}

/// A [`ClientBuilder`] for the server, sharing the suite's strict checks.
pub fn client_builder() -> ClientBuilder {
    ClientBuilder::new(endpoint()).strict_checks(checks())
}

/// An SDK client for the server, with the strict checks on every request.
pub fn client() -> Client {
    client_builder().build()
}

/// How many requests the strict checks have passed so far.
pub fn checked_requests() -> usize {
    checks().checked_requests()
}

/// Deletes the items whose time to live has passed, on the in-process server; `None` on
/// another server, which expires items in its own time.
pub fn expire_ttl() -> Option<usize> {
    local_server().map(|server| server.expire_ttl().expect("TTL sweep"))
}

/// Runs `future` to completion on a thread of its own, with a runtime of its own, and returns
/// its output: for tests whose synchronous code (a read-modify-write's change, say) must make
/// another writer act before it goes on.
pub fn block_on_elsewhere<F>(future: F) -> F::Output
where
    F: std::future::Future + Send,
    F::Output: Send,
{
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime")
                    .block_on(future)
            })
            .join()
            .expect("the other writer's thread")
    })
}

/// `T`'s table under a name no other test uses (starting with `prefix`), created and active.
pub async fn new_table<T: Item + 'static>(mapper: &Mapper, prefix: &str) -> Table<T> {
    let table = mapper
        .table_named::<T>(&unique_table_name(prefix))
        .expect("a table handle");
    table.create_table().await.expect("the table is created");
    table
}

/// Every item stored in `table`, read behind the mapper's back (a consistent scan, page by
/// page), exactly as DynamoDB holds it.
pub async fn raw_items<T: Item>(table: &Table<T>) -> Vec<ItemMap> {
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
            .expect("a raw scan");
        items.extend(page.items.unwrap_or_default());
        start = page.last_evaluated_key.filter(|k| !k.is_empty());
        if start.is_none() {
            return items;
        }
    }
}

/// The item stored under `key` in `table`, read behind the mapper's back (a consistent
/// `GetItem`), exactly as DynamoDB holds it; empty when there is none.
pub async fn raw_item<T: Item + KeyFrom<K>, K>(table: &Table<T>, key: K) -> ItemMap {
    table
        .mapper()
        .client()
        .get_item()
        .table_name(table.name())
        .set_key(Some(T::key_from(key).expect("a key")))
        .consistent_read(true)
        .send()
        .await
        .expect("a raw get")
        .item
        .unwrap_or_default()
}

/// A DynamoDB Streams client for the server (region `us-east-1`, test credentials).
pub fn streams_client() -> aws_sdk_dynamodbstreams::Client {
    let config = aws_sdk_dynamodbstreams::Config::builder()
        .behavior_version(aws_sdk_dynamodbstreams::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodbstreams::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodbstreams::config::Credentials::new(
            "test", "test", None, None, "tests",
        ))
        .endpoint_url(endpoint())
        .build();
    aws_sdk_dynamodbstreams::Client::from_conf(config)
}

/// Every record of `table`'s stream so far, read from the start of each shard, with the id of
/// its shard, in the order of each shard.
pub async fn stream_records<T: Item>(
    streams: &aws_sdk_dynamodbstreams::Client,
    table: &Table<T>,
) -> Vec<(String, aws_sdk_dynamodbstreams::types::Record)> {
    use aws_sdk_dynamodbstreams::types::ShardIteratorType;
    let listed = streams
        .list_streams()
        .table_name(table.name())
        .send()
        .await
        .expect("ListStreams");
    let arn = listed.streams()[0].stream_arn().expect("a stream ARN").to_owned();
    let described = streams
        .describe_stream()
        .stream_arn(&arn)
        .send()
        .await
        .expect("DescribeStream");
    let shards = described.stream_description().expect("a description").shards().to_vec();
    let mut out = Vec::new();
    for shard in shards {
        let shard_id = shard.shard_id().expect("a shard id").to_owned();
        let mut iterator = streams
            .get_shard_iterator()
            .stream_arn(&arn)
            .shard_id(&shard_id)
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .expect("GetShardIterator")
            .shard_iterator;
        while let Some(current) = iterator {
            let page = streams
                .get_records()
                .shard_iterator(current)
                .send()
                .await
                .expect("GetRecords");
            let records = page.records.unwrap_or_default();
            if records.is_empty() {
                break;
            }
            out.extend(records.into_iter().map(|r| (shard_id.clone(), r)));
            iterator = page.next_shard_iterator;
        }
    }
    out
}
