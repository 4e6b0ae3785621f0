//! [`ChangeReader`]: the settings of a change-stream reader, made by
//! [`Table::changes`](crate::Table::changes).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::ChangeDecoder;
use super::changes::ChangeStream;
use super::checkpoint::Checkpoint;
use super::fetch::Context;
use crate::item::Item;
use crate::retry::RetryPolicy;
use crate::target::Table;

/// Where a reader without a checkpoint begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StartAt {
    /// At the oldest record of every shard (`TRIM_HORIZON`): every change of the last 24
    /// hours.
    Oldest,
    /// At the newest end of every open shard (`LATEST`): only changes written from now on.
    /// Until a shard's first record is read, a renewed iterator starts at the newest end
    /// again, so a change written in that window can be missed (DynamoDB's own limit).
    Latest,
}

/// What a reader does when the records after its position were trimmed (a checkpoint older
/// than the stream's 24 hours).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trimmed {
    /// Yield an [`Error::Stream`](crate::Error::Stream) of kind
    /// [`Trimmed`](crate::stream::StreamErrorKind::Trimmed), and stop.
    Fail,
    /// Go on from the shard's oldest record: the changes in between are lost (a warning is
    /// logged).
    FromOldest,
}

#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) stream_arn: Option<String>,
    pub(crate) max_concurrent_shards: usize,
    pub(crate) batch_size: Option<i32>,
    pub(crate) idle_delay: Duration,
    pub(crate) max_idle_delay: Duration,
    pub(crate) discovery_interval: Duration,
    pub(crate) describe_interval: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) on_trimmed: Trimmed,
}

/// A reader of a table's DynamoDB stream, typed: made by
/// [`Table::changes`](crate::Table::changes), set up with its methods, then turned into a
/// [`ChangeStream`] of `Result<Change<T>, Error>` with [`stream`](Self::stream).
///
/// The reader finds the table's stream (`DescribeTable`'s latest stream), lists every shard
/// (`DescribeStream`, page by page), reads a parent shard to its end before any of its
/// children, reads independent shards concurrently ([`max_concurrent_shards`](Self::max_concurrent_shards)),
/// and lists the shards again as the stream splits them (every
/// [`discovery_interval`](Self::discovery_interval), and as soon as a shard ends). The
/// changes of one shard — so of one item — come in their order; shards read side by side
/// interleave.
///
/// **One reader per stream.** The reader takes no lease: two processes reading the same
/// stream each read every change (and DynamoDB throttles more than two readers of a shard).
/// To spread a stream over several workers, use AWS Lambda's event source mapping, which
/// assigns shards to invocations; the crate decodes its events
/// (`ChangeDecoder::decode_event`, feature `lambda`).
///
/// ```no_run
/// # use dynamodb_mapper::{Item, Table};
/// # #[derive(Item)] struct Product { #[partition_key] id: String }
/// # async fn run(products: Table<Product>, streams: aws_sdk_dynamodbstreams::Client) -> Result<(), dynamodb_mapper::Error> {
/// use futures_util::StreamExt;
/// use dynamodb_mapper::stream::Checkpoint;
///
/// let saved: Option<Checkpoint> = None; // loaded from where you keep it
/// let mut changes = match saved {
///     Some(checkpoint) => products.changes(&streams).from_checkpoint(checkpoint),
///     None => products.changes(&streams),
/// }
/// .stream();
/// while let Some(change) = changes.next().await {
///     let change = change?;
///     println!("{} {:?}", change.kind, change.key);
///     let checkpoint = changes.checkpoint(); // save it when you decide
///     # let _ = checkpoint;
/// }
/// # Ok(()) }
/// ```
pub struct ChangeReader<T> {
    table: Table<T>,
    streams: aws_sdk_dynamodbstreams::Client,
    start: StartAt,
    checkpoint: Option<Checkpoint>,
    options: Options,
}

impl<T: Item> std::fmt::Debug for ChangeReader<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeReader")
            .field("table", &self.table.name())
            .field("start", &self.start)
            .field("checkpoint", &self.checkpoint)
            .field("options", &self.options)
            .finish()
    }
}

impl<T: Item> Table<T> {
    /// A reader of this table's stream through `streams` (a DynamoDB Streams client built
    /// from your own AWS configuration), from the oldest record of each shard unless told
    /// otherwise. See [`ChangeReader`].
    #[cfg_attr(docsrs, doc(cfg(feature = "streams")))]
    pub fn changes(&self, streams: &aws_sdk_dynamodbstreams::Client) -> ChangeReader<T> {
        ChangeReader {
            table: self.clone(),
            streams: streams.clone(),
            start: StartAt::Oldest,
            checkpoint: None,
            options: Options {
                stream_arn: None,
                max_concurrent_shards: 8,
                batch_size: None,
                idle_delay: Duration::from_millis(250),
                max_idle_delay: Duration::from_secs(2),
                discovery_interval: Duration::from_secs(30),
                describe_interval: Duration::from_millis(250),
                retry: RetryPolicy::default().max_attempts(10),
                on_trimmed: Trimmed::Fail,
            },
        }
    }
}

impl<T: Item> ChangeReader<T> {
    /// Where to begin in the shards a checkpoint does not name ([`StartAt::Oldest`] by
    /// default). With a checkpoint, shards it does not name are read from their oldest record
    /// whatever this says: they are new since the checkpoint.
    pub fn start_at(mut self, start: StartAt) -> Self {
        self.start = start;
        self
    }

    /// Resumes from `checkpoint`: each shard right after its last processed change
    /// (`AFTER_SEQUENCE_NUMBER`), finished shards skipped, shards it does not name from their
    /// oldest record. Every change after the checkpoint is read exactly once.
    pub fn from_checkpoint(mut self, checkpoint: Checkpoint) -> Self {
        self.checkpoint = Some(checkpoint);
        self
    }

    /// Reads the stream with this ARN instead of looking up the table's latest stream
    /// (`DescribeTable`): an older stream of the table, or a scripted one in tests.
    pub fn stream_arn(mut self, arn: impl Into<String>) -> Self {
        self.options.stream_arn = Some(arn.into());
        self
    }

    /// At most this many shards read at once (at least 1; 8 by default). Children wait for
    /// their parent whatever this says.
    pub fn max_concurrent_shards(mut self, shards: usize) -> Self {
        self.options.max_concurrent_shards = shards.max(1);
        self
    }

    /// At most this many records per `GetRecords` page (1 to 1000; DynamoDB's default, 1000,
    /// when not set).
    pub fn batch_size(mut self, records: u16) -> Self {
        self.options.batch_size = Some(i32::from(records.clamp(1, 1000)));
        self
    }

    /// How long a shard that gave an empty page waits before asking again (250 ms by
    /// default), doubled with each empty page in a row up to [`max_idle_delay`](Self::max_idle_delay).
    pub fn idle_delay(mut self, delay: Duration) -> Self {
        self.options.idle_delay = delay;
        self
    }

    /// The longest wait of an idle shard (2 s by default).
    pub fn max_idle_delay(mut self, delay: Duration) -> Self {
        self.options.max_idle_delay = delay;
        self
    }

    /// How often the shards are listed again to find those a split made (30 s by default;
    /// they are also listed as soon as a shard ends).
    pub fn discovery_interval(mut self, interval: Duration) -> Self {
        self.options.discovery_interval = interval;
        self
    }

    /// The least time between one `DescribeStream` call's answer and the next call (250 ms
    /// by default, so at most four a second: DynamoDB allows ten).
    pub fn describe_interval(mut self, interval: Duration) -> Self {
        self.options.describe_interval = interval;
        self
    }

    /// How throttled and failed requests are retried: attempts and backoff (the default
    /// policy with 10 attempts). These retries come on top of the client's own. When they
    /// run out, the stream yields the error and ends.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.options.retry = policy;
        self
    }

    /// What to do when the records after the checkpoint were trimmed ([`Trimmed::Fail`] by
    /// default).
    pub fn on_trimmed(mut self, trimmed: Trimmed) -> Self {
        self.options.on_trimmed = trimmed;
        self
    }

    /// The stream of changes. Nothing is sent until it is first polled.
    pub fn stream(self) -> ChangeStream<T> {
        let context = Arc::new(Context {
            streams: self.streams,
            config: self.table.target().config().clone(),
            table: self.table.name().to_owned(),
            arn: Mutex::new(self.options.stream_arn.clone()),
            options: self.options,
            last_describe: Mutex::new(None),
        });
        ChangeStream::new(context, ChangeDecoder::new(&self.table), self.start, self.checkpoint)
    }
}
