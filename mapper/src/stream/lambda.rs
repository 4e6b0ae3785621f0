//! AWS Lambda's DynamoDB events (`aws_lambda_events`), and the partial-batch response.
//!
//! `aws_lambda_events` gives an absent image as an empty map and an absent creation time as
//! the epoch; the decoder reads images by the record's view type, and takes a creation time
//! of exactly the epoch as absent.

use std::collections::HashMap;
use std::future::Future;
use std::time::SystemTime;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use aws_sdk_dynamodb::types::StreamViewType;
use serde_dynamo::AttributeValue as LambdaValue;

use super::decode::{Image, ImageOf, Source, table_of_arn};
use super::{Change, ChangeDecoder, RawRecord};
use crate::error::Error;
use crate::item::Item;
use crate::value::{AttributeRef, ViewAttribute};

impl<T: Item> ChangeDecoder<T> {
    /// Decodes one record of a Lambda DynamoDB event. The extensions see the table named by
    /// the record's event source ARN. A record that does not decode is an
    /// [`Error::UnreadableChange`] holding a copy of the record ([`RawRecord::Lambda`]).
    pub fn decode_event_record(&self, record: &EventRecord) -> Result<Change<T>, Error> {
        self.decode_with(&LambdaRecord(record), None, || {
            RawRecord::Lambda(Box::new(record.clone()))
        })
    }

    /// Decodes every record of a Lambda DynamoDB event, in order: one result per record.
    pub fn decode_event(&self, event: &Event) -> Vec<Result<Change<T>, Error>> {
        event
            .records
            .iter()
            .map(|record| self.decode_event_record(record))
            .collect()
    }

    /// Hands the event's records to `handler` in order, each decoded (or the
    /// [`Error::UnreadableChange`] it is), and stops at the first the handler refuses: the
    /// outcome's [`response`](BatchOutcome::response) names that record, so that Lambda
    /// delivers it and those after it again (see [the module](super) for what Lambda
    /// requires). A handler that returns the decode error stops there too; one that sets
    /// the record aside and returns `Ok` goes on.
    ///
    /// ```
    /// use aws_lambda_events::event::dynamodb::Event;
    /// use dynamodb_mapper::{Error, Item};
    /// use dynamodb_mapper::stream::ChangeDecoder;
    ///
    /// #[derive(Item)]
    /// #[item(table = "products")]
    /// struct Product {
    ///     #[partition_key]
    ///     id: String,
    /// }
    ///
    /// async fn handle(decoder: &ChangeDecoder<Product>, event: Event) -> serde_json::Value {
    ///     let outcome = decoder
    ///         .handle_event(&event, |change| async move {
    ///             let change = change?; // an undecodable record stops the batch here
    ///             println!("{} {}", change.kind, change.key);
    ///             Ok::<(), Error>(())
    ///         })
    ///         .await;
    ///     if let Some(failure) = &outcome.failure {
    ///         eprintln!("stopped at record {}: {}", failure.index, failure.error);
    ///     }
    ///     serde_json::to_value(outcome.response()).unwrap()
    /// }
    /// ```
    pub async fn handle_event<F, Fut, E>(&self, event: &Event, mut handler: F) -> BatchOutcome<E>
    where
        F: FnMut(Result<Change<T>, Error>) -> Fut,
        Fut: Future<Output = Result<(), E>>,
    {
        for (index, record) in event.records.iter().enumerate() {
            if let Err(error) = handler(self.decode_event_record(record)).await {
                return BatchOutcome {
                    handled: index,
                    failure: Some(BatchFailure {
                        index,
                        sequence_number: record.change.sequence_number.clone(),
                        error,
                    }),
                };
            }
        }
        BatchOutcome {
            handled: event.records.len(),
            failure: None,
        }
    }
}

/// What [`ChangeDecoder::handle_event`] did with an event: how many records the handler took,
/// and the one it refused.
#[derive(Debug)]
#[non_exhaustive]
pub struct BatchOutcome<E> {
    /// How many records, from the first, were handled.
    pub handled: usize,
    /// The record the handler refused, where the batch stopped; `None` when it took them all.
    pub failure: Option<BatchFailure<E>>,
}

/// The record a handler refused.
#[derive(Debug)]
#[non_exhaustive]
pub struct BatchFailure<E> {
    /// Its place in the event's records.
    pub index: usize,
    /// Its sequence number, which the partial-batch response names.
    pub sequence_number: Option<String>,
    /// The handler's error.
    pub error: E,
}

impl<E> BatchOutcome<E> {
    /// The partial-batch response for Lambda: no failure when every record was handled, else
    /// the refused record's sequence number in `batchItemFailures`. (A refused record with no
    /// sequence number gives an empty identifier, which Lambda takes as the whole batch
    /// failing.)
    pub fn response(&self) -> DynamoDbEventResponse {
        batch_item_failure_response(
            self.failure
                .as_ref()
                .map(|failure| failure.sequence_number.as_deref().unwrap_or("")),
        )
    }
}

/// A partial-batch response: no failure for `None`, else `sequence_number` (the first record
/// that failed) in `batchItemFailures`, from which Lambda delivers the records again.
///
/// ```
/// use dynamodb_mapper::stream::batch_item_failure_response;
///
/// let response = batch_item_failure_response(Some("400"));
/// assert_eq!(
///     serde_json::to_string(&response).unwrap(),
///     r#"{"batchItemFailures":[{"itemIdentifier":"400"}]}"#
/// );
/// assert!(batch_item_failure_response(None).batch_item_failures.is_empty());
/// ```
pub fn batch_item_failure_response(sequence_number: Option<&str>) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    if let Some(sequence_number) = sequence_number {
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = Some(sequence_number.to_owned());
        response.batch_item_failures.push(failure);
    }
    response
}

struct LambdaRecord<'a>(&'a EventRecord);

impl Source for LambdaRecord<'_> {
    fn event_name(&self) -> Option<&str> {
        Some(&self.0.event_name)
    }

    fn event_id(&self) -> Option<&str> {
        Some(&self.0.event_id)
    }

    fn sequence_number(&self) -> Option<&str> {
        self.0.change.sequence_number.as_deref()
    }

    fn table(&self) -> Option<&str> {
        self.0
            .event_source_arn
            .as_deref()
            .and_then(table_of_arn)
            .or(self.0.table_name.as_deref())
    }

    fn view(&self) -> Result<Option<StreamViewType>, Error> {
        use aws_lambda_events::event::dynamodb::StreamViewType as LambdaView;
        Ok(match &self.0.change.stream_view_type {
            None => None,
            Some(LambdaView::KeysOnly) => Some(StreamViewType::KeysOnly),
            Some(LambdaView::NewImage) => Some(StreamViewType::NewImage),
            Some(LambdaView::OldImage) => Some(StreamViewType::OldImage),
            Some(LambdaView::NewAndOldImages) => Some(StreamViewType::NewAndOldImages),
            Some(other) => Some(StreamViewType::from(other.to_string().as_str())),
        })
    }

    fn approximate_creation_time(&self) -> Option<SystemTime> {
        let time = self.0.change.approximate_creation_date_time;
        let seconds = time.timestamp();
        let nanos = time.timestamp_subsec_nanos();
        if seconds == 0 && nanos == 0 {
            return None;
        }
        let since = std::time::Duration::new(u64::try_from(seconds).ok()?, nanos);
        SystemTime::UNIX_EPOCH.checked_add(since)
    }

    fn size_bytes(&self) -> Option<u64> {
        u64::try_from(self.0.change.size_bytes).ok()
    }

    fn user_identity(&self) -> Option<(&str, &str)> {
        let identity = self.0.user_identity.as_ref()?;
        Some((&identity.type_, &identity.principal_id))
    }

    fn keys(&self) -> Result<Option<ImageOf<'_>>, Error> {
        Ok(present(&self.0.change.keys).map(|keys| ImageOf::InPlace(keys)))
    }

    fn image(&self, image: Image) -> Result<Option<ImageOf<'_>>, Error> {
        let map = match image {
            Image::Old => &self.0.change.old_image,
            Image::New => &self.0.change.new_image,
        };
        Ok(present(map).map(|map| ImageOf::InPlace(map)))
    }
}

/// `aws_lambda_events` reads an absent map as an empty one. No item, and no key, is empty,
/// so an empty map is one the record does not carry; whether it should is the view type's
/// to say.
fn present(map: &serde_dynamo::Item) -> Option<&HashMap<String, LambdaValue>> {
    (!map.is_empty()).then(|| map.inner())
}

/// A value of a Lambda event, seen in place.
impl ViewAttribute for LambdaValue {
    fn view(&self) -> AttributeRef<'_> {
        match self {
            LambdaValue::S(s) => AttributeRef::S(s),
            LambdaValue::N(n) => AttributeRef::N(n),
            LambdaValue::B(b) => AttributeRef::B(b),
            LambdaValue::Bool(b) => AttributeRef::Bool(*b),
            LambdaValue::Null(n) => AttributeRef::Null(*n),
            LambdaValue::Ss(v) => AttributeRef::Ss(v),
            LambdaValue::Ns(v) => AttributeRef::Ns(v),
            LambdaValue::Bs(v) => AttributeRef::Bs(v),
            LambdaValue::L(list) => AttributeRef::L(list),
            LambdaValue::M(map) => AttributeRef::M(map),
        }
    }
}
