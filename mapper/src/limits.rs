//! DynamoDB's hard limits, checked before a request is sent.
//!
//! Every write plan and read request runs through these checks, so a request DynamoDB would
//! refuse fails with [`Error::Refused`] and a
//! [`RefusalKind`] a program can match on, before anything is sent. The numbers are public
//! for code of your own (and are what the strict request check of the `testing` feature
//! enforces on the wire).
//!
//! ```
//! use std::collections::HashMap;
//! use aws_sdk_dynamodb::types::AttributeValue;
//! use dynamodb_mapper::limits;
//!
//! let item = HashMap::from([
//!     ("id".to_owned(), AttributeValue::S("42".into())),   // 2 + 2
//!     ("score".to_owned(), AttributeValue::N("1234".into())), // 5 + (2 + 1)
//! ]);
//! assert_eq!(limits::item_size(&item), 12);
//! assert!(limits::item_size(&item) <= limits::MAX_ITEM_SIZE);
//! ```

use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::{Error, RefusalKind};
use crate::item::ItemMap;

/// The largest item: 400 KB, attribute names and values counted.
pub const MAX_ITEM_SIZE: usize = 400 * 1024;
/// The largest expression text (condition, update, filter, key condition, projection).
pub const MAX_EXPRESSION_SIZE: usize = 4 * 1024;
/// The most values an `IN` comparison takes.
pub const MAX_IN_VALUES: usize = 100;
/// The largest partition key value, in bytes.
pub const MAX_PARTITION_KEY_SIZE: usize = 2048;
/// The largest sort key value, in bytes.
pub const MAX_SORT_KEY_SIZE: usize = 1024;
/// The most puts and deletes in one `BatchWriteItem` request.
pub const MAX_BATCH_WRITE_ITEMS: usize = 25;
/// The largest `BatchWriteItem` request.
pub const MAX_BATCH_WRITE_SIZE: usize = 16 * 1024 * 1024;
/// The most keys in one `BatchGetItem` request.
pub const MAX_BATCH_GET_KEYS: usize = 100;
/// The most actions in one `TransactWriteItems` or `TransactGetItems` request.
pub const MAX_TRANSACTION_ACTIONS: usize = 100;
/// The largest transaction: the sum of its items.
pub const MAX_TRANSACTION_SIZE: usize = 4 * 1024 * 1024;
/// The longest client request token of a transaction.
pub const MAX_CLIENT_REQUEST_TOKEN_LEN: usize = 36;

/// The size DynamoDB counts for an item: every attribute's name and value.
pub fn item_size(item: &ItemMap) -> usize {
    item.iter().map(|(name, value)| name.len() + value_size(value)).sum()
}

/// The size DynamoDB counts for one value (without its attribute name): strings in UTF-8
/// bytes, binary in raw bytes, numbers about one byte per two significant digits plus one,
/// `NULL` and booleans one byte, lists and maps three bytes plus one per element plus their
/// elements (and, in maps, the elements' names).
pub fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
        AttributeValue::Ns(set) => set.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(set) => set.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(list) => 3 + list.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => 3 + map.iter().map(|(k, v)| 1 + k.len() + value_size(v)).sum::<usize>(),
        _ => 0,
    }
}

/// One byte per two significant digits, plus one. Counted in one pass over the mantissa,
/// without allocating: its digits, less leading and trailing zeros.
fn number_size(text: &str) -> usize {
    let (mut digits, mut leading, mut trailing, mut seen_nonzero) = (0usize, 0usize, 0usize, false);
    for byte in text.bytes() {
        match byte {
            b'e' | b'E' => break,
            b'0' => {
                digits += 1;
                trailing += 1;
                if !seen_nonzero {
                    leading += 1;
                }
            }
            b'1'..=b'9' => {
                digits += 1;
                trailing = 0;
                seen_nonzero = true;
            }
            _ => {}
        }
    }
    let significant = if seen_nonzero { digits - leading - trailing } else { 0 };
    significant.div_ceil(2) + 1
}

/// Refuses an item over [`MAX_ITEM_SIZE`]; returns its size.
pub(crate) fn check_item_size(item: &ItemMap, what: impl std::fmt::Display) -> Result<usize, Error> {
    let size = item_size(item);
    if size > MAX_ITEM_SIZE {
        return Err(Error::refused(
            RefusalKind::ItemTooLarge,
            format!(
                "{what} is {size} bytes, over DynamoDB's limit of {MAX_ITEM_SIZE} (400 KB, names and values counted)"
            ),
        ));
    }
    Ok(size)
}

/// Refuses an expression text over [`MAX_EXPRESSION_SIZE`].
pub(crate) fn check_expression(kind: &str, text: &str) -> Result<(), Error> {
    if text.len() > MAX_EXPRESSION_SIZE {
        return Err(Error::refused(
            RefusalKind::ExpressionTooLarge,
            format!(
                "the {kind} expression is {} bytes, over DynamoDB's limit of {MAX_EXPRESSION_SIZE}",
                text.len()
            ),
        ));
    }
    Ok(())
}

/// The role of a key attribute, for its size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyRole {
    Partition,
    Sort,
}

/// Refuses a key value DynamoDB would reject: an empty string or binary, or one over the
/// size limit of its role. `name` names the attribute (and its index, if any) in the message.
pub(crate) fn check_key_value(
    name: impl std::fmt::Display,
    role: KeyRole,
    value: &AttributeValue,
) -> Result<(), Error> {
    let size = match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::N(_) => return Ok(()),
        other => {
            return Err(Error::refused(
                RefusalKind::InvalidKey,
                format!(
                    "key attribute `{name}` holds {}, but a key is a string, a number or binary",
                    crate::value::type_of(other)
                ),
            ));
        }
    };
    if size == 0 {
        return Err(Error::refused(
            RefusalKind::EmptyKeyValue,
            format!("key attribute `{name}` is empty, and DynamoDB refuses empty key values"),
        ));
    }
    let max = match role {
        KeyRole::Partition => MAX_PARTITION_KEY_SIZE,
        KeyRole::Sort => MAX_SORT_KEY_SIZE,
    };
    if size > max {
        return Err(Error::refused(
            RefusalKind::KeyTooLarge,
            format!("key attribute `{name}` is {size} bytes, over DynamoDB's limit of {max}"),
        ));
    }
    Ok(())
}

/// Refuses more than [`MAX_IN_VALUES`] values in an `IN`.
pub(crate) fn check_in_values(count: usize) -> Result<(), Error> {
    if count > MAX_IN_VALUES {
        return Err(Error::refused(
            RefusalKind::TooManyValues,
            format!("`IN` takes at most {MAX_IN_VALUES} values, not {count}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::primitives::Blob;

    fn s(text: &str) -> AttributeValue {
        AttributeValue::S(text.into())
    }

    #[test]
    fn sizes_follow_dynamodbs_rules() {
        assert_eq!(value_size(&s("héllo")), 6);
        assert_eq!(value_size(&AttributeValue::N("0012.3400".into())), 3); // 1234: 2 + 1
        assert_eq!(value_size(&AttributeValue::N("-1E+100".into())), 2);
        assert_eq!(value_size(&AttributeValue::N("12345".into())), 4);
        // Zeros count only between significant digits; a zero is one byte.
        for (number, size) in [
            ("0", 1),
            ("-0.000", 1),
            ("100", 2),
            ("1001", 3),
            ("0.050", 2),
            ("7e-5", 2),
        ] {
            assert_eq!(value_size(&AttributeValue::N(number.into())), size, "{number}");
        }
        assert_eq!(value_size(&AttributeValue::B(Blob::new(vec![0; 10]))), 10);
        assert_eq!(value_size(&AttributeValue::Null(true)), 1);
        assert_eq!(value_size(&AttributeValue::L(vec![])), 3);
        assert_eq!(
            value_size(&AttributeValue::L(vec![s("ab"), AttributeValue::Bool(true)])),
            3 + 3 + 2
        );
        let map = AttributeValue::M([("k".to_owned(), s("abc"))].into());
        assert_eq!(value_size(&map), 3 + 1 + 1 + 3);
        assert_eq!(value_size(&AttributeValue::Ss(vec!["a".into(), "bc".into()])), 3);
    }

    /// The plain reading of the rule, for the property test: the mantissa's digits, less
    /// leading and trailing zeros.
    fn reference_number_size(text: &str) -> usize {
        let mantissa = text.split(['e', 'E']).next().unwrap_or_default();
        let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
        let significant = digits.trim_start_matches('0').trim_end_matches('0').len();
        significant.div_ceil(2) + 1
    }

    proptest::proptest! {
        #[test]
        fn number_sizes_agree_with_the_plain_reading(
            sign in "-?",
            whole in "[0-9]{1,20}",
            fraction in proptest::option::of("[0-9]{1,20}"),
            exponent in proptest::option::of("[eE][+-]?[0-9]{1,3}"),
        ) {
            let text = format!(
                "{sign}{whole}{}{}",
                fraction.map(|f| format!(".{f}")).unwrap_or_default(),
                exponent.unwrap_or_default()
            );
            proptest::prop_assert_eq!(number_size(&text), reference_number_size(&text), "{}", text);
        }
    }

    #[test]
    fn an_item_of_exactly_400_kb_passes_and_one_byte_more_is_refused() {
        let mut item = ItemMap::from([("pk".to_owned(), s("x"))]);
        item.insert("blob".to_owned(), s(&"a".repeat(MAX_ITEM_SIZE - 3 - 4)));
        assert_eq!(item_size(&item), MAX_ITEM_SIZE);
        check_item_size(&item, "the item").unwrap();
        item.insert("z".to_owned(), AttributeValue::Bool(true));
        let err = check_item_size(&item, "the item").unwrap_err();
        assert_eq!(err.as_refusal().unwrap().kind(), RefusalKind::ItemTooLarge);
    }

    #[test]
    fn key_values() {
        check_key_value("id", KeyRole::Partition, &s("a")).unwrap();
        check_key_value("n", KeyRole::Sort, &AttributeValue::N("1".into())).unwrap();
        let kind = |r: Result<(), Error>| r.unwrap_err().as_refusal().unwrap().kind();
        assert_eq!(
            kind(check_key_value("id", KeyRole::Partition, &s(""))),
            RefusalKind::EmptyKeyValue
        );
        assert_eq!(
            kind(check_key_value("sk", KeyRole::Sort, &s(&"a".repeat(1025)))),
            RefusalKind::KeyTooLarge
        );
        check_key_value("pk", KeyRole::Partition, &s(&"a".repeat(2048))).unwrap();
        assert_eq!(
            kind(check_key_value("id", KeyRole::Partition, &AttributeValue::Bool(true))),
            RefusalKind::InvalidKey
        );
    }

    #[test]
    fn expressions_and_in_lists() {
        check_expression("condition", &"a".repeat(MAX_EXPRESSION_SIZE)).unwrap();
        let err = check_expression("condition", &"a".repeat(MAX_EXPRESSION_SIZE + 1)).unwrap_err();
        assert_eq!(err.as_refusal().unwrap().kind(), RefusalKind::ExpressionTooLarge);
        check_in_values(100).unwrap();
        assert_eq!(
            check_in_values(101).unwrap_err().as_refusal().unwrap().kind(),
            RefusalKind::TooManyValues
        );
    }
}
