//! Stream records in DynamoDB's JSON: the record format of `GetRecords` and of Lambda events
//! (`eventID`, `eventName`, `eventSourceARN`, `userIdentity`, and `dynamodb` with `Keys`,
//! `NewImage`, `OldImage`, `SequenceNumber`, `SizeBytes`, `StreamViewType`,
//! `ApproximateCreationDateTime` in epoch seconds), attribute values typed as
//! `{"S": "..."}`, `{"N": "..."}`, `{"B": "<base64>"}` and so on.

use std::time::SystemTime;

use aws_sdk_dynamodb::types::StreamViewType;
use serde_json::{Map, Value};

use super::decode::{Image, ImageOf, Source, epoch_seconds, invalid, table_of_arn};
use super::{Change, ChangeDecoder, RawRecord};
use crate::error::Error;
use crate::item::{Item, ItemMap};
use crate::value::dynamodb_json::{item_map, kind_of};

impl<T: Item> ChangeDecoder<T> {
    /// Decodes one stream record in DynamoDB's JSON, read from the shard `shard_id` when the
    /// caller knows it. The extensions see the table named by the record's `eventSourceARN`
    /// when it has one. A record that does not decode is an [`Error::UnreadableChange`]
    /// holding a copy of the record ([`RawRecord::Json`]).
    pub fn decode_json(&self, record: &Value, shard_id: Option<&str>) -> Result<Change<T>, Error> {
        let source = JsonRecord::new(record);
        self.decode_with(&source, shard_id, || RawRecord::Json(Box::new(record.clone())))
    }

    /// Decodes the stream records in a JSON document, in order: one record, an array of
    /// records, or an object with a `Records` array (a Lambda event, a `GetRecords`
    /// response). One result per record; `Err` when the text is not JSON or holds no record.
    pub fn decode_json_str(&self, text: &str) -> Result<Vec<Result<Change<T>, Error>>, Error> {
        let document: Value = serde_json::from_str(text).map_err(|e| invalid(format!("the text is not JSON: {e}")))?;
        let records = match &document {
            Value::Array(records) => records.as_slice(),
            Value::Object(object) => match object.get("Records") {
                Some(Value::Array(records)) => records.as_slice(),
                Some(_) => return Err(invalid("`Records` is not an array")),
                None => std::slice::from_ref(&document),
            },
            _ => return Err(invalid("the JSON document is neither a record nor a list of records")),
        };
        Ok(records.iter().map(|record| self.decode_json(record, None)).collect())
    }
}

struct JsonRecord<'a> {
    record: Option<&'a Map<String, Value>>,
    stream: Option<&'a Map<String, Value>>,
}

impl<'a> JsonRecord<'a> {
    fn new(record: &'a Value) -> Self {
        let record = record.as_object();
        let stream = record.and_then(|r| r.get("dynamodb")).and_then(Value::as_object);
        JsonRecord { record, stream }
    }

    fn text(&self, name: &str) -> Option<&'a str> {
        self.record?.get(name)?.as_str()
    }

    fn stream_field(&self, name: &str) -> Option<&'a Value> {
        self.stream?.get(name).filter(|v| !v.is_null())
    }

    fn map(&self, name: &'static str) -> Result<Option<ItemMap>, Error> {
        match self.stream_field(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(item_map(map).map_err(Error::Convert)?)),
            Some(other) => Err(invalid(format!("`dynamodb.{name}` is {}, not a map", kind_of(other)))),
        }
    }
}

impl Source for JsonRecord<'_> {
    fn event_name(&self) -> Option<&str> {
        self.text("eventName")
    }

    fn event_id(&self) -> Option<&str> {
        self.text("eventID")
    }

    fn sequence_number(&self) -> Option<&str> {
        self.stream_field("SequenceNumber")?.as_str()
    }

    fn table(&self) -> Option<&str> {
        self.text("eventSourceARN").and_then(table_of_arn)
    }

    fn view(&self) -> Result<Option<StreamViewType>, Error> {
        match self.stream_field("StreamViewType") {
            None => Ok(None),
            Some(Value::String(view)) => Ok(Some(StreamViewType::from(view.as_str()))),
            Some(other) => Err(invalid(format!(
                "`dynamodb.StreamViewType` is {}, not a string",
                kind_of(other)
            ))),
        }
    }

    fn approximate_creation_time(&self) -> Option<SystemTime> {
        epoch_seconds(self.stream_field("ApproximateCreationDateTime")?.as_f64()?)
    }

    fn size_bytes(&self) -> Option<u64> {
        self.stream_field("SizeBytes")?.as_u64()
    }

    fn user_identity(&self) -> Option<(&str, &str)> {
        let identity = self.record?.get("userIdentity")?.as_object()?;
        Some((identity.get("type")?.as_str()?, identity.get("principalId")?.as_str()?))
    }

    fn keys(&self) -> Result<Option<ImageOf<'_>>, Error> {
        if self.record.is_none() {
            return Err(invalid("the record is not a JSON object"));
        }
        Ok(self.map("Keys")?.map(ImageOf::Converted))
    }

    fn image(&self, image: Image) -> Result<Option<ImageOf<'_>>, Error> {
        Ok(self
            .map(match image {
                Image::Old => "OldImage",
                Image::New => "NewImage",
            })?
            .map(ImageOf::Converted))
    }
}
