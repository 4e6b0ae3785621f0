//! The error of a stream record that could not be decoded into a typed change: it keeps the
//! record as it was delivered, so that a consumer can skip it or set it aside.

use std::fmt;

use super::Error;

/// A stream record that could not be decoded into a
/// `stream::Change`: the record as it was delivered, where it sits in its
/// shard, and why. The records after it decode on their own.
///
/// A consumer that cannot act on the change skips it or sets the raw record aside (a
/// dead-letter queue); one that must not lose it stops at its
/// [`sequence_number`](Self::sequence_number) (a Lambda handler reports it as the batch's
/// failure: see the `stream` module).
#[derive(Debug)]
#[non_exhaustive]
pub struct UnreadableChange {
    /// The record's event id, when it has one.
    pub event_id: Option<String>,
    /// The shard the record came from, when known.
    pub shard_id: Option<String>,
    /// The record's sequence number in its shard, when it has one (every DynamoDB Streams
    /// record does).
    pub sequence_number: Option<String>,
    /// The record, untouched.
    pub record: RawRecord,
    /// Why it could not be decoded: [`Error::Convert`] (an attribute, named with its type),
    /// [`Error::Extension`] (an extension's `after_read` refused an image) or
    /// [`Error::InvalidRecord`] (the record itself is malformed).
    pub error: Error,
}

impl fmt::Display for UnreadableChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the stream record")?;
        if let Some(sequence_number) = &self.sequence_number {
            write!(f, " with sequence number {sequence_number}")?;
        }
        if let Some(shard_id) = &self.shard_id {
            write!(f, " of shard {shard_id}")?;
        }
        write!(f, " could not be decoded: {}", self.error)
    }
}

impl std::error::Error for UnreadableChange {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// A stream record as its source delivered it: one variant per source, each behind the cargo
/// feature of that source.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RawRecord {
    /// A record of `aws-sdk-dynamodbstreams` (`GetRecords`).
    #[cfg(feature = "streams")]
    #[cfg_attr(docsrs, doc(cfg(feature = "streams")))]
    Streams(Box<aws_sdk_dynamodbstreams::types::Record>),
    /// A record of an AWS Lambda DynamoDB event.
    #[cfg(feature = "lambda")]
    #[cfg_attr(docsrs, doc(cfg(feature = "lambda")))]
    Lambda(Box<aws_lambda_events::event::dynamodb::EventRecord>),
    /// A record in DynamoDB's JSON.
    #[cfg(feature = "dynamodb-json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "dynamodb-json")))]
    Json(Box<serde_json::Value>),
}
