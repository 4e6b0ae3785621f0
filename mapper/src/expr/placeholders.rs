//! One request's placeholder allocation, and the check that every request declares exactly
//! the placeholders it uses.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::{Error, RefusalKind};

/// Allocates `#nN` and `:vN` placeholders for one request. Every expression of the request
/// (condition, update, key condition, filter, projection) renders through the same allocator,
/// so placeholders never collide.
///
/// Placeholders the mapper generates are correct by construction; when a hand-written
/// [`Expression`](super::Expression) was merged in, [`finish`](Placeholders::finish) also
/// checks the request's texts for placeholders declared but unused, or used but undeclared.
#[derive(Debug, Default)]
pub struct Placeholders {
    /// The attribute names, by placeholder number.
    names: Vec<String>,
    /// Name → placeholder number, once there are too many names to scan.
    by_name: Option<HashMap<String, u32>>,
    values: Vec<AttributeValue>,
    hand_written: bool,
}

/// Up to this many names, finding a name's placeholder scans them (faster than hashing).
const SCANNED_NAMES: usize = 24;

/// The digits of `n` in decimal.
fn decimal_len(n: usize) -> usize {
    n.checked_ilog10().map_or(1, |digits| digits as usize + 1)
}

/// `#n7`, `:v3`: a prefix and a number.
fn placeholder(prefix: &str, number: usize) -> String {
    let mut buffer = itoa::Buffer::new();
    let digits = buffer.format(number);
    let mut out = String::with_capacity(prefix.len() + digits.len());
    out.push_str(prefix);
    out.push_str(digits);
    out
}

impl Placeholders {
    /// A fresh allocator.
    pub fn new() -> Self {
        Self::default()
    }

    /// The placeholder for an attribute name (the same name always gets the same one).
    pub fn name(&mut self, name: &str) -> String {
        let mut out = String::new();
        self.push_name(name, &mut out);
        out
    }

    /// A new placeholder for a value.
    pub fn value(&mut self, value: AttributeValue) -> String {
        let mut out = String::new();
        self.push_value(value, &mut out);
        out
    }

    /// Writes the placeholder for an attribute name into `out`.
    pub(crate) fn push_name(&mut self, name: &str, out: &mut String) {
        let known = match &self.by_name {
            Some(by_name) => by_name.get(name).map(|&n| n as usize),
            None => self.names.iter().position(|known| known == name),
        };
        let number = known.unwrap_or_else(|| {
            let next = self.names.len();
            self.names.push(name.to_owned());
            if let Some(by_name) = &mut self.by_name {
                by_name.insert(name.to_owned(), next as u32);
            } else if self.names.len() > SCANNED_NAMES {
                let numbered = self.names.iter().enumerate().map(|(n, name)| (name.clone(), n as u32));
                self.by_name = Some(numbered.collect());
            }
            next
        });
        out.push_str("#n");
        out.push_str(itoa::Buffer::new().format(number));
    }

    /// Writes a new placeholder for `value` into `out`.
    pub(crate) fn push_value(&mut self, value: AttributeValue, out: &mut String) {
        out.push_str(":v");
        out.push_str(itoa::Buffer::new().format(self.values.len()));
        self.values.push(value);
    }

    /// How many value placeholders are allocated so far.
    pub(crate) fn value_count(&self) -> usize {
        self.values.len()
    }

    /// The bytes the placeholders declare, as DynamoDB's request limits count them: every
    /// name with its placeholder, and the values from number `first_value` on with theirs.
    pub(crate) fn size_from(&self, first_value: usize) -> usize {
        let names: usize = (self.names.iter().enumerate())
            .map(|(n, name)| 2 + decimal_len(n) + name.len())
            .sum();
        let values: usize = (self.values.iter().enumerate().skip(first_value))
            .map(|(n, value)| 2 + decimal_len(n) + crate::limits::value_size(value))
            .sum();
        names + values
    }

    /// Notes that a hand-written expression was rendered, so `finish` checks the texts.
    pub(crate) fn merged_hand_written(&mut self) {
        self.hand_written = true;
    }

    /// The attribute names and values to send with `expressions` (the request's texts), `None`
    /// when there are none (DynamoDB rejects empty maps). If a hand-written expression was
    /// merged, first checks that the texts use exactly the placeholders declared.
    pub fn finish(self, expressions: &[Option<&str>]) -> Result<RenderedExpressions, Error> {
        let names = (!self.names.is_empty()).then(|| {
            self.names
                .into_iter()
                .enumerate()
                .map(|(n, name)| (placeholder("#n", n), name))
                .collect()
        });
        let values = (!self.values.is_empty()).then(|| {
            self.values
                .into_iter()
                .enumerate()
                .map(|(n, value)| (placeholder(":v", n), value))
                .collect()
        });
        let rendered = RenderedExpressions { names, values };
        if self.hand_written {
            rendered.check(expressions)?;
        }
        Ok(rendered)
    }
}

/// The `ExpressionAttributeNames` and `ExpressionAttributeValues` of a request.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RenderedExpressions {
    /// Placeholder → attribute name.
    pub names: Option<HashMap<String, String>>,
    /// Placeholder → value.
    pub values: Option<HashMap<String, AttributeValue>>,
}

impl RenderedExpressions {
    /// Checks that the request's expressions use every declared placeholder and declare every
    /// used one. Real DynamoDB rejects both mistakes; some emulators accept them.
    pub fn check(&self, expressions: &[Option<&str>]) -> Result<(), Error> {
        let mut used_names = BTreeSet::new();
        let mut used_values = BTreeSet::new();
        for text in expressions.iter().flatten() {
            for token in placeholder_tokens(text) {
                if token.starts_with('#') {
                    used_names.insert(token);
                } else {
                    used_values.insert(token);
                }
            }
        }
        let declared_names: BTreeSet<&str> = self.names.iter().flat_map(|m| m.keys()).map(String::as_str).collect();
        let declared_values: BTreeSet<&str> = self.values.iter().flat_map(|m| m.keys()).map(String::as_str).collect();
        let mut problems = Vec::new();
        for unused in declared_names
            .difference(&used_names)
            .chain(declared_values.difference(&used_values))
        {
            problems.push(format!("`{unused}` is declared but not used"));
        }
        for undeclared in used_names
            .difference(&declared_names)
            .chain(used_values.difference(&declared_values))
        {
            problems.push(format!("`{undeclared}` is used but not declared"));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::refused(
                RefusalKind::Placeholders,
                format!("expression placeholders: {}", problems.join("; ")),
            ))
        }
    }
}

/// The `#name` and `:value` tokens of an expression.
pub(crate) fn placeholder_tokens(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            if bytes[i] == b'#' || bytes[i] == b':' {
                let start = i;
                i += 1;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                if i > start + 1 {
                    return Some(&text[start..i]);
                }
            } else {
                i += 1;
            }
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_reused_values_are_not() {
        let mut p = Placeholders::new();
        assert_eq!(p.name("status"), "#n0");
        assert_eq!(p.name("a.b"), "#n1");
        assert_eq!(p.name("status"), "#n0");
        assert_eq!(p.value(AttributeValue::Null(true)), ":v0");
        assert_eq!(p.value(AttributeValue::Null(true)), ":v1");
        let rendered = p.finish(&[Some("#n0 = :v0 AND #n1 = :v1")]).unwrap();
        assert_eq!(rendered.names.unwrap()["#n1"], "a.b");
    }

    #[test]
    fn many_names_keep_their_placeholders() {
        let mut p = Placeholders::new();
        let first: Vec<String> = (0..100).map(|i| p.name(&format!("a{i}"))).collect();
        let again: Vec<String> = (0..100).rev().map(|i| p.name(&format!("a{i}"))).collect();
        assert_eq!(first, again.into_iter().rev().collect::<Vec<_>>());
        assert_eq!(first[99], "#n99");
        let names = p.finish(&[None]).unwrap().names.unwrap();
        assert_eq!(names.len(), 100);
        assert_eq!(names["#n42"], "a42");
    }

    #[test]
    fn the_check_finds_unused_and_undeclared_placeholders() {
        let mut p = Placeholders::new();
        let n = p.name("x");
        let v = p.value(AttributeValue::Bool(true));
        let rendered = p.finish(&[Some(&format!("{n} = {v}"))]).unwrap();
        let err = rendered.check(&[Some(&format!("{n} = :other")), None]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "refused before sending: expression placeholders: `:v0` is declared but not used; `:other` is used but not declared"
        );
        assert!(RenderedExpressions::default().check(&[None]).is_ok());
    }

    #[test]
    fn tokens() {
        let found: Vec<&str> = placeholder_tokens("#a = :b AND size(#c_1) > :d2 OR #").collect();
        assert_eq!(found, ["#a", ":b", "#c_1", ":d2"]);
    }
}
