//! The identity of a key in a batch: to find what DynamoDB answers for each key among the
//! requests sent, and to refuse two writes or reads of one item.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::{Error, RefusalKind};
use crate::item::ItemMap;
use crate::schema::TableSchema;

/// A key as bytes that compare equal exactly when DynamoDB would address the same item: the
/// table, then each key attribute's type and value (numbers normalized, as DynamoDB compares
/// them by value).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct KeyId(Vec<u8>);

/// The names of a table's key attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyNames {
    pub(crate) partition: &'static str,
    pub(crate) sort: Option<&'static str>,
}

impl KeyNames {
    pub(crate) fn of(schema: &'static TableSchema) -> Self {
        KeyNames {
            partition: schema.partition_key.name,
            sort: schema.sort_key.map(|k| k.name),
        }
    }

    /// The identity of the key `item` carries (an item or a key); `None` if an attribute is
    /// missing or not a key type.
    pub(crate) fn key_id(&self, table: &str, item: &ItemMap) -> Option<KeyId> {
        let mut out = Vec::with_capacity(table.len() + 48);
        push_part(&mut out, table.as_bytes());
        for name in std::iter::once(self.partition).chain(self.sort) {
            match item.get(name)? {
                AttributeValue::S(s) => {
                    out.push(b'S');
                    push_part(&mut out, s.as_bytes());
                }
                AttributeValue::N(n) => {
                    out.push(b'N');
                    push_part(&mut out, normalize_number(n).as_bytes());
                }
                AttributeValue::B(b) => {
                    out.push(b'B');
                    push_part(&mut out, b.as_ref());
                }
                _ => return None,
            }
        }
        Some(KeyId(out))
    }
}

fn push_part(out: &mut Vec<u8>, part: &[u8]) {
    out.extend_from_slice(&(part.len() as u64).to_le_bytes());
    out.extend_from_slice(part);
}

/// A number's value as text: sign, significant digits and the power of ten of the last digit,
/// so that `1`, `1.0`, `01` and `1E0` compare equal.
pub(crate) fn normalize_number(text: &str) -> String {
    let text = text.trim();
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (&rest[..at], rest[at + 1..].parse::<i64>().unwrap_or(0)),
        None => (rest, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: String = whole.chars().chain(fraction.chars()).collect();
    let mut exponent = exponent - fraction.len() as i64;
    let trimmed = digits.trim_start_matches('0');
    let significant = trimmed.trim_end_matches('0');
    if significant.is_empty() {
        return "0".to_owned();
    }
    exponent += (trimmed.len() - significant.len()) as i64;
    format!("{}{significant}e{exponent}", if negative { "-" } else { "" })
}

/// Which key attribute names each table of a batch has: two item types written to one table
/// must agree on them.
#[derive(Default)]
pub(crate) struct TableKeys {
    tables: HashMap<Arc<str>, KeyNames>,
}

impl TableKeys {
    pub(crate) fn register(&mut self, table: &Arc<str>, schema: &'static TableSchema) -> Result<KeyNames, Error> {
        let names = KeyNames::of(schema);
        match self.tables.get(table) {
            Some(known) if *known != names => Err(Error::refused(
                RefusalKind::InvalidKey,
                format!(
                    "table `{table}` is given items of two types with different keys \
                     ({known:?} and {names:?}, the latter from `{}`)",
                    schema.item.type_name
                ),
            )),
            Some(known) => Ok(*known),
            None => {
                self.tables.insert(table.clone(), names);
                Ok(names)
            }
        }
    }

    pub(crate) fn get(&self, table: &str) -> Option<KeyNames> {
        self.tables.get(table).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_by_value() {
        for (a, b) in [
            ("1", "1.0"),
            ("01", "1"),
            ("1E2", "100"),
            ("-0.50", "-5e-1"),
            ("0", "-0.000"),
        ] {
            assert_eq!(normalize_number(a), normalize_number(b), "{a} {b}");
        }
        for (a, b) in [("1", "10"), ("1", "-1"), ("0.1", "1")] {
            assert_ne!(normalize_number(a), normalize_number(b), "{a} {b}");
        }
    }
}
