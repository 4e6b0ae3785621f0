//! [`Error`]: every error an operation returns, sorted so that a program can act on it.
//!
//! | variant | what happened | retry? |
//! |---|---|---|
//! | [`Convert`](Error::Convert) | a value could not be converted (names the attribute and the type) | no |
//! | [`ConditionFailed`](Error::ConditionFailed) | a write's condition did not hold; carries the item stored now | re-read and decide |
//! | [`Refused`](Error::Refused) | the mapper refused to send a request DynamoDB would reject; [`RefusalKind`] says why | no |
//! | [`Validation`](Error::Validation) | DynamoDB rejected the request; shows DynamoDB's message | no |
//! | [`TableNotFound`](Error::TableNotFound) | the table or index does not exist (or is not active yet) | no |
//! | [`WrittenButUnreadable`](Error::WrittenButUnreadable) | the write succeeded, but the item it returned could not be read; carries its key | **no**: it was written |
//! | [`UnreadableItem`](Error::UnreadableItem) | an item of a query or scan could not be read; carries its key; the stream goes on | no |
//! | [`Configuration`](Error::Configuration) | the mapper or the item type is set up wrongly | no |
//! | [`Extension`](Error::Extension) | an extension refused a write or a read | no |
//! | [`TooManyConflicts`](Error::TooManyConflicts) | a retry loop lost every race | later |
//! | [`ItemNotFound`](Error::ItemNotFound) | the item to change does not exist | no |
//! | [`TransactionCanceled`](Error::TransactionCanceled) | a transaction was cancelled; a typed reason per action, in the order added | see [`TransactionCanceled::is_retryable`] |
//! | [`TokenReused`](Error::TokenReused) | a transaction's client request token was used within ten minutes for other actions (`IdempotentParameterMismatch`); nothing was written | no: use a fresh token |
//! | [`UnreadableChange`](Error::UnreadableChange) | a stream record could not be decoded into a typed change; carries the raw record and its sequence number; the records after it still decode | no: skip it, set it aside, or stop at it |
//! | [`InvalidRecord`](Error::InvalidRecord) | a stream record is malformed (no event name, id, sequence number or keys, an unknown view type, an image its view type promises is missing); the cause inside an [`UnreadableChange`](Error::UnreadableChange), or a whole JSON document that is no record | no |
//! | [`TableMismatch`](Error::TableMismatch) | an existing table breaks the item type's declaration (`create_table().if_not_exists()`); every difference listed | no |
//! | [`NoAnswer`](Error::NoAnswer) | a request timed out or lost its connection: whether it applied is unknown | yes, if idempotent or conditional |
//! | [`Stream`](Error::Stream) | a change-stream reader's request failed; [`StreamErrorKind`] says how (records trimmed, no stream, throttled) | see [`StreamFailure::is_retryable`] |
//! | [`Sdk`](Error::Sdk) | anything else: throttling, service errors | see [`Error::is_retryable`] |

use std::fmt;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

mod canceled;
mod change;
mod stream;
mod verification;

pub use crate::value::{ConvertError, ConvertErrorKind};
pub(crate) use canceled::Failure;
pub use canceled::{CancellationCode, CancellationReason, TransactionCanceled};
#[cfg(any(feature = "streams", feature = "lambda", feature = "dynamodb-json"))]
pub use change::RawRecord;
pub use change::UnreadableChange;
pub use stream::{StreamErrorKind, StreamFailure};
pub use verification::{Difference, DifferenceKind, Verification};

use crate::value::ItemMap;

/// Every error the mapper returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value could not be converted between Rust and DynamoDB.
    #[error(transparent)]
    Convert(#[from] ConvertError),

    /// A write's condition did not hold: another writer got there first, or the item is not
    /// in the expected state. Carries the item stored now, when DynamoDB returned it.
    #[error(transparent)]
    ConditionFailed(#[from] ConditionFailed),

    /// The mapper refused to build a request that DynamoDB would reject, or that would lose
    /// data; nothing was sent.
    #[error(transparent)]
    Refused(#[from] Refusal),

    /// The table (or index) does not exist, or is not active yet.
    #[error("table `{table}` not found: {message}")]
    TableNotFound {
        /// The table the request was for.
        table: String,
        /// DynamoDB's message.
        message: String,
        /// The SDK's error.
        #[source]
        source: Box<aws_sdk_dynamodb::Error>,
    },

    /// DynamoDB refused the request as invalid (`ValidationException`).
    #[error("DynamoDB rejected the request for table `{table}`: {message}")]
    Validation {
        /// The table the request was for.
        table: String,
        /// DynamoDB's message.
        message: String,
        /// The SDK's error.
        #[source]
        source: Box<aws_sdk_dynamodb::Error>,
    },

    /// The write succeeded, but the item DynamoDB returned (the new image of an update, the
    /// replaced item of a put) could not be read. Do not retry the write: it was applied. The
    /// error names the attribute and the type; a raw `GetItem` of the key (through
    /// [`Mapper::client`](crate::Mapper::client)) shows every attribute.
    #[error("the write to table `{table}` succeeded, but the item it returned could not be read: {source}")]
    WrittenButUnreadable {
        /// The table written to.
        table: String,
        /// The primary key of the item written.
        key: ItemMap,
        /// Why it could not be read.
        #[source]
        source: Box<Error>,
    },

    /// An item of a query or scan could not be read (it failed to decode, or an extension
    /// refused it); carries its key and the reason. A stream of items yields this in the
    /// item's place and goes on with the next one.
    #[error(transparent)]
    UnreadableItem(Box<UnreadableItem>),

    /// The table does not fit the mapper's expectations (a missing table name, an
    /// extension that is not loaded, ...).
    #[error("{0}")]
    Configuration(String),

    /// An existing table differs from the item type's declaration in a way that breaks reads
    /// or writes (`create_table().if_not_exists()` on a table made otherwise). Carries every
    /// difference; [`Table::verify`](crate::Table::verify) gives the same report.
    #[error("{0}")]
    TableMismatch(Box<Verification>),

    /// An extension refused a write or a read.
    #[error("extension {extension}: {message}")]
    Extension {
        /// The extension's name.
        extension: String,
        /// Why.
        message: String,
        /// The underlying error, if any.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// A read-modify-write loop lost the race every time.
    #[error("gave up after {attempts} conflicting writes: {last}")]
    TooManyConflicts {
        /// How many writes were tried.
        attempts: u32,
        /// The last conflict.
        #[source]
        last: Box<Error>,
    },

    /// The item to change does not exist: a read-modify-write found none, or a patch (which
    /// updates a stored item unless it is an `upsert`) found none to update; nothing was
    /// written.
    #[error("no item with this key in table `{table}`")]
    ItemNotFound {
        /// The table read.
        table: String,
    },

    /// A transaction was cancelled (`TransactionCanceledException`): nothing was written.
    /// Carries one reason per action, in the order the actions were added.
    #[error(transparent)]
    TransactionCanceled(Box<TransactionCanceled>),

    /// A transaction's client request token was used, within the last ten minutes, for a
    /// transaction with other actions (`IdempotentParameterMismatchException`): DynamoDB did
    /// not apply this one. Resending it cannot succeed; a new transaction needs a new token.
    #[error("the client request token was used for another transaction on `{table}`: {message}")]
    TokenReused {
        /// The tables of the transaction.
        table: String,
        /// DynamoDB's message.
        message: String,
        /// The SDK's error.
        #[source]
        source: Box<aws_sdk_dynamodb::Error>,
    },

    /// The request got no answer: it timed out, its connection dropped, or no connection
    /// could be made. Whether DynamoDB applied it is unknown. Retryable: a write is safe to
    /// send again when it is idempotent or conditional (a transaction is, with its client
    /// request token, for ten minutes — the mapper resends one as its `RetryPolicy` says).
    #[error("DynamoDB request for table `{table}` got no answer: {message}")]
    NoAnswer {
        /// The table the request was for.
        table: String,
        /// The SDK's description of the failure.
        message: String,
        /// The SDK's error.
        #[source]
        source: Box<aws_sdk_dynamodb::Error>,
    },

    /// A stream record could not be decoded into a typed
    /// `stream::Change`: an attribute did not convert, an extension's
    /// `after_read` refused an image, or the record is malformed. Carries the record as it
    /// was delivered and its sequence number; the records after it decode on their own.
    #[error(transparent)]
    UnreadableChange(Box<UnreadableChange>),

    /// A stream record that is not one DynamoDB writes: no event name, id, sequence number or
    /// keys, an unknown view type, an image its view type promises is missing. (An attribute
    /// value of no DynamoDB type is a [`Convert`](Error::Convert) error naming the attribute.)
    #[error("malformed stream record: {message}")]
    InvalidRecord {
        /// What is wrong with it.
        message: String,
    },

    /// A change-stream reader's request to DynamoDB Streams failed: its
    /// [`kind`](StreamFailure::kind) says whether records were trimmed, the table has no
    /// stream, or requests were throttled or failed too often.
    #[error(transparent)]
    Stream(Box<StreamFailure>),

    /// Any other error of the SDK: throttling, service errors.
    /// [`is_retryable`](Error::is_retryable) tells the transient ones.
    #[error("DynamoDB request for table `{table}` failed: {message}")]
    Sdk {
        /// The table the request was for.
        table: String,
        /// The HTTP status of the response, if there was one.
        status: Option<u16>,
        /// DynamoDB's message, or the SDK's description of the failure.
        message: String,
        /// The SDK's error.
        #[source]
        source: Box<aws_sdk_dynamodb::Error>,
    },
}

/// A request the mapper refused to send, with a [`kind`](Refusal::kind) a program can match on.
///
/// ```
/// use dynamodb_mapper::{Error, RefusalKind};
///
/// fn status_code(error: &Error) -> u16 {
///     match error {
///         Error::Refused(refusal) if refusal.kind() == RefusalKind::BadCursor => 400,
///         error if error.is_retryable() => 503,
///         _ => 500,
///     }
/// }
/// # let _ = status_code;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refused before sending: {message}")]
pub struct Refusal {
    kind: RefusalKind,
    message: String,
}

impl Refusal {
    /// A refusal of this kind.
    pub fn new(kind: RefusalKind, message: impl Into<String>) -> Self {
        Refusal {
            kind,
            message: message.into(),
        }
    }

    /// Why the request was refused.
    pub fn kind(&self) -> RefusalKind {
        self.kind
    }

    /// What exactly was wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Why a request was refused before it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefusalKind {
    /// A cursor token that is not one the mapper made.
    BadCursor,
    /// The next version would not fit the version attribute's type.
    VersionOverflow,
    /// A stored version that is not an integer.
    InvalidVersion,
    /// A counter whose next value would not fit its type.
    CounterOverflow,
    /// An expression over DynamoDB's 4 KB limit.
    ExpressionTooLarge,
    /// An item over DynamoDB's 400 KB limit (names and values).
    ItemTooLarge,
    /// A key attribute (of the table or an index) that is an empty string or empty binary.
    EmptyKeyValue,
    /// A key attribute over its size limit (2048 bytes for a partition key, 1024 for a sort key).
    KeyTooLarge,
    /// A key attribute that is missing, or of the wrong type.
    InvalidKey,
    /// More values than DynamoDB takes (`IN` takes at most 100).
    TooManyValues,
    /// A query filter naming a key attribute of the table or index queried.
    FilterOnKey,
    /// Two update actions on overlapping paths (`a` and `a.b`).
    OverlappingPaths,
    /// An expression placeholder declared but unused, or used but undeclared.
    Placeholders,
    /// A consistent read of a global secondary index.
    ConsistentReadOnGlobalIndex,
    /// A projection with no attribute to read.
    EmptyProjection,
    /// An argument out of its range (`limit(0)`, `parallel(0)`, a segment past the total).
    InvalidArgument,
    /// Nothing to write (an update with no action).
    NothingToWrite,
    /// A versioned put, or a delete of an item that was read, in a batch write, which cannot
    /// carry the version's condition.
    VersionedBatch,
    /// More actions than one request takes (a transaction takes at most 100).
    TooManyActions,
    /// Two actions of one transaction on the same item.
    SameItemTwice,
    /// A transaction over DynamoDB's 4 MB limit.
    TransactionTooLarge,
    /// A client request token that is empty or longer than 36 characters.
    InvalidToken,
    /// Two writes or reads of one item (the same table and key) in one batch call, which
    /// DynamoDB rejects: a put and a delete of the same key count too.
    DuplicateKey,
    /// A condition on a write of a batch (added by an extension), which a batch request
    /// cannot carry.
    ConditionInBatch,
    /// A handle used with the result of another batch or transaction than the one that made
    /// it (in a read-modify-write, of an attempt that did not commit).
    ForeignHandle,
    /// An item taken out of a result ([`TransactGetOutput::take`](crate::ops::TransactGetOutput::take))
    /// read again through the same handle.
    AlreadyTaken,
    /// A patch allowed to create its item (`upsert`) that does not write every attribute a
    /// read of the item needs: the item it would create could not be read.
    IncompleteUpsert,
}

/// A condition that did not hold on a write (`ConditionalCheckFailedException`).
///
/// Writes ask DynamoDB to return the item that is stored now
/// (`ReturnValuesOnConditionCheckFailure = ALL_OLD`), so a writer that lost a race can read
/// what won without another request.
#[derive(Debug, thiserror::Error)]
#[error("the condition of a write to table `{table}` did not hold{}", if .item.is_some() { "" } else { " (no item is stored)" })]
pub struct ConditionFailed {
    table: String,
    item: Option<ItemMap>,
    after_read: Option<Box<Error>>,
}

impl ConditionFailed {
    pub(crate) fn new(table: String, item: Option<ItemMap>) -> Self {
        ConditionFailed {
            table,
            item,
            after_read: None,
        }
    }

    /// The table written to.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The item stored now, as DynamoDB returned it (after the extensions' `after_read`,
    /// unless that failed: see [`after_read_error`](Self::after_read_error)); `None` if no
    /// item is stored.
    pub fn item_map(&self) -> Option<&ItemMap> {
        self.item.as_ref()
    }

    /// The item stored now, consumed.
    pub fn into_item_map(self) -> Option<ItemMap> {
        self.item
    }

    /// The error of an extension's `after_read` on the returned item, if one refused it. The
    /// condition still failed; [`item_map`](Self::item_map) is then the raw item.
    pub fn after_read_error(&self) -> Option<&Error> {
        self.after_read.as_deref()
    }

    pub(crate) fn item_map_mut(&mut self) -> Option<&mut ItemMap> {
        self.item.as_mut()
    }

    pub(crate) fn set_after_read_error(&mut self, error: Error) {
        self.after_read = Some(Box::new(error));
    }
}

/// An item of a page that could not be read: its primary key, to find it again (a raw
/// `GetItem` through [`Mapper::client`](crate::Mapper::client) shows every attribute), and why.
///
/// Items are decoded in place, moving their values out, so the page keeps no copy of each
/// item just in case; the error names the attribute, the Rust type and, for most conversion
/// errors, the stored value.
#[derive(Debug)]
#[non_exhaustive]
pub struct UnreadableItem {
    /// The item's primary key attributes, as stored.
    pub key: ItemMap,
    /// Why it could not be read.
    pub error: Error,
}

impl std::fmt::Display for UnreadableItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "an item could not be read: {}", self.error)
    }
}

impl std::error::Error for UnreadableItem {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// Error codes of a request refused for want of capacity: nothing was done.
const THROTTLING_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
];

/// Error codes of a transient failure of the service (besides any 5xx status).
const SERVER_CODES: &[&str] = &["InternalServerError", "ServiceUnavailable"];

/// Error codes of a request that met another transaction on its items.
const CONFLICT_CODES: &[&str] = &["TransactionConflictException", "TransactionInProgressException"];

impl Error {
    /// An extension's refusal.
    pub fn extension(extension: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Extension {
            extension: extension.into(),
            message: message.into(),
            source: None,
        }
    }

    /// An extension's refusal caused by another error.
    pub fn extension_with_source(
        extension: impl Into<String>,
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error::Extension {
            extension: extension.into(),
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// A refusal of `kind`.
    pub(crate) fn refused(kind: RefusalKind, message: impl Into<String>) -> Self {
        Error::Refused(Refusal::new(kind, message))
    }

    /// Sorts an SDK error into the mapper's variants, keeping it as the source.
    pub(crate) fn from_sdk<E>(table: &str, error: SdkError<E, HttpResponse>) -> Self
    where
        E: std::error::Error + 'static,
        aws_sdk_dynamodb::Error: From<SdkError<E, HttpResponse>>,
    {
        let status = error.raw_response().map(|r| r.status().as_u16());
        let unanswered = matches!(error, SdkError::DispatchFailure(_) | SdkError::TimeoutError(_));
        let described = match &error {
            SdkError::ServiceError(_) => None,
            other => Some(describe(other)),
        };
        let error = aws_sdk_dynamodb::Error::from(error);
        let table = table.to_owned();
        let message = error
            .message()
            .map(str::to_owned)
            .or(described)
            .or_else(|| error.code().map(str::to_owned))
            .unwrap_or_else(|| match status {
                Some(status) => format!("HTTP {status} with no error code"),
                None => "unknown error".to_owned(),
            });
        match error {
            aws_sdk_dynamodb::Error::ConditionalCheckFailedException(e) => {
                Error::ConditionFailed(ConditionFailed::new(table, e.item))
            }
            aws_sdk_dynamodb::Error::IdempotentParameterMismatchException(_) => Error::TokenReused {
                table,
                message,
                source: Box::new(error),
            },
            aws_sdk_dynamodb::Error::ResourceNotFoundException(_) => Error::TableNotFound {
                table,
                message,
                source: Box::new(error),
            },
            error if unanswered => Error::NoAnswer {
                table,
                message,
                source: Box::new(error),
            },
            error if error.code() == Some("ValidationException") => Error::Validation {
                table,
                message,
                source: Box::new(error),
            },
            error => Error::Sdk {
                table,
                status,
                message,
                source: Box::new(error),
            },
        }
    }

    /// Whether the same request may succeed if sent again later: throttling
    /// (`ProvisionedThroughputExceeded`, `ThrottlingException`, `RequestLimitExceeded`), a
    /// `TransactionConflict`, a transaction cancelled only by conflicts or throttling, and
    /// server errors (5xx), and requests that got no answer ([`NoAnswer`](Error::NoAnswer)). Never a failed condition: resending a
    /// stale write cannot succeed (re-read instead), and never an error after the write was
    /// applied ([`WrittenButUnreadable`](Error::WrittenButUnreadable)).
    pub fn is_retryable(&self) -> bool {
        self.is_throttling()
            || match self {
                Error::Sdk { status, source, .. } => {
                    status.is_some_and(|s| s >= 500)
                        || source
                            .code()
                            .is_some_and(|c| SERVER_CODES.contains(&c) || CONFLICT_CODES.contains(&c))
                }
                Error::TransactionCanceled(canceled) => canceled.is_retryable(),
                Error::NoAnswer { .. } => true,
                Error::Stream(failure) => failure.is_retryable(),
                _ => false,
            }
    }

    /// Whether DynamoDB refused the request for want of capacity
    /// (`ProvisionedThroughputExceeded`, `ThrottlingException`, `RequestLimitExceeded`): it did
    /// nothing, and the same request may succeed later. Unlike a server error (also
    /// [retryable](Self::is_retryable)), this says the request was not applied.
    ///
    /// ```
    /// # fn handle(error: dynamodb_mapper::Error) {
    /// if error.is_throttling() {
    ///     // Slow down: nothing was written.
    /// }
    /// # }
    /// ```
    pub fn is_throttling(&self) -> bool {
        match self {
            Error::Sdk { source, .. } => source.code().is_some_and(|c| THROTTLING_CODES.contains(&c)),
            Error::Stream(failure) => failure.kind == StreamErrorKind::Throttled,
            _ => false,
        }
    }

    /// The failed condition, if this is one.
    pub fn as_condition_failed(&self) -> Option<&ConditionFailed> {
        match self {
            Error::ConditionFailed(c) => Some(c),
            _ => None,
        }
    }

    /// The transaction's cancellation, if this is one.
    pub fn as_transaction_canceled(&self) -> Option<&TransactionCanceled> {
        match self {
            Error::TransactionCanceled(c) => Some(c),
            _ => None,
        }
    }

    /// The refusal, if the mapper refused to send the request.
    pub fn as_refusal(&self) -> Option<&Refusal> {
        match self {
            Error::Refused(r) => Some(r),
            _ => None,
        }
    }
}

/// A readable line for an SDK error that is not a service error (timeouts, dispatch failures).
fn describe<E, R>(error: &SdkError<E, R>) -> String
where
    SdkError<E, R>: std::error::Error,
{
    let mut out = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

impl fmt::Display for RefusalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_stay_small() {
        // Results of every operation carry an `Error`: keep it a few words.
        assert!(std::mem::size_of::<Error>() <= 88, "{}", std::mem::size_of::<Error>());
    }
}
