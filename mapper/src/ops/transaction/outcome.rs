//! What a transaction's actions did: [`Committed`] after the commit, the typed reasons of a
//! [`TransactionCanceled`] after a cancellation. Both are read from what each action's plan
//! recorded, never worked out again from the extensions' rules.

use std::fmt;

use aws_sdk_dynamodb::types::{self, AttributeValue};

use super::{TxHandle, TxWriteHandle};
use crate::error::{CancellationCode, CancellationReason, Error, Failure, RefusalKind, TransactionCanceled};
use crate::extension::{Expectation, ItemImage};
use crate::item::{Item, ItemMap};
use crate::plan::{self, Known};
use crate::schema::TableSchema;
use crate::target::Target;

/// What the mapper keeps of one action to read its outcome.
pub(crate) struct PreparedAction {
    pub(crate) target: Target,
    pub(crate) schema: &'static TableSchema,
    pub(crate) key: ItemMap,
    /// What the action expects to find stored, as the extensions recorded it.
    pub(crate) expected: Vec<Expectation>,
    /// What the action is known to store (puts, updates, patches).
    pub(crate) known: Option<Known>,
    /// Whether the action applies only to a stored item (a patch that does not create one).
    pub(crate) requires_item: bool,
    pub(crate) kind: &'static str,
}

impl PreparedAction {
    /// A get of a transactional read, for its cancellation reasons.
    pub(crate) fn read(target: Target, schema: &'static TableSchema, key: ItemMap) -> Self {
        PreparedAction {
            target,
            schema,
            key,
            expected: Vec::new(),
            known: None,
            requires_item: false,
            kind: "get",
        }
    }
}

/// A committed transaction: what each action wrote, read through its [`TxWriteHandle`].
///
/// `TransactWriteItems` returns no item, so what [`item`](Self::item) returns is what the
/// mapper knows was stored, from the requests it sent, without a re-read — never a guess:
///
/// - a **put**: the item exactly as sent (new version, timestamps, generated ids):
///   [`WrittenItem::Known`];
/// - an **update** or a **patch**: the key, and every attribute it set to a plain value (the
///   new version, timestamps, the caller's values). What the server decided — a counter's new
///   value, a value written only if none was stored (`#[update_behavior(write_if_not_exists)]`,
///   an unset `#[auto_uuid]`), `ADD`, `DELETE`, `list_append` — is not known, nor, for a patch
///   or an update with `ignore_nulls`, the attributes it did not name: then the item is
///   [`WrittenItem::Partial`], which says which attributes are known and which are not. An
///   update that set every attribute to a plain value is [`WrittenItem::Known`];
/// - a **delete** or **condition check**: nothing (an error).
pub struct Committed {
    /// Which transaction committed, for its handles.
    transaction: u64,
    actions: Vec<PreparedAction>,
    token: String,
}

/// An item a transaction wrote, as far as the mapper knows it without reading it again. See
/// [`Committed`] for what each action knows.
#[derive(Debug)]
#[non_exhaustive]
pub enum WrittenItem<T> {
    /// Every attribute is known: the item as stored (after the extensions' `after_read`).
    Known(T),
    /// Some attributes are not known.
    Partial(PartialItem),
}

impl<T> WrittenItem<T> {
    /// The item, if every attribute is known.
    pub fn known(self) -> Option<T> {
        match self {
            WrittenItem::Known(item) => Some(item),
            WrittenItem::Partial(_) => None,
        }
    }
}

/// The part of a written item the mapper knows ([`WrittenItem::Partial`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PartialItem {
    /// The attributes whose stored value is known: the key and the plain values sent.
    pub known: ItemMap,
    /// The attributes whose value the server decided (a counter, a value written only if none
    /// was stored, `ADD`, `DELETE`, `list_append`, a write inside a map or list).
    pub decided_by_server: Vec<String>,
    /// The attributes the action removed.
    pub removed: Vec<String>,
    /// Whether the attributes the action did not name kept their stored values (a patch, an
    /// update with `ignore_nulls`), which the mapper does not know.
    pub others_kept: bool,
}

impl Committed {
    pub(crate) fn new(transaction: u64, actions: Vec<PreparedAction>, token: String) -> Self {
        Committed {
            transaction,
            actions,
            token,
        }
    }

    /// A read-modify-write whose change wrote nothing: no handle is of it.
    pub(crate) fn empty() -> Self {
        Committed::new(0, Vec::new(), String::new())
    }

    /// What the action behind `handle` is known to have stored (see the type's
    /// documentation). A whole item goes through the extensions' `after_read` and is decoded.
    /// Refused ([`RefusalKind::InvalidArgument`]) for a delete or a condition check, and
    /// ([`RefusalKind::ForeignHandle`]) for a handle of another transaction — in a
    /// read-modify-write, of an attempt that did not commit.
    pub fn item<T: Item>(&self, handle: TxWriteHandle<T>) -> Result<WrittenItem<T>, Error> {
        let action = self.action(handle)?;
        let known = action.known.as_ref().ok_or_else(|| {
            Error::refused(
                RefusalKind::InvalidArgument,
                format!(
                    "action {} of the transaction is a {}: it wrote no item",
                    handle.index(),
                    action.kind
                ),
            )
        })?;
        if !known.is_whole() {
            return Ok(WrittenItem::Partial(PartialItem {
                known: known.attributes.clone(),
                decided_by_server: known.decided_by_server.clone(),
                removed: known.removed.clone(),
                others_kept: known.others_kept,
            }));
        }
        let item = plan::read::decode_written_in_place(
            action.target.chain(),
            action.schema,
            action.target.name(),
            &known.attributes,
        )?;
        Ok(WrittenItem::Known(item))
    }

    /// The attributes an action is known to have stored, as sent; `None` for a delete or a
    /// condition check. Refused for a handle of another transaction.
    pub fn item_map<T>(&self, handle: TxWriteHandle<T>) -> Result<Option<&ItemMap>, Error> {
        let action = self.action(handle)?;
        Ok(action.known.as_ref().map(|known| &known.attributes))
    }

    /// The client request token the transaction was sent with.
    pub fn client_request_token(&self) -> &str {
        &self.token
    }

    /// How many actions were committed.
    pub fn len(&self) -> usize {
        self.actions.len()
    }

    /// Whether nothing was written (a read-modify-write whose change added no action).
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    fn action<T>(&self, handle: TxWriteHandle<T>) -> Result<&PreparedAction, Error> {
        let index = handle.position_in(self.transaction)?;
        self.actions.get(index).ok_or_else(|| {
            Error::refused(
                RefusalKind::InvalidArgument,
                format!("the transaction has no action {index}"),
            )
        })
    }
}

impl fmt::Debug for Committed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Committed")
            .field("actions", &self.actions.len())
            .field("client_request_token", &self.token)
            .finish()
    }
}

impl TransactionCanceled {
    /// The reason of the action behind `handle` (of a write or of a transactional get).
    /// Refused ([`RefusalKind::ForeignHandle`]) for a handle of another transaction.
    pub fn reason<T, Of>(&self, handle: TxHandle<T, Of>) -> Result<&CancellationReason, Error> {
        let index = handle.position_in(self.transaction())?;
        self.reasons().get(index).ok_or_else(|| {
            Error::refused(
                RefusalKind::ForeignHandle,
                format!("the transaction has no action {index}"),
            )
        })
    }

    /// The item stored now for the action behind `handle`, decoded as its type; `None` when
    /// DynamoDB returned none (the action's condition did not fail, or no item is stored).
    /// Refused for a handle of another transaction.
    pub fn item<T: Item, Of>(&self, handle: TxHandle<T, Of>) -> Result<Option<T>, Error> {
        self.reason(handle)?.item()
    }
}

/// Sorts a cancellation's reasons onto the actions, in order: each with the stored item
/// (through the extensions' `after_read`), and a version conflict where the stored item does
/// not hold what the action's extensions recorded they expect.
pub(crate) fn canceled(
    transaction: u64,
    actions: &[PreparedAction],
    reasons: Vec<types::CancellationReason>,
    message: String,
) -> Error {
    let mut reasons = reasons.into_iter();
    let reasons = actions
        .iter()
        .enumerate()
        .map(|(index, action)| {
            let reason = reasons.next();
            let code = CancellationCode::parse(reason.as_ref().and_then(|r| r.code()));
            let message = reason.as_ref().and_then(|r| r.message()).map(str::to_owned);
            let mut item = reason.and_then(|r| r.item).filter(|i| !i.is_empty());
            let mut after_read = None;
            if let Some(item) = &mut item {
                let raw = item.clone();
                if let Err(e) =
                    action
                        .target
                        .chain()
                        .after_read(action.schema, action.target.name(), ItemImage::Whole, item)
                {
                    *item = raw;
                    after_read = Some(Box::new(e));
                }
            }
            let failed = code == CancellationCode::ConditionalCheckFailed;
            // A patch of an item that is not stored: the item is missing, whatever it expected.
            let missing = failed && action.requires_item && item.is_none();
            let conflict = failed && !missing && action.expected.iter().any(|expected| !holds(expected, item.as_ref()));
            let outcome = match (missing, conflict) {
                (true, _) => Failure::ItemMissing,
                (_, true) => Failure::VersionConflict,
                _ => Failure::Other,
            };
            CancellationReason::new(
                index,
                action.target.name().to_owned(),
                action.key.clone(),
                code,
                message,
                item,
                outcome,
                action.expected.first().and_then(|e| e.value.clone()),
                after_read,
            )
        })
        .collect();
    Error::TransactionCanceled(Box::new(TransactionCanceled::new(transaction, message, reasons)))
}

/// Whether the stored item (`None`: no item) holds what an action expected.
fn holds(expected: &Expectation, stored: Option<&ItemMap>) -> bool {
    let value = stored
        .and_then(|item| item.get(expected.name.as_ref()))
        .filter(|v| !matches!(v, AttributeValue::Null(_)));
    match (&expected.value, value) {
        (None, None) => true,
        (Some(expected), Some(stored)) => same_value(expected, stored),
        _ => false,
    }
}

/// Whether two values are equal, numbers by value.
fn same_value(expected: &AttributeValue, stored: &AttributeValue) -> bool {
    match (expected, stored) {
        (AttributeValue::N(a), AttributeValue::N(b)) => match (a.parse::<i128>(), b.parse::<i128>()) {
            (Ok(a), Ok(b)) => a == b,
            _ => a == b,
        },
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Mapper;

    #[derive(crate::Item)]
    #[item(table = "accounts")]
    struct Account {
        #[partition_key]
        id: String,
        #[version]
        version: Option<u64>,
    }

    fn n(text: &str) -> AttributeValue {
        AttributeValue::N(text.into())
    }

    fn target() -> Target {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .build();
        let mapper = Mapper::new(aws_sdk_dynamodb::Client::from_conf(config));
        mapper.table::<Account>().unwrap().target().clone()
    }

    /// An action whose extensions expected `version` to be stored as `expected` (`None`: no
    /// expectation was recorded; `Some(None)`: no version stored).
    fn action(expected: Option<Option<AttributeValue>>) -> PreparedAction {
        let key = ItemMap::from([("id".to_owned(), AttributeValue::S("a".into()))]);
        PreparedAction {
            expected: expected
                .map(|value| Expectation {
                    name: "version".into(),
                    value,
                })
                .into_iter()
                .collect(),
            ..PreparedAction::read(target(), Account::TABLE, key)
        }
    }

    fn reason(code: &str, version: Option<&str>, stored: bool) -> types::CancellationReason {
        let mut item = ItemMap::from([("id".to_owned(), AttributeValue::S("a".into()))]);
        if let Some(version) = version {
            item.insert("version".to_owned(), n(version));
        }
        types::CancellationReason::builder()
            .code(code)
            .set_item(stored.then_some(item))
            .build()
    }

    fn reasons(actions: &[PreparedAction], reasons: Vec<types::CancellationReason>) -> TransactionCanceled {
        match canceled(0, actions, reasons, "cancelled".into()) {
            Error::TransactionCanceled(c) => *c,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn version_conflicts_are_told_apart_from_failed_conditions() {
        let failed = |expected: Option<Option<AttributeValue>>, version: Option<&str>, stored: bool| {
            let canceled = reasons(
                &[action(expected)],
                vec![reason("ConditionalCheckFailed", version, stored)],
            );
            let reason = &canceled.reasons()[0];
            (reason.is_version_conflict(), reason.is_condition_failure())
        };
        // Read at version 3: stored 3 (or 03) means the caller's condition; 4 or gone, a conflict.
        assert_eq!(failed(Some(Some(n("3"))), Some("3"), true), (false, true));
        assert_eq!(failed(Some(Some(n("3"))), Some("03"), true), (false, true));
        assert_eq!(failed(Some(Some(n("3"))), Some("4"), true), (true, false));
        assert_eq!(failed(Some(Some(n("3"))), None, false), (true, false));
        // A new item: any stored version is a conflict; none stored, the caller's condition.
        assert_eq!(failed(Some(None), Some("0"), true), (true, false));
        assert_eq!(failed(Some(None), None, false), (false, true));
        assert_eq!(failed(Some(None), None, true), (false, true));
        // No expectation recorded (a delete by key, a condition check): always the caller's.
        assert_eq!(failed(None, Some("9"), true), (false, true));
    }

    #[test]
    fn reasons_follow_the_actions_and_missing_codes_are_none() {
        let actions = [action(None), action(Some(Some(n("1")))), action(None)];
        let canceled = reasons(
            &actions,
            vec![reason("NONE", None, false), reason("TransactionConflict", None, false)],
        );
        let codes: Vec<&CancellationCode> = canceled.reasons().iter().map(|r| r.code()).collect();
        assert_eq!(
            codes,
            [
                &CancellationCode::None,
                &CancellationCode::TransactionConflict,
                &CancellationCode::None
            ]
        );
        assert_eq!(canceled.failed().map(|r| r.index()).collect::<Vec<_>>(), [1]);
        assert!(canceled.is_retryable() && canceled.is_conflict());
        assert!(!canceled.has_version_conflict());
        assert_eq!(canceled.reasons()[1].expected_version(), Some(&n("1")));
        assert_eq!(
            canceled.to_string(),
            "transaction cancelled: action 1 on `accounts`: TransactionConflict"
        );
    }
}
