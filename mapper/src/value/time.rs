//! Times, stored in the format of your choice.
//!
//! A time is one value, but clients write it as different text, and DynamoDB compares keys
//! and sort-key conditions as text, byte for byte. So the format is part of the type: pick the
//! type that writes what the other services on the table write.
//!
//! | type | stored as | example | text order is time order (range conditions on keys) |
//! |---|---|---|---|
//! | `DateTime<Utc>` | `S`, RFC 3339, always nine sub-second digits, `Z` | `2019-01-13T14:00:00.001000000Z` | yes |
//! | [`JavaInstant`] | `S`, ISO-8601 as Java's `Instant.toString()` writes it: 0, 3, 6 or 9 sub-second digits, `Z` (the Java Enhanced Client's default) | `2019-01-13T14:00:00.001Z`, `2019-01-13T14:00:00Z` | no: only between times written with the same number of digits |
//! | [`PynamoDateTime`] | `S`, PynamoDB's `UTCDateTimeAttribute`: `%Y-%m-%dT%H:%M:%S.%f%z`, six digits, `+0000` | `2019-01-13T14:00:00.001000+0000` | yes |
//! | [`UnixSeconds`] | `N`, whole seconds since the Unix epoch (the format of DynamoDB's time to live) | `1547388000` | yes (numbers compare by value) |
//! | [`UnixMillis`] | `N`, milliseconds since the Unix epoch (Java's `Instant.toEpochMilli()`, JavaScript's `Date.now()`) | `1547388000001` | yes |
//!
//! Every type *reads* every unambiguous form of a time in its DynamoDB type: for text,
//! RFC 3339 and ISO-8601 with `Z`, `+00:00`, `+0000` (or another offset, converted to UTC) and
//! any number of sub-second digits (beyond nine they are dropped); for numbers, any integer in
//! DynamoDB's number syntax (`1.5E+9`). Writing uses the type's one format. The wrapper types
//! keep only the precision they store (a [`PynamoDateTime`] made from a time with nanoseconds
//! drops them), so an item reads back equal to what was written.
//!
//! Keys are stricter, because rewriting a key in another format addresses another item. An
//! item whose key text the key's type would not write back byte for byte (a Java-written
//! `2019-01-13T14:00:00Z` in a `DateTime<Utc>` key) is refused when it is read, with an error
//! naming the attribute, the stored text and the type that would match (see
//! [`KeyAttribute::from_key_attribute_value`]). A key built from a value (`get(key)`,
//! `delete(key)`) cannot detect it: it finds no item. On a table shared with Java, use
//! [`JavaInstant`] for time keys; for new tables prefer a sortable type.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use dynamodb_mapper::Item;
//! use dynamodb_mapper::value::{JavaInstant, UnixMillis};
//!
//! #[derive(Item, Debug, PartialEq)]
//! #[item(rename_all = "camelCase")]
//! struct Reading {
//!     #[partition_key]
//!     sensor: String,
//!     #[sort_key]
//!     taken_at: JavaInstant,
//!     received_at: UnixMillis,
//! }
//!
//! let t = Utc.with_ymd_and_hms(2019, 1, 13, 14, 0, 0).unwrap();
//! let reading = Reading { sensor: "s1".into(), taken_at: t.into(), received_at: t.into() };
//! let item = reading.to_item()?;
//! assert_eq!(item["takenAt"].as_s().unwrap(), "2019-01-13T14:00:00Z");
//! assert_eq!(item["receivedAt"].as_n().unwrap(), "1547388000000");
//! assert_eq!(Reading::from_item(item)?, reading);
//! # Ok::<(), dynamodb_mapper::ConvertError>(())
//! ```
//!
//! The wrapper types can be `#[ttl]` attributes (stored as epoch seconds, as every `#[ttl]`);
//! `#[auto_timestamp]` takes `DateTime<Utc>` only.

use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, SecondsFormat, Timelike, Utc};

use super::epoch_seconds::EpochSeconds;
use super::{
    AttributeType, FromAttributeValue, KeyAttribute, ScalarType, SetElement, SetMember, SetType, ToAttributeValue,
};
use crate::value::{ConvertError, ConvertErrorKind};

// ---------------------------------------------------------------------------------------------
// Reading text

/// Reads a time in any unambiguous RFC 3339 / ISO-8601 form: `T`, `t` or a space between date
/// and time; any number of sub-second digits; `Z`, `z`, `+hh:mm` or `+hhmm`.
pub(crate) fn parse_timestamp(text: String) -> Result<DateTime<Utc>, ConvertError> {
    match parse_text(&text) {
        Ok(time) => Ok(time),
        Err(reason) => Err(invalid(text, reason)),
    }
}

fn invalid(value: String, reason: &str) -> ConvertError {
    ConvertError::new(ConvertErrorKind::InvalidTimestamp {
        value,
        reason: reason.to_owned(),
    })
}

const EXPECTED: &str = "expected a date and time such as 2024-05-01T12:00:00Z, 2024-05-01T12:00:00.123+00:00 or 2024-05-01T12:00:00.123456+0000";

fn parse_text(text: &str) -> Result<DateTime<Utc>, &'static str> {
    let b = text.as_bytes();
    let digits = |from: usize, len: usize| -> Result<u32, &'static str> {
        let part = b.get(from..from + len).ok_or(EXPECTED)?;
        part.iter().try_fold(0u32, |n, &c| {
            if c.is_ascii_digit() {
                Ok(n * 10 + u32::from(c - b'0'))
            } else {
                Err(EXPECTED)
            }
        })
    };
    let expect = |at: usize, allowed: &[u8]| -> Result<(), &'static str> {
        match b.get(at) {
            Some(c) if allowed.contains(c) => Ok(()),
            _ => Err(EXPECTED),
        }
    };
    let year = digits(0, 4)?;
    expect(4, b"-")?;
    let month = digits(5, 2)?;
    expect(7, b"-")?;
    let day = digits(8, 2)?;
    expect(10, b"Tt ")?;
    let hour = digits(11, 2)?;
    expect(13, b":")?;
    let minute = digits(14, 2)?;
    expect(16, b":")?;
    let second = digits(17, 2)?;
    let mut at = 19;
    let mut nanos = 0u32;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 9 {
                nanos = nanos * 10 + u32::from(b[at] - b'0');
            }
            at += 1;
        }
        let count = at - start;
        if count == 0 {
            return Err("a decimal point without sub-second digits");
        }
        if count < 9 {
            nanos *= 10u32.pow((9 - count) as u32);
        }
    }
    let offset_seconds: i64 = match b.get(at) {
        Some(b'Z' | b'z') => {
            at += 1;
            0
        }
        Some(&sign @ (b'+' | b'-')) => {
            let hours = digits(at + 1, 2)?;
            at += 3;
            if b.get(at) == Some(&b':') {
                at += 1;
            }
            let minutes = digits(at, 2)?;
            at += 2;
            if hours > 23 || minutes > 59 {
                return Err("the offset is out of range");
            }
            let seconds = i64::from(hours * 3600 + minutes * 60);
            if sign == b'-' { -seconds } else { seconds }
        }
        None => return Err("no offset: a time without `Z` or `+00:00` is ambiguous"),
        Some(_) => return Err(EXPECTED),
    };
    if at != b.len() {
        return Err(EXPECTED);
    }
    let date = NaiveDate::from_ymd_opt(year as i32, month, day).ok_or("no such date")?;
    // A leap second (`:60`) is the last second of the minute, as chrono represents it.
    let time = match second {
        60 => NaiveTime::from_hms_nano_opt(hour, minute, 59, 1_000_000_000 + nanos),
        _ => NaiveTime::from_hms_nano_opt(hour, minute, second, nanos),
    }
    .ok_or("no such time of day")?;
    let local = date.and_time(time);
    let utc = local
        .checked_sub_signed(chrono::TimeDelta::seconds(offset_seconds))
        .ok_or("out of range")?;
    Ok(utc.and_utc())
}

// ---------------------------------------------------------------------------------------------
// Writing text

fn check_year(time: &DateTime<Utc>, years: std::ops::RangeInclusive<i32>, why: &str) -> Result<(), ConvertError> {
    if years.contains(&time.year()) {
        Ok(())
    } else {
        Err(ConvertError::new(ConvertErrorKind::InvalidTimestamp {
            value: time.to_string(),
            reason: why.to_owned(),
        }))
    }
}

/// `2024-05-01T12:00:00.000000000Z`: always nine sub-second digits and `Z`, so that comparing
/// the strings (as DynamoDB does in key conditions) compares the times.
pub(crate) fn format_timestamp(time: &DateTime<Utc>) -> Result<String, ConvertError> {
    check_year(
        time,
        0..=9999,
        "only years 0000 to 9999 keep text order equal to time order",
    )?;
    Ok(time.to_rfc3339_opts(SecondsFormat::Nanos, true))
}

/// `2024-05-01T12:00:00Z`, `2024-05-01T12:00:00.001Z`: as Java's `Instant.toString()`, the
/// sub-second digits in groups of three, as many as the value needs.
fn format_java(time: &DateTime<Utc>) -> Result<String, ConvertError> {
    check_year(time, 0..=9999, "Java writes years beyond 0000 to 9999 with a sign")?;
    Ok(time.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// `2024-05-01T12:00:00.123456+0000`: PynamoDB's `UTCDateTimeAttribute`.
fn format_pynamo(time: &DateTime<Utc>) -> Result<String, ConvertError> {
    check_year(time, 1..=9999, "Python's datetime holds years 1 to 9999 only")?;
    // A leap second is written as the end of second 59: Python has no second 60.
    let (second, micros) = match time.nanosecond() {
        n if n >= 1_000_000_000 => (59, 999_999),
        n => (time.second(), n / 1000),
    };
    Ok(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{second:02}.{micros:06}+0000",
        time.year(),
        time.month(),
        time.day(),
        time.hour(),
        time.minute(),
    ))
}

/// Writes a time as text, in one format.
type TextFormat = fn(&DateTime<Utc>) -> Result<String, ConvertError>;

/// The type of this crate that would write `text` for `time` as it is.
fn matching_text_type(text: &str, time: &DateTime<Utc>) -> Option<&'static str> {
    let writers: [(&'static str, TextFormat); 3] = [
        ("JavaInstant", format_java),
        ("DateTime<Utc>", format_timestamp),
        ("PynamoDateTime", format_pynamo),
    ];
    writers
        .into_iter()
        .find(|(_, write)| write(time).is_ok_and(|written| written == text))
        .map(|(name, _)| name)
}

/// Reads a time key stored as text, refusing text `format` would not write back.
fn read_text_key(
    value: AttributeValue,
    rust_type: &'static str,
    format: TextFormat,
) -> Result<DateTime<Utc>, ConvertError> {
    let text = match value {
        AttributeValue::S(text) => text,
        other => return Err(ConvertError::new(wrong_type(rust_type, "S", &other))),
    };
    let time = parse_text(&text).map_err(|reason| invalid(text.clone(), reason))?;
    match format(&time) {
        Ok(written) if written == text => Ok(time),
        Ok(written) => Err(ConvertError::new(ConvertErrorKind::NonCanonicalKey {
            matching: matching_text_type(&text, &time),
            value: text,
            written,
            rust_type,
        })),
        Err(e) => Err(e),
    }
}

fn wrong_type(rust_type: &'static str, expected: &'static str, found: &AttributeValue) -> ConvertErrorKind {
    ConvertErrorKind::WrongType {
        expected,
        found: super::type_of(found),
        rust_type,
    }
}

// ---------------------------------------------------------------------------------------------
// DateTime<Utc>: the sortable default

impl ToAttributeValue for DateTime<Utc> {
    const ATTRIBUTE_TYPE: &'static AttributeType = &AttributeType::S;

    fn to_attribute_value(&self) -> Result<Option<AttributeValue>, ConvertError> {
        format_timestamp(self).map(|text| Some(AttributeValue::S(text)))
    }
}

impl FromAttributeValue for DateTime<Utc> {
    fn from_attribute_value(value: AttributeValue) -> Result<Self, ConvertError> {
        match value {
            AttributeValue::S(text) => parse_timestamp(text),
            other => Err(ConvertError::wrong_type::<Self>("S", &other)),
        }
    }
}

impl KeyAttribute for DateTime<Utc> {
    const SCALAR_TYPE: ScalarType = ScalarType::S;

    fn from_key_attribute_value(value: AttributeValue) -> Result<Self, ConvertError> {
        read_text_key(value, "DateTime<Utc>", format_timestamp)
    }
}

impl SetElement for DateTime<Utc> {
    const SET_TYPE: SetType = SetType::String;
    fn to_member(&self) -> Result<SetMember, ConvertError> {
        format_timestamp(self).map(SetMember::Text)
    }
    fn from_member(member: SetMember) -> Result<Self, ConvertError> {
        match member {
            SetMember::Text(text) => parse_timestamp(text),
            other => Err(other.mismatch::<Self>()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The wrapper types

/// What differs between the wrapper types.
trait Format {
    const NAME: &'static str;
    /// Keeps only the precision the format stores.
    fn truncate(time: DateTime<Utc>) -> DateTime<Utc>;
    fn write(time: &DateTime<Utc>) -> Result<AttributeValue, ConvertError>;
    fn read(value: AttributeValue) -> Result<DateTime<Utc>, ConvertError>;
    fn read_key(value: AttributeValue) -> Result<DateTime<Utc>, ConvertError>;
    const SCALAR_TYPE: ScalarType;
    const SET_TYPE: SetType;
    /// The text of a set member (`SS` or `NS`) or of `Display`.
    fn text(time: &DateTime<Utc>) -> Result<String, ConvertError> {
        match Self::write(time)? {
            AttributeValue::S(text) | AttributeValue::N(text) => Ok(text),
            _ => unreachable!("times are written as S or N"),
        }
    }
    fn from_text(text: String) -> Result<DateTime<Utc>, ConvertError> {
        match Self::SET_TYPE {
            SetType::Number => Self::read(AttributeValue::N(text)),
            _ => Self::read(AttributeValue::S(text)),
        }
    }
}

fn read_text(rust_type: &'static str, value: AttributeValue) -> Result<DateTime<Utc>, ConvertError> {
    match value {
        AttributeValue::S(text) => parse_timestamp(text),
        other => Err(ConvertError::new(wrong_type(rust_type, "S", &other))),
    }
}

fn read_number(rust_type: &'static str, value: AttributeValue, per_second: i64) -> Result<DateTime<Utc>, ConvertError> {
    let count = match value {
        AttributeValue::N(text) => i64::from_attribute_value(AttributeValue::N(text))?,
        other => return Err(ConvertError::new(wrong_type(rust_type, "N", &other))),
    };
    let time = match per_second {
        1 => DateTime::from_timestamp(count, 0),
        _ => DateTime::from_timestamp_millis(count),
    };
    time.ok_or_else(|| {
        ConvertError::new(ConvertErrorKind::InvalidTimestamp {
            value: count.to_string(),
            reason: "outside the range of DateTime<Utc>".to_owned(),
        })
    })
}

/// The Java Enhanced Client's `Instant` format.
enum Java {}
impl Format for Java {
    const NAME: &'static str = "JavaInstant";
    const SCALAR_TYPE: ScalarType = ScalarType::S;
    const SET_TYPE: SetType = SetType::String;
    fn truncate(time: DateTime<Utc>) -> DateTime<Utc> {
        time
    }
    fn write(time: &DateTime<Utc>) -> Result<AttributeValue, ConvertError> {
        format_java(time).map(AttributeValue::S)
    }
    fn read(value: AttributeValue) -> Result<DateTime<Utc>, ConvertError> {
        read_text(Self::NAME, value)
    }
    fn read_key(value: AttributeValue) -> Result<DateTime<Utc>, ConvertError> {
        read_text_key(value, Self::NAME, format_java)
    }
}

/// PynamoDB's `UTCDateTimeAttribute` format.
enum Pynamo {}
impl Format for Pynamo {
    const NAME: &'static str = "PynamoDateTime";
    const SCALAR_TYPE: ScalarType = ScalarType::S;
    const SET_TYPE: SetType = SetType::String;
    fn truncate(time: DateTime<Utc>) -> DateTime<Utc> {
        let nanos = time.nanosecond();
        time.with_nanosecond(nanos - nanos % 1000).unwrap_or(time)
    }
    fn write(time: &DateTime<Utc>) -> Result<AttributeValue, ConvertError> {
        format_pynamo(time).map(AttributeValue::S)
    }
    fn read(value: AttributeValue) -> Result<DateTime<Utc>, ConvertError> {
        read_text(Self::NAME, value)
    }
    fn read_key(value: AttributeValue) -> Result<DateTime<Utc>, ConvertError> {
        read_text_key(value, Self::NAME, format_pynamo)
    }
}

/// Whole seconds since the epoch.
enum Seconds {}
impl Format for Seconds {
    const NAME: &'static str = "UnixSeconds";
    const SCALAR_TYPE: ScalarType = ScalarType::N;
    const SET_TYPE: SetType = SetType::Number;
    fn truncate(time: DateTime<Utc>) -> DateTime<Utc> {
        DateTime::from_timestamp(time.timestamp(), 0).unwrap_or(time)
    }
    fn write(time: &DateTime<Utc>) -> Result<AttributeValue, ConvertError> {
        Ok(AttributeValue::N(
            itoa::Buffer::new().format(time.timestamp()).to_owned(),
        ))
    }
    fn read(value: AttributeValue) -> Result<DateTime<Utc>, ConvertError> {
        read_number(Self::NAME, value, 1)
    }
    // Numbers: DynamoDB compares keys by value, so any text of the value addresses the item.
    fn read_key(value: AttributeValue) -> Result<DateTime<Utc>, ConvertError> {
        Self::read(value)
    }
}

/// Milliseconds since the epoch.
enum Millis {}
impl Format for Millis {
    const NAME: &'static str = "UnixMillis";
    const SCALAR_TYPE: ScalarType = ScalarType::N;
    const SET_TYPE: SetType = SetType::Number;
    fn truncate(time: DateTime<Utc>) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(time.timestamp_millis()).unwrap_or(time)
    }
    fn write(time: &DateTime<Utc>) -> Result<AttributeValue, ConvertError> {
        Ok(AttributeValue::N(
            itoa::Buffer::new().format(time.timestamp_millis()).to_owned(),
        ))
    }
    fn read(value: AttributeValue) -> Result<DateTime<Utc>, ConvertError> {
        read_number(Self::NAME, value, 1000)
    }
    fn read_key(value: AttributeValue) -> Result<DateTime<Utc>, ConvertError> {
        Self::read(value)
    }
}

macro_rules! time_type {
    ($(#[$doc:meta])* $name:ident, $format:ty) => {
        $(#[$doc])*
        ///
        /// It dereferences to the `DateTime<Utc>` it holds; convert with `From`/`Into` both ways.
        /// `Display` shows the stored text; `FromStr` reads any form that reading the attribute
        /// accepts.
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(DateTime<Utc>);

        impl $name {
            /// The time, kept to the precision this type stores.
            pub fn new(time: DateTime<Utc>) -> Self {
                $name(<$format>::truncate(time))
            }

            /// The current time, kept to the precision this type stores.
            pub fn now() -> Self {
                Self::new(Utc::now())
            }

            /// The time held.
            pub fn as_datetime(&self) -> &DateTime<Utc> {
                &self.0
            }

            /// The time held, by value.
            pub fn into_inner(self) -> DateTime<Utc> {
                self.0
            }
        }

        impl From<DateTime<Utc>> for $name {
            fn from(time: DateTime<Utc>) -> Self {
                Self::new(time)
            }
        }

        impl From<$name> for DateTime<Utc> {
            fn from(time: $name) -> Self {
                time.0
            }
        }

        impl Deref for $name {
            type Target = DateTime<Utc>;
            fn deref(&self) -> &DateTime<Utc> {
                &self.0
            }
        }

        impl AsRef<DateTime<Utc>> for $name {
            fn as_ref(&self) -> &DateTime<Utc> {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0).finish()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match <$format>::text(&self.0) {
                    Ok(text) => f.write_str(&text),
                    // A time the format cannot store (a year beyond 9999).
                    Err(_) => fmt::Display::fmt(&self.0, f),
                }
            }
        }

        impl FromStr for $name {
            type Err = ConvertError;
            fn from_str(text: &str) -> Result<Self, ConvertError> {
                <$format>::from_text(text.to_owned()).map(Self::new)
            }
        }

        impl ToAttributeValue for $name {
            const ATTRIBUTE_TYPE: &'static AttributeType = match <$format>::SCALAR_TYPE {
                ScalarType::S => &AttributeType::S,
                ScalarType::N => &AttributeType::N,
                ScalarType::B => &AttributeType::B,
            };

            fn to_attribute_value(&self) -> Result<Option<AttributeValue>, ConvertError> {
                <$format>::write(&self.0).map(Some)
            }
        }

        impl FromAttributeValue for $name {
            fn from_attribute_value(value: AttributeValue) -> Result<Self, ConvertError> {
                <$format>::read(value).map(Self::new)
            }
        }

        impl KeyAttribute for $name {
            const SCALAR_TYPE: ScalarType = <$format>::SCALAR_TYPE;

            fn from_key_attribute_value(value: AttributeValue) -> Result<Self, ConvertError> {
                <$format>::read_key(value).map($name)
            }
        }

        impl SetElement for $name {
            const SET_TYPE: SetType = <$format>::SET_TYPE;
            fn to_member(&self) -> Result<SetMember, ConvertError> {
                <$format>::text(&self.0).map(SetMember::Text)
            }
            fn from_member(member: SetMember) -> Result<Self, ConvertError> {
                match member {
                    SetMember::Text(text) => <$format>::from_text(text).map(Self::new),
                    other => Err(other.mismatch::<Self>()),
                }
            }
        }

        /// As a `#[ttl]` attribute: stored as epoch seconds, like every time to live.
        impl EpochSeconds for $name {
            fn to_epoch_seconds(&self) -> Result<Option<i64>, ConvertError> {
                Ok(Some(self.0.timestamp()))
            }
            fn from_epoch_seconds(seconds: Option<i64>) -> Result<Self, ConvertError> {
                DateTime::<Utc>::from_epoch_seconds(seconds).map(Self::new)
            }
        }
    };
}

time_type! {
    /// A time stored as Java's `Instant.toString()` writes it (`S`): ISO-8601 in UTC with `Z`
    /// and 0, 3, 6 or 9 sub-second digits, as few as the value needs
    /// (`2019-01-13T14:00:00Z`, `2019-01-13T14:00:00.001Z`). The AWS SDK for Java's Enhanced
    /// Client stores `Instant` attributes this way by default.
    ///
    /// Use it for time keys on tables shared with Java services. Nanosecond precision.
    ///
    /// **Not sortable as text** across values written with different numbers of digits
    /// (`…:00.001Z` sorts before `…:00Z`): key equality always works, but range conditions
    /// (`lt`, `between`, ...) on a sort key of this type follow time order only among values
    /// with the same number of sub-second digits (all whole seconds, all milliseconds). Java's
    /// own queries have the same limit.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use dynamodb_mapper::value::{JavaInstant, ToAttributeValue};
    ///
    /// let t = Utc.with_ymd_and_hms(2019, 1, 13, 14, 0, 0).unwrap();
    /// assert_eq!(JavaInstant::from(t).to_string(), "2019-01-13T14:00:00Z");
    /// let later = JavaInstant::from(t + chrono::Duration::milliseconds(1));
    /// assert_eq!(later.to_attribute_value()?.unwrap().as_s().unwrap(), "2019-01-13T14:00:00.001Z");
    /// assert_eq!("2019-01-13T14:00:00.001+00:00".parse::<JavaInstant>()?, later);
    /// # Ok::<(), dynamodb_mapper::ConvertError>(())
    /// ```
    JavaInstant, Java
}

time_type! {
    /// A time stored as PynamoDB's `UTCDateTimeAttribute` writes it (`S`): Python's
    /// `%Y-%m-%dT%H:%M:%S.%f%z` in UTC, always six sub-second digits and `+0000`
    /// (`2024-05-01T12:00:00.123456+0000`). PynamoDB reads only this form.
    ///
    /// Microsecond precision (finer digits are dropped when the value is made); years 1 to
    /// 9999, as Python's `datetime`. **Sortable**: fixed width, so text order is time order and
    /// range conditions on a sort key of this type are exact.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use dynamodb_mapper::value::PynamoDateTime;
    ///
    /// let t = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap() + chrono::Duration::nanoseconds(123_456_789);
    /// let p = PynamoDateTime::from(t);
    /// assert_eq!(p.to_string(), "2024-05-01T12:00:00.123456+0000");
    /// assert_eq!(p.timestamp_subsec_nanos(), 123_456_000);
    /// # Ok::<(), dynamodb_mapper::ConvertError>(())
    /// ```
    PynamoDateTime, Pynamo
}

time_type! {
    /// A time stored as whole seconds since the Unix epoch (`N`, `1547388000`), the format of
    /// DynamoDB's time to live, boto3's `int(time.time())` and Java's `Instant.getEpochSecond()`.
    ///
    /// Second precision (sub-second parts are dropped, rounding towards the past, when the
    /// value is made). **Sortable**: DynamoDB compares numbers by value. Reads any integer in
    /// DynamoDB's number syntax (`1.547388E+9`); a fractional number is an error.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use dynamodb_mapper::value::{UnixSeconds, ToAttributeValue};
    ///
    /// let t = UnixSeconds::from(Utc.timestamp_opt(1_547_388_000, 999_000_000).unwrap());
    /// assert_eq!(t.to_attribute_value()?.unwrap().as_n().unwrap(), "1547388000");
    /// # Ok::<(), dynamodb_mapper::ConvertError>(())
    /// ```
    UnixSeconds, Seconds
}

time_type! {
    /// A time stored as milliseconds since the Unix epoch (`N`, `1547388000001`), as Java's
    /// `Instant.toEpochMilli()` and JavaScript's `Date.now()` give it.
    ///
    /// Millisecond precision (finer parts are dropped, rounding towards the past, when the
    /// value is made). **Sortable**: DynamoDB compares numbers by value.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use dynamodb_mapper::value::{UnixMillis, ToAttributeValue};
    ///
    /// let t = UnixMillis::from(Utc.timestamp_opt(1_547_388_000, 1_500_000).unwrap());
    /// assert_eq!(t.to_attribute_value()?.unwrap().as_n().unwrap(), "1547388000001");
    /// # Ok::<(), dynamodb_mapper::ConvertError>(())
    /// ```
    UnixMillis, Millis
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2019, 1, 13, 14, 0, 0).unwrap()
    }

    fn s(text: &str) -> AttributeValue {
        AttributeValue::S(text.to_owned())
    }

    #[test]
    fn text_order_is_time_order() {
        let a = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        let b = a + chrono::Duration::nanoseconds(1);
        let c = a + chrono::Duration::milliseconds(10);
        let [ta, tb, tc] = [a, b, c].map(|t| format_timestamp(&t).unwrap());
        assert_eq!(ta, "2024-01-01T00:00:00.000000000Z");
        assert!(ta < tb && tb < tc);
    }

    #[test]
    fn every_unambiguous_form_is_read() {
        let ms = t0() + chrono::Duration::milliseconds(1);
        let micros = t0() + chrono::Duration::microseconds(123_456);
        for (text, expected) in [
            ("2019-01-13T14:00:00Z", t0()),
            ("2019-01-13T14:00:00z", t0()),
            ("2019-01-13t14:00:00Z", t0()),
            ("2019-01-13 14:00:00Z", t0()),
            ("2019-01-13T14:00:00+00:00", t0()),
            ("2019-01-13T14:00:00+0000", t0()),
            ("2019-01-13T14:00:00-00:00", t0()),
            ("2019-01-13T16:00:00+02:00", t0()),
            ("2019-01-13T13:30:00-0030", t0()),
            ("2019-01-13T14:00:00.001Z", ms),
            ("2019-01-13T14:00:00.001000+0000", ms),
            ("2019-01-13T14:00:00.001000000Z", ms),
            ("2019-01-13T14:00:00.0010000000000Z", ms),
            ("2019-01-13T14:00:00.1234560+00:00", micros),
            ("2019-01-13T14:00:00.123456+0000", micros),
            ("2019-01-13T14:00:00.0Z", t0()),
        ] {
            assert_eq!(parse_text(text), Ok(expected), "{text}");
        }
        let leap = parse_text("2016-12-31T23:59:60Z").unwrap();
        assert_eq!(leap.second(), 59);
        assert_eq!(leap.nanosecond(), 1_000_000_000);
    }

    #[test]
    fn ambiguous_or_malformed_text_is_refused() {
        for text in [
            "",
            "2019-01-13",
            "2019-01-13T14:00:00",
            "2019-01-13T14:00:00.123",
            "2019-01-13T14:00Z",
            "2019-01-13T14:00:00.Z",
            "2019-01-13T14:00:00+00",
            "2019-01-13T14:00:00+0",
            "2019-01-13T14:00:00+24:00",
            "2019-01-13T14:00:00Z ",
            "2019-02-30T14:00:00Z",
            "2019-01-13T25:00:00Z",
            "2019-01-13T14:00:61Z",
            "+2019-01-13T14:00:00Z",
            "２019-01-13T14:00:00Z",
            "1547388000",
        ] {
            assert!(parse_text(text).is_err(), "{text}");
        }
        let err = DateTime::<Utc>::from_attribute_value(s("2019-01-13T14:00:00")).unwrap_err();
        assert!(err.to_string().contains("ambiguous"), "{err}");
    }

    #[test]
    fn each_type_writes_its_format() {
        let ms = t0() + chrono::Duration::milliseconds(1);
        let micros = t0() + chrono::Duration::microseconds(1);
        let nanos = t0() + chrono::Duration::nanoseconds(1);
        let java = |t| JavaInstant::from(t).to_string();
        assert_eq!(java(t0()), "2019-01-13T14:00:00Z");
        assert_eq!(java(ms), "2019-01-13T14:00:00.001Z");
        assert_eq!(java(micros), "2019-01-13T14:00:00.000001Z");
        assert_eq!(java(nanos), "2019-01-13T14:00:00.000000001Z");
        let pynamo = |t| PynamoDateTime::from(t).to_string();
        assert_eq!(pynamo(t0()), "2019-01-13T14:00:00.000000+0000");
        assert_eq!(pynamo(ms), "2019-01-13T14:00:00.001000+0000");
        assert_eq!(pynamo(nanos), "2019-01-13T14:00:00.000000+0000");
        assert_eq!(UnixSeconds::from(ms).to_string(), "1547388000");
        assert_eq!(UnixMillis::from(ms).to_string(), "1547388000001");
        let before_epoch = Utc.timestamp_opt(-1, 500_000_000).unwrap();
        assert_eq!(UnixSeconds::from(before_epoch).to_string(), "-1");
        assert_eq!(UnixMillis::from(before_epoch).to_string(), "-500");
        assert_eq!(format_timestamp(&ms).unwrap(), "2019-01-13T14:00:00.001000000Z");
        assert!(
            PynamoDateTime::from(Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap())
                .to_attribute_value()
                .is_err()
        );
        assert!(
            JavaInstant::from(Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap())
                .to_attribute_value()
                .is_err()
        );
    }

    #[test]
    fn numbers_read_in_any_integer_syntax() {
        let n = |text: &str| AttributeValue::N(text.to_owned());
        let t = UnixSeconds::from_attribute_value(n("1.547388E+9")).unwrap();
        assert_eq!(*t, t0());
        let t = UnixMillis::from_attribute_value(n("1547388000001")).unwrap();
        assert_eq!(*t, t0() + chrono::Duration::milliseconds(1));
        assert!(UnixSeconds::from_attribute_value(n("1547388000.5")).is_err());
        assert!(UnixSeconds::from_attribute_value(s("1547388000")).is_err());
        assert!(UnixSeconds::from_attribute_value(n("99999999999999999")).is_err());
    }

    #[test]
    fn keys_must_round_trip() {
        let java_text = "2019-01-13T14:00:00Z";
        let err = DateTime::<Utc>::from_key_attribute_value(s(java_text)).unwrap_err();
        assert_eq!(
            err.kind(),
            &ConvertErrorKind::NonCanonicalKey {
                value: java_text.to_owned(),
                written: "2019-01-13T14:00:00.000000000Z".to_owned(),
                rust_type: "DateTime<Utc>",
                matching: Some("JavaInstant"),
            }
        );
        assert_eq!(
            err.in_attribute("placedAt").to_string(),
            "attribute `placedAt`: stored key `2019-01-13T14:00:00Z` would be written back by DateTime<Utc> as \
             `2019-01-13T14:00:00.000000000Z`, which is another key; read this attribute as JavaInstant"
        );
        // Each type accepts exactly its own form as a key, and points at the others.
        let pynamo_text = "2019-01-13T14:00:00.000000+0000";
        let nine = "2019-01-13T14:00:00.000000000Z";
        assert_eq!(*JavaInstant::from_key_attribute_value(s(java_text)).unwrap(), t0());
        assert_eq!(*PynamoDateTime::from_key_attribute_value(s(pynamo_text)).unwrap(), t0());
        assert_eq!(DateTime::<Utc>::from_key_attribute_value(s(nine)).unwrap(), t0());
        let matching = |result: Result<_, ConvertError>| match result.unwrap_err().kind() {
            ConvertErrorKind::NonCanonicalKey { matching, .. } => *matching,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            matching(JavaInstant::from_key_attribute_value(s(nine)).map(|_| ())),
            Some("DateTime<Utc>")
        );
        assert_eq!(
            matching(DateTime::<Utc>::from_key_attribute_value(s(pynamo_text)).map(|_| ())),
            Some("PynamoDateTime")
        );
        assert_eq!(
            matching(PynamoDateTime::from_key_attribute_value(s(java_text)).map(|_| ())),
            Some("JavaInstant")
        );
        assert_eq!(
            matching(JavaInstant::from_key_attribute_value(s("2019-01-13T14:00:00+00:00")).map(|_| ())),
            None
        );
        // A key of another DynamoDB type is a type error, not a format one.
        let err = JavaInstant::from_key_attribute_value(AttributeValue::N("1".into())).unwrap_err();
        assert!(matches!(err.kind(), ConvertErrorKind::WrongType { expected: "S", .. }));
        // Outside keys, every form reads.
        assert_eq!(DateTime::<Utc>::from_attribute_value(s(java_text)).unwrap(), t0());
        assert_eq!(*PynamoDateTime::from_attribute_value(s(java_text)).unwrap(), t0());
    }

    #[test]
    fn wrappers_convert_and_order_like_their_times() {
        let a = JavaInstant::from(t0());
        let b = JavaInstant::from(t0() + chrono::Duration::milliseconds(1));
        assert!(a < b);
        assert_eq!(DateTime::<Utc>::from(a), t0());
        assert_eq!(a.into_inner(), *a.as_datetime());
        assert_eq!(a.timestamp(), 1_547_388_000);
        assert_eq!(format!("{a:?}"), "JavaInstant(2019-01-13T14:00:00Z)");
        let seconds = UnixSeconds::from(t0() + chrono::Duration::milliseconds(999));
        assert_eq!(seconds, UnixSeconds::from(t0()));
        assert_eq!(
            "2019-01-13T14:00:00.999Z".parse::<UnixSeconds>().err().map(|_| ()),
            Some(())
        );
        assert_eq!("1547388000".parse::<UnixSeconds>().unwrap(), seconds);
    }

    #[test]
    fn sets_of_times() {
        let a = JavaInstant::from(t0());
        assert_eq!(a.to_member().unwrap(), SetMember::Text("2019-01-13T14:00:00Z".into()));
        assert_eq!(
            JavaInstant::from_member(SetMember::Text("2019-01-13T14:00:00.000Z".into())).unwrap(),
            a
        );
        assert_eq!(UnixMillis::SET_TYPE, SetType::Number);
        let m = UnixMillis::from(t0());
        assert_eq!(UnixMillis::from_member(m.to_member().unwrap()).unwrap(), m);
    }

    #[test]
    fn years_beyond_four_digits_are_refused() {
        let far = Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap();
        assert!(matches!(
            far.to_attribute_value().unwrap_err().kind(),
            ConvertErrorKind::InvalidTimestamp { .. }
        ));
    }
}
