//! Document paths: an attribute, a field of a map, an element of a list.

use std::borrow::Cow;
use std::fmt;

use super::placeholders::Placeholders;

/// A path to an attribute or to a part of one.
///
/// `Path::attr("a.b")` is the top-level attribute whose name is `a.b` (names are never split
/// on dots); `Path::attr("a").field("b")` is the field `b` of the map `a`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path {
    root: Cow<'static, str>,
    /// Map fields and list positions below the root; empty (no allocation) for a top-level
    /// attribute.
    rest: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Segment {
    Name(String),
    Index(usize),
}

impl Path {
    /// The top-level attribute named `name`, exactly.
    pub fn attr(name: impl Into<String>) -> Self {
        Path {
            root: Cow::Owned(name.into()),
            rest: Vec::new(),
        }
    }

    /// The top-level attribute named `name`, without copying the name (the schema's names
    /// are `'static`).
    pub const fn static_attr(name: &'static str) -> Self {
        Path {
            root: Cow::Borrowed(name),
            rest: Vec::new(),
        }
    }

    /// The field `name` of the map at this path.
    pub fn field(mut self, name: impl Into<String>) -> Self {
        self.rest.push(Segment::Name(name.into()));
        self
    }

    /// The element `index` of the list at this path.
    pub fn index(mut self, index: usize) -> Self {
        self.rest.push(Segment::Index(index));
        self
    }

    /// `sub` below this path: `address` joined with `city` is `address.city`.
    pub(crate) fn join(&self, sub: &Path) -> Path {
        let mut rest = Vec::with_capacity(self.rest.len() + 1 + sub.rest.len());
        rest.extend(self.rest.iter().cloned());
        rest.push(Segment::Name(sub.root.to_string()));
        rest.extend(sub.rest.iter().cloned());
        Path {
            root: self.root.clone(),
            rest,
        }
    }

    /// The top-level attribute name this path starts with.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// Whether this path is a single top-level attribute.
    pub fn is_top_level(&self) -> bool {
        self.rest.is_empty()
    }

    /// Whether one path is a prefix of the other: DynamoDB refuses two update actions on
    /// overlapping paths.
    pub fn overlaps(&self, other: &Path) -> bool {
        self.root == other.root && self.rest.iter().zip(&other.rest).all(|(a, b)| a == b)
    }

    /// Renders the path with a placeholder for every name.
    pub(crate) fn render(&self, p: &mut Placeholders, out: &mut String) {
        p.push_name(&self.root, out);
        for segment in &self.rest {
            match segment {
                Segment::Name(n) => {
                    out.push('.');
                    p.push_name(n, out);
                }
                Segment::Index(index) => {
                    out.push('[');
                    out.push_str(itoa::Buffer::new().format(*index));
                    out.push(']');
                }
            }
        }
    }
}

impl From<&str> for Path {
    fn from(name: &str) -> Self {
        Path::attr(name)
    }
}

impl From<String> for Path {
    fn from(name: String) -> Self {
        Path::attr(name)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.root)?;
        for segment in &self.rest {
            match segment {
                Segment::Name(n) => write!(f, ".{n}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}
