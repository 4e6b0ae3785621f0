//! Conditions (for writes) and filters (for reads).

use aws_sdk_dynamodb::types::AttributeValue;

use super::expression::Expression;
use super::path::Path;
use super::placeholders::Placeholders;
use crate::error::{ConvertError, Error, RefusalKind};
use crate::value::ToAttributeValue;

/// A condition on an item: a write's condition or a read's filter.
///
/// Built from [`Condition::attr`] (or [`Condition::path`]) and combined with
/// [`and`](Condition::and), [`or`](Condition::or) and [`not`](Condition::not). Values are
/// converted with [`ToAttributeValue`]; a conversion error surfaces when the request is built.
///
/// ```
/// use dynamodb_mapper::expr::Condition;
///
/// let c = Condition::attr("status").is_in(["open", "pending"])
///     .and(Condition::attr("total").between(10, 100))
///     .and(Condition::attr("tags").size().gt(0))
///     .and(Condition::attr("deleted").exists().not());
/// # let _ = c;
/// ```
#[derive(Debug, Clone)]
pub struct Condition(Node);

#[derive(Debug, Clone)]
enum Node {
    Compare(Operand, &'static str, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    Function(&'static str, Path, Option<Operand>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Raw(Expression),
}

/// One side of a comparison.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Operand {
    /// An attribute of the item.
    Path(Path),
    /// A value (or the error converting it).
    Value(Result<AttributeValue, ConvertError>),
    /// The size of an attribute.
    Size(Path),
}

impl Operand {
    /// A value operand.
    pub fn value(value: impl ToAttributeValue) -> Self {
        Self::encoded(value.to_attribute_value())
    }

    /// The operand, its conversion error (if any) naming the attribute at `path`.
    pub(crate) fn in_attribute(self, path: &Path) -> Self {
        match self {
            Operand::Value(Err(e)) => Operand::Value(Err(e.in_attribute(&path.to_string()))),
            other => other,
        }
    }

    /// A value operand from a conversion's output (a typed field's converter).
    pub(crate) fn encoded(value: Result<Option<AttributeValue>, ConvertError>) -> Self {
        Operand::Value(match value {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(ConvertError::custom("a condition value cannot be None or an empty set")),
            Err(e) => Err(e),
        })
    }

    fn render(self, placeholders: &mut Placeholders, out: &mut String) -> Result<(), Error> {
        match self {
            Operand::Path(path) => path.render(placeholders, out),
            Operand::Value(Ok(value)) => placeholders.push_value(value, out),
            Operand::Value(Err(e)) => return Err(Error::Convert(e)),
            Operand::Size(path) => {
                out.push_str("size(");
                path.render(placeholders, out);
                out.push(')');
            }
        }
        Ok(())
    }
}

impl Condition {
    /// Starts a condition on the top-level attribute `name` (never split on dots).
    pub fn attr(name: impl Into<String>) -> ConditionPath {
        ConditionPath(Path::attr(name))
    }

    /// Starts a condition on a nested path.
    pub fn path(path: Path) -> ConditionPath {
        ConditionPath(path)
    }

    /// Both conditions.
    pub fn and(self, other: Condition) -> Condition {
        Condition(match (self.0, other.0) {
            (Node::And(mut a), Node::And(b)) => {
                a.extend(b);
                Node::And(a)
            }
            (Node::And(mut a), b) => {
                a.push(b);
                Node::And(a)
            }
            (a, b) => Node::And(vec![a, b]),
        })
    }

    /// Either condition.
    pub fn or(self, other: Condition) -> Condition {
        Condition(match (self.0, other.0) {
            (Node::Or(mut a), Node::Or(b)) => {
                a.extend(b);
                Node::Or(a)
            }
            (Node::Or(mut a), b) => {
                a.push(b);
                Node::Or(a)
            }
            (a, b) => Node::Or(vec![a, b]),
        })
    }

    /// The opposite condition.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Condition {
        Condition(Node::Not(Box::new(self.0)))
    }

    /// `left op right`, for the typed builders.
    pub(crate) fn compare(left: Operand, op: CompareOp, right: Operand) -> Condition {
        Condition(Node::Compare(left, op.text(), right))
    }

    /// `subject BETWEEN low AND high`.
    pub(crate) fn between(subject: Operand, low: Operand, high: Operand) -> Condition {
        Condition(Node::Between(subject, low, high))
    }

    /// `subject IN (candidates)`.
    pub(crate) fn is_in(subject: Operand, candidates: Vec<Operand>) -> Condition {
        Condition(Node::In(subject, candidates))
    }

    /// `name(path)` or `name(path, argument)`: `attribute_exists`, `begins_with`, ...
    pub(crate) fn function(name: &'static str, path: Path, argument: Option<Operand>) -> Condition {
        Condition(Node::Function(name, path, argument))
    }

    /// All of the conditions (`None` if there are none).
    pub fn all(conditions: impl IntoIterator<Item = Condition>) -> Option<Condition> {
        conditions.into_iter().reduce(Condition::and)
    }

    /// [`all`](Self::all) of a list, which becomes the conjunction's own list when none of
    /// its conditions is itself a conjunction (the same condition, without a new list).
    pub(crate) fn all_of(conditions: Vec<Condition>) -> Option<Condition> {
        if conditions.len() < 2 || conditions.iter().any(|c| matches!(c.0, Node::And(_))) {
            return Condition::all(conditions);
        }
        Some(Condition(Node::And(conditions.into_iter().map(|c| c.0).collect())))
    }

    /// The top-level attribute names the condition reads.
    pub(crate) fn attribute_names(&self) -> Vec<&str> {
        fn operand<'a>(o: &'a Operand, out: &mut Vec<&'a str>) {
            if let Operand::Path(p) | Operand::Size(p) = o {
                out.push(p.root());
            }
        }
        fn walk<'a>(node: &'a Node, out: &mut Vec<&'a str>) {
            match node {
                Node::Compare(a, _, b) => {
                    operand(a, out);
                    operand(b, out);
                }
                Node::Between(a, b, c) => [a, b, c].into_iter().for_each(|o| operand(o, out)),
                Node::In(a, rest) => {
                    operand(a, out);
                    rest.iter().for_each(|o| operand(o, out));
                }
                Node::Function(_, path, argument) => {
                    out.push(path.root());
                    if let Some(a) = argument {
                        operand(a, out);
                    }
                }
                Node::And(nodes) | Node::Or(nodes) => nodes.iter().for_each(|n| walk(n, out)),
                Node::Not(node) => walk(node, out),
                Node::Raw(expression) => out.extend(expression.attribute_names()),
            }
        }
        let mut out = Vec::new();
        walk(&self.0, &mut out);
        out
    }

    /// Renders the condition into DynamoDB syntax.
    pub fn render(&self, placeholders: &mut Placeholders) -> Result<String, Error> {
        self.clone().render_into(placeholders)
    }

    /// Renders the condition, moving its values into the placeholders.
    pub(crate) fn render_into(self, placeholders: &mut Placeholders) -> Result<String, Error> {
        // Room for a few comparisons at once, rather than growing by doubling from nothing.
        let mut out = String::with_capacity(64);
        render(self.0, placeholders, &mut out)?;
        Ok(out)
    }
}

impl From<Expression> for Condition {
    fn from(expression: Expression) -> Self {
        Condition(Node::Raw(expression))
    }
}

impl std::ops::Not for Condition {
    type Output = Condition;
    fn not(self) -> Condition {
        Condition::not(self)
    }
}

fn render(node: Node, p: &mut Placeholders, out: &mut String) -> Result<(), Error> {
    match node {
        Node::Compare(left, op, right) => {
            left.render(p, out)?;
            out.push(' ');
            out.push_str(op);
            out.push(' ');
            right.render(p, out)?;
        }
        Node::Between(subject, low, high) => {
            subject.render(p, out)?;
            out.push_str(" BETWEEN ");
            low.render(p, out)?;
            out.push_str(" AND ");
            high.render(p, out)?;
        }
        Node::In(subject, candidates) => {
            if candidates.is_empty() {
                return Err(Error::refused(
                    RefusalKind::InvalidArgument,
                    "`IN` needs at least one value",
                ));
            }
            crate::limits::check_in_values(candidates.len())?;
            subject.render(p, out)?;
            out.push_str(" IN (");
            for (i, candidate) in candidates.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                candidate.render(p, out)?;
            }
            out.push(')');
        }
        Node::Function(name, path, argument) => {
            out.push_str(name);
            out.push('(');
            path.render(p, out);
            if let Some(argument) = argument {
                out.push_str(", ");
                argument.render(p, out)?;
            }
            out.push(')');
        }
        Node::And(nodes) | Node::Or(nodes) if nodes.is_empty() => {
            return Err(Error::refused(RefusalKind::InvalidArgument, "an empty AND/OR"));
        }
        Node::And(nodes) => render_group(nodes, " AND ", p, out)?,
        Node::Or(nodes) => render_group(nodes, " OR ", p, out)?,
        Node::Not(child) => {
            out.push_str("NOT (");
            render(*child, p, out)?;
            out.push(')');
        }
        Node::Raw(expression) => {
            out.push('(');
            expression.render(p, out)?;
            out.push(')');
        }
    }
    Ok(())
}

fn render_group(nodes: Vec<Node>, joiner: &str, p: &mut Placeholders, out: &mut String) -> Result<(), Error> {
    for (i, child) in nodes.into_iter().enumerate() {
        if i > 0 {
            out.push_str(joiner);
        }
        let group = matches!(child, Node::And(_) | Node::Or(_));
        if group {
            out.push('(');
        }
        render(child, p, out)?;
        if group {
            out.push(')');
        }
    }
    Ok(())
}

/// A path a condition is being built on.
#[derive(Debug, Clone)]
pub struct ConditionPath(Path);

macro_rules! comparisons {
    ($($(#[$doc:meta])* $method:ident => $op:literal;)*) => {
        impl ConditionPath {
            $(
                $(#[$doc])*
                pub fn $method(self, value: impl ToAttributeValue) -> Condition {
                    Condition(Node::Compare(Operand::Path(self.0), $op, Operand::value(value)))
                }
            )*
        }

        impl SizeOperand {
            $(
                $(#[$doc])*
                pub fn $method(self, value: impl ToAttributeValue) -> Condition {
                    Condition(Node::Compare(Operand::Size(self.0), $op, Operand::value(value)))
                }
            )*
        }
    };
}

comparisons! {
    /// Equal to a value.
    eq => "=";
    /// Not equal to a value.
    ne => "<>";
    /// Less than a value.
    lt => "<";
    /// Less than or equal to a value.
    le => "<=";
    /// Greater than a value.
    gt => ">";
    /// Greater than or equal to a value.
    ge => ">=";
}

impl ConditionPath {
    /// Compares with another attribute: `Condition::attr("a").compare_attr("<", "b")`.
    pub fn compare_attr(self, op: CompareOp, other: impl Into<Path>) -> Condition {
        Condition(Node::Compare(
            Operand::Path(self.0),
            op.text(),
            Operand::Path(other.into()),
        ))
    }

    /// Between two values, inclusive.
    pub fn between(self, low: impl ToAttributeValue, high: impl ToAttributeValue) -> Condition {
        Condition(Node::Between(
            Operand::Path(self.0),
            Operand::value(low),
            Operand::value(high),
        ))
    }

    /// Equal to one of the values (1 to 100 of them).
    pub fn is_in<V: ToAttributeValue>(self, values: impl IntoIterator<Item = V>) -> Condition {
        Condition(Node::In(
            Operand::Path(self.0),
            values.into_iter().map(Operand::value).collect(),
        ))
    }

    /// The attribute exists.
    pub fn exists(self) -> Condition {
        Condition(Node::Function("attribute_exists", self.0, None))
    }

    /// The attribute does not exist.
    pub fn not_exists(self) -> Condition {
        Condition(Node::Function("attribute_not_exists", self.0, None))
    }

    /// The string or binary attribute starts with a prefix.
    pub fn begins_with(self, prefix: impl ToAttributeValue) -> Condition {
        Condition(Node::Function("begins_with", self.0, Some(Operand::value(prefix))))
    }

    /// The string contains a substring, or the set or list contains an element.
    pub fn contains(self, element: impl ToAttributeValue) -> Condition {
        Condition(Node::Function("contains", self.0, Some(Operand::value(element))))
    }

    /// The attribute has the DynamoDB type `type_name` (`S`, `N`, `M`, `NULL`, ...).
    pub fn has_type(self, type_name: &str) -> Condition {
        Condition(Node::Function(
            "attribute_type",
            self.0,
            Some(Operand::Value(Ok(AttributeValue::S(type_name.to_owned())))),
        ))
    }

    /// The size of the attribute, to compare.
    pub fn size(self) -> SizeOperand {
        SizeOperand(self.0)
    }
}

/// `size(path)`, to compare with a value.
#[derive(Debug, Clone)]
pub struct SizeOperand(Path);

/// A comparison between two attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CompareOp {
    fn text(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "<>",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(c: &Condition) -> String {
        let mut p = Placeholders::new();
        let text = c.render(&mut p).unwrap();
        p.finish(&[Some(&text)]).unwrap();
        text
    }

    #[test]
    fn a_list_of_conditions_joins_as_all_joins_it() {
        let a = || Condition::attr("a").exists();
        let b = || Condition::attr("b").eq(1);
        let c = || Condition::attr("c").not_exists();
        for list in [
            vec![],
            vec![a()],
            vec![a(), b()],
            vec![a(), b(), c()],
            vec![a().and(b()), c()],
            vec![a(), b().and(c())],
            vec![a(), b(), c().and(a())],
            vec![a().or(b()), c()],
        ] {
            let all = Condition::all(list.clone()).map(|c| text(&c));
            assert_eq!(Condition::all_of(list).map(|c| text(&c)), all);
        }
    }

    #[test]
    fn rendering() {
        let c = Condition::attr("status")
            .eq("open")
            .and(Condition::attr("size").gt(3).or(Condition::attr("a.b").not_exists()))
            .and(!Condition::attr("tags").contains("x"));
        assert_eq!(
            text(&c),
            "#n0 = :v0 AND (#n1 > :v1 OR attribute_not_exists(#n2)) AND NOT (contains(#n3, :v2))"
        );
        let nested = Condition::path(Path::attr("address").field("city").index(2)).begins_with("P");
        assert_eq!(text(&nested), "begins_with(#n0.#n1[2], :v0)");
        assert_eq!(text(&Condition::attr("n").size().le(4)), "size(#n0) <= :v0");
        assert_eq!(text(&Condition::attr("n").is_in([1, 2])), "#n0 IN (:v0, :v1)");
        assert_eq!(text(&Condition::attr("n").between(1, 2)), "#n0 BETWEEN :v0 AND :v1");
        assert_eq!(
            text(&Condition::attr("a").compare_attr(CompareOp::Lt, "b")),
            "#n0 < #n1"
        );
    }

    #[test]
    fn bad_values_surface_when_rendered() {
        let c = Condition::attr("x").eq(f64::NAN);
        assert!(c.render(&mut Placeholders::new()).is_err());
        let c = Condition::attr("x").eq(Option::<u8>::None);
        assert!(c.render(&mut Placeholders::new()).is_err());
        let c = Condition::attr("x").is_in(Vec::<u8>::new());
        assert!(c.render(&mut Placeholders::new()).is_err());
    }
}
