//! Reading one shard: its iterator (renewed when it expires), one `GetRecords` page at a time,
//! the wait of an idle shard, and the retries of throttled requests. Also sorts the errors of
//! DynamoDB Streams into [`StreamFailure`]s.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};

use super::checkpoint::ShardPosition;
use crate::error::{Error, StreamErrorKind, StreamFailure};
use crate::retry::{Retries, sleep};
use crate::target::Config;

use super::reader::{Options, Trimmed};

/// What every request of one reader needs: the clients, the table's name, the options, the
/// stream, and when `DescribeStream` was last called.
pub(crate) struct Context {
    pub(crate) streams: aws_sdk_dynamodbstreams::Client,
    pub(crate) config: Arc<Config>,
    pub(crate) table: String,
    pub(crate) options: Options,
    pub(crate) arn: Mutex<Option<String>>,
    pub(crate) last_describe: Mutex<Option<Instant>>,
}

impl Context {
    pub(crate) fn arn(&self) -> String {
        self.arn
            .lock()
            .map(|a| a.clone().unwrap_or_default())
            .unwrap_or_default()
    }

    pub(crate) fn failure(
        &self,
        kind: StreamErrorKind,
        operation: &'static str,
        shard_id: Option<&str>,
        message: impl Into<String>,
    ) -> Error {
        Error::Stream(Box::new(StreamFailure {
            kind,
            table: self.table.clone(),
            operation,
            shard_id: shard_id.map(str::to_owned),
            code: None,
            message: message.into(),
            source: None,
        }))
    }

    /// Sorts an SDK error of a DynamoDB Streams request.
    pub(crate) fn sdk_failure<E, R>(
        &self,
        operation: &'static str,
        shard_id: Option<&str>,
        error: SdkError<E, R>,
    ) -> StreamFailure
    where
        E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
        SdkError<E, R>: std::error::Error,
    {
        let code = error.code().map(str::to_owned);
        let message = error
            .message()
            .map(str::to_owned)
            .unwrap_or_else(|| aws_sdk_dynamodb::error::DisplayErrorContext(&error).to_string());
        let kind = match (&error, code.as_deref()) {
            (SdkError::DispatchFailure(_) | SdkError::TimeoutError(_), _) => StreamErrorKind::NoAnswer,
            (_, Some("TrimmedDataAccessException")) => StreamErrorKind::Trimmed,
            (_, Some("ResourceNotFoundException")) if shard_id.is_some() => StreamErrorKind::Trimmed,
            (_, Some("ResourceNotFoundException")) => StreamErrorKind::NoStream,
            (_, Some(code)) if THROTTLING.contains(&code) => StreamErrorKind::Throttled,
            (_, Some("InternalServerError" | "ServiceUnavailable")) => StreamErrorKind::Server,
            _ => StreamErrorKind::Other,
        };
        StreamFailure {
            kind,
            table: self.table.clone(),
            operation,
            shard_id: shard_id.map(str::to_owned),
            code,
            message,
            source: Some(Box::new(error)),
        }
    }

    /// Waits until `DescribeStream` may be called again: the interval after the previous
    /// call's answer (so that the calls reach the service at least that far apart, whatever
    /// time a request takes to be built and sent).
    pub(crate) async fn describe_gate(&self) -> Result<(), Error> {
        let wait = {
            let last = self.last_describe.lock().map(|l| *l).unwrap_or(None);
            last.map(|at| self.options.describe_interval.saturating_sub(at.elapsed()))
        };
        if let Some(wait) = wait {
            sleep(&self.config, wait).await?;
        }
        Ok(())
    }

    /// Notes that a `DescribeStream` call was answered (or failed), for [`describe_gate`].
    ///
    /// [`describe_gate`]: Self::describe_gate
    pub(crate) fn described(&self) {
        if let Ok(mut last) = self.last_describe.lock() {
            *last = Some(Instant::now());
        }
    }
}

/// Error codes of a throttled request.
const THROTTLING: &[&str] = &[
    "LimitExceededException",
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
];

/// Where a reader is in one shard.
#[derive(Debug)]
pub(crate) struct Cursor {
    pub(crate) shard_id: String,
    /// Where the shard's reading began: `Start`, `Latest` or `After` a checkpoint.
    pub(crate) start: ShardPosition,
    /// The sequence number of the last record read (not necessarily yielded yet).
    pub(crate) last_read: Option<String>,
    pub(crate) iterator: Option<String>,
    /// Empty pages in a row.
    pub(crate) idle: u32,
}

/// What one step of a shard gave.
pub(crate) enum Step {
    /// A page of records (maybe empty); the shard goes on.
    Records(Vec<Record>),
    /// The last records of a closed shard: it is finished.
    Ended(Vec<Record>),
    /// The shard cannot be read on.
    Failed(Error),
}

/// Reads one page of the shard: gets an iterator first if it has none (or the last one
/// expired), waits first if the shard was idle, retries throttling and server errors as the
/// reader's retry policy says.
pub(crate) async fn step(context: Arc<Context>, mut cursor: Cursor) -> (Cursor, Step) {
    let outcome = read_page(&context, &mut cursor).await;
    (cursor, outcome.unwrap_or_else(Step::Failed))
}

async fn read_page(context: &Context, cursor: &mut Cursor) -> Result<Step, Error> {
    let options = &context.options;
    if cursor.idle > 0 {
        sleep(&context.config, idle_delay(options, cursor.idle)).await?;
    }
    let mut retries = Retries::new(options.retry);
    let mut renewals = 0u32;
    loop {
        let iterator = match &cursor.iterator {
            Some(iterator) => iterator.clone(),
            None => match iterator_for(context, cursor).await {
                Ok(iterator) => {
                    cursor.iterator = Some(iterator.clone());
                    iterator
                }
                Err(failure) if failure.is_retryable() && retries.wait(&context.config).await? => continue,
                Err(failure) => return Err(Error::Stream(Box::new(failure))),
            },
        };
        let mut request = context.streams.get_records().shard_iterator(iterator);
        if let Some(limit) = options.batch_size {
            request = request.limit(limit);
        }
        match request.send().await {
            Ok(page) => {
                let records = page.records.unwrap_or_default();
                if let Some(last) = records
                    .iter()
                    .rev()
                    .find_map(|r| r.dynamodb.as_ref()?.sequence_number.clone())
                {
                    cursor.last_read = Some(last);
                }
                cursor.idle = if records.is_empty() {
                    cursor.idle.saturating_add(1)
                } else {
                    0
                };
                cursor.iterator = page.next_shard_iterator;
                return Ok(match cursor.iterator {
                    Some(_) => Step::Records(records),
                    None => Step::Ended(records),
                });
            }
            Err(error) if error.code() == Some("ExpiredIteratorException") && renewals < 3 => {
                // Renewed right after the last record read: nothing lost, nothing repeated.
                renewals += 1;
                tracing::debug!(shard = %cursor.shard_id, "shard iterator expired; renewing it");
                cursor.iterator = None;
            }
            Err(error) => {
                let failure = context.sdk_failure("GetRecords", Some(&cursor.shard_id), error);
                if failure.kind == StreamErrorKind::Trimmed && options.on_trimmed == Trimmed::FromOldest {
                    skip_to_oldest(cursor);
                    continue;
                }
                if failure.is_retryable() && retries.wait(&context.config).await? {
                    continue;
                }
                return Err(Error::Stream(Box::new(failure)));
            }
        }
    }
}

/// Forgets the shard's position: the next iterator starts at its oldest record.
fn skip_to_oldest(cursor: &mut Cursor) {
    tracing::warn!(shard = %cursor.shard_id, "records were trimmed: reading on from the oldest record");
    cursor.start = ShardPosition::Start;
    cursor.last_read = None;
    cursor.iterator = None;
}

/// A new iterator: right after the last record read, else where the shard's reading began.
async fn iterator_for(context: &Context, cursor: &mut Cursor) -> Result<String, StreamFailure> {
    loop {
        let (kind, sequence) = match (&cursor.last_read, &cursor.start) {
            (Some(last), _) | (None, ShardPosition::After(last)) => {
                (ShardIteratorType::AfterSequenceNumber, Some(last.clone()))
            }
            (None, ShardPosition::Latest) => (ShardIteratorType::Latest, None),
            (None, _) => (ShardIteratorType::TrimHorizon, None),
        };
        let answer = context
            .streams
            .get_shard_iterator()
            .stream_arn(context.arn())
            .shard_id(&cursor.shard_id)
            .shard_iterator_type(kind)
            .set_sequence_number(sequence)
            .send()
            .await;
        match answer {
            Ok(out) => {
                return out.shard_iterator.ok_or_else(|| StreamFailure {
                    kind: StreamErrorKind::Other,
                    table: context.table.clone(),
                    operation: "GetShardIterator",
                    shard_id: Some(cursor.shard_id.clone()),
                    code: None,
                    message: "the answer has no shard iterator".into(),
                    source: None,
                });
            }
            Err(error) => {
                let failure = context.sdk_failure("GetShardIterator", Some(&cursor.shard_id), error);
                if failure.kind == StreamErrorKind::Trimmed
                    && context.options.on_trimmed == Trimmed::FromOldest
                    && (cursor.last_read.is_some() || matches!(cursor.start, ShardPosition::After(_)))
                {
                    skip_to_oldest(cursor);
                    continue;
                }
                return Err(failure);
            }
        }
    }
}

/// The wait before polling a shard again after `idle` empty pages in a row: the reader's
/// idle delay, doubled with each empty page, up to its longest idle delay.
fn idle_delay(options: &Options, idle: u32) -> Duration {
    options
        .idle_delay
        .checked_mul(1u32 << idle.saturating_sub(1).min(16))
        .unwrap_or(options.max_idle_delay)
        .min(options.max_idle_delay)
}
