//! What [`Table::verify`](crate::Table::verify) found: every difference between what the code
//! declares of a table and the live table, each saying whether it breaks reads or writes.

use std::fmt;

/// The differences between a table as `#[derive(Item)]` declares it and the live table
/// (`DescribeTable`, `DescribeTimeToLive`). Empty when they match.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Verification {
    /// The table's name.
    pub table: String,
    /// Every difference found, table keys first, then indexes in declaration order, then
    /// extra indexes, time to live, and the options stated to [`Verify`](crate::ops::Verify).
    pub differences: Vec<Difference>,
}

impl Verification {
    pub(crate) fn new(table: String, differences: Vec<Difference>) -> Self {
        Verification { table, differences }
    }

    /// Whether the live table is as declared.
    pub fn matches(&self) -> bool {
        self.differences.is_empty()
    }

    /// The differences that make reads or writes fail.
    pub fn breaking(&self) -> impl Iterator<Item = &Difference> {
        self.differences.iter().filter(|d| d.breaks)
    }

    /// Whether some difference makes reads or writes fail.
    pub fn is_breaking(&self) -> bool {
        self.breaking().next().is_some()
    }
}

impl fmt::Display for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.differences.is_empty() {
            return write!(f, "table `{}` is as declared", self.table);
        }
        write!(f, "table `{}` differs from its declaration:", self.table)?;
        for difference in &self.differences {
            write!(f, "\n- {difference}")?;
        }
        Ok(())
    }
}

/// One difference between the declared and the live table.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Difference {
    /// What differs.
    pub kind: DifferenceKind,
    /// The index it is about, if any.
    pub index: Option<String>,
    /// What the code declares, as DynamoDB would describe it (`"id S HASH"`, `"ALL"`, ...);
    /// empty where it declares nothing.
    pub declared: String,
    /// What the live table has, described the same way; empty where it has nothing.
    pub live: String,
    /// Whether reads or writes of the item type fail because of it.
    pub breaks: bool,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            DifferenceKind::TableKey => "table key",
            DifferenceKind::AttributeType => "attribute type",
            DifferenceKind::IndexMissing => "index missing",
            DifferenceKind::IndexNotActive => "index not active yet",
            DifferenceKind::IndexKind => "index kind",
            DifferenceKind::IndexKey => "index key",
            DifferenceKind::IndexProjection => "index projection",
            DifferenceKind::ExtraIndex => "index not declared",
            DifferenceKind::TimeToLive => "time to live",
            DifferenceKind::Stream => "stream",
            DifferenceKind::Billing => "billing mode",
        };
        write!(f, "{what}")?;
        if let Some(index) = &self.index {
            write!(f, " `{index}`")?;
        }
        let impact = if self.breaks {
            "breaks reads or writes"
        } else {
            "compatible"
        };
        write!(
            f,
            ": declared {}, live {} ({impact})",
            or_none(&self.declared),
            or_none(&self.live)
        )
    }
}

fn or_none(text: &str) -> &str {
    if text.is_empty() { "none" } else { text }
}

/// What a [`Difference`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DifferenceKind {
    /// The table's key attributes, their types or roles (breaks).
    TableKey,
    /// An attribute the live table defines (for a key of an index the code does not declare)
    /// with another type than the item stores it in: writes of the item fail (breaks).
    AttributeType,
    /// A declared index the table does not have (breaks its reads).
    IndexMissing,
    /// A declared index still being created, backfilled or deleted: reported as such, not as
    /// missing (breaks its reads until it is active).
    IndexNotActive,
    /// A declared global index that is local on the table, or the reverse (breaks).
    IndexKind,
    /// An index's key attributes, types or order (breaks).
    IndexKey,
    /// An index holding fewer attributes than declared: whole items or projections read from
    /// it would miss attributes (breaks). One holding more is compatible, not a difference.
    IndexProjection,
    /// An index the code does not declare (compatible).
    ExtraIndex,
    /// Time to live off, or on another attribute than the `#[ttl]` field (compatible: items
    /// are not deleted when the code expects).
    TimeToLive,
    /// The stream, when the caller stated one (compatible).
    Stream,
    /// The billing mode, when the caller stated one (compatible).
    Billing,
}
