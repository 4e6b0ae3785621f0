//! The format a time type stores, and the time types `#[auto_timestamp]` sets.

#[cfg(feature = "chrono")]
use aws_sdk_dynamodb::types::AttributeValue;
#[cfg(feature = "chrono")]
use chrono::{DateTime, Utc};

#[cfg(feature = "chrono")]
use super::{ConvertError, JavaInstant, PynamoDateTime, ToAttributeValue, UnixMillis, UnixSeconds};

/// How a time type of this crate stores a time (see the [`time`](crate::value::time) module's
/// table). Recorded for each `#[auto_timestamp]` attribute in its
/// [`Tag::AutoTimestamp`](crate::schema::Tag::AutoTimestamp), so that
/// [`AutoTimestamps`](crate::extension::AutoTimestamps) writes the current time in the
/// field's own format.
///
/// ```
/// # #[cfg(feature = "chrono")] {
/// use chrono::{DateTime, TimeZone, Utc};
/// use dynamodb_mapper::value::{TimeFormat, Timestamp, UnixMillis};
///
/// assert_eq!(<Option<UnixMillis>>::TIME_FORMAT, TimeFormat::Millis);
/// assert_eq!(<DateTime<Utc>>::TIME_FORMAT, TimeFormat::Rfc3339);
/// let t = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
/// let stored = TimeFormat::Java.to_attribute_value(t)?;
/// assert_eq!(stored.unwrap().as_s().unwrap(), "2024-05-01T12:00:00Z");
/// # }
/// # Ok::<(), dynamodb_mapper::ConvertError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeFormat {
    /// `chrono::DateTime<Utc>`: `S`, RFC 3339 with nine sub-second digits and `Z`.
    Rfc3339,
    /// `JavaInstant`: `S`, as Java's `Instant.toString()` writes it.
    Java,
    /// `PynamoDateTime`: `S`, PynamoDB's `UTCDateTimeAttribute` (six digits, `+0000`).
    Pynamo,
    /// `UnixSeconds`: `N`, whole seconds since the Unix epoch.
    Seconds,
    /// `UnixMillis`: `N`, milliseconds since the Unix epoch.
    Millis,
}

impl TimeFormat {
    /// The Rust type that stores this format.
    pub const fn type_name(self) -> &'static str {
        match self {
            TimeFormat::Rfc3339 => "DateTime<Utc>",
            TimeFormat::Java => "JavaInstant",
            TimeFormat::Pynamo => "PynamoDateTime",
            TimeFormat::Seconds => "UnixSeconds",
            TimeFormat::Millis => "UnixMillis",
        }
    }

    /// `time` as the type of this format stores it, through that type's own
    /// [`ToAttributeValue`] (so with the precision it keeps: `UnixSeconds` drops the
    /// sub-second part). An error for a time the format cannot hold (a year beyond 9999 as
    /// text).
    #[cfg(feature = "chrono")]
    #[cfg_attr(docsrs, doc(cfg(feature = "chrono")))]
    pub fn to_attribute_value(self, time: DateTime<Utc>) -> Result<Option<AttributeValue>, ConvertError> {
        match self {
            TimeFormat::Rfc3339 => time.to_attribute_value(),
            TimeFormat::Java => JavaInstant::new(time).to_attribute_value(),
            TimeFormat::Pynamo => PynamoDateTime::new(time).to_attribute_value(),
            TimeFormat::Seconds => UnixSeconds::new(time).to_attribute_value(),
            TimeFormat::Millis => UnixMillis::new(time).to_attribute_value(),
        }
    }
}

/// A time type: what `#[auto_timestamp]` sets. Implemented for `chrono::DateTime<Utc>`,
/// [`JavaInstant`](crate::value::JavaInstant), [`PynamoDateTime`](crate::value::PynamoDateTime),
/// [`UnixSeconds`](crate::value::UnixSeconds), [`UnixMillis`](crate::value::UnixMillis)
/// (with the `chrono` feature) and an `Option` of each; the derive records the field's
/// [`TIME_FORMAT`](Timestamp::TIME_FORMAT) in its schema.
///
/// Sealed: the extension writes the formats of this crate's types only.
#[diagnostic::on_unimplemented(
    message = "`#[auto_timestamp]` sets a time, and `{Self}` is not a time type",
    label = "not a time type",
    note = "use `DateTime<Utc>` or a time type of `dynamodb_mapper::value` (`UnixMillis`, `UnixSeconds`, `JavaInstant`, `PynamoDateTime`), or an `Option` of one"
)]
pub trait Timestamp: sealed::Sealed {
    /// The format the type stores.
    const TIME_FORMAT: TimeFormat;
}

impl<T: Timestamp> Timestamp for Option<T> {
    const TIME_FORMAT: TimeFormat = T::TIME_FORMAT;
}

mod sealed {
    pub trait Sealed {}
    impl<T: Sealed> Sealed for Option<T> {}
}

macro_rules! timestamps {
    ($($ty:ty => $format:ident),* $(,)?) => {$(
        #[cfg(feature = "chrono")]
        impl sealed::Sealed for $ty {}
        #[cfg(feature = "chrono")]
        impl Timestamp for $ty {
            const TIME_FORMAT: TimeFormat = TimeFormat::$format;
        }
    )*};
}

timestamps! {
    chrono::DateTime<chrono::Utc> => Rfc3339,
    super::JavaInstant => Java,
    super::PynamoDateTime => Pynamo,
    super::UnixSeconds => Seconds,
    super::UnixMillis => Millis,
}

#[cfg(all(test, feature = "chrono"))]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::TimeFormat;

    /// Each format writes what its type writes, from one time with nanoseconds.
    #[test]
    fn each_format_writes_its_types_text() {
        let t = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap() + chrono::Duration::nanoseconds(1_234_567);
        let written = |format: TimeFormat| format.to_attribute_value(t).unwrap().unwrap();
        assert_eq!(
            written(TimeFormat::Rfc3339).as_s().unwrap(),
            "2024-05-01T12:00:00.001234567Z"
        );
        assert_eq!(
            written(TimeFormat::Java).as_s().unwrap(),
            "2024-05-01T12:00:00.001234567Z"
        );
        assert_eq!(
            written(TimeFormat::Pynamo).as_s().unwrap(),
            "2024-05-01T12:00:00.001234+0000"
        );
        assert_eq!(written(TimeFormat::Seconds).as_n().unwrap(), "1714564800");
        assert_eq!(written(TimeFormat::Millis).as_n().unwrap(), "1714564800001");
    }

    #[test]
    fn a_time_a_format_cannot_hold_is_an_error() {
        let far = Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap();
        assert!(TimeFormat::Rfc3339.to_attribute_value(far).is_err());
        assert!(TimeFormat::Pynamo.to_attribute_value(far).is_err());
    }
}
