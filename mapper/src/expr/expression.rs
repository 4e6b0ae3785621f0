//! An expression written by hand, with its own placeholders.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::placeholders::{Placeholders, placeholder_tokens};
use crate::error::{Error, RefusalKind};
use crate::value::ToAttributeValue;

/// An expression in DynamoDB's syntax with its own `#name` and `:value` placeholders, for what
/// the typed builders do not cover.
///
/// When it is merged into a request its placeholders are renamed, so they cannot collide with
/// the mapper's or another expression's.
///
/// ```
/// use dynamodb_mapper::expr::{Condition, Expression};
///
/// let raw = Expression::new("size(#tags) < :max").name("#tags", "tags").value(":max", 10);
/// let condition = Condition::attr("status").eq("open").and(raw.into());
/// # let _ = condition;
/// ```
#[derive(Debug, Clone)]
pub struct Expression {
    text: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
    error: Option<String>,
}

impl Expression {
    /// An expression text, such as `#a = :b`.
    pub fn new(text: impl Into<String>) -> Self {
        Expression {
            text: text.into(),
            names: HashMap::new(),
            values: HashMap::new(),
            error: None,
        }
    }

    /// Declares the attribute name a `#placeholder` stands for.
    pub fn name(mut self, placeholder: impl Into<String>, name: impl Into<String>) -> Self {
        self.names.insert(placeholder.into(), name.into());
        self
    }

    /// Declares the value a `:placeholder` stands for.
    pub fn value(mut self, placeholder: impl Into<String>, value: impl ToAttributeValue) -> Self {
        let placeholder = placeholder.into();
        match value.to_attribute_value() {
            Ok(Some(v)) => {
                self.values.insert(placeholder, v);
            }
            Ok(None) => self.fail(format!("`{placeholder}` has no value (None or an empty set)")),
            Err(e) => self.fail(format!("`{placeholder}`: {e}")),
        }
        self
    }

    /// Declares a value that is already an `AttributeValue`.
    pub fn attribute_value(mut self, placeholder: impl Into<String>, value: AttributeValue) -> Self {
        self.values.insert(placeholder.into(), value);
        self
    }

    fn fail(&mut self, message: String) {
        self.error.get_or_insert(message);
    }

    /// The attribute names the expression declares.
    pub(crate) fn attribute_names(&self) -> impl Iterator<Item = &str> {
        self.names.values().map(String::as_str)
    }

    /// The text as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Renders the expression with fresh placeholders.
    pub(crate) fn render(&self, placeholders: &mut Placeholders, out: &mut String) -> Result<(), Error> {
        if let Some(error) = &self.error {
            return Err(Error::refused(
                RefusalKind::Placeholders,
                format!("expression `{}`: {error}", self.text),
            ));
        }
        placeholders.merged_hand_written();
        let mut renamed: HashMap<&str, String> = HashMap::new();
        let mut rest = self.text.as_str();
        for token in placeholder_tokens(&self.text) {
            let offset = token.as_ptr() as usize - rest.as_ptr() as usize;
            out.push_str(&rest[..offset]);
            rest = &rest[offset + token.len()..];
            if let Some(new) = renamed.get(token) {
                out.push_str(new);
                continue;
            }
            let mut new = String::new();
            if token.starts_with('#') {
                match self.names.get(token) {
                    Some(name) => placeholders.push_name(name, &mut new),
                    None => return Err(self.undeclared(token)),
                }
            } else {
                match self.values.get(token) {
                    Some(value) => placeholders.push_value(value.clone(), &mut new),
                    None => return Err(self.undeclared(token)),
                }
            }
            out.push_str(&new);
            renamed.insert(token, new);
        }
        out.push_str(rest);
        if let Some(unused) = self
            .names
            .keys()
            .chain(self.values.keys())
            .find(|p| !renamed.contains_key(p.as_str()))
        {
            return Err(Error::refused(
                RefusalKind::Placeholders,
                format!("expression `{}`: `{unused}` is declared but not used", self.text),
            ));
        }
        Ok(())
    }

    fn undeclared(&self, token: &str) -> Error {
        Error::refused(
            RefusalKind::Placeholders,
            format!("expression `{}`: `{token}` is used but not declared", self.text),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_renamed_consistently() {
        let e = Expression::new("#a = :x OR #a = :y OR #b = :x")
            .name("#a", "status")
            .name("#b", "name")
            .value(":x", "on")
            .value(":y", "off");
        let mut p = Placeholders::new();
        p.name("taken");
        p.value(AttributeValue::Bool(true));
        let mut out = String::new();
        e.render(&mut p, &mut out).unwrap();
        assert_eq!(out, "#n1 = :v1 OR #n1 = :v2 OR #n2 = :v1");
    }

    #[test]
    fn mistakes_are_errors() {
        let mut out = String::new();
        let err = Expression::new("#a = :x")
            .name("#a", "a")
            .render(&mut Placeholders::new(), &mut out)
            .unwrap_err();
        assert!(err.to_string().contains("`:x` is used but not declared"), "{err}");
        let err = Expression::new("#a = :x")
            .name("#a", "a")
            .value(":x", 1)
            .value(":unused", 2)
            .render(&mut Placeholders::new(), &mut String::new())
            .unwrap_err();
        assert!(err.to_string().contains("`:unused` is declared but not used"), "{err}");
    }
}
