//! Update expressions: `SET`, `REMOVE`, `ADD` and `DELETE` actions.
//!
//! DynamoDB's grammar allows arithmetic only at the top of a `SET` value
//! (`SET a = b + :one`), never nested or inside `if_not_exists`/`list_append`. The types say
//! so: an [`UpdateValue`] is an operand (a value, a path, or a function of operands), and only
//! [`UpdateValue::plus`]/[`UpdateValue::minus`] make a [`SetValue`], which nothing nests.

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
///
/// Arithmetic inside a function does not compile, as DynamoDB would refuse it:
///
/// ```compile_fail
/// use dynamodb_mapper::expr::UpdateValue;
/// let one = UpdateValue::value(1).unwrap();
/// let nested = UpdateValue::if_not_exists("n", one.clone().plus(one));
/// ```
#[derive(Debug, Clone, Default)]
pub struct UpdateExpression {
    actions: Vec<UpdateAction>,
}

/// One action of an update.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum UpdateAction {
    /// `SET path = value`
    Set(Path, SetValue),
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

    /// The size of the values the action sends, as DynamoDB measures values.
    pub(crate) fn values_size(&self) -> usize {
        fn operand(value: &UpdateValue) -> usize {
            match value {
                UpdateValue::Value(value) => crate::limits::value_size(value),
                UpdateValue::Path(_) => 0,
                UpdateValue::IfNotExists(_, fallback) => operand(fallback),
                UpdateValue::ListAppend(a, b) => operand(a) + operand(b),
            }
        }
        match self {
            UpdateAction::Set(_, SetValue::Operand(value)) => operand(value),
            UpdateAction::Set(_, SetValue::Plus(a, b) | SetValue::Minus(a, b)) => operand(a) + operand(b),
            UpdateAction::Remove(_) => 0,
            UpdateAction::Add(_, value) | UpdateAction::Delete(_, value) => crate::limits::value_size(value),
        }
    }
}

/// An operand of a `SET` value: a value, another attribute, or a function of operands.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum UpdateValue {
    /// A value.
    Value(AttributeValue),
    /// Another attribute's value.
    Path(Path),
    /// `if_not_exists(path, fallback)`: the stored value, or `fallback` if there is none.
    IfNotExists(Path, Box<UpdateValue>),
    /// `list_append(a, b)`
    ListAppend(Box<UpdateValue>, Box<UpdateValue>),
}

/// The right-hand side of a `SET`: an operand, or the sum or difference of two. Made from an
/// [`UpdateValue`] (`.into()`) or by [`UpdateValue::plus`] and [`UpdateValue::minus`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SetValue {
    /// `operand`
    Operand(UpdateValue),
    /// `a + b`
    Plus(UpdateValue, UpdateValue),
    /// `a - b`
    Minus(UpdateValue, UpdateValue),
}

impl From<UpdateValue> for SetValue {
    fn from(value: UpdateValue) -> Self {
        SetValue::Operand(value)
    }
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

    /// Another attribute's value.
    pub fn path(path: impl Into<Path>) -> Self {
        UpdateValue::Path(path.into())
    }

    /// `if_not_exists(path, fallback)`.
    pub fn if_not_exists(path: impl Into<Path>, fallback: UpdateValue) -> Self {
        UpdateValue::IfNotExists(path.into(), Box::new(fallback))
    }

    /// `list_append(self, other)`.
    pub fn list_append(self, other: UpdateValue) -> Self {
        UpdateValue::ListAppend(Box::new(self), Box::new(other))
    }

    /// `self + other`, at the top of a `SET` value.
    pub fn plus(self, other: UpdateValue) -> SetValue {
        SetValue::Plus(self, other)
    }

    /// `self - other`, at the top of a `SET` value.
    pub fn minus(self, other: UpdateValue) -> SetValue {
        SetValue::Minus(self, other)
    }

    fn render(self, p: &mut Placeholders, out: &mut String) {
        match self {
            UpdateValue::Value(v) => p.push_value(v, out),
            UpdateValue::Path(path) => path.render(p, out),
            UpdateValue::IfNotExists(path, fallback) => {
                out.push_str("if_not_exists(");
                path.render(p, out);
                out.push_str(", ");
                fallback.render(p, out);
                out.push(')');
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

impl SetValue {
    fn render(self, p: &mut Placeholders, out: &mut String) {
        match self {
            SetValue::Operand(value) => value.render(p, out),
            SetValue::Plus(a, b) => {
                a.render(p, out);
                out.push_str(" + ");
                b.render(p, out);
            }
            SetValue::Minus(a, b) => {
                a.render(p, out);
                out.push_str(" - ");
                b.render(p, out);
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
    pub fn set(&mut self, path: impl Into<Path>, value: impl Into<SetValue>) -> &mut Self {
        self.replace(UpdateAction::Set(path.into(), value.into()))
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

    /// Adds an action on a path that has none yet (the caller knows), without looking.
    pub(crate) fn push_new(&mut self, action: UpdateAction) {
        debug_assert!(self.action(action.path()).is_none());
        self.actions.push(action);
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

    /// Whether an action writes the top-level attribute `name` or a part of it.
    pub fn touches(&self, name: &str) -> bool {
        self.actions.iter().any(|a| a.path().root() == name)
    }

    /// All actions, in the order they were added.
    pub fn actions(&self) -> &[UpdateAction] {
        &self.actions
    }

    /// How many actions there are.
    pub fn len(&self) -> usize {
        self.actions.len()
    }

    /// Whether there is no action.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// Renders the update (`None` when there is nothing to update). Two actions on
    /// overlapping paths (`a` and `a.b`) are an error, as DynamoDB would reject them.
    pub fn render(&self, p: &mut Placeholders) -> Result<Option<String>, Error> {
        self.clone().render_into(p)
    }

    /// Renders the update, moving its values into the placeholders.
    pub(crate) fn render_into(self, p: &mut Placeholders) -> Result<Option<String>, Error> {
        self.check_overlaps()?;
        let slot = |action: &UpdateAction| match action {
            UpdateAction::Set(..) => 0,
            UpdateAction::Remove(_) => 1,
            UpdateAction::Add(..) => 2,
            UpdateAction::Delete(..) => 3,
        };
        // Each clause sized once: `#n12 = :v12, ` is 14 bytes, most actions fewer.
        let mut counts = [0usize; 4];
        for action in &self.actions {
            counts[slot(action)] += 1;
        }
        let mut clauses: [(&str, String); 4] = [("SET ", 0), ("REMOVE ", 1), ("ADD ", 2), ("DELETE ", 3)]
            .map(|(keyword, i)| (keyword, String::with_capacity(counts[i] * 16)));
        for action in self.actions {
            let out = &mut clauses[slot(&action)].1;
            if !out.is_empty() {
                out.push_str(", ");
            }
            match action {
                UpdateAction::Set(path, value) => {
                    path.render(p, out);
                    out.push_str(" = ");
                    value.render(p, out);
                }
                UpdateAction::Remove(path) => path.render(p, out),
                UpdateAction::Add(path, value) | UpdateAction::Delete(path, value) => {
                    path.render(p, out);
                    out.push(' ');
                    p.push_value(value, out);
                }
            }
        }
        let mut text = String::with_capacity(
            clauses
                .iter()
                .map(|(keyword, body)| keyword.len() + body.len() + 1)
                .sum(),
        );
        for (keyword, body) in clauses {
            if body.is_empty() {
                continue;
            }
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(keyword);
            text.push_str(&body);
        }
        Ok((!text.is_empty()).then_some(text))
    }

    /// Refuses two actions on overlapping paths. Only paths with the same root can overlap:
    /// the actions are sorted by root (one small allocation), and neighbours with the same
    /// root compared.
    fn check_overlaps(&self) -> Result<(), Error> {
        // Top-level paths overlap only when equal, and an update holds one action per path.
        if self.actions.iter().all(|a| a.path().is_top_level()) {
            return Ok(());
        }
        let mut paths: Vec<&Path> = self.actions.iter().map(UpdateAction::path).collect();
        paths.sort_unstable_by(|a, b| a.root().cmp(b.root()));
        for (i, path) in paths.iter().enumerate() {
            let same_root = paths[i + 1..].iter().take_while(|other| other.root() == path.root());
            if let Some(other) = same_root.into_iter().find(|other| other.overlaps(path)) {
                return Err(Error::refused(
                    RefusalKind::OverlappingPaths,
                    format!("update actions on overlapping paths `{path}` and `{other}`"),
                ));
            }
        }
        Ok(())
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
    fn functions_nest_and_arithmetic_stays_on_top() {
        let mut u = UpdateExpression::new();
        let empty = UpdateValue::Value(AttributeValue::L(vec![]));
        let new = UpdateValue::Value(AttributeValue::L(vec![AttributeValue::S("x".into())]));
        u.set("log", UpdateValue::if_not_exists("log", empty).list_append(new));
        u.set("n", UpdateValue::path("m").minus(UpdateValue::value(1).unwrap()));
        let text = u.render(&mut Placeholders::new()).unwrap().unwrap();
        assert_eq!(
            text,
            "SET #n0 = list_append(if_not_exists(#n0, :v0), :v1), #n1 = #n2 - :v2"
        );
    }

    #[test]
    fn overlapping_paths_are_refused() {
        let mut u = UpdateExpression::new();
        u.set("a", UpdateValue::value(1).unwrap());
        u.remove(Path::attr("a").field("b"));
        let err = u.render(&mut Placeholders::new()).unwrap_err();
        assert_eq!(err.as_refusal().unwrap().kind(), RefusalKind::OverlappingPaths);
        let mut siblings = UpdateExpression::new();
        siblings.set(Path::attr("a").field("b"), UpdateValue::value(1).unwrap());
        siblings.set(Path::attr("a").field("c"), UpdateValue::value(2).unwrap());
        siblings.render(&mut Placeholders::new()).unwrap();
        assert_eq!(UpdateExpression::new().render(&mut Placeholders::new()).unwrap(), None);
    }
}
