//! `chrono::DateTime<Utc>` as an RFC 3339 string (`S`).

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Datelike, SecondsFormat, Utc};

use super::{
    AttributeType, FromAttributeValue, KeyAttribute, ScalarType, SetElement, SetMember, SetType, ToAttributeValue,
};
use crate::error::{ConvertError, ConvertErrorKind};

/// `2024-05-01T12:00:00.000000000Z`: always nine sub-second digits and `Z`, so that comparing
/// the strings (as DynamoDB does in key conditions) compares the times.
pub(crate) fn format_timestamp(time: &DateTime<Utc>) -> Result<String, ConvertError> {
    if !(0..=9999).contains(&time.year()) {
        return Err(ConvertError::new(ConvertErrorKind::InvalidTimestamp {
            value: time.to_string(),
            reason: "only years 0000 to 9999 keep text order equal to time order".to_owned(),
        }));
    }
    Ok(time.to_rfc3339_opts(SecondsFormat::Nanos, true))
}

/// Reads any RFC 3339 timestamp (any offset, any sub-second width).
pub(crate) fn parse_timestamp(text: String) -> Result<DateTime<Utc>, ConvertError> {
    match DateTime::parse_from_rfc3339(&text) {
        Ok(time) => Ok(time.with_timezone(&Utc)),
        Err(e) => Err(ConvertError::new(ConvertErrorKind::InvalidTimestamp {
            value: text,
            reason: e.to_string(),
        })),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

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
    fn other_offsets_are_read_as_utc() {
        let t = parse_timestamp("2024-01-01T02:00:00+02:00".to_owned()).unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap());
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
