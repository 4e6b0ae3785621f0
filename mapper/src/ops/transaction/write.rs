//! `TransactWriteItems`: up to 100 writes on any tables, all applied or none.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;

use std::sync::Arc;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{self, AttributeValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use tracing::Instrument;

use crate::error::{CancellationCode, CancellationReason, ConvertError, Error, RefusalKind, TransactionCanceled};
use crate::expr::{Condition, Path, SetValue, UpdateExpression, UpdateValue};
use crate::extension::{ItemImage, tagged};
use crate::item::{Item, ItemMap, KeyFrom};
use crate::limits;
use crate::ops::CapacityMeter;
use crate::plan::{self, Action, Write, WriteKind};
use crate::retry::{Retries, RetryPolicy};
use crate::schema::{TableSchema, Tag};
use crate::target::Table;
use crate::target::{Config, Target};
use crate::value::ToAttributeValue;

/// Writes on any tables of one mapper, applied all together or not at all
/// (`TransactWriteItems`). Made by [`Mapper::transact_write`](crate::Mapper::transact_write).
///
/// Each action — [`put`](Self::put), [`update`](Self::update), [`patch`](Self::patch),
/// [`delete`](Self::delete), [`delete_item`](Self::delete_item),
/// [`condition_check`](Self::condition_check) — goes through the extensions exactly as the
/// single operation does (with [`WriteMode::Transaction`](crate::extension::WriteMode)): the
/// `#[version]` is checked and moved on, counters count, timestamps and ids are set. A
/// condition check runs no extension: only its own condition applies. Each action may carry a
/// condition of its own, and asks DynamoDB for the stored item if its condition fails
/// (`ReturnValuesOnConditionCheckFailure = ALL_OLD`).
///
/// Each action returns a typed [`TxWriteHandle`]: after the commit it reads the item as written
/// from [`Committed`]; after a cancellation it reads that action's reason and stored item from
/// [`TransactionCanceled`].
///
/// Refused before sending ([`Error::Refused`]): no action
/// ([`NothingToWrite`](RefusalKind::NothingToWrite)), more than 100
/// ([`TooManyActions`](RefusalKind::TooManyActions)), two actions on one item
/// ([`SameItemTwice`](RefusalKind::SameItemTwice)), more than 4 MB
/// ([`TransactionTooLarge`](RefusalKind::TransactionTooLarge)), a client request token over
/// 36 characters ([`InvalidToken`](RefusalKind::InvalidToken)).
///
/// # Idempotency
///
/// Every transaction carries a client request token: the caller's
/// ([`client_request_token`](Self::client_request_token)) or a fresh random one. When the
/// outcome of a request is unknown (a timeout, a dropped connection, a 5xx) or it was
/// throttled, the *identical* request is sent again with the *same* token (as the
/// [`retry`](Self::retry) policy allows), so DynamoDB applies it at most once. A rebuilt
/// transaction (new versions after a conflict, as in
/// [`Mapper::transact_read_modify_write`](crate::Mapper::transact_read_modify_write)) gets a
/// new token: DynamoDB answers `IdempotentParameterMismatch` ([`Error::TokenReused`]) to a token reused with other
/// parameters.
///
/// ```no_run
/// # use dynamodb_mapper::{Item, Mapper, Table, expr::Condition};
/// # #[derive(Item, Clone)] #[item(table = "accounts")]
/// # struct Account { #[partition_key] id: String, balance: i64, #[version] version: Option<u64> }
/// # async fn run(mapper: Mapper, accounts: Table<Account>, mut from: Account, mut to: Account) -> Result<(), dynamodb_mapper::Error> {
/// from.balance -= 25;
/// to.balance += 25;
/// let mut tx = mapper.transact_write();
/// let debit = tx.update(&accounts, &from).condition(Condition::attr("balance").ge(25)).handle();
/// let credit = tx.update(&accounts, &to).handle();
/// let committed = tx.send().await?;
/// // The items as written, with their new versions, without a re-read:
/// let from: Account = committed.item(debit)?;
/// let to: Account = committed.item(credit)?;
/// # Ok(()) }
/// ```
#[must_use = "a transaction does nothing until it is sent"]
pub struct TransactWrite {
    config: Arc<Config>,
    actions: Vec<Pending>,
    token: Option<String>,
    policy: RetryPolicy,
    meter: Option<CapacityMeter>,
}

/// One action as the caller gave it.
struct Pending {
    target: Target,
    schema: &'static TableSchema,
    kind: Result<PendingKind, Error>,
    condition: Option<Condition>,
}

enum PendingKind {
    Put(ItemMap),
    Update { item: ItemMap, ignore_nulls: bool },
    Patch { key: ItemMap, actions: UpdateExpression },
    Delete(ItemMap),
    DeleteItem(ItemMap),
    Check(ItemMap),
}

impl PendingKind {
    fn name(&self) -> &'static str {
        match self {
            PendingKind::Put(_) => "put",
            PendingKind::Update { .. } => "update",
            PendingKind::Patch { .. } => "patch",
            PendingKind::Delete(_) | PendingKind::DeleteItem(_) => "delete",
            PendingKind::Check(_) => "condition check",
        }
    }
}

/// A typed handle on one action of a [`TransactWrite`]: its position, and the item type it
/// reads back (from [`Committed`] or [`TransactionCanceled`]).
pub struct TxWriteHandle<T> {
    index: usize,
    _item: crate::ops::Marker<T>,
}

impl<T> TxWriteHandle<T> {
    /// The action's position: 0 for the first action added.
    pub fn index(&self) -> usize {
        self.index
    }
}

impl<T> Clone for TxWriteHandle<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for TxWriteHandle<T> {}

impl<T> fmt::Debug for TxWriteHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TxWriteHandle").field("index", &self.index).finish()
    }
}

/// An action just added to a [`TransactWrite`]: give it a condition, then take its
/// [`handle`](Self::handle) (or drop it: the action stays added).
pub struct TxAction<'a, T> {
    tx: &'a mut TransactWrite,
    index: usize,
    _item: crate::ops::Marker<T>,
}

impl<T> TxAction<'_, T> {
    /// Applies the action only if `condition` holds for the stored item (ANDed with the
    /// extensions' conditions and earlier ones).
    pub fn condition(self, condition: impl Into<Condition>) -> Self {
        let pending = &mut self.tx.actions[self.index];
        let condition = condition.into();
        pending.condition = Some(match pending.condition.take() {
            Some(earlier) => earlier.and(condition),
            None => condition,
        });
        self
    }

    /// For an update: leaves stored attributes alone where the item has no value, instead of
    /// removing them. Refused at send on any other action.
    pub fn ignore_nulls(self) -> Self {
        let pending = &mut self.tx.actions[self.index];
        match &mut pending.kind {
            Ok(PendingKind::Update { ignore_nulls, .. }) => *ignore_nulls = true,
            Ok(other) => {
                let what = other.name();
                pending.kind = Err(Error::refused(
                    RefusalKind::InvalidArgument,
                    format!("`ignore_nulls` applies to an update, not to a {what}"),
                ));
            }
            Err(_) => {}
        }
        self
    }

    /// The action's typed handle.
    pub fn handle(self) -> TxWriteHandle<T> {
        TxWriteHandle {
            index: self.index,
            _item: PhantomData,
        }
    }
}

impl<T> From<TxAction<'_, T>> for TxWriteHandle<T> {
    fn from(action: TxAction<'_, T>) -> Self {
        action.handle()
    }
}

/// An update by actions just added to a [`TransactWrite`], as
/// [`Table::patch`](crate::Table::patch) builds one: `set`, `remove`, `add`, `delete`, and the
/// version that was read ([`expect_version`](Self::expect_version)).
pub struct TxPatch<'a, T> {
    tx: &'a mut TransactWrite,
    index: usize,
    _item: crate::ops::Marker<T>,
}

impl<T: Item> TxPatch<'_, T> {
    fn with(self, f: impl FnOnce(&mut ItemMap, &mut UpdateExpression) -> Result<(), Error>) -> Self {
        let pending = &mut self.tx.actions[self.index];
        if let Ok(PendingKind::Patch { key, actions }) = &mut pending.kind
            && let Err(e) = f(key, actions)
        {
            pending.kind = Err(e);
        }
        self
    }

    fn value(value: impl ToAttributeValue) -> Result<AttributeValue, Error> {
        value.to_attribute_value()?.ok_or_else(|| {
            ConvertError::custom("a patch value cannot be None or an empty set: remove the attribute instead").into()
        })
    }

    /// `SET path = value`.
    pub fn set(self, path: impl Into<Path>, value: impl ToAttributeValue) -> Self {
        let path = path.into();
        self.with(|_, actions| {
            actions.set(path, UpdateValue::Value(Self::value(value)?));
            Ok(())
        })
    }

    /// `SET path = expression` ([`UpdateValue`]: `if_not_exists`, arithmetic, ...).
    pub fn set_to(self, path: impl Into<Path>, value: impl Into<SetValue>) -> Self {
        let (path, value) = (path.into(), value.into());
        self.with(|_, actions| {
            actions.set(path, value);
            Ok(())
        })
    }

    /// `REMOVE path`.
    pub fn remove(self, path: impl Into<Path>) -> Self {
        let path = path.into();
        self.with(|_, actions| {
            actions.remove(path);
            Ok(())
        })
    }

    /// `ADD path value`: adds to a number or adds elements to a set.
    pub fn add(self, path: impl Into<Path>, value: impl ToAttributeValue) -> Self {
        let path = path.into();
        self.with(|_, actions| {
            actions.add(path, Self::value(value)?);
            Ok(())
        })
    }

    /// `DELETE path value`: removes elements from a set.
    pub fn delete(self, path: impl Into<Path>, value: impl ToAttributeValue) -> Self {
        let path = path.into();
        self.with(|_, actions| {
            actions.delete(path, Self::value(value)?);
            Ok(())
        })
    }

    /// Applies only if the stored `#[version]` is still `version` (the one read), and writes
    /// the next one.
    pub fn expect_version(self, version: impl ToAttributeValue) -> Self {
        self.with(|key, _| {
            let name = version_attribute(T::TABLE).ok_or_else(|| {
                Error::refused(
                    RefusalKind::InvalidArgument,
                    format!("`{}` has no `#[version]` to expect", T::SCHEMA.type_name),
                )
            })?;
            let value = version
                .to_attribute_value()?
                .ok_or_else(|| ConvertError::custom("the expected version cannot be None"))?;
            key.insert(name.to_owned(), value);
            Ok(())
        })
    }

    /// Applies only if `condition` holds for the stored item.
    pub fn condition(self, condition: impl Into<Condition>) -> Self {
        let pending = &mut self.tx.actions[self.index];
        let condition = condition.into();
        pending.condition = Some(match pending.condition.take() {
            Some(earlier) => earlier.and(condition),
            None => condition,
        });
        self
    }

    /// The action's typed handle.
    pub fn handle(self) -> TxWriteHandle<T> {
        TxWriteHandle {
            index: self.index,
            _item: PhantomData,
        }
    }
}

impl<T: Item> From<TxPatch<'_, T>> for TxWriteHandle<T> {
    fn from(patch: TxPatch<'_, T>) -> Self {
        patch.handle()
    }
}

/// The name of the `#[version]` attribute, if the item type has one.
pub(crate) fn version_attribute(schema: &'static TableSchema) -> Option<&'static str> {
    tagged(schema, |t| matches!(t, Tag::Version { .. }))
        .next()
        .map(|(name, _)| name)
}

/// The primary key attributes of an item map.
pub(crate) fn key_of(schema: &'static TableSchema, item: &ItemMap) -> ItemMap {
    std::iter::once(schema.partition_key.name)
        .chain(schema.sort_key.map(|k| k.name))
        .filter_map(|name| item.get(name).map(|v| (name.to_owned(), v.clone())))
        .collect()
}

impl TransactWrite {
    pub(crate) fn new(config: Arc<Config>) -> Self {
        TransactWrite {
            config,
            actions: Vec::new(),
            token: None,
            policy: RetryPolicy::default().max_attempts(3),
            meter: None,
        }
    }

    fn push<T: Item>(&mut self, table: &Table<T>, kind: Result<PendingKind, Error>) -> usize {
        self.actions.push(Pending {
            target: table.target().clone(),
            schema: T::TABLE,
            kind,
            condition: None,
        });
        self.actions.len() - 1
    }

    fn action<T: Item>(&mut self, table: &Table<T>, kind: Result<PendingKind, Error>) -> TxAction<'_, T> {
        let index = self.push(table, kind);
        TxAction {
            tx: self,
            index,
            _item: PhantomData,
        }
    }

    /// How many actions were added.
    pub fn len(&self) -> usize {
        self.actions.len()
    }

    /// Whether no action was added.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// Puts `item`, replacing any item with its key.
    pub fn put<T: Item>(&mut self, table: &Table<T>, item: &T) -> TxAction<'_, T> {
        let kind = item.to_item().map(PendingKind::Put).map_err(Error::from);
        self.action(table, kind)
    }

    /// Updates the stored item from `item` (as [`Table::update`](crate::Table::update)).
    pub fn update<T: Item>(&mut self, table: &Table<T>, item: &T) -> TxAction<'_, T> {
        let kind = item
            .to_item()
            .map(|item| PendingKind::Update {
                item,
                ignore_nulls: false,
            })
            .map_err(Error::from);
        self.action(table, kind)
    }

    /// Updates the item with this key by update actions (as
    /// [`Table::patch`](crate::Table::patch)).
    pub fn patch<T, K>(&mut self, table: &Table<T>, key: K) -> TxPatch<'_, T>
    where
        T: KeyFrom<K>,
    {
        let kind = T::key_from(key)
            .map(|key| PendingKind::Patch {
                key,
                actions: UpdateExpression::new(),
            })
            .map_err(Error::from);
        let index = self.push(table, kind);
        TxPatch {
            tx: self,
            index,
            _item: PhantomData,
        }
    }

    /// Deletes the item with this key (without a version check).
    pub fn delete<T, K>(&mut self, table: &Table<T>, key: K) -> TxAction<'_, T>
    where
        T: KeyFrom<K>,
    {
        let kind = T::key_from(key).map(PendingKind::Delete).map_err(Error::from);
        self.action(table, kind)
    }

    /// Deletes the stored item with the key of `item`; with a `#[version]`, only if the
    /// stored version is still the one `item` was read with.
    pub fn delete_item<T: Item>(&mut self, table: &Table<T>, item: &T) -> TxAction<'_, T> {
        let kind = item.to_item().map(PendingKind::DeleteItem).map_err(Error::from);
        self.action(table, kind)
    }

    /// Checks that `condition` holds for the item with this key, writing nothing; the
    /// transaction is cancelled if it does not. No extension runs on a condition check (the
    /// version is not checked unless `condition` says so). DynamoDB refuses a check on an
    /// item another action of the transaction writes: put the condition on that action.
    pub fn condition_check<T, K>(
        &mut self,
        table: &Table<T>,
        key: K,
        condition: impl Into<Condition>,
    ) -> TxAction<'_, T>
    where
        T: KeyFrom<K>,
    {
        let kind = T::key_from(key).map(PendingKind::Check).map_err(Error::from);
        self.action(table, kind).condition(condition)
    }

    /// Sends `token` as the client request token (1 to 36 characters), the caller's
    /// idempotency key: DynamoDB applies a transaction with the same token and the same
    /// actions once within ten minutes, and refuses ([`Error::TokenReused`]) the same
    /// token with other actions. Without it, a fresh random token is made.
    pub fn client_request_token(&mut self, token: impl Into<String>) -> &mut Self {
        self.token = Some(token.into());
        self
    }

    /// How often to send the identical request again (with the same token) when its outcome
    /// is unknown or it was throttled. Default: 3 attempts in all (on top of the SDK's own
    /// retries); [`RetryPolicy::never`] sends it once.
    pub fn retry(&mut self, policy: RetryPolicy) -> &mut Self {
        self.policy = policy;
        self
    }

    /// Adds the capacity the transaction consumes to `meter`.
    pub fn capacity(&mut self, meter: &CapacityMeter) -> &mut Self {
        self.meter = Some(meter.clone());
        self
    }

    /// Runs the extensions on every action and checks the limits.
    fn prepare(self) -> Result<Prepared, Error> {
        let count = self.actions.len();
        if count == 0 {
            return Err(Error::refused(
                RefusalKind::NothingToWrite,
                "a transaction needs at least one action",
            ));
        }
        if count > limits::MAX_TRANSACTION_ACTIONS {
            return Err(Error::refused(
                RefusalKind::TooManyActions,
                format!(
                    "a transaction takes at most {} actions, not {count}",
                    limits::MAX_TRANSACTION_ACTIONS
                ),
            ));
        }
        let token = match self.token {
            Some(token) => {
                let length = token.chars().count();
                if length == 0 || length > limits::MAX_CLIENT_REQUEST_TOKEN_LEN {
                    return Err(Error::refused(
                        RefusalKind::InvalidToken,
                        format!(
                            "a client request token has 1 to {} characters, not {length}",
                            limits::MAX_CLIENT_REQUEST_TOKEN_LEN
                        ),
                    ));
                }
                token
            }
            None => new_token(),
        };
        let mut actions = Vec::with_capacity(count);
        let mut items = Vec::with_capacity(count);
        let mut size = 0;
        for (index, pending) in self.actions.into_iter().enumerate() {
            let (item, action) = prepare_action(index, pending)?;
            size += action.size;
            if let Some(earlier) = actions
                .iter()
                .position(|a: &PreparedAction| a.target.name() == action.target.name() && a.key == action.key)
            {
                return Err(Error::refused(
                    RefusalKind::SameItemTwice,
                    format!(
                        "actions {earlier} and {index} are both on the item with key {:?} of table `{}`: \
                         DynamoDB takes one action per item in a transaction",
                        action.key,
                        action.target.name()
                    ),
                ));
            }
            items.push(item);
            actions.push(action);
        }
        if size > limits::MAX_TRANSACTION_SIZE {
            return Err(Error::refused(
                RefusalKind::TransactionTooLarge,
                format!(
                    "the transaction is {size} bytes, over DynamoDB's limit of {} (4 MB)",
                    limits::MAX_TRANSACTION_SIZE
                ),
            ));
        }
        Ok(Prepared {
            capacity: self.config.capacity_request(self.meter.is_some()),
            config: self.config,
            items,
            actions,
            token,
            policy: self.policy,
            meter: self.meter,
        })
    }

    /// Sends the transaction. On success, returns what each action wrote; on a cancellation,
    /// [`Error::TransactionCanceled`] with a typed reason per action.
    pub async fn send(self) -> Result<Committed, Error> {
        self.prepare()?.send().await
    }
}

impl IntoFuture for TransactWrite {
    type Output = Result<Committed, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

impl fmt::Debug for TransactWrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let actions: Vec<String> = self
            .actions
            .iter()
            .map(|a| {
                let kind = a.kind.as_ref().map_or("invalid", PendingKind::name);
                format!("{kind} on `{}`", a.target.name())
            })
            .collect();
        f.debug_struct("TransactWrite")
            .field("actions", &actions)
            .field("client_request_token", &self.token)
            .finish_non_exhaustive()
    }
}

/// A random client request token: 32 hexadecimal digits.
fn new_token() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// What the mapper keeps of one action to read its outcome.
pub(crate) struct PreparedAction {
    pub(crate) target: Target,
    pub(crate) schema: &'static TableSchema,
    pub(crate) key: ItemMap,
    /// `Some(read)` when the action carries the `#[version]` condition: the version read
    /// (`None` for a new item).
    pub(crate) expected_version: Option<Option<AttributeValue>>,
    /// The item as known to be written (puts, updates, patches).
    known: Option<ItemMap>,
    kind: &'static str,
    size: usize,
}

impl PreparedAction {
    /// A get of a transactional read, for its cancellation reasons.
    pub(crate) fn read(target: Target, schema: &'static TableSchema, key: ItemMap) -> Self {
        PreparedAction {
            target,
            schema,
            key,
            expected_version: None,
            known: None,
            kind: "get",
            size: 0,
        }
    }
}

/// A transaction ready to send.
struct Prepared {
    config: Arc<Config>,
    capacity: Option<types::ReturnConsumedCapacity>,
    items: Vec<TransactWriteItem>,
    actions: Vec<PreparedAction>,
    token: String,
    policy: RetryPolicy,
    meter: Option<CapacityMeter>,
}

fn build_error(index: usize, error: impl fmt::Display) -> Error {
    Error::refused(
        RefusalKind::InvalidArgument,
        format!("action {index} of the transaction is incomplete: {error}"),
    )
}

/// Plans one action and builds its `TransactWriteItem`.
fn prepare_action(index: usize, pending: Pending) -> Result<(TransactWriteItem, PreparedAction), Error> {
    let Pending {
        target,
        schema,
        kind,
        condition,
    } = pending;
    let kind = kind?;
    let kind_name = kind.name();
    let version = version_attribute(schema);
    let read_version = |item: &ItemMap| {
        version.map(|name| {
            item.get(name)
                .filter(|v| !matches!(v, AttributeValue::Null(_)))
                .cloned()
        })
    };
    let (write, expected_version, original) = match kind {
        PendingKind::Put(item) => {
            let expected = read_version(&item);
            (WriteKind::Put(item), expected, None)
        }
        PendingKind::Update { item, ignore_nulls } => (
            WriteKind::Update {
                item: item.clone(),
                ignore_nulls,
            },
            read_version(&item),
            Some(item),
        ),
        PendingKind::Patch { key, actions } => {
            let expected = version.and_then(|name| key.get(name).cloned().map(Some));
            (WriteKind::Patch { key, actions }, expected, None)
        }
        PendingKind::Delete(key) => (WriteKind::Delete(key), None, None),
        PendingKind::DeleteItem(item) => {
            let expected = read_version(&item);
            (WriteKind::DeleteItem(item), expected, None)
        }
        PendingKind::Check(key) => (WriteKind::ConditionCheck(key), None, None),
    };
    let write = Write {
        kind: write,
        condition,
        mode: crate::extension::WriteMode::Transaction,
        skip_version_check: false,
    };
    let (plan, written) = plan::prepare_keeping(target.chain(), schema, target.name(), write, true)?;
    let key = key_of(schema, plan.key());
    let values_size = plan.values.as_ref().map_or(0, limits::item_size);
    let texts = plan.condition.as_ref().map_or(0, String::len)
        + plan
            .names
            .iter()
            .flatten()
            .map(|(k, v)| k.len() + v.len())
            .sum::<usize>();
    // The four action types share these settings, on builders of different types.
    macro_rules! with_plan {
        ($builder:expr) => {
            $builder
                .table_name(target.name())
                .set_condition_expression(plan.condition)
                .set_expression_attribute_names(plan.names)
                .set_expression_attribute_values(plan.values)
                .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                .build()
                .map_err(|e| build_error(index, e))?
        };
    }
    let (item, size, known) = match plan.action {
        Action::Put { item } => {
            let size = limits::item_size(&item);
            let put = with_plan!(types::Put::builder().set_item(Some(item)));
            (TransactWriteItem::builder().put(put).build(), size, written)
        }
        Action::Update { key, expression } => {
            let Some(expression) = expression else {
                return Err(Error::refused(
                    RefusalKind::NothingToWrite,
                    format!(
                        "action {index} of the transaction, an update of table `{}`, writes nothing",
                        target.name()
                    ),
                ));
            };
            let size = limits::item_size(&key) + expression.len();
            let update = with_plan!(
                types::Update::builder()
                    .set_key(Some(key))
                    .update_expression(expression)
            );
            let known = written.map(|written| match original {
                Some(original) => known_update(schema, original, written, expected_version.as_ref()),
                None => written,
            });
            (TransactWriteItem::builder().update(update).build(), size, known)
        }
        Action::Delete { key } => {
            let size = limits::item_size(&key);
            let delete = with_plan!(types::Delete::builder().set_key(Some(key)));
            (TransactWriteItem::builder().delete(delete).build(), size, None)
        }
        Action::ConditionCheck { key } => {
            let size = limits::item_size(&key);
            let check = with_plan!(types::ConditionCheck::builder().set_key(Some(key)));
            (TransactWriteItem::builder().condition_check(check).build(), size, None)
        }
    };
    let action = PreparedAction {
        target,
        schema,
        key,
        expected_version,
        known,
        kind: kind_name,
        size: size + values_size + texts,
    };
    Ok((item, action))
}

/// What an update is known to have written, as `TransactWriteItems` returns no item: the
/// caller's item, overlaid with what the extensions set (the new version, timestamps). A
/// counter the server incremented is `start` for a new item (read version `None`), else the
/// caller's value plus `inc` — exact when the version condition held, an assumption (that the
/// caller's item was the stored one) without a `#[version]`.
fn known_update(
    schema: &'static TableSchema,
    original: ItemMap,
    written: ItemMap,
    expected_version: Option<&Option<AttributeValue>>,
) -> ItemMap {
    let mut known = original;
    let new_item = matches!(expected_version, Some(None));
    let counters: Vec<(&str, i64, i64)> = tagged(schema, |t| matches!(t, Tag::AtomicCounter { .. }))
        .filter_map(|(name, tag)| match tag {
            Tag::AtomicCounter { start, inc, .. } => Some((name, start, inc)),
            _ => None,
        })
        .filter(|(name, _, _)| !written.contains_key(*name))
        .collect();
    for (name, start, inc) in counters {
        let stored = match known.get(name) {
            Some(AttributeValue::N(n)) if !new_item => n.parse::<i128>().ok(),
            _ => None,
        };
        let next = stored.map_or(i128::from(start), |n| n + i128::from(inc));
        known.insert(name.to_owned(), AttributeValue::N(next.to_string()));
    }
    known.extend(written);
    known
}

/// Whether a failed request may be sent again identically (same token): its outcome is
/// unknown (timeout, connection, 5xx), or it was throttled, or the same token is in progress.
fn resend_identical<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> bool {
    const CODES: &[&str] = &[
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TransactionInProgressException",
        "InternalServerError",
        "ServiceUnavailable",
    ];
    match error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(e) => {
            e.raw().status().as_u16() >= 500 || e.err().code().is_some_and(|c| CODES.contains(&c))
        }
        _ => false,
    }
}

/// The tables of a transaction, for messages and spans.
pub(crate) fn table_names<'a>(targets: impl Iterator<Item = &'a Target>) -> String {
    let mut names: Vec<&str> = targets.map(Target::name).collect();
    names.sort_unstable();
    names.dedup();
    names.join(", ")
}

impl Prepared {
    async fn send(self) -> Result<Committed, Error> {
        let tables = table_names(self.actions.iter().map(|a| &a.target));
        let span = crate::ops::span(&tables, "TransactWriteItems");
        let mut retries = Retries::new(self.policy);
        let output = loop {
            let result = self
                .config
                .client
                .transact_write_items()
                .set_transact_items(Some(self.items.clone()))
                .client_request_token(&self.token)
                .set_return_consumed_capacity(self.capacity.clone())
                .send()
                .instrument(span.clone())
                .await;
            match result {
                Ok(output) => break output,
                Err(error) => {
                    if resend_identical(&error) && retries.wait(&self.config).await? {
                        tracing::debug!(parent: &span, attempt = retries.attempts(), "outcome unknown: sending the identical transaction again");
                        continue;
                    }
                    if let SdkError::ServiceError(service) = &error
                        && let aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(e) = service.err()
                    {
                        let reasons = e.cancellation_reasons().to_vec();
                        let message = e.message().unwrap_or("transaction cancelled").to_owned();
                        return Err(canceled(&self.actions, reasons, message));
                    }
                    return Err(Error::from_sdk(&tables, error));
                }
            }
        };
        crate::ops::record_capacity(&span, self.meter.as_ref(), output.consumed_capacity().iter());
        Ok(Committed {
            actions: self
                .actions
                .into_iter()
                .map(|a| Written {
                    target: a.target,
                    schema: a.schema,
                    item: a.known,
                    kind: a.kind,
                })
                .collect(),
            token: self.token,
        })
    }
}

/// A committed transaction: what each action wrote, read through its [`TxWriteHandle`].
///
/// `TransactWriteItems` returns no item, so what is returned is what the mapper knows it
/// wrote, without a re-read:
///
/// - a **put**: the item exactly as sent (new version, timestamps, generated ids);
/// - an **update**: the caller's item with what the extensions set (new version, timestamps)
///   and each `#[atomic_counter]` as the server computed it (`start` for a new item, else the
///   caller's value plus `inc`: exact when the `#[version]` condition held; without a version,
///   it assumes the caller's item was the stored one). A `write_if_not_exists` attribute
///   reads as the value sent, though a stored one was kept; an unset `#[auto_uuid]` generated
///   by the server (`if_not_exists`) reads as unset;
/// - a **patch**: only the key, the new version and the timestamps: [`item_map`](Self::item_map)
///   has them, [`item`](Self::item) decodes them if the type allows;
/// - a **delete** or **condition check**: nothing.
pub struct Committed {
    actions: Vec<Written>,
    token: String,
}

struct Written {
    target: Target,
    schema: &'static TableSchema,
    item: Option<ItemMap>,
    kind: &'static str,
}

impl Committed {
    pub(crate) fn empty() -> Self {
        Committed {
            actions: Vec::new(),
            token: String::new(),
        }
    }

    /// The item an action wrote, after the extensions' `after_read` (see the type's
    /// documentation for what each action knows).
    pub fn item<T: Item>(&self, handle: TxWriteHandle<T>) -> Result<T, Error> {
        let action = self.action(handle.index)?;
        let item = action.item.clone().ok_or_else(|| {
            Error::refused(
                RefusalKind::InvalidArgument,
                format!(
                    "action {} of the transaction is a {}: it wrote no item",
                    handle.index, action.kind
                ),
            )
        })?;
        plan::read::decode_written(action.target.chain(), action.schema, action.target.name(), item)
    }

    /// The attributes an action is known to have written, as sent; `None` for a delete or a
    /// condition check.
    pub fn item_map<T>(&self, handle: TxWriteHandle<T>) -> Option<&ItemMap> {
        self.actions.get(handle.index).and_then(|a| a.item.as_ref())
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

    fn action(&self, index: usize) -> Result<&Written, Error> {
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
    /// The reason of the action behind `handle`.
    ///
    /// # Panics
    ///
    /// If `handle` is not of this transaction (its index is out of range).
    pub fn reason<T>(&self, handle: TxWriteHandle<T>) -> &CancellationReason {
        &self.reasons()[handle.index]
    }

    /// The item stored now for the action behind `handle`, decoded as its type.
    pub fn item<T: Item>(&self, handle: TxWriteHandle<T>) -> Result<Option<T>, Error> {
        match self.reasons().get(handle.index) {
            Some(reason) => reason.item(),
            None => Ok(None),
        }
    }
}

/// Sorts a cancellation's reasons onto the actions, in order.
pub(crate) fn canceled(actions: &[PreparedAction], reasons: Vec<types::CancellationReason>, message: String) -> Error {
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
            let version_conflict = code == CancellationCode::ConditionalCheckFailed
                && match (&action.expected_version, version_attribute(action.schema)) {
                    (Some(expected), Some(name)) => {
                        let stored = item.as_ref().and_then(|i| i.get(name));
                        match (expected, item.as_ref()) {
                            // A new item: the version condition fails only if one is stored.
                            (None, _) => stored.is_some_and(|v| !matches!(v, AttributeValue::Null(_))),
                            // The item is gone, or carries another version.
                            (Some(_), None) => true,
                            (Some(expected), Some(_)) => !same_number(expected, stored),
                        }
                    }
                    _ => false,
                };
            CancellationReason::new(
                index,
                action.target.name().to_owned(),
                action.key.clone(),
                code,
                message,
                item,
                version_conflict,
                action.expected_version.clone().flatten(),
                after_read,
            )
        })
        .collect();
    Error::TransactionCanceled(Box::new(TransactionCanceled::new(message, reasons)))
}

/// Whether a stored version equals the expected one, as numbers.
fn same_number(expected: &AttributeValue, stored: Option<&AttributeValue>) -> bool {
    match (expected, stored) {
        (AttributeValue::N(a), Some(AttributeValue::N(b))) => match (a.parse::<i128>(), b.parse::<i128>()) {
            (Ok(a), Ok(b)) => a == b,
            _ => a == b,
        },
        (a, Some(b)) => a == b,
        (_, None) => false,
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
        #[atomic_counter(start = 10, inc = 5)]
        visits: i64,
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

    fn action(expected_version: Option<Option<AttributeValue>>) -> PreparedAction {
        let key = ItemMap::from([("id".to_owned(), AttributeValue::S("a".into()))]);
        PreparedAction {
            expected_version,
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
        match canceled(actions, reasons, "cancelled".into()) {
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
        // Read at version 3: stored 3 means the caller's condition; 4 or gone, a conflict.
        assert_eq!(failed(Some(Some(n("3"))), Some("3"), true), (false, true));
        assert_eq!(failed(Some(Some(n("3"))), Some("4"), true), (true, false));
        assert_eq!(failed(Some(Some(n("3"))), None, false), (true, false));
        // A new item: any stored version is a conflict; none stored, the caller's condition.
        assert_eq!(failed(Some(None), Some("0"), true), (true, false));
        assert_eq!(failed(Some(None), None, false), (false, true));
        assert_eq!(failed(Some(None), None, true), (false, true));
        // No version check (a delete by key, a condition check): always the caller's.
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
        assert_eq!(
            canceled.to_string(),
            "transaction cancelled: action 1 on `accounts`: TransactionConflict"
        );
    }

    #[test]
    fn an_update_knows_its_counters_from_the_version_check() {
        let item = |version: Option<&str>, visits: &str| {
            let mut item = ItemMap::from([
                ("id".to_owned(), AttributeValue::S("a".into())),
                ("visits".to_owned(), n(visits)),
            ]);
            if let Some(version) = version {
                item.insert("version".to_owned(), n(version));
            }
            item
        };
        let written = |version: &str| {
            ItemMap::from([
                ("id".to_owned(), AttributeValue::S("a".into())),
                ("version".to_owned(), n(version)),
            ])
        };
        // A read item: the value read plus inc, and the new version.
        let known = known_update(Account::TABLE, item(Some("2"), "20"), written("3"), Some(&Some(n("2"))));
        assert_eq!((known["visits"].clone(), known["version"].clone()), (n("25"), n("3")));
        // A new item: start, whatever the struct held.
        let known = known_update(Account::TABLE, item(None, "999"), written("0"), Some(&None));
        assert_eq!(known["visits"], n("10"));
    }

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

    #[test]
    fn tokens_are_fresh_and_fit() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.len() <= limits::MAX_CLIENT_REQUEST_TOKEN_LEN);
    }

    #[test]
    fn versions_compare_as_numbers() {
        let n = |s: &str| AttributeValue::N(s.into());
        assert!(same_number(&n("3"), Some(&n("3"))));
        assert!(same_number(&n("3"), Some(&n("03"))));
        assert!(!same_number(&n("3"), Some(&n("4"))));
        assert!(!same_number(&n("3"), None));
    }
}
