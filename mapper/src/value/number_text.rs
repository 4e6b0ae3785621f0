//! DynamoDB's number syntax, read into integer types.
//!
//! Other clients send integers in any form DynamoDB accepts: boto3 sends Python `Decimal`s as
//! `str(d)`, which gives `1E+2` for `Decimal(100).scaleb(0)`-style values, `-0`, or `100.0`.
//! Reading an integer field tries the plain integer parse first (the common case, unchanged);
//! only when it fails is the text read here, as a decimal number, and accepted if its value is
//! an integer that fits the type.

use std::str::FromStr;

use crate::value::{ConvertError, ConvertErrorKind};

/// Exponents are read up to this magnitude; beyond it only the sign matters (any non-zero
/// mantissa is out of range or fractional).
const EXPONENT_CAP: i64 = 1_000_000_000_000_000;

/// The widest integer type has 39 digits; longer values are out of range for every type.
const MAX_INTEGER_DIGITS: i64 = 40;

/// Reads `text` (DynamoDB number syntax: `[+-]digits[.digits][(e|E)[+-]digits]`) as the integer
/// `T`: an error that the value is fractional or malformed ([`ConvertErrorKind::InvalidNumber`])
/// or does not fit `T` ([`ConvertErrorKind::OutOfRange`]).
#[cold]
#[inline(never)]
pub(crate) fn parse_integer_text<T: FromStr>(text: &str) -> Result<T, ConvertError> {
    let rust_type = std::any::type_name::<T>();
    let invalid = || {
        ConvertError::new(ConvertErrorKind::InvalidNumber {
            value: text.to_owned(),
            rust_type,
        })
    };
    let out_of_range = || {
        ConvertError::new(ConvertErrorKind::OutOfRange {
            value: text.to_owned(),
            target: rust_type,
        })
    };
    let Some(Decimal {
        negative,
        digits,
        scale,
    }) = Decimal::parse(text)
    else {
        return Err(invalid());
    };
    if digits.is_empty() {
        // Zero, whatever its sign or exponent: `-0` is 0 for unsigned types too.
        return "0".parse().map_err(|_| invalid());
    }
    if scale < 0 {
        return Err(invalid()); // a fractional part
    }
    if digits.len() as i64 + scale > MAX_INTEGER_DIGITS {
        return Err(out_of_range());
    }
    let mut integer = String::with_capacity(1 + digits.len() + scale as usize);
    if negative {
        integer.push('-');
    }
    integer.push_str(&digits);
    integer.extend(std::iter::repeat_n('0', scale as usize));
    integer.parse().map_err(|_| out_of_range())
}

/// A number as `±digits × 10^scale`, `digits` without leading or trailing zeros (empty for
/// zero).
#[derive(Debug, PartialEq)]
struct Decimal {
    negative: bool,
    digits: String,
    scale: i64,
}

impl Decimal {
    fn parse(text: &str) -> Option<Self> {
        let (negative, unsigned) = match text.as_bytes().first()? {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
            Some((mantissa, exponent)) => (mantissa, Some(exponent)),
            None => (unsigned, None),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() && fraction.is_empty() || !all_digits(whole) || !all_digits(fraction) {
            return None;
        }
        let exponent = match exponent {
            None => 0,
            Some(e) => {
                let (sign, magnitude) = match e.as_bytes().first()? {
                    b'-' => (-1, &e[1..]),
                    b'+' => (1, &e[1..]),
                    _ => (1, e),
                };
                if magnitude.is_empty() || !all_digits(magnitude) {
                    return None;
                }
                // Saturates: `1E+999999999999999999999` must not overflow.
                let value = magnitude
                    .bytes()
                    .try_fold(0i64, |n, b| {
                        let n = n * 10 + i64::from(b - b'0');
                        (n <= EXPONENT_CAP).then_some(n)
                    })
                    .unwrap_or(EXPONENT_CAP);
                sign * value
            }
        };
        // value = whole.fraction × 10^exponent = (whole ++ fraction) × 10^(exponent - |fraction|)
        let mut digits = String::with_capacity(whole.len() + fraction.len());
        digits.push_str(whole);
        digits.push_str(fraction);
        let mut scale = exponent - fraction.len() as i64;
        let trailing = digits.len() - digits.trim_end_matches('0').len();
        digits.truncate(digits.len() - trailing);
        scale += trailing as i64;
        let leading = digits.len() - digits.trim_start_matches('0').len();
        digits.drain(..leading);
        Some(Decimal {
            negative,
            digits,
            scale,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decimal(negative: bool, digits: &str, scale: i64) -> Option<Decimal> {
        Some(Decimal {
            negative,
            digits: digits.to_owned(),
            scale,
        })
    }

    #[test]
    fn decimals_are_normalised() {
        assert_eq!(Decimal::parse("1E+2"), decimal(false, "1", 2));
        assert_eq!(Decimal::parse("2.5E+3"), decimal(false, "25", 2));
        assert_eq!(Decimal::parse("-0"), decimal(true, "", 1));
        assert_eq!(Decimal::parse("100.0"), decimal(false, "1", 2));
        assert_eq!(Decimal::parse("0.0012"), decimal(false, "12", -4));
        assert_eq!(Decimal::parse("1.0E2"), decimal(false, "1", 2));
        assert_eq!(Decimal::parse(".5e1"), decimal(false, "5", 0));
        assert_eq!(Decimal::parse("5."), decimal(false, "5", 0));
        assert_eq!(
            Decimal::parse("1E+999999999999999999999"),
            decimal(false, "1", EXPONENT_CAP)
        );
        assert_eq!(
            Decimal::parse("1e-999999999999999999999"),
            decimal(false, "1", -EXPONENT_CAP)
        );
    }

    /// Text, then the `i64`, `u8` and `u64` it reads as (`None`: an error).
    #[allow(clippy::type_complexity)]
    const TABLE: &[(&str, Option<i64>, Option<u8>, Option<u64>)] = &[
        ("100", Some(100), Some(100), Some(100)),
        ("1E+2", Some(100), Some(100), Some(100)),
        ("1e2", Some(100), Some(100), Some(100)),
        ("1E2", Some(100), Some(100), Some(100)),
        ("2.5E+3", Some(2500), None, Some(2500)),
        ("-0", Some(0), Some(0), Some(0)),
        ("-0.000", Some(0), Some(0), Some(0)),
        ("0E+5", Some(0), Some(0), Some(0)),
        ("0E-999999999999999", Some(0), Some(0), Some(0)),
        ("100.0", Some(100), Some(100), Some(100)),
        ("1.0E2", Some(100), Some(100), Some(100)),
        ("12.50E1", Some(125), Some(125), Some(125)),
        ("1000E-1", Some(100), Some(100), Some(100)),
        ("-1E+2", Some(-100), None, None),
        ("+7", Some(7), Some(7), Some(7)),
        ("5.", Some(5), Some(5), Some(5)),
        ("0.5E1", Some(5), Some(5), Some(5)),
        ("000.00300E3", Some(3), Some(3), Some(3)),
        ("2.56E2", Some(256), None, Some(256)),
        ("9.223372036854775807E18", Some(i64::MAX), None, Some(i64::MAX as u64)),
        ("-9.223372036854775808E18", Some(i64::MIN), None, None),
        ("1.8446744073709551615E19", None, None, Some(u64::MAX)),
        ("1E+19", None, None, Some(10_000_000_000_000_000_000)),
        ("1E+20", None, None, None),
        ("1E+38", None, None, None),
        ("1E+999999999999", None, None, None),
        ("1E+999999999999999999999999999", None, None, None),
        ("-1E+999999999999", None, None, None),
        // Fractional values.
        ("1.5", None, None, None),
        ("1.5E+0", None, None, None),
        ("25E-1", None, None, None),
        ("1E-999999999999", None, None, None),
        ("0.1", None, None, None),
        // Not numbers.
        ("", None, None, None),
        ("-", None, None, None),
        (".", None, None, None),
        ("e5", None, None, None),
        ("1e", None, None, None),
        ("1e+", None, None, None),
        ("1.2.3", None, None, None),
        ("1e2e3", None, None, None),
        ("0x10", None, None, None),
        (" 1", None, None, None),
        ("1 ", None, None, None),
        ("NaN", None, None, None),
        ("Infinity", None, None, None),
        ("--1", None, None, None),
        ("1_000", None, None, None),
    ];

    #[test]
    fn integers_accept_dynamodb_number_syntax() {
        for &(text, as_i64, as_u8, as_u64) in TABLE {
            assert_eq!(parse_integer_text::<i64>(text).ok(), as_i64, "{text} as i64");
            assert_eq!(parse_integer_text::<u8>(text).ok(), as_u8, "{text} as u8");
            assert_eq!(parse_integer_text::<u64>(text).ok(), as_u64, "{text} as u64");
        }
    }

    #[test]
    fn errors_tell_fractions_from_overflow() {
        let kind = |text| parse_integer_text::<i32>(text).unwrap_err().kind().clone();
        assert!(matches!(
            kind("2.5"),
            ConvertErrorKind::InvalidNumber { rust_type: "i32", .. }
        ));
        assert!(matches!(kind("1E-3"), ConvertErrorKind::InvalidNumber { .. }));
        assert!(matches!(kind("abc"), ConvertErrorKind::InvalidNumber { .. }));
        assert!(matches!(
            kind("1E+10"),
            ConvertErrorKind::OutOfRange { target: "i32", .. }
        ));
        assert!(matches!(kind("1E+999999999999"), ConvertErrorKind::OutOfRange { .. }));
        assert!(matches!(kind("3000000000"), ConvertErrorKind::OutOfRange { .. }));
    }
}
