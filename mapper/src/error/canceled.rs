//! [`TransactionCanceled`]: why DynamoDB cancelled a transaction, one typed reason per action.

use std::fmt;

use aws_sdk_dynamodb::types::AttributeValue;

use super::Error;
use crate::value::ItemMap;

/// Why DynamoDB cancelled one action of a transaction (`CancellationReason.Code`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CancellationCode {
    /// The action did not fail (it was cancelled because another did).
    None,
    /// The action's condition did not hold.
    ConditionalCheckFailed,
    /// Another transaction or write was working on the item.
    TransactionConflict,
    /// Requests arrived too fast.
    ThrottlingError,
    /// The table's provisioned capacity was used up.
    ProvisionedThroughputExceeded,
    /// An item collection (a partition key with local indexes) is over 10 GB.
    ItemCollectionSizeLimitExceeded,
    /// The action is invalid (wrong types, too large, a bad path).
    ValidationError,
    /// A code this version of the mapper does not know.
    Unknown(String),
}

impl CancellationCode {
    pub(crate) fn parse(code: Option<&str>) -> Self {
        match code {
            None | Some("None" | "NONE" | "") => CancellationCode::None,
            Some("ConditionalCheckFailed") => CancellationCode::ConditionalCheckFailed,
            Some("TransactionConflict") => CancellationCode::TransactionConflict,
            Some("ThrottlingError") => CancellationCode::ThrottlingError,
            Some("ProvisionedThroughputExceeded") => CancellationCode::ProvisionedThroughputExceeded,
            Some("ItemCollectionSizeLimitExceeded") => CancellationCode::ItemCollectionSizeLimitExceeded,
            Some("ValidationError") => CancellationCode::ValidationError,
            Some(other) => CancellationCode::Unknown(other.to_owned()),
        }
    }

    /// Whether the same action may succeed when tried again: a conflict or throttling.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            CancellationCode::TransactionConflict
                | CancellationCode::ThrottlingError
                | CancellationCode::ProvisionedThroughputExceeded
        )
    }
}

/// Why one action of a cancelled transaction failed, or [`CancellationCode::None`] if it did not.
#[derive(Debug)]
#[non_exhaustive]
pub struct CancellationReason {
    index: usize,
    table: String,
    key: ItemMap,
    code: CancellationCode,
    message: Option<String>,
    item: Option<ItemMap>,
    failure: Failure,
    expected_version: Option<AttributeValue>,
    after_read: Option<Box<Error>>,
}

/// What a failed condition of an action means, as the mapper tells it from what the action
/// expected and what is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The action's `#[version]` check failed.
    VersionConflict,
    /// The action (a patch) needs a stored item, and none is.
    ItemMissing,
    /// Anything else, the caller's condition included.
    Other,
}

impl CancellationReason {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        index: usize,
        table: String,
        key: ItemMap,
        code: CancellationCode,
        message: Option<String>,
        item: Option<ItemMap>,
        failure: Failure,
        expected_version: Option<AttributeValue>,
        after_read: Option<Box<Error>>,
    ) -> Self {
        CancellationReason {
            index,
            table,
            key,
            code,
            message,
            item,
            failure,
            expected_version,
            after_read,
        }
    }

    /// The action's position, in the order the actions were added.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The action's table.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The primary key of the action's item.
    pub fn key(&self) -> &ItemMap {
        &self.key
    }

    /// Why the action failed.
    pub fn code(&self) -> &CancellationCode {
        &self.code
    }

    /// Whether this action failed (its code is not [`CancellationCode::None`]).
    pub fn failed(&self) -> bool {
        self.code != CancellationCode::None
    }

    /// DynamoDB's message.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The item stored now, after the extensions' `after_read`, when the action's condition
    /// failed and an item is stored.
    pub fn item_map(&self) -> Option<&ItemMap> {
        self.item.as_ref()
    }

    /// Whether the action's `#[version]` check failed: its condition failed and the stored
    /// item carries another version than the one the action was built from (or none, or the
    /// item is gone). Re-read and try again.
    pub fn is_version_conflict(&self) -> bool {
        self.failure == Failure::VersionConflict
    }

    /// Whether the action is a patch of an item that is not stored (a patch updates a stored
    /// item unless it is an `upsert`): nothing was written, and the version is not the
    /// problem.
    pub fn is_item_missing(&self) -> bool {
        self.code == CancellationCode::ConditionalCheckFailed && self.failure == Failure::ItemMissing
    }

    /// Whether the caller's own condition failed (a failed condition that is neither a
    /// version conflict nor a missing item): trying again with fresh versions will not help.
    pub fn is_condition_failure(&self) -> bool {
        self.code == CancellationCode::ConditionalCheckFailed && self.failure == Failure::Other
    }

    /// The version the action expected to be stored, for an action that checked one
    /// (`None` also for a new item, which expects none).
    pub fn expected_version(&self) -> Option<&AttributeValue> {
        self.expected_version.as_ref()
    }

    /// The error of an extension's `after_read` on the returned item; [`item_map`](Self::item_map)
    /// is then the raw item.
    pub fn after_read_error(&self) -> Option<&Error> {
        self.after_read.as_deref()
    }
}

/// A cancelled transaction (`TransactionCanceledException`): nothing was written. One
/// [`CancellationReason`] per action, **in the order the actions were added**, each with its
/// table, key, typed code and the item stored now.
///
/// ```no_run
/// # use dynamodb_mapper::{Error, Item, Mapper, Table};
/// # #[derive(Item, Clone)] #[item(table = "accounts")]
/// # struct Account { #[partition_key] id: String, balance: i64, #[version] version: Option<u64> }
/// # async fn run(mapper: Mapper, accounts: Table<Account>, a: Account) -> Result<(), Error> {
/// let mut tx = mapper.transact_write();
/// let debit = tx.update(&accounts, &a).handle();
/// match tx.send().await {
///     Ok(_) => {}
///     Err(Error::TransactionCanceled(canceled)) => {
///         let reason = canceled.reason(debit)?; // refused for another transaction's handle
///         if reason.is_version_conflict() {
///             let stored: Option<Account> = canceled.item(debit)?; // decoded as that action's type
///         }
///     }
///     Err(e) => return Err(e),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct TransactionCanceled {
    message: String,
    reasons: Vec<CancellationReason>,
    /// Which transaction was canceled, for its handles.
    transaction: u64,
}

impl TransactionCanceled {
    pub(crate) fn new(transaction: u64, message: String, reasons: Vec<CancellationReason>) -> Self {
        TransactionCanceled {
            message,
            reasons,
            transaction,
        }
    }

    /// Which transaction was canceled.
    pub(crate) fn transaction(&self) -> u64 {
        self.transaction
    }

    /// Every action's reason, in the order the actions were added.
    pub fn reasons(&self) -> &[CancellationReason] {
        &self.reasons
    }

    /// The reasons of the actions that failed.
    pub fn failed(&self) -> impl Iterator<Item = &CancellationReason> {
        self.reasons.iter().filter(|r| r.failed())
    }

    /// DynamoDB's message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether some action's `#[version]` check failed.
    pub fn has_version_conflict(&self) -> bool {
        self.reasons.iter().any(CancellationReason::is_version_conflict)
    }

    /// Whether some action is a patch of an item that is not stored.
    pub fn has_item_missing(&self) -> bool {
        self.reasons.iter().any(CancellationReason::is_item_missing)
    }

    /// Whether some action's own condition failed (not a version conflict).
    pub fn has_condition_failure(&self) -> bool {
        self.reasons.iter().any(CancellationReason::is_condition_failure)
    }

    /// Whether the identical transaction may succeed later: every failure is a conflict or
    /// throttling. A version conflict needs a re-read first, so it is not.
    pub fn is_retryable(&self) -> bool {
        let mut failed = self.failed().peekable();
        failed.peek().is_some() && failed.all(|r| r.code.is_transient())
    }

    /// Whether a read-modify-write should re-read and try again: every failure is a version
    /// conflict, a conflict or throttling.
    pub fn is_conflict(&self) -> bool {
        let mut failed = self.failed().peekable();
        failed.peek().is_some() && failed.all(|r| r.code.is_transient() || r.is_version_conflict())
    }
}

impl fmt::Display for TransactionCanceled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "transaction cancelled")?;
        let mut first = true;
        for reason in self.failed() {
            f.write_str(if first { ": " } else { "; " })?;
            first = false;
            write!(f, "action {} on `{}`: {:?}", reason.index, reason.table, reason.code)?;
            if reason.is_version_conflict() {
                f.write_str(" (version conflict)")?;
            }
        }
        if first {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for TransactionCanceled {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_and_unknown_ones_are_kept() {
        assert_eq!(CancellationCode::parse(None), CancellationCode::None);
        assert_eq!(CancellationCode::parse(Some("NONE")), CancellationCode::None);
        assert_eq!(CancellationCode::parse(Some("None")), CancellationCode::None);
        assert_eq!(
            CancellationCode::parse(Some("TransactionConflict")),
            CancellationCode::TransactionConflict
        );
        assert_eq!(
            CancellationCode::parse(Some("SomethingNew")),
            CancellationCode::Unknown("SomethingNew".into())
        );
        assert!(CancellationCode::ThrottlingError.is_transient());
        assert!(!CancellationCode::ConditionalCheckFailed.is_transient());
    }
}
