//! The error of a change-stream reader's request to DynamoDB Streams: what kind of failure
//! it is, so that a consumer can act on it (go on from the oldest record, slow down, stop).

use std::fmt;

/// What went wrong reading a table's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StreamErrorKind {
    /// The records after the position asked for are gone (`TrimmedDataAccessException`):
    /// DynamoDB keeps a stream's records 24 hours, and the checkpoint is older. The changes
    /// between the checkpoint and the oldest record are lost; the reader goes on from the
    /// oldest record only when told to (`ChangeReader::on_trimmed`).
    Trimmed,
    /// The table has no stream, or its stream is disabled or gone.
    NoStream,
    /// Requests were throttled (`LimitExceededException`, `ThrottlingException`,
    /// `ProvisionedThroughputExceededException`) more times in a row than the reader's retry
    /// policy allows.
    Throttled,
    /// DynamoDB Streams failed on its side (HTTP 5xx) more times in a row than the reader's
    /// retry policy allows.
    Server,
    /// The request got no answer (a timeout, a lost connection).
    NoAnswer,
    /// Any other refusal (access denied, an invalid request).
    Other,
}

/// A request of a change-stream reader that failed: the operation, the shard, DynamoDB's
/// code and message, and the SDK's error when there is one.
#[derive(Debug)]
#[non_exhaustive]
pub struct StreamFailure {
    /// What kind of failure.
    pub kind: StreamErrorKind,
    /// The table whose stream was read.
    pub table: String,
    /// The DynamoDB Streams operation (`DescribeStream`, `GetShardIterator`, `GetRecords`,
    /// `ListStreams`) or `DescribeTable`.
    pub operation: &'static str,
    /// The shard the request was for, if any.
    pub shard_id: Option<String>,
    /// DynamoDB's error code, when it sent one.
    pub code: Option<String>,
    /// DynamoDB's message, or a description of the failure.
    pub message: String,
    /// The SDK's error.
    pub source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl StreamFailure {
    /// Whether the same request may succeed later (throttling, a server error, no answer).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            StreamErrorKind::Throttled | StreamErrorKind::Server | StreamErrorKind::NoAnswer
        )
    }
}

impl fmt::Display for StreamFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on the stream of table `{}`", self.operation, self.table)?;
        if let Some(shard) = &self.shard_id {
            write!(f, " (shard {shard})")?;
        }
        match self.kind {
            StreamErrorKind::Trimmed => write!(
                f,
                ": the records after the checkpoint were trimmed (a stream keeps records 24 hours); \
                 the changes in between are lost — read on from the oldest record with \
                 `ChangeReader::on_trimmed(Trimmed::FromOldest)`"
            )?,
            StreamErrorKind::NoStream => write!(f, ": the table has no enabled stream")?,
            _ => {}
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for StreamFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}
