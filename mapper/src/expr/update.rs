//! Update expressions: `SET`, `REMOVE`, `ADD` and `DELETE` actions.

use aws_sdk_dynamodb::types::AttributeValue;

use super::path::Path;
use super::placeholders::Placeholders;
use crate::error::{Error, RefusalKind};

/// The actions of an update. At most one action per path: setting a path that already has an
/// action replaces it, so that the generated update, extensions and the caller never send two
/// actions DynamoDB would reject as overlapping.
///
/// ```
/// use dynamodb_mapper::expr::{Path, UpdateExpression, UpdateValue};
///
/// let mut update = UpdateExpression::new();
/// update.set("status", UpdateValue::value("shipped")?);
/// update.set(
///     "visits",
///     UpdateValue::if_not_exists("visits", UpdateValue::value(0)?).plus(UpdateValue::value(1)?),
/// );
/// update.remove(Path::attr("draft"));
/// # Ok::<(), dynamodb_mapper::ConvertError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct UpdateExpression {
    actions: Vec<UpdateAction>,
}

/// One action of an update.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateAction {
    /// `SET path = value`
    Set(Path, UpdateValue),
    /// `REMOVE path`
    Remove(Path),
    /// `ADD path value`: adds to a number or a set.
    Add(Path, AttributeValue),
    /// `DELETE path value`: removes elements from a set.
    Delete(Path, AttributeValue),
}

impl UpdateAction {
    /// The path the action writes.
    pub fn path(&self) -> &Path {
        match self {
            UpdateAction::Set(p, _)
            | UpdateAction::Remove(p)
            | UpdateAction::Add(p, _)
            | UpdateAction::Delete(p, _) => p,
        }
    }
}

/// The right-hand side of a `SET`.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateValue {
    /// A value.
    Value(AttributeValue),
    /// Another attribute's value.
    Path(Path),
    /// `if_not_exists(path, fallback)`: the stored value, or `fallback` if there is none.
    IfNotExists(Path, Box<UpdateValue>),
    /// `a + b`
    Plus(Box<UpdateValue>, Box<UpdateValue>),
    /// `a - b`
    Minus(Box<UpdateValue>, Box<UpdateValue>),
    /// `list_append(a, b)`
    ListAppend(Box<UpdateValue>, Box<UpdateValue>),
}

impl UpdateValue {
    /// A value converted with [`ToAttributeValue`](crate::value::ToAttributeValue). A value with
    /// nothing to store (`None`, an empty set) is an error: remove the attribute instead.
    pub fn value(value: impl crate::value::ToAttributeValue) -> Result<Self, crate::ConvertError> {
        match value.to_attribute_value()? {
            Some(v) => Ok(UpdateValue::Value(v)),
            None => Err(crate::ConvertError::custom(
                "an update value cannot be None or an empty set: remove the attribute instead",
            )),
        }
    }

    /// `if_not_exists(path, fallback)`.
    pub fn if_not_exists(path: impl Into<Path>, fallback: UpdateValue) -> Self {
        UpdateValue::IfNotExists(path.into(), Box::new(fallback))
    }

    /// `self + other`.
    pub fn plus(self, other: UpdateValue) -> Self {
        UpdateValue::Plus(Box::new(self), Box::new(other))
    }

    /// `self - other`.
    pub fn minus(self, other: UpdateValue) -> Self {
        UpdateValue::Minus(Box::new(self), Box::new(other))
    }

    /// `list_append(self, other)`.
    pub fn list_append(self, other: UpdateValue) -> Self {
        UpdateValue::ListAppend(Box::new(self), Box::new(other))
    }

    fn render(&self, p: &mut Placeholders, out: &mut String) {
        match self {
            UpdateValue::Value(v) => out.push_str(&p.value(v.clone())),
            UpdateValue::Path(path) => path.render(|n| p.name(n), out),
            UpdateValue::IfNotExists(path, fallback) => {
                out.push_str("if_not_exists(");
                path.render(|n| p.name(n), out);
                out.push_str(", ");
                fallback.render(p, out);
                out.push(')');
            }
            UpdateValue::Plus(a, b) | UpdateValue::Minus(a, b) => {
                a.render(p, out);
                out.push_str(if matches!(self, UpdateValue::Plus(..)) {
                    " + "
                } else {
                    " - "
                });
                b.render(p, out);
            }
            UpdateValue::ListAppend(a, b) => {
                out.push_str("list_append(");
                a.render(p, out);
                out.push_str(", ");
                b.render(p, out);
                out.push(')');
            }
        }
    }
}

impl UpdateExpression {
    /// No actions yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// `SET path = value`, replacing any action on `path`.
    pub fn set(&mut self, path: impl Into<Path>, value: UpdateValue) -> &mut Self {
        let path = path.into();
        self.replace(UpdateAction::Set(path, value))
    }

    /// `REMOVE path`, replacing any action on `path`.
    pub fn remove(&mut self, path: impl Into<Path>) -> &mut Self {
        self.replace(UpdateAction::Remove(path.into()))
    }

    /// `ADD path value`, replacing any action on `path`.
    pub fn add(&mut self, path: impl Into<Path>, value: AttributeValue) -> &mut Self {
        self.replace(UpdateAction::Add(path.into(), value))
    }

    /// `DELETE path value`, replacing any action on `path`.
    pub fn delete(&mut self, path: impl Into<Path>, value: AttributeValue) -> &mut Self {
        self.replace(UpdateAction::Delete(path.into(), value))
    }

    /// Adds an action, replacing any action on the same path.
    pub fn replace(&mut self, action: UpdateAction) -> &mut Self {
        self.actions.retain(|a| a.path() != action.path());
        self.actions.push(action);
        self
    }

    /// Removes and returns the action on `path`, if any.
    pub fn take(&mut self, path: &Path) -> Option<UpdateAction> {
        let index = self.actions.iter().position(|a| a.path() == path)?;
        Some(self.actions.remove(index))
    }

    /// The action on `path`, if any.
    pub fn action(&self, path: &Path) -> Option<&UpdateAction> {
        self.actions.iter().find(|a| a.path() == path)
    }

    /// All actions, in the order they were added.
    pub fn actions(&self) -> &[UpdateAction] {
        &self.actions
    }

    /// Whether there is no action.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// Renders the update (`None` when there is nothing to update). Two actions on
    /// overlapping paths (`a` and `a.b`) are an error, as DynamoDB would reject them.
    pub fn render(&self, p: &mut Placeholders) -> Result<Option<String>, Error> {
        for (i, a) in self.actions.iter().enumerate() {
            if let Some(b) = self.actions[i + 1..].iter().find(|b| a.path().overlaps(b.path())) {
                return Err(Error::refused(RefusalKind::OverlappingPaths, format!(
                    "update actions on overlapping paths `{}` and `{}`",
                    a.path(),
                    b.path()
                )));
            }
        }
        let mut clauses: [(&str, String); 4] = [
            ("SET ", String::new()),
            ("REMOVE ", String::new()),
            ("ADD ", String::new()),
            ("DELETE ", String::new()),
        ];
        for action in &self.actions {
            let slot = match action {
                UpdateAction::Set(..) => 0,
                UpdateAction::Remove(_) => 1,
                UpdateAction::Add(..) => 2,
                UpdateAction::Delete(..) => 3,
            };
            let out = &mut clauses[slot].1;
            if !out.is_empty() {
                out.push_str(", ");
            }
            action.path().render(|n| p.name(n), out);
            match action {
                UpdateAction::Set(_, value) => {
                    out.push_str(" = ");
                    value.render(p, out);
                }
                UpdateAction::Remove(_) => {}
                UpdateAction::Add(_, value) | UpdateAction::Delete(_, value) => {
                    out.push(' ');
                    out.push_str(&p.value(value.clone()));
                }
            }
        }
        let text: Vec<String> = clauses
            .into_iter()
            .filter(|(_, body)| !body.is_empty())
            .map(|(keyword, body)| format!("{keyword}{body}"))
            .collect();
        Ok((!text.is_empty()).then(|| text.join(" ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_are_grouped_and_paths_replaced() {
        // Placeholders are numbered in the order of the actions; `a` was replaced, so it is last.
        let mut u = UpdateExpression::new();
        u.set("a", UpdateValue::value(1).unwrap());
        u.remove("b");
        u.set(
            "c",
            UpdateValue::if_not_exists("c", UpdateValue::value(0).unwrap()).plus(UpdateValue::value(1).unwrap()),
        );
        u.add("d", AttributeValue::N("2".into()));
        u.set("a", UpdateValue::value(2).unwrap());
        let mut p = Placeholders::new();
        let text = u.render(&mut p).unwrap().unwrap();
        assert_eq!(
            text,
            "SET #n1 = if_not_exists(#n1, :v0) + :v1, #n3 = :v3 REMOVE #n0 ADD #n2 :v2"
        );
        p.finish(&[Some(&text)]).unwrap();
    }

    #[test]
    fn overlapping_paths_are_refused() {
        let mut u = UpdateExpression::new();
        u.set("a", UpdateValue::value(1).unwrap());
        u.remove(Path::attr("a").field("b"));
        assert!(u.render(&mut Placeholders::new()).is_err());
        assert_eq!(UpdateExpression::new().render(&mut Placeholders::new()).unwrap(), None);
    }
}
