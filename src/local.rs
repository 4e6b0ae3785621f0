//! The DynamoDB of the tests, on the mapper's `testing` feature: one in-process server
//! ([`LocalDynamoDb::shared`]) per test binary, started on first use; each test makes its own
//! tables ([`unique_table_name`]), so tests run in parallel. Set `DYNAMODB_ENDPOINT` to run
//! against another server (moto, DynamoDB Local, or an account's endpoint) instead, and
//! `DYNAMODB_ENDPOINT_KIND` to say which when the URL does not ([`EndpointKind`]).
//!
//! Every client made here runs [`StrictChecks`] on each request: placeholders declared but
//! unused or used but undeclared, and DynamoDB's request limits, fail the request before it is
//! sent, whatever the server.
//!
//! What holds on every endpoint: a test reads its own writes consistently (`consistent_read`,
//! [`raw_item`], [`raw_items`]); a read of a global index, which DynamoDB updates after the
//! write returns, goes through [`eventually`]; a deleted table is waited for ([`gone`]). What
//! an endpoint cannot do, a test skips with a printed reason ([`skip_unless`]).

use std::io::Write;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::Credentials;
use dynamodb_mapper::testing::{ClientBuilder, LocalDynamoDb, StrictChecks};
use dynamodb_mapper::{Item, ItemMap, KeyFrom, Mapper, Table};

/// What serves the tests' requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointKind {
    /// The in-process server of each test binary (`DYNAMODB_ENDPOINT` unset): every test runs.
    Local,
    /// DynamoDB in an account: `DYNAMODB_ENDPOINT_KIND=aws`, or an endpoint under
    /// `amazonaws.com`. Signed with the credentials and region of the environment.
    Aws,
    /// moto's server (`DYNAMODB_ENDPOINT_KIND=moto`): no atomic conditional writes, no client
    /// request tokens, numbers stored as written.
    Moto,
    /// DynamoDB Local (`DYNAMODB_ENDPOINT_KIND=dynamodb-local`): taken to behave as an account
    /// does, but for the time to live sweep.
    DynamoDbLocal,
    /// Another emulator (`DYNAMODB_ENDPOINT_KIND=emulator`, or any other endpoint): taken to
    /// lack what moto lacks.
    Emulator,
}

impl EndpointKind {
    fn name(self) -> &'static str {
        match self {
            EndpointKind::Local => "the in-process local server",
            EndpointKind::Aws => "DynamoDB",
            EndpointKind::Moto => "moto",
            EndpointKind::DynamoDbLocal => "DynamoDB Local",
            EndpointKind::Emulator => "an emulator",
        }
    }
}

/// What the endpoint is (see [`EndpointKind`]); read from the environment once.
pub fn endpoint_kind() -> EndpointKind {
    static KIND: OnceLock<EndpointKind> = OnceLock::new();
    *KIND.get_or_init(|| {
        let Some(endpoint) = other_endpoint() else {
            return EndpointKind::Local;
        };
        match std::env::var("DYNAMODB_ENDPOINT_KIND").unwrap_or_default().as_str() {
            "aws" => EndpointKind::Aws,
            "moto" => EndpointKind::Moto,
            "dynamodb-local" => EndpointKind::DynamoDbLocal,
            "emulator" => EndpointKind::Emulator,
            "" if host(&endpoint).ends_with(".amazonaws.com") => EndpointKind::Aws,
            "" => EndpointKind::Emulator,
            other => panic!("DYNAMODB_ENDPOINT_KIND={other}: expected aws, moto, dynamodb-local or emulator"),
        }
    })
}

/// Whether the tests run against the in-process server.
pub fn is_local() -> bool {
    endpoint_kind() == EndpointKind::Local
}

fn other_endpoint() -> Option<String> {
    std::env::var("DYNAMODB_ENDPOINT").ok().filter(|e| !e.is_empty())
}

fn host(endpoint: &str) -> &str {
    let rest = endpoint.split_once("://").map_or(endpoint, |(_, rest)| rest);
    rest.split(['/', ':']).next().unwrap_or(rest)
}

/// What a test needs that not every endpoint has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Something only the in-process server does (expiring items on demand, a fresh server
    /// of the test's own, its answers' exact shape): what, and why DynamoDB cannot show it.
    LocalServer(&'static str),
    /// Each write of an item applied atomically, its condition and update expression with it:
    /// of concurrent conditional writes at most one succeeds, and concurrent updates lose
    /// nothing.
    AtomicWrites,
    /// A transaction's client request token honoured: a resend within ten minutes applies
    /// nothing again.
    ClientRequestTokens,
    /// Numbers stored normalised (`1.50` read back as `1.5`).
    NormalisedNumbers,
    /// A malformed expression answered with DynamoDB's `ValidationException` (moto answers
    /// HTTP 500).
    ExpressionValidation,
    /// `begins_with` evaluated on a binary attribute (moto finds no binary prefix).
    BinaryBeginsWith,
    /// One key in two tables of a batch write taken as two items (moto at times refuses them
    /// as duplicates).
    SameKeyInTwoTables,
}

impl Need {
    fn met_by(self, kind: EndpointKind) -> bool {
        match (self, kind) {
            (_, EndpointKind::Local) => true,
            (Need::LocalServer(_), _) => false,
            (_, EndpointKind::Aws | EndpointKind::DynamoDbLocal) => true,
            (_, EndpointKind::Moto | EndpointKind::Emulator) => false,
        }
    }

    fn reason(self) -> String {
        match self {
            Need::LocalServer(why) => format!("needs the in-process local server: {why}"),
            Need::AtomicWrites => "needs each write of an item applied atomically".into(),
            Need::ClientRequestTokens => "needs client request tokens honoured".into(),
            Need::NormalisedNumbers => "needs numbers stored normalised".into(),
            Need::ExpressionValidation => "needs a malformed expression answered as DynamoDB does".into(),
            Need::BinaryBeginsWith => "needs begins_with evaluated on binary values".into(),
            Need::SameKeyInTwoTables => "needs one key in two tables of a batch taken as two items".into(),
        }
    }
}

/// Whether the calling test must stop because the endpoint lacks `need`; if so, says why on
/// the standard error, past the test harness's capture, so the run's output shows every skip:
///
/// ```ignore
/// if local::skip_unless(Need::AtomicWrites) {
///     return;
/// }
/// ```
pub fn skip_unless(need: Need) -> bool {
    let kind = endpoint_kind();
    if need.met_by(kind) {
        return false;
    }
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let line = format!("skipped on {}: {test}: {}\n", kind.name(), need.reason());
    // Written to the handle, not with `eprintln!`, which the harness captures.
    let _ = std::io::stderr().write_all(line.as_bytes());
    true
}

/// Whether the endpoint can show what one check of a test needs; if not, says so as
/// [`skip_unless`] does, naming the check, and the test goes on without it:
///
/// ```ignore
/// if local::can_check(Need::NormalisedNumbers, "1E+2 read back as 100") {
///     assert_eq!(stored["value"], n("100"));
/// }
/// ```
pub fn can_check(need: Need, check: &str) -> bool {
    let kind = endpoint_kind();
    if need.met_by(kind) {
        return true;
    }
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let line = format!("not checked on {}: {test}: {check}: {}\n", kind.name(), need.reason());
    let _ = std::io::stderr().write_all(line.as_bytes());
    false
}

/// How long [`eventually`] and [`gone`] wait for an endpoint to catch up: not at all on the
/// in-process server, which applies a write to its indexes and deletes a table before it
/// answers; a minute elsewhere (`DYNAMODB_WAIT_SECS` to change it).
pub fn catch_up_deadline() -> Duration {
    if is_local() {
        return Duration::ZERO;
    }
    let seconds = std::env::var("DYNAMODB_WAIT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    Duration::from_secs(seconds)
}

/// Reads with `read` until `done` holds of what it read or the [`catch_up_deadline`] passes,
/// and returns the last read: for what an endpoint may show late, as a global index (which no
/// read sees consistently). The test then asserts on the value as it would have on a single
/// read, so a wrong result still fails, with what was last read; on the in-process server it
/// is a single read.
pub async fn eventually<T>(mut read: impl AsyncFnMut() -> T, done: impl Fn(&T) -> bool) -> T {
    let deadline = Instant::now() + catch_up_deadline();
    let mut pause = Duration::from_millis(50);
    loop {
        let value = read().await;
        if done(&value) || Instant::now() >= deadline {
            return value;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}

/// For a fixture read many times after its writes: waits until `count` (a count of a global
/// index's items, say) reaches `expected` or the [`catch_up_deadline`] passes, and returns the
/// last count, for the caller to assert. Away from the in-process server it then waits a
/// second more, as one read seeing the writes does not prove every copy of the index has them.
pub async fn settled(mut count: impl AsyncFnMut() -> u64, expected: u64) -> u64 {
    let counted = eventually(async || count().await, |n| *n >= expected).await;
    if !is_local() {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    counted
}

/// Whether `table` is gone, waiting up to the [`catch_up_deadline`] for a deleted table (which
/// DynamoDB describes as `DELETING` for a while) to disappear.
pub async fn gone<T: Item>(table: &Table<T>) -> bool {
    !eventually(async || table.exists().await.expect("DescribeTable"), |exists| !exists).await
}

/// The in-process server, unless `DYNAMODB_ENDPOINT` names another one.
pub fn local_server() -> Option<&'static LocalDynamoDb> {
    match other_endpoint() {
        Some(_) => None,
        None => Some(LocalDynamoDb::shared()),
    }
}

/// The server's endpoint URL, starting the in-process server on first use.
pub fn endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| match local_server() {
        Some(server) => server.endpoint().to_owned(),
        None => other_endpoint().expect("set"),
    })
}

fn checks() -> &'static StrictChecks {
    static CHECKS: OnceLock<StrictChecks> = OnceLock::new();
    CHECKS.get_or_init(StrictChecks::new)
}

/// A [`ClientBuilder`] for the server, sharing the suite's strict checks. For DynamoDB, signed
/// with `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN` for `AWS_REGION`
/// (else `AWS_DEFAULT_REGION`, else the region in the endpoint's host name); an emulator gets
/// them too when they are set.
pub fn client_builder() -> ClientBuilder {
    let mut builder = ClientBuilder::new(endpoint()).strict_checks(checks());
    if is_local() {
        return builder;
    }
    let variable = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (variable("AWS_ACCESS_KEY_ID"), variable("AWS_SECRET_ACCESS_KEY")) {
        (Some(id), Some(secret)) => {
            let token = variable("AWS_SESSION_TOKEN");
            builder = builder.credentials(Credentials::new(id, secret, token, None, "environment"));
        }
        _ if endpoint_kind() == EndpointKind::Aws => panic!(
            "DynamoDB needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and \
             AWS_SESSION_TOKEN), e.g. with `eval \"$(aws configure export-credentials --format env)\"`"
        ),
        _ => {}
    }
    if let Some(region) = region() {
        builder = builder.region(region);
    }
    builder
}

/// The region requests to another endpoint are signed for: `AWS_REGION`, else
/// `AWS_DEFAULT_REGION`, else the region in the endpoint's host name
/// (`dynamodb.<region>.amazonaws.com`); `None` for the in-process server (`us-east-1`).
pub fn region() -> Option<String> {
    if is_local() {
        return None;
    }
    let variable = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    variable("AWS_REGION")
        .or_else(|| variable("AWS_DEFAULT_REGION"))
        .or_else(|| {
            host(endpoint())
                .strip_prefix("dynamodb.")
                .and_then(|rest| rest.split('.').next())
                .map(str::to_owned)
        })
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
/// another server, which expires items in its own time (DynamoDB: within days): a test that
/// needs it first checks [`skip_unless`]`(Need::LocalServer(..))`.
pub fn expire_ttl() -> Option<usize> {
    local_server().map(|server| server.expire_ttl().expect("TTL sweep"))
}

/// The start of every table name the tests make: `DYNAMODB_TABLE_PREFIX`, else `dm-test`.
pub fn table_prefix() -> &'static str {
    static PREFIX: OnceLock<String> = OnceLock::new();
    PREFIX.get_or_init(|| {
        std::env::var("DYNAMODB_TABLE_PREFIX")
            .ok()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "dm-test".to_owned())
    })
}

/// A table name no other test uses: the [`table_prefix`], `name`, the process id, a counter and
/// the clock's nanoseconds (see [`dynamodb_mapper::testing::unique_table_name`]).
pub fn unique_table_name(name: &str) -> String {
    dynamodb_mapper::testing::unique_table_name(&format!("{}-{name}", table_prefix()))
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
