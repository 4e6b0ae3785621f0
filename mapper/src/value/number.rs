//! Integers and floats as `N`.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{
    AttributeRef, AttributeType, FromAttributeValue, KeyAttribute, ScalarType, SetElement, SetMember, SetType,
    ToAttributeValue,
};
use crate::value::{ConvertError, ConvertErrorKind};

/// DynamoDB keeps at most this many significant digits in a number.
const MAX_SIGNIFICANT_DIGITS: usize = 38;
/// What a value that DynamoDB cannot store is out of range for.
const DYNAMODB_NUMBER: &str = "a DynamoDB number (at most 38 significant digits, magnitude 1E-130 to 1E+126)";

/// Rejects integer text with more significant digits than DynamoDB keeps (trailing zeros are
/// not significant: `1E+38` is stored exactly).
fn check_precision(text: &str) -> Result<(), ConvertError> {
    let digits = text
        .trim_start_matches('-')
        .trim_start_matches('0')
        .trim_end_matches('0');
    if digits.len() > MAX_SIGNIFICANT_DIGITS {
        return Err(ConvertError::new(ConvertErrorKind::OutOfRange {
            value: text.to_owned(),
            target: DYNAMODB_NUMBER,
        }));
    }
    Ok(())
}

/// Checks number text produced elsewhere (the serde bridge) against what DynamoDB stores:
/// decimal syntax, at most 38 significant digits, magnitude 1E-130 to 1E+126.
#[cfg_attr(not(feature = "serde"), allow(dead_code))]
pub(crate) fn check_number_text(text: &str) -> Result<(), ConvertError> {
    let invalid = || {
        ConvertError::new(ConvertErrorKind::InvalidNumber {
            value: text.to_owned(),
            rust_type: "DynamoDB number",
        })
    };
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().map_err(|_| invalid())?),
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && fraction.is_empty() || !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let digits: String = format!("{whole}{fraction}");
    let leading = digits.bytes().take_while(|b| *b == b'0').count();
    let significant = digits[leading..].trim_end_matches('0');
    if significant.is_empty() {
        return Ok(()); // zero
    }
    // The power of ten of the first significant digit. In i128, so that no exponent (up to
    // i64's limits) and no length can overflow.
    let magnitude = i128::from(exponent) + whole.len() as i128 - leading as i128 - 1;
    if significant.len() > MAX_SIGNIFICANT_DIGITS || !(-130..=125).contains(&magnitude) {
        return Err(ConvertError::new(ConvertErrorKind::OutOfRange {
            value: text.to_owned(),
            target: DYNAMODB_NUMBER,
        }));
    }
    Ok(())
}

/// Formats an integer; `wide` types (128-bit) can exceed DynamoDB's precision.
#[inline]
fn format_integer<T: itoa::Integer>(value: T, wide: bool) -> Result<String, ConvertError> {
    let mut buffer = itoa::Buffer::new();
    let text = buffer.format(value);
    if wide {
        check_precision(text)?;
    }
    Ok(text.to_owned())
}

/// Parses integer text. Plain digits take the fast path; anything else is read in DynamoDB's
/// number syntax (`1E+2`, `-0`, `100.0`), which also tells "too large for the type" from "not
/// an integer".
fn parse_integer<T: std::str::FromStr>(text: &str) -> Result<T, ConvertError> {
    match text.parse() {
        Ok(value) => Ok(value),
        Err(_) => super::number_text::parse_integer_text(text),
    }
}

macro_rules! integers {
    ($($t:ty => wide: $wide:literal $(, to_sequence: { $($to_sequence:tt)* }, from_sequence: { $($from_sequence:tt)* })?;)*) => {$(
        impl ToAttributeValue for $t {
            const ATTRIBUTE_TYPE: &'static AttributeType = &AttributeType::N;
            #[inline]
            fn to_attribute_value(&self) -> Result<Option<AttributeValue>, ConvertError> {
                format_integer(*self, $wide).map(|text| Some(AttributeValue::N(text)))
            }
            $($($to_sequence)*)?
        }

        impl FromAttributeValue for $t {
            #[inline]
            fn from_attribute_value(value: AttributeValue) -> Result<Self, ConvertError> {
                match value {
                    AttributeValue::N(text) => parse_integer(&text),
                    other => Err(ConvertError::wrong_type::<$t>("N", &other)),
                }
            }
            #[inline]
            fn from_attribute_ref(value: AttributeRef<'_>) -> Result<Self, ConvertError> {
                match value {
                    AttributeRef::N(text) => parse_integer(text),
                    other => Err(ConvertError::wrong_type_ref::<$t>("N", other)),
                }
            }
            $($($from_sequence)*)?
        }

        impl KeyAttribute for $t {
            const SCALAR_TYPE: ScalarType = ScalarType::N;
        }

        impl SetElement for $t {
            const SET_TYPE: SetType = SetType::Number;
            #[inline]
            fn to_member(&self) -> Result<SetMember, ConvertError> {
                format_integer(*self, $wide).map(SetMember::Text)
            }
            fn from_member(member: SetMember) -> Result<Self, ConvertError> {
                match member {
                    SetMember::Text(text) => parse_integer(&text),
                    other => Err(other.mismatch::<$t>()),
                }
            }
        }
    )*};
}

integers! {
    i8 => wide: false;
    i16 => wide: false;
    i32 => wide: false;
    i64 => wide: false;
    i128 => wide: true;
    isize => wide: false;
    u16 => wide: false;
    u32 => wide: false;
    u64 => wide: false;
    u128 => wide: true;
    usize => wide: false;
    // `Vec<u8>` is binary, not a list of numbers.
    u8 => wide: false, to_sequence: {
        const SEQUENCE_ATTRIBUTE_TYPE: &'static AttributeType = &AttributeType::B;
        fn sequence_to_attribute_value<'a, I>(items: I) -> Result<Option<AttributeValue>, ConvertError>
        where
            I: ExactSizeIterator<Item = &'a Self>,
        {
            let bytes: Vec<u8> = items.copied().collect();
            Ok(Some(AttributeValue::B(bytes.into())))
        }
    }, from_sequence: {
        fn sequence_from_attribute_value(value: AttributeValue) -> Result<Vec<u8>, ConvertError> {
            match value {
                AttributeValue::B(blob) => Ok(blob.into_inner()),
                other => Err(ConvertError::wrong_type::<Vec<u8>>("B", &other)),
            }
        }
        fn sequence_from_attribute_ref(value: AttributeRef<'_>) -> Result<Vec<u8>, ConvertError> {
            match value {
                AttributeRef::B(bytes) => Ok(bytes.to_vec()),
                other => Err(ConvertError::wrong_type_ref::<Vec<u8>>("B", other)),
            }
        }
    };
}

/// A float from DynamoDB's number syntax: finite, or an error.
fn parse_float<T: std::str::FromStr + Float>(text: &str) -> Result<T, ConvertError> {
    match text.parse::<T>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(ConvertError::new(ConvertErrorKind::OutOfRange {
            value: text.to_owned(),
            target: T::NAME,
        })),
        Err(_) => Err(ConvertError::new(ConvertErrorKind::InvalidNumber {
            value: text.to_owned(),
            rust_type: T::NAME,
        })),
    }
}

/// What [`parse_float`] needs of `f32` and `f64`.
trait Float {
    const NAME: &'static str;
    fn is_finite(&self) -> bool;
}

macro_rules! floats {
    ($($t:ty => $check_range:literal;)*) => {$(
        impl ToAttributeValue for $t {
            const ATTRIBUTE_TYPE: &'static AttributeType = &AttributeType::N;
            fn to_attribute_value(&self) -> Result<Option<AttributeValue>, ConvertError> {
                let value = *self;
                if !value.is_finite() {
                    return Err(ConvertError::new(ConvertErrorKind::NotFinite {
                        rust_type: stringify!($t),
                    }));
                }
                let magnitude = f64::from(value).abs();
                if $check_range && magnitude != 0.0 && !(1e-130..1e126).contains(&magnitude) {
                    return Err(ConvertError::new(ConvertErrorKind::OutOfRange {
                        value: value.to_string(),
                        target: DYNAMODB_NUMBER,
                    }));
                }
                // The shortest text that reads back as the same value (at most 17 digits).
                Ok(Some(AttributeValue::N(ryu::Buffer::new().format_finite(value).to_owned())))
            }
        }

        impl FromAttributeValue for $t {
            fn from_attribute_value(value: AttributeValue) -> Result<Self, ConvertError> {
                match value {
                    AttributeValue::N(text) => parse_float(&text),
                    other => Err(ConvertError::wrong_type::<$t>("N", &other)),
                }
            }
            fn from_attribute_ref(value: AttributeRef<'_>) -> Result<Self, ConvertError> {
                match value {
                    AttributeRef::N(text) => parse_float(text),
                    other => Err(ConvertError::wrong_type_ref::<$t>("N", other)),
                }
            }
        }

        impl KeyAttribute for $t {
            const SCALAR_TYPE: ScalarType = ScalarType::N;
        }

        impl Float for $t {
            const NAME: &'static str = stringify!($t);
            fn is_finite(&self) -> bool {
                <$t>::is_finite(*self)
            }
        }
    )*};
}

// Every finite f32 is within DynamoDB's range; f64 is not.
floats! {
    f32 => false;
    f64 => true;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> AttributeValue {
        AttributeValue::N(text.to_owned())
    }

    #[test]
    fn number_text_is_checked_like_dynamodb() {
        for ok in [
            "0",
            "-0.0",
            "1",
            "1.5",
            "1e125",
            "9.99E+125",
            "1E-130",
            "0.000123",
            "-12.50",
            "99999999999999999999999999999999999999",
        ] {
            assert!(check_number_text(ok).is_ok(), "{ok}");
        }
        for bad in [
            "NaN",
            "inf",
            "",
            "-",
            "1e",
            "1.2.3",
            "0x10",
            "1e126",
            "1e-131",
            "340282366920938463463374607431768211455",
        ] {
            assert!(check_number_text(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn exponents_at_the_limits_are_out_of_range_not_overflows() {
        for text in [
            "1e9223372036854775807",
            "123456.7e9223372036854775807",
            "-1e-9223372036854775808",
            "0.0001e-9223372036854775808",
        ] {
            let err = check_number_text(text).unwrap_err();
            assert!(matches!(err.kind(), ConvertErrorKind::OutOfRange { .. }), "{text}");
        }
        // Out of i64: not a number DynamoDB reads.
        assert!(check_number_text("1e9223372036854775808").is_err());
        // Zero is zero whatever its exponent.
        assert!(check_number_text("0e9223372036854775807").is_ok());
        // Leading zeros count: this is 1E+4.
        let mut back = "0.".to_owned();
        back.push_str(&"0".repeat(200));
        back.push_str("1e205");
        assert!(check_number_text(&back).is_ok(), "1E+4 written with 200 leading zeros");
    }

    #[test]
    fn precision_counts_significant_digits_only() {
        assert!(check_precision("99999999999999999999999999999999999999").is_ok()); // 38 nines
        assert!(check_precision("-100000000000000000000000000000000000000000").is_ok());
        assert!(check_precision("170141183460469231731687303715884105727").is_err()); // i128::MAX
        assert!(check_precision("0").is_ok());
    }

    #[test]
    fn integers_out_of_range_are_errors_not_wraps() {
        let err = u8::from_attribute_value(n("256")).unwrap_err();
        assert!(matches!(err.kind(), ConvertErrorKind::OutOfRange { target: "u8", .. }));
        let err = u32::from_attribute_value(n("-1")).unwrap_err();
        assert!(matches!(err.kind(), ConvertErrorKind::OutOfRange { .. }));
        let err = i64::from_attribute_value(n("1.5")).unwrap_err();
        assert!(matches!(err.kind(), ConvertErrorKind::InvalidNumber { .. }));
        let err = u8::from_attribute_value(n("2.56E+2")).unwrap_err();
        assert!(matches!(err.kind(), ConvertErrorKind::OutOfRange { target: "u8", .. }));
        assert_eq!(u32::from_attribute_value(n("-0")).unwrap(), 0);
        assert_eq!(i64::from_attribute_value(n("2.5E+3")).unwrap(), 2500);
        assert!(u64::from_member(SetMember::Text("1E+2".into())).is_ok_and(|v| v == 100));
        let err = i64::from_attribute_value(n("")).unwrap_err();
        assert!(matches!(err.kind(), ConvertErrorKind::InvalidNumber { .. }));
    }

    #[test]
    fn wide_integers_beyond_38_digits_are_refused_on_write() {
        let err = i128::MIN.to_attribute_value().unwrap_err();
        assert!(matches!(
            err.kind(),
            ConvertErrorKind::OutOfRange {
                target: DYNAMODB_NUMBER,
                ..
            }
        ));
        assert!(u128::MAX.to_attribute_value().is_err());
        let widest = 10u128.pow(38) - 1;
        assert_eq!(
            widest.to_attribute_value().unwrap(),
            Some(n("99999999999999999999999999999999999999"))
        );
    }

    #[test]
    fn floats_reject_what_dynamodb_cannot_store() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let err = bad.to_attribute_value().unwrap_err();
            assert!(matches!(err.kind(), ConvertErrorKind::NotFinite { .. }));
        }
        assert!(1e200f64.to_attribute_value().is_err());
        assert!(1e-200f64.to_attribute_value().is_err());
        assert_eq!(0.1f32.to_attribute_value().unwrap(), Some(n("0.1")));
        assert_eq!((-0.0f64).to_attribute_value().unwrap(), Some(n("-0.0")));
        assert!(f32::from_attribute_value(n("1e39")).is_err());
    }

    #[test]
    fn bytes_are_binary_not_lists() {
        let v = <Vec<u8> as ToAttributeValue>::to_attribute_value(&vec![1, 2, 3]).unwrap();
        assert_eq!(v, Some(AttributeValue::B(vec![1u8, 2, 3].into())));
        let back: Vec<u8> = FromAttributeValue::from_attribute_value(v.unwrap()).unwrap();
        assert_eq!(back, [1, 2, 3]);
    }
}
