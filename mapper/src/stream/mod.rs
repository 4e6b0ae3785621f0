//! Typed change records: DynamoDB Streams records decoded into [`Change<T>`], from three
//! sources, each behind its own cargo feature.
//!
//! | source | feature | decoder method |
//! |---|---|---|
//! | `aws_sdk_dynamodbstreams::types::Record` (`GetRecords`) | `streams` | [`decode_record`](ChangeDecoder::decode_record) |
//! | AWS Lambda's DynamoDB event (`aws_lambda_events`) | `lambda` | [`decode_event`](ChangeDecoder::decode_event), [`handle_event`](ChangeDecoder::handle_event) |
//! | DynamoDB's JSON (a fixture, a queue's message) | `dynamodb-json` | [`decode_json`](ChangeDecoder::decode_json), [`decode_json_str`](ChangeDecoder::decode_json_str) |
//!
//! Every source goes through one decoder: each image is decoded as a table read decodes an
//! item, the extensions' `after_read` (with the table's name, taken from the record's event
//! source ARN when it has one), then the derive's own conversions, so sets, binary, numbers,
//! converters and times read exactly as from the table. Which images a change has follows the
//! stream's view type (see [`Change`]), never whether a map is empty.
//!
//! Lambda's and the streams SDK's records are read in place: the fields copy only what they
//! keep (no map keys, no number text, no intermediate maps), unless a loaded extension acts
//! on reads ([`Extension::acts_after_read`]; the built-in ones do not), in which case a copy
//! in the SDK's `AttributeValue` goes through the chain first. JSON records are converted
//! into the SDK's type once.
//!
//! A record that does not decode is an [`Error::UnreadableChange`]
//! carrying the record as it was delivered ([`RawRecord`]) and its sequence number; the
//! records after it decode on their own. Decoding reads the record without consuming it.
//!
//! ```
//! # #[cfg(feature = "dynamodb-json")] {
//! use dynamodb_mapper::Item;
//! use dynamodb_mapper::stream::{ChangeDecoder, ChangeKind};
//!
//! #[derive(Item, Debug, PartialEq)]
//! #[item(table = "products")]
//! struct Product {
//!     #[partition_key]
//!     id: String,
//!     name: String,
//!     price: u32,
//! }
//!
//! let decoder = ChangeDecoder::<Product>::with_extensions("products", []);
//! let change = decoder.decode_json_str(r#"{
//!     "eventID": "1", "eventName": "MODIFY",
//!     "dynamodb": {
//!         "Keys": {"id": {"S": "p1"}},
//!         "OldImage": {"id": {"S": "p1"}, "name": {"S": "lamp"}, "price": {"N": "10"}},
//!         "NewImage": {"id": {"S": "p1"}, "name": {"S": "lamp"}, "price": {"N": "12"}},
//!         "SequenceNumber": "100", "SizeBytes": 60, "StreamViewType": "NEW_AND_OLD_IMAGES"
//!     }
//! }"#)?.remove(0)?;
//! assert_eq!(change.kind, ChangeKind::Modify);
//! assert_eq!(change.key, "p1");
//! assert_eq!(change.old.unwrap().price, 10);
//! assert_eq!(change.new.unwrap().price, 12);
//! # }
//! # Ok::<(), dynamodb_mapper::Error>(())
//! ```
//!
//! # Lambda
//!
//! With the `lambda` feature, [`ChangeDecoder::handle_event`] hands an event's records to your
//! handler in order and stops at the first one it refuses (or that does not decode, if the
//! handler returns that error); the outcome's [`response`](BatchOutcome::response) is
//! `aws_lambda_events`' own `DynamoDbEventResponse`, naming that record's sequence number in
//! `batchItemFailures`. What Lambda does with it:
//!
//! - It is read only if the event source mapping has `ReportBatchItemFailures` among its
//!   `FunctionResponseTypes`; otherwise any error retries the whole batch, and a response is
//!   ignored.
//! - Lambda checkpoints before the record named and delivers it **and every record after it**
//!   again: delivery is at least once. A handler must be idempotent (a change seen twice does
//!   the same as once: compare versions or sequence numbers, use conditional writes). Records
//!   of one item stay in order, so stopping at the first failure keeps each item's changes in
//!   order.
//! - A record that keeps failing blocks its shard (the changes of the items in it) until it
//!   leaves the stream (24 hours) or the mapping's `MaximumRetryAttempts` or
//!   `MaximumRecordAgeInSeconds` is reached, when Lambda skips the batch (sending it to the
//!   mapping's on-failure destination, if any). A handler that cannot ever act on a record
//!   (it does not decode) should set it aside itself and report success for it.
//!
//! The library depends on no Lambda runtime: use `lambda_runtime` (or any other) to run the
//! handler.

mod change;
#[cfg(feature = "streams")]
mod changes;
mod checkpoint;
mod decode;
#[cfg(feature = "streams")]
mod fetch;
#[cfg(feature = "dynamodb-json")]
mod json;
#[cfg(feature = "lambda")]
mod lambda;
#[cfg(feature = "streams")]
mod reader;
#[cfg(feature = "streams")]
mod sdk;
#[cfg(feature = "streams")]
mod shards;

use std::marker::PhantomData;
use std::sync::Arc;

pub use crate::error::{RawRecord, UnreadableChange};
pub use crate::error::{StreamErrorKind, StreamFailure};
pub use change::{Change, ChangeKind};
#[cfg(feature = "streams")]
#[cfg_attr(docsrs, doc(cfg(feature = "streams")))]
pub use changes::ChangeStream;
pub use checkpoint::{Checkpoint, ShardPosition};
#[cfg(feature = "lambda")]
#[cfg_attr(docsrs, doc(cfg(feature = "lambda")))]
pub use lambda::{BatchFailure, BatchOutcome, batch_item_failure_response};
#[cfg(feature = "streams")]
#[cfg_attr(docsrs, doc(cfg(feature = "streams")))]
pub use reader::{ChangeReader, StartAt, Trimmed};

use crate::error::Error;
use crate::extension::{Chain, Extension};
use crate::item::Item;
use crate::target::Table;

/// Decodes stream records of a table into [`Change<T>`]: the table's name and the extension
/// chain whose `after_read` every image goes through. Cheap to clone.
///
/// Made from a [`Table`] ([`new`](Self::new): its mapper's extensions and its name), or
/// without a client ([`with_extensions`](Self::with_extensions)), for a consumer that only
/// reads records.
pub struct ChangeDecoder<T> {
    chain: Chain,
    table: Arc<str>,
    _item: PhantomData<fn() -> T>,
}

impl<T> Clone for ChangeDecoder<T> {
    fn clone(&self) -> Self {
        ChangeDecoder {
            chain: self.chain.clone(),
            table: self.table.clone(),
            _item: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for ChangeDecoder<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeDecoder")
            .field("table", &self.table)
            .field("extensions", &self.chain.names())
            .finish()
    }
}

impl<T: Item> ChangeDecoder<T> {
    /// A decoder for the records of `table`'s stream, through its mapper's extensions.
    pub fn new(table: &Table<T>) -> Self {
        ChangeDecoder {
            chain: table.target().chain().clone(),
            table: Arc::from(table.name()),
            _item: PhantomData,
        }
    }

    /// A decoder for the records of the table named `table`, through `extensions` (their
    /// `after_read`, in reverse order; an empty list means none), for a consumer without a
    /// DynamoDB client. A record that names its table (a Lambda record's event source ARN)
    /// gives the extensions that name instead.
    pub fn with_extensions(table: impl Into<String>, extensions: impl IntoIterator<Item = Arc<dyn Extension>>) -> Self {
        ChangeDecoder {
            chain: Chain::new(extensions.into_iter().collect()),
            table: Arc::from(table.into()),
            _item: PhantomData,
        }
    }

    /// The table's name, as the extensions see it for records that do not name theirs.
    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// Decodes one record of any source; `wrap` turns a failure into the source's
    /// [`UnreadableChange`], with the record cloned (only then).
    fn decode_with(
        &self,
        record: &impl decode::Source,
        shard_id: Option<&str>,
        raw: impl FnOnce() -> RawRecord,
    ) -> Result<Change<T>, Error> {
        decode::decode(&self.chain, &self.table, record, shard_id).map_err(|error| {
            Error::UnreadableChange(Box::new(UnreadableChange {
                event_id: record.event_id().map(str::to_owned),
                shard_id: shard_id.map(str::to_owned),
                sequence_number: record.sequence_number().map(str::to_owned),
                record: raw(),
                error,
            }))
        })
    }
}
