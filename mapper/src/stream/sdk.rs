//! Records of `aws-sdk-dynamodbstreams` (`GetRecords`), whose `AttributeValue` is a type of
//! its own.

use std::collections::HashMap;
use std::time::SystemTime;

use aws_sdk_dynamodb::types::{AttributeValue, StreamViewType};
use aws_sdk_dynamodbstreams::types::{self as streams, Record};

use super::decode::{Image, ImageOf, Source, invalid};
use super::{Change, ChangeDecoder, RawRecord};
use crate::error::Error;
use crate::item::{Item, ItemMap};
use crate::value::{AttributeRef, ConvertError, ViewAttribute};

impl<T: Item> ChangeDecoder<T> {
    /// Decodes a record of `aws-sdk-dynamodbstreams` (an element of
    /// `GetRecordsOutput::records`), read from the shard `shard_id` when the caller knows it.
    ///
    /// A record that does not decode is an [`Error::UnreadableChange`] holding a copy of the
    /// record ([`RawRecord::Streams`]).
    ///
    /// ```no_run
    /// # use dynamodb_mapper::{Item, stream::ChangeDecoder};
    /// # #[derive(Item)] struct Product { #[partition_key] id: String }
    /// # async fn run(
    /// #     streams: aws_sdk_dynamodbstreams::Client,
    /// #     decoder: ChangeDecoder<Product>,
    /// #     shard_id: &str,
    /// #     iterator: String,
    /// # ) -> Result<(), Box<dyn std::error::Error>> {
    /// let page = streams.get_records().shard_iterator(iterator).send().await?;
    /// for record in page.records() {
    ///     match decoder.decode_record(record, Some(shard_id)) {
    ///         Ok(change) => println!("{} {:?}", change.kind, change.key),
    ///         Err(unreadable) => eprintln!("{unreadable}"), // the next record still decodes
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn decode_record(&self, record: &Record, shard_id: Option<&str>) -> Result<Change<T>, Error> {
        self.decode_with(&SdkRecord(record), shard_id, || {
            RawRecord::Streams(Box::new(record.clone()))
        })
    }

    /// Decodes every record of a `GetRecords` page, in order: one result per record.
    pub fn decode_records(&self, records: &[Record], shard_id: Option<&str>) -> Vec<Result<Change<T>, Error>> {
        records
            .iter()
            .map(|record| self.decode_record(record, shard_id))
            .collect()
    }
}

struct SdkRecord<'a>(&'a Record);

impl SdkRecord<'_> {
    fn stream_record(&self) -> Option<&streams::StreamRecord> {
        self.0.dynamodb.as_ref()
    }
}

impl Source for SdkRecord<'_> {
    fn event_name(&self) -> Option<&str> {
        self.0.event_name.as_ref().map(|name| name.as_str())
    }

    fn event_id(&self) -> Option<&str> {
        self.0.event_id.as_deref()
    }

    fn sequence_number(&self) -> Option<&str> {
        self.stream_record()?.sequence_number.as_deref()
    }

    fn view(&self) -> Result<Option<StreamViewType>, Error> {
        Ok(self
            .stream_record()
            .and_then(|r| r.stream_view_type.as_ref())
            .map(|view| StreamViewType::from(view.as_str())))
    }

    fn approximate_creation_time(&self) -> Option<SystemTime> {
        let time = self.stream_record()?.approximate_creation_date_time?;
        SystemTime::try_from(time).ok()
    }

    fn size_bytes(&self) -> Option<u64> {
        u64::try_from(self.stream_record()?.size_bytes?).ok()
    }

    fn user_identity(&self) -> Option<(&str, &str)> {
        let identity = self.0.user_identity.as_ref()?;
        Some((identity.r#type.as_deref()?, identity.principal_id.as_deref()?))
    }

    fn keys(&self) -> Result<Option<ImageOf<'_>>, Error> {
        let Some(record) = self.stream_record() else {
            return Err(invalid("the record has no `dynamodb` stream record"));
        };
        record.keys.as_ref().map(in_place).transpose()
    }

    fn image(&self, image: Image) -> Result<Option<ImageOf<'_>>, Error> {
        let Some(record) = self.stream_record() else {
            return Ok(None);
        };
        let map = match image {
            Image::Old => record.old_image.as_ref(),
            Image::New => record.new_image.as_ref(),
        };
        map.map(in_place).transpose()
    }
}

/// A map read in place, unless it holds a value of a type this version of the streams SDK
/// does not know: then it is converted, which refuses that value, naming it.
fn in_place(map: &HashMap<String, streams::AttributeValue>) -> Result<ImageOf<'_>, Error> {
    if map.values().all(known) {
        Ok(ImageOf::InPlace(map))
    } else {
        convert_map(map).map(ImageOf::Converted)
    }
}

/// Whether `value` (and everything in it) is of a type the SDK knows.
fn known(value: &streams::AttributeValue) -> bool {
    use streams::AttributeValue as S;
    match value {
        S::S(_) | S::N(_) | S::B(_) | S::Bool(_) | S::Null(_) | S::Ss(_) | S::Ns(_) | S::Bs(_) => true,
        S::L(list) => list.iter().all(known),
        S::M(map) => map.values().all(known),
        _ => false,
    }
}

/// Seen in place. Maps holding a value of an unknown type are not read in place
/// ([`in_place`]); should one be seen, it reads as `NULL`.
impl ViewAttribute for streams::AttributeValue {
    fn view(&self) -> AttributeRef<'_> {
        use streams::AttributeValue as S;
        match self {
            S::S(s) => AttributeRef::S(s),
            S::N(n) => AttributeRef::N(n),
            S::B(b) => AttributeRef::B(b.as_ref()),
            S::Bool(b) => AttributeRef::Bool(*b),
            S::Null(n) => AttributeRef::Null(*n),
            S::Ss(v) => AttributeRef::Ss(v),
            S::Ns(v) => AttributeRef::Ns(v),
            S::Bs(v) => AttributeRef::Bs(v),
            S::L(list) => AttributeRef::L(list),
            S::M(map) => AttributeRef::M(map),
            _ => AttributeRef::Null(true),
        }
    }
}

fn convert_map(map: &HashMap<String, streams::AttributeValue>) -> Result<ItemMap, Error> {
    let mut out = HashMap::with_capacity(map.len());
    for (name, value) in map {
        out.insert(name.clone(), convert(value).map_err(|e| e.in_attribute(name))?);
    }
    Ok(out)
}

fn convert(value: &streams::AttributeValue) -> Result<AttributeValue, ConvertError> {
    use streams::AttributeValue as S;
    Ok(match value {
        S::S(s) => AttributeValue::S(s.clone()),
        S::N(n) => AttributeValue::N(n.clone()),
        S::B(b) => AttributeValue::B(b.clone()),
        S::Bool(b) => AttributeValue::Bool(*b),
        S::Null(n) => AttributeValue::Null(*n),
        S::Ss(v) => AttributeValue::Ss(v.clone()),
        S::Ns(v) => AttributeValue::Ns(v.clone()),
        S::Bs(v) => AttributeValue::Bs(v.clone()),
        S::L(list) => AttributeValue::L(
            list.iter()
                .enumerate()
                .map(|(i, v)| convert(v).map_err(|e| e.at_index(i)))
                .collect::<Result<_, _>>()?,
        ),
        S::M(map) => {
            let mut out = HashMap::with_capacity(map.len());
            for (name, value) in map {
                out.insert(name.clone(), convert(value).map_err(|e| e.in_attribute(name))?);
            }
            AttributeValue::M(out)
        }
        other => {
            return Err(ConvertError::custom(format!(
                "a stream attribute value of a type this version of aws-sdk-dynamodbstreams does not know ({other:?})"
            )));
        }
    })
}
