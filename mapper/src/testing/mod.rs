//! Test support (cargo feature `testing`): an in-process local DynamoDB, fault injection and
//! strict request checks, for the tests of code built on this crate.
//!
//! - [`LocalDynamoDb`]: a fresh in-memory DynamoDB per call (about a millisecond), served on a
//!   loopback port from its own thread, so it works from any `#[tokio::test]`; strict like
//!   DynamoDB, with TTL expiry on demand. `dynoxide-rs` serves it; none of its types is part of
//!   this API.
//! - [`ClientBuilder`]: an `aws_sdk_dynamodb::Client` for any endpoint with test credentials,
//!   a known retry configuration ([`default_retry_config`]), [`StrictChecks`] on, and
//!   optionally [`Faults`].
//! - [`Faults`]: throttling, unprocessed batch items, transaction conflicts, server errors and
//!   latency, per operation, with a record of every request — what no emulator does.
//! - [`StrictChecks`]: DynamoDB's request rules checked before sending, against any backend.
//! - `ScriptedStream` (with the `streams` feature): a DynamoDB Streams endpoint answered from
//!   shards held in memory — lineage, splits, expired iterators, trimmed records, throttling —
//!   to test a stream consumer.
//! - [`create_table`]: a [`Table<T>`] under a name no other test uses, created from `T`'s schema.
//!
//! A complete test (in a `#[tokio::test]` it reads the same):
//!
//! ```
//! use std::time::Duration;
//! use chrono::{DateTime, Utc};
//! use dynamodb_mapper::testing::{self, Faults, LocalDynamoDb};
//! use dynamodb_mapper::{Item, Mapper};
//!
//! #[derive(Item, Debug, Clone, PartialEq)]
//! #[item(table = "sessions")]
//! struct Session {
//!     #[partition_key]
//!     id: String,
//!     #[ttl]
//!     expires_at: DateTime<Utc>,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), dynamodb_mapper::Error> {
//! let local = LocalDynamoDb::start(); // fresh and empty, stopped when dropped
//! let sessions = testing::create_table::<Session>(&local.mapper()).await?; // TTL enabled too
//! let soon = Session { id: "a".into(), expires_at: Utc::now() + Duration::from_secs(60) };
//! sessions.put(&soon).await?;
//!
//! // Time to live: move the server's clock past the expiry, then sweep.
//! local.advance_clock(Duration::from_secs(120));
//! assert_eq!(local.expire_ttl().unwrap(), 1);
//! assert_eq!(sessions.get("a").await?, None);
//!
//! // Throttling: the first two puts are refused; the client's retries (3 attempts) absorb them.
//! let faults = Faults::new();
//! faults.on("PutItem").throttle(2);
//! let client = local.client_builder().faults(&faults).build();
//! let throttled = Mapper::new(client).table_named::<Session>(sessions.name())?;
//! throttled.put(&soon).await?;
//! let attempts: Vec<u32> = faults.requests_of("PutItem").iter().map(|r| r.attempt).collect();
//! assert_eq!(attempts, [1, 2, 3]);
//!
//! // Without retries, the throttle reaches the caller, retryable.
//! faults.on("PutItem").throttle(1);
//! let client = local.client_builder().faults(&faults).retry_config(testing::no_retries()).build();
//! let once = Mapper::new(client).table_named::<Session>(sessions.name())?;
//! let error = once.put(&soon).await.unwrap_err();
//! assert!(error.is_retryable(), "{error}");
//! # Ok(()) }
//! ```

mod faults;
#[cfg(feature = "streams")]
mod scripted;
mod server;
mod strict;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::retry::{RetryConfig, RetryPartition};
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region, SharedHttpClient};

pub use faults::{Faults, InjectedFault, Lost, OnOperation, RecordedRequest, Throttle, Times};
#[cfg(feature = "streams")]
#[cfg_attr(docsrs, doc(cfg(feature = "streams")))]
pub use scripted::{SCRIPTED_STREAM_ARN, ScriptedRequest, ScriptedStream};
pub use server::{LocalDynamoDb, LocalError};
pub use strict::{StrictChecks, refusal_in};

use crate::{Error, Item, Mapper, Table};

/// The retries of a testing client: the SDK's standard mode, 3 attempts (the first and two
/// retries, as the SDK's default), but with backoff from 5 ms up to 50 ms instead of the
/// default 1 s up to 20 s, so that tests of throttling stay fast. Each client also gets a retry
/// token bucket of its own (a unique retry partition), so one test's failures never use up
/// another's retries.
///
/// Every attempt is one HTTP request: [`Faults`] sees and records each, and each uses a round
/// of a fault. A [`throttle(2)`](OnOperation::throttle) is thus absorbed by these retries;
/// [`throttle(3)`](OnOperation::throttle) reaches the caller.
pub fn default_retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(5))
        .with_max_backoff(Duration::from_millis(50))
}

/// No retries at all: each operation is exactly one attempt, so every injected fault reaches
/// the caller.
pub fn no_retries() -> RetryConfig {
    RetryConfig::disabled()
}

/// An `aws_sdk_dynamodb::Client` for tests, against any endpoint: region `us-east-1` and static
/// credentials `test`/`test` (local servers accept any) unless [`region`](Self::region) and
/// [`credentials`](Self::credentials) say otherwise, the latest behaviour version,
/// [`default_retry_config`], [`StrictChecks`] on, and optionally [`Faults`].
///
/// ```
/// use dynamodb_mapper::testing::{ClientBuilder, Faults, StrictChecks};
///
/// let faults = Faults::new();
/// let checks = StrictChecks::new();
/// let client = ClientBuilder::new("http://127.0.0.1:8000")
///     .faults(&faults)
///     .strict_checks(&checks) // to read its counter; one is on by default
///     .build();
/// # let _ = client;
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    endpoint: String,
    strict: Option<StrictChecks>,
    faults: Option<Faults>,
    retry: RetryConfig,
    http_client: Option<SharedHttpClient>,
    credentials: Credentials,
    region: Region,
}

impl ClientBuilder {
    /// The defaults, for `endpoint` (`http://127.0.0.1:8000`, an account's endpoint, ...).
    pub fn new(endpoint: impl Into<String>) -> Self {
        ClientBuilder {
            endpoint: endpoint.into(),
            strict: Some(StrictChecks::new()),
            faults: None,
            retry: default_retry_config(),
            http_client: None,
            credentials: Credentials::new("test", "test", None, None, "dynamodb-mapper-testing"),
            region: Region::new("us-east-1"),
        }
    }

    /// Injects `faults` (a clone shares its configuration and record).
    pub fn faults(mut self, faults: &Faults) -> Self {
        self.faults = Some(faults.clone());
        self
    }

    /// Checks requests with `checks` (a clone shares its counter) instead of a new one.
    pub fn strict_checks(mut self, checks: &StrictChecks) -> Self {
        self.strict = Some(checks.clone());
        self
    }

    /// Sends requests unchecked, to see what the server itself says of a bad request.
    pub fn without_strict_checks(mut self) -> Self {
        self.strict = None;
        self
    }

    /// Retries as `retry` says instead of [`default_retry_config`] (e.g. [`no_retries`]).
    pub fn retry_config(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Reaches the endpoint through `client` instead of the SDK's default HTTP client.
    pub fn http_client(mut self, client: SharedHttpClient) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Signs requests with `credentials` instead of the test credentials (`test`, `test`), for an
    /// account's endpoint.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// Signs requests for `region` instead of `us-east-1`, for an account's endpoint.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Region::new(region.into());
        self
    }

    /// The SDK configuration these settings make, to change further before building a client.
    pub fn config(&self) -> aws_sdk_dynamodb::config::Builder {
        static PARTITION: AtomicUsize = AtomicUsize::new(0);
        let partition = format!("dynamodb-mapper-testing-{}", PARTITION.fetch_add(1, Ordering::Relaxed));
        let mut config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(self.region.clone())
            .credentials_provider(self.credentials.clone())
            .endpoint_url(&self.endpoint)
            .retry_config(self.retry.clone())
            .retry_partition(RetryPartition::new(partition));
        if let Some(strict) = &self.strict {
            config = config.interceptor(strict.clone());
        }
        match (&self.faults, &self.http_client) {
            (Some(faults), inner) => config = faults.install(config, inner.clone()),
            (None, Some(inner)) => config = config.http_client(inner.clone()),
            (None, None) => config = config.http_client(faults::default_http_client()),
        }
        config
    }

    /// The client.
    pub fn build(&self) -> Client {
        Client::from_conf(self.config().build())
    }
}

/// A table name no other test of this process (nor, very likely, of another process) uses:
/// `prefix`, the process id, a counter and the clock's nanoseconds.
pub fn unique_table_name(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}-{}-{}-{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Creates `T`'s table (keys, indexes, time to live from its schema) under a
/// [`unique_table_name`] built on its own name (`#[item(table)]`, else `test`), and returns it.
pub async fn create_table<T: Item + 'static>(mapper: &Mapper) -> Result<Table<T>, Error> {
    let prefix = T::TABLE.table_name.unwrap_or("test");
    let table = mapper.table_named::<T>(&unique_table_name(prefix))?;
    table.create_table().await?;
    Ok(table)
}
