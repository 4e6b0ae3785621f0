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

/// Found in a map of [`KeyId`]s by its bytes (a key identity written into a reused buffer).
impl std::borrow::Borrow<[u8]> for KeyId {
    fn borrow(&self) -> &[u8] {
        &self.0
    }
}

impl KeyId {
    /// The key this identity stands for, with a number in plain decimal text (the same value,
    /// so the same item, as the text the key was given in).
    pub(crate) fn to_key(&self, names: KeyNames) -> Option<ItemMap> {
        let mut rest = self.0.as_slice();
        let part = |rest: &mut &[u8]| -> Option<Vec<u8>> {
            let (len, tail) = rest.split_first_chunk::<8>()?;
            let len = usize::try_from(u64::from_le_bytes(*len)).ok()?;
            let (part, tail) = tail.split_at_checked(len)?;
            *rest = tail;
            Some(part.to_vec())
        };
        part(&mut rest)?; // the table
        let mut key = HashMap::with_capacity(2);
        for name in std::iter::once(names.partition).chain(names.sort) {
            let (&tag, tail) = rest.split_first()?;
            rest = tail;
            let bytes = part(&mut rest)?;
            let value = match tag {
                b'S' => AttributeValue::S(String::from_utf8(bytes).ok()?),
                b'N' => AttributeValue::N(decimal_text(std::str::from_utf8(&bytes).ok()?)?),
                b'B' => AttributeValue::B(bytes.into()),
                _ => return None,
            };
            key.insert(name.to_owned(), value);
        }
        Some(key)
    }
}

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
        self.write_key_id(table, item, &mut out)?;
        Some(KeyId(out))
    }

    /// Writes the bytes of [`key_id`](Self::key_id) into `out` (cleared first), to find a
    /// key among [`KeyId`]s without allocating one.
    pub(crate) fn write_key_id(&self, table: &str, item: &ItemMap, out: &mut Vec<u8>) -> Option<()> {
        out.clear();
        push_part(out, table.as_bytes());
        for name in std::iter::once(self.partition).chain(self.sort) {
            match item.get(name)? {
                AttributeValue::S(s) => {
                    out.push(b'S');
                    push_part(out, s.as_bytes());
                }
                AttributeValue::N(n) => {
                    out.push(b'N');
                    push_part(out, normalize_number(n).as_bytes());
                }
                AttributeValue::B(b) => {
                    out.push(b'B');
                    push_part(out, b.as_ref());
                }
                _ => return None,
            }
        }
        Some(())
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

/// A number [`normalize_number`] wrote, in plain decimal text: `-123e-2` is `-1.23`, `5e3`
/// is `5000`.
fn decimal_text(normalized: &str) -> Option<String> {
    if normalized == "0" {
        return Some("0".to_owned());
    }
    let (mantissa, exponent) = normalized.split_once('e')?;
    let exponent: i64 = exponent.parse().ok()?;
    let (sign, digits) = match mantissa.strip_prefix('-') {
        Some(digits) => ("-", digits),
        None => ("", mantissa),
    };
    let mut out = String::from(sign);
    if exponent >= 0 {
        out.push_str(digits);
        out.extend(std::iter::repeat_n('0', usize::try_from(exponent).ok()?));
    } else {
        let fraction = usize::try_from(-exponent).ok()?;
        if fraction >= digits.len() {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', fraction - digits.len()));
            out.push_str(digits);
        } else {
            let (whole, fraction) = digits.split_at(digits.len() - fraction);
            out.push_str(whole);
            out.push('.');
            out.push_str(fraction);
        }
    }
    Some(out)
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

    #[test]
    fn numbers_written_back_have_their_value() {
        for (given, decimal) in [
            ("1", "1"),
            ("1.50", "1.5"),
            ("1E2", "100"),
            ("-0.050", "-0.05"),
            ("0", "0"),
            ("-0.000", "0"),
            ("123.456", "123.456"),
            (
                "99999999999999999999999999999999999999",
                "99999999999999999999999999999999999999",
            ),
            ("1E-130", &format!("0.{}1", "0".repeat(129))),
        ] {
            assert_eq!(
                decimal_text(&normalize_number(given)).as_deref(),
                Some(decimal),
                "{given}"
            );
            assert_eq!(normalize_number(decimal), normalize_number(given), "{given}");
        }
    }

    #[test]
    fn a_key_identity_gives_its_key_back() {
        let names = KeyNames {
            partition: "pk",
            sort: Some("sk"),
        };
        let key = HashMap::from([
            ("pk".to_owned(), AttributeValue::S("user#1".into())),
            ("sk".to_owned(), AttributeValue::N("7".into())),
        ]);
        assert_eq!(names.key_id("t", &key).unwrap().to_key(names), Some(key));
        let names = KeyNames {
            partition: "id",
            sort: None,
        };
        let key = HashMap::from([("id".to_owned(), AttributeValue::B(vec![0, 255, 3].into()))]);
        assert_eq!(names.key_id("t", &key).unwrap().to_key(names), Some(key));
    }
}
