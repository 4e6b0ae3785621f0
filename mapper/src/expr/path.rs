//! Document paths: an attribute, a field of a map, an element of a list.

use std::fmt;

/// A path to an attribute or to a part of one.
///
/// `Path::attr("a.b")` is the top-level attribute whose name is `a.b` (names are never split
/// on dots); `Path::attr("a").field("b")` is the field `b` of the map `a`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path {
    segments: Vec<Segment>,
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
            segments: vec![Segment::Name(name.into())],
        }
    }

    /// The field `name` of the map at this path.
    pub fn field(mut self, name: impl Into<String>) -> Self {
        self.segments.push(Segment::Name(name.into()));
        self
    }

    /// The element `index` of the list at this path.
    pub fn index(mut self, index: usize) -> Self {
        self.segments.push(Segment::Index(index));
        self
    }

    /// The top-level attribute name this path starts with.
    pub fn root(&self) -> &str {
        match &self.segments[0] {
            Segment::Name(name) => name,
            Segment::Index(_) => unreachable!("a path starts with a name"),
        }
    }

    /// Whether this path is a single top-level attribute.
    pub fn is_top_level(&self) -> bool {
        self.segments.len() == 1
    }

    /// Whether one path is a prefix of the other: DynamoDB refuses two update actions on
    /// overlapping paths.
    pub fn overlaps(&self, other: &Path) -> bool {
        self.segments.iter().zip(&other.segments).all(|(a, b)| a == b)
    }

    /// Renders the path with a placeholder for every name.
    pub(crate) fn render(&self, mut name: impl FnMut(&str) -> String, out: &mut String) {
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Name(n) => {
                    if i > 0 {
                        out.push('.');
                    }
                    out.push_str(&name(n));
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
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Name(n) if i == 0 => f.write_str(n)?,
                Segment::Name(n) => write!(f, ".{n}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}
