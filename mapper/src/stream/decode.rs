//! The decoder's core, which every source goes through: a record's fields are read through
//! [`Source`], its attribute maps converted once into the SDK's `AttributeValue`, and each
//! image decoded by the path of table reads (the extensions' `after_read`, then the derive).

use std::time::SystemTime;

use aws_sdk_dynamodb::types::StreamViewType;

use super::change::{Change, ChangeKind};
use crate::__private::InPlace;
use crate::error::Error;
use crate::extension::{Chain, ItemImage};
use crate::item::{Item, ItemMap};
use crate::value::MapRef;

/// Which image of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Image {
    Old,
    New,
}

impl Image {
    fn name(self) -> &'static str {
        match self {
            Image::Old => "old image",
            Image::New => "new image",
        }
    }
}

/// A stream record of one source, read without copying what is not decoded.
pub(crate) trait Source {
    /// `INSERT`, `MODIFY` or `REMOVE`.
    fn event_name(&self) -> Option<&str>;
    fn event_id(&self) -> Option<&str>;
    fn sequence_number(&self) -> Option<&str>;
    /// The table the record names (a Lambda record's event source ARN).
    fn table(&self) -> Option<&str> {
        None
    }
    /// The stream's view type, when the record says; `Err` for a value that is not one.
    fn view(&self) -> Result<Option<StreamViewType>, Error>;
    fn approximate_creation_time(&self) -> Option<SystemTime>;
    fn size_bytes(&self) -> Option<u64>;
    /// The user identity's type and principal, when the record has one.
    fn user_identity(&self) -> Option<(&str, &str)>;
    /// The key attributes; `None` when the record has none.
    fn keys(&self) -> Result<Option<ImageOf<'_>>, Error>;
    /// An image; `None` when the record does not carry it.
    fn image(&self, image: Image) -> Result<Option<ImageOf<'_>>, Error>;
}

/// An image (or a record's keys) as a source gives it.
pub(crate) enum ImageOf<'a> {
    /// Converted into the SDK's type (JSON records, and the streams SDK's holding a value of
    /// a type it does not know).
    #[cfg_attr(not(any(feature = "streams", feature = "dynamodb-json")), allow(dead_code))]
    Converted(ItemMap),
    /// Seen in place in the record, which stays whole (Lambda's and the streams SDK's
    /// records).
    #[cfg_attr(not(any(feature = "lambda", feature = "streams")), allow(dead_code))]
    InPlace(&'a dyn MapRef),
}

/// What a stream's records carry of an item: the images a record of `kind` has on a stream
/// of `view` (old, new).
fn images_of(view: &StreamViewType, kind: ChangeKind) -> Result<(bool, bool), Error> {
    let (old, new) = match view {
        StreamViewType::KeysOnly => (false, false),
        StreamViewType::NewImage => (false, true),
        StreamViewType::OldImage => (true, false),
        StreamViewType::NewAndOldImages => (true, true),
        other => {
            return Err(invalid(format!("unknown stream view type `{}`", other.as_str())));
        }
    };
    Ok((old && kind != ChangeKind::Insert, new && kind != ChangeKind::Remove))
}

pub(crate) fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidRecord {
        message: message.into(),
    }
}

/// The principal of DynamoDB's time-to-live process in a `REMOVE` record's user identity.
const TTL_PRINCIPAL: &str = "dynamodb.amazonaws.com";

/// Decodes one record into a typed change.
pub(crate) fn decode<T: Item>(
    chain: &Chain,
    default_table: &str,
    record: &impl Source,
    shard_id: Option<&str>,
) -> Result<Change<T>, Error> {
    let name = record
        .event_name()
        .ok_or_else(|| invalid("the record has no event name"))?;
    let kind = ChangeKind::from_event_name(name).ok_or_else(|| {
        invalid(format!(
            "unknown event name `{name}` (expected INSERT, MODIFY or REMOVE)"
        ))
    })?;
    let event_id = record.event_id().ok_or_else(|| invalid("the record has no event id"))?;
    let sequence_number = record
        .sequence_number()
        .ok_or_else(|| invalid("the record has no sequence number"))?;
    let view = record.view()?;
    // A stream's view type says which images its records carry; a record that does not say
    // (DynamoDB's own records always do) gives those it has.
    let (want_old, want_new) = match &view {
        Some(view) => images_of(view, kind)?,
        None => (kind != ChangeKind::Insert, kind != ChangeKind::Remove),
    };
    let key = match record.keys()?.ok_or_else(|| invalid("the record has no keys"))? {
        ImageOf::Converted(mut keys) => T::read_key(&mut keys),
        ImageOf::InPlace(keys) => T::read_key_from(&mut InPlace::new(keys)),
    }
    .map_err(|e| Error::Convert(e.in_item(T::SCHEMA.type_name)))?;
    let table = record.table().unwrap_or(default_table);
    let read = |wanted: bool, image: Image| -> Result<Option<T>, Error> {
        if !wanted {
            return Ok(None);
        }
        match record.image(image)? {
            Some(ImageOf::Converted(item)) => {
                crate::plan::read::decode(chain, T::TABLE, table, ItemImage::Whole, item).map(Some)
            }
            Some(ImageOf::InPlace(item)) => {
                crate::plan::read::decode_in_place(chain, T::TABLE, table, ItemImage::Whole, item).map(Some)
            }
            None if view.is_some() => Err(invalid(format!(
                "a {kind} record of a {} stream has no {}",
                view.as_ref().map_or("", |v| v.as_str()),
                image.name()
            ))),
            None => Ok(None),
        }
    };
    let old = read(want_old, Image::Old)?;
    let new = read(want_new, Image::New)?;
    let ttl_expired = kind == ChangeKind::Remove
        && record
            .user_identity()
            .is_some_and(|(identity, principal)| identity == "Service" && principal == TTL_PRINCIPAL);
    Ok(Change {
        kind,
        key,
        old,
        new,
        view,
        event_id: event_id.to_owned(),
        shard_id: shard_id.map(str::to_owned),
        sequence_number: sequence_number.to_owned(),
        approximate_creation_time: record.approximate_creation_time(),
        size_bytes: record.size_bytes(),
        ttl_expired,
    })
}

/// The table name in a stream's ARN (`arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL`).
#[cfg(any(feature = "lambda", feature = "dynamodb-json"))]
pub(crate) fn table_of_arn(arn: &str) -> Option<&str> {
    let rest = arn.split(':').nth(5)?;
    let rest = rest.strip_prefix("table/")?;
    let name = rest.split('/').next()?;
    (!name.is_empty()).then_some(name)
}

/// A time in epoch seconds, as stream records carry it.
#[cfg(feature = "dynamodb-json")]
pub(crate) fn epoch_seconds(seconds: f64) -> Option<SystemTime> {
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    SystemTime::UNIX_EPOCH.checked_add(std::time::Duration::try_from_secs_f64(seconds).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(any(feature = "lambda", feature = "dynamodb-json"))]
    fn table_names_come_from_stream_arns() {
        let arn = "arn:aws:dynamodb:us-east-1:123456789012:table/Products/stream/2024-05-01T00:00:00.000";
        assert_eq!(table_of_arn(arn), Some("Products"));
        assert_eq!(table_of_arn("arn:aws:dynamodb:us-east-1:1:table/"), None);
        assert_eq!(table_of_arn("not an arn"), None);
    }

    #[test]
    fn view_types_decide_the_images() {
        use ChangeKind::*;
        let images = |view, kind| images_of(&view, kind).unwrap();
        assert_eq!(images(StreamViewType::KeysOnly, Modify), (false, false));
        assert_eq!(images(StreamViewType::NewImage, Insert), (false, true));
        assert_eq!(images(StreamViewType::NewImage, Remove), (false, false));
        assert_eq!(images(StreamViewType::OldImage, Modify), (true, false));
        assert_eq!(images(StreamViewType::OldImage, Insert), (false, false));
        assert_eq!(images(StreamViewType::NewAndOldImages, Modify), (true, true));
        assert_eq!(images(StreamViewType::NewAndOldImages, Remove), (true, false));
        assert!(images_of(&StreamViewType::from("SOMETHING"), Insert).is_err());
    }

    #[test]
    #[cfg(feature = "dynamodb-json")]
    fn epoch_seconds_convert() {
        assert_eq!(
            epoch_seconds(1.5),
            Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1500))
        );
        assert_eq!(epoch_seconds(f64::NAN), None);
        assert_eq!(epoch_seconds(-1.0), None);
    }
}
