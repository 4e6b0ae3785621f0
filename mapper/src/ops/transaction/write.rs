//! `TransactWriteItems`: up to 100 writes on any tables, all applied or none.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{self, ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use tracing::Instrument;

use super::outcome::{PreparedAction, canceled};
use super::{Committed, TxAction, TxPatch};
use crate::error::{self, ConvertError, Error, RefusalKind};
use crate::expr::Condition;
use crate::extension::Expectation;
use crate::item::{Item, ItemMap, KeyFrom};
use crate::limits;
use crate::ops::CapacityMeter;
use crate::ops::single::PatchActions;
use crate::plan::{self, Known, Plan, UpdateRequest, Write};
use crate::retry::{Retries, RetryPolicy};
use crate::schema::TableSchema;
use crate::target::{Config, Table, Target};

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
/// let from: Option<Account> = committed.item(debit)?.known();
/// let to: Option<Account> = committed.item(credit)?.known();
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
pub(super) struct Pending {
    target: Target,
    schema: &'static TableSchema,
    pub(super) write: Result<TxWrite, Error>,
    condition: Option<Condition>,
    /// A patch's actions, as the caller adds them.
    pub(super) patch_actions: PatchActions,
}

/// What an action writes, before the extensions run.
pub(super) enum TxWrite {
    Put(ItemMap),
    Update { item: ItemMap, ignore_nulls: bool },
    Patch { key: ItemMap },
    Delete { item: ItemMap, whole_item: bool },
    Check(ItemMap),
}

impl TxWrite {
    pub(super) fn name(&self) -> &'static str {
        match self {
            TxWrite::Put(_) => "put",
            TxWrite::Update { .. } => "update",
            TxWrite::Patch { .. } => "patch",
            TxWrite::Delete { .. } => "delete",
            TxWrite::Check(_) => "condition check",
        }
    }
}

impl Pending {
    /// ANDs `condition` with the action's earlier ones.
    pub(super) fn and_condition(&mut self, condition: Condition) {
        self.condition = Some(match self.condition.take() {
            Some(earlier) => earlier.and(condition),
            None => condition,
        });
    }
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

    fn push<T: Item>(&mut self, table: &Table<T>, write: Result<TxWrite, ConvertError>) -> usize {
        self.actions.push(Pending {
            target: table.target().clone(),
            schema: T::TABLE,
            write: write.map_err(Error::from),
            condition: None,
            patch_actions: PatchActions::default(),
        });
        self.actions.len() - 1
    }

    fn action<T: Item>(&mut self, table: &Table<T>, write: Result<TxWrite, ConvertError>) -> TxAction<'_, T> {
        let index = self.push(table, write);
        TxAction::new(self, index)
    }

    pub(super) fn pending(&mut self, index: usize) -> &mut Pending {
        &mut self.actions[index]
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
        self.action(table, item.to_item().map(TxWrite::Put))
    }

    /// Updates the stored item from `item` (as [`Table::update`](crate::Table::update)).
    pub fn update<T: Item>(&mut self, table: &Table<T>, item: &T) -> TxAction<'_, T> {
        let write = item.to_item().map(|item| TxWrite::Update {
            item,
            ignore_nulls: false,
        });
        self.action(table, write)
    }

    /// Updates the item with this key by update actions (as
    /// [`Table::patch`](crate::Table::patch)).
    pub fn patch<T, K>(&mut self, table: &Table<T>, key: K) -> TxPatch<'_, T>
    where
        T: KeyFrom<K>,
    {
        let index = self.push(table, T::key_from(key).map(|key| TxWrite::Patch { key }));
        TxPatch::new(self, index)
    }

    /// Deletes the item with this key (without a version check).
    pub fn delete<T, K>(&mut self, table: &Table<T>, key: K) -> TxAction<'_, T>
    where
        T: KeyFrom<K>,
    {
        let write = T::key_from(key).map(|item| TxWrite::Delete {
            item,
            whole_item: false,
        });
        self.action(table, write)
    }

    /// Deletes the stored item with the key of `item`; with a `#[version]`, only if the
    /// stored version is still the one `item` was read with.
    pub fn delete_item<T: Item>(&mut self, table: &Table<T>, item: &T) -> TxAction<'_, T> {
        let write = item.to_item().map(|item| TxWrite::Delete { item, whole_item: true });
        self.action(table, write)
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
        self.action(table, T::key_from(key).map(TxWrite::Check))
            .condition(condition)
    }

    /// Sends `token` as the client request token (1 to 36 characters), the caller's
    /// idempotency key: DynamoDB applies a transaction with the same token and the same
    /// actions once within ten minutes, and refuses ([`Error::TokenReused`]) the same token
    /// with other actions. Without it, a fresh random token is made.
    pub fn client_request_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// How often to send the identical request again (with the same token) when its outcome
    /// is unknown or it was throttled: the policy's attempts count every send. Default: 3
    /// attempts in all (on top of the SDK's own retries); [`RetryPolicy::never`] sends it once.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Adds the capacity the transaction consumes to `meter`.
    pub fn capacity(mut self, meter: &CapacityMeter) -> Self {
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
        let mut actions: Vec<PreparedAction> = Vec::with_capacity(count);
        let mut items = Vec::with_capacity(count);
        let mut size = 0;
        for (index, pending) in self.actions.into_iter().enumerate() {
            let (item, action, action_size) = prepare_action(index, pending)?;
            size += action_size;
            if let Some(earlier) = actions
                .iter()
                .position(|a| a.target.name() == action.target.name() && a.key == action.key)
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
                let kind = a.write.as_ref().map_or("invalid", TxWrite::name);
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

/// The bytes of a plan's condition, names and values, as the 4 MB limit counts them.
fn expression_size<R>(plan: &Plan<R>) -> usize {
    plan.values.as_ref().map_or(0, limits::item_size)
        + plan.condition.as_ref().map_or(0, String::len)
        + plan
            .names
            .iter()
            .flatten()
            .map(|(k, v)| k.len() + v.len())
            .sum::<usize>()
}

/// Plans one action through the extensions and builds its `TransactWriteItem`; returns what
/// is kept of it for the outcome, and its size.
fn prepare_action(index: usize, pending: Pending) -> Result<(TransactWriteItem, PreparedAction, usize), Error> {
    let Pending {
        target,
        schema,
        write,
        condition,
        patch_actions,
    } = pending;
    let write = write?;
    let kind = write.name();
    let prepare = Write::new(target.chain(), schema, target.name())
        .condition(condition)
        .in_transaction();
    // The four action types share these settings, on builders of different types.
    macro_rules! with_plan {
        ($plan:ident, $builder:expr) => {
            $builder
                .table_name(target.name())
                .set_condition_expression($plan.condition)
                .set_expression_attribute_names($plan.names)
                .set_expression_attribute_values($plan.values)
                .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                .build()
                .map_err(|e| build_error(index, e))?
        };
    }
    let update = |plan: Plan<UpdateRequest>| -> Result<Built, Error> {
        let size = expression_size(&plan) + limits::item_size(&plan.request.key) + plan.request.expression.len();
        let key = plan.request.key.clone();
        let (expected, known) = (plan.expected, plan.known);
        let UpdateRequest {
            key: request_key,
            expression,
        } = plan.request;
        let update = with_plan!(
            plan,
            types::Update::builder()
                .set_key(Some(request_key))
                .update_expression(expression)
        );
        Ok((
            TransactWriteItem::builder().update(update).build(),
            key,
            size,
            expected,
            known,
        ))
    };
    let (item, key, size, expected, known) = match write {
        TxWrite::Put(item) => {
            let plan = prepare.put(item)?;
            let size = expression_size(&plan) + limits::item_size(&plan.request.item);
            let key = plan::key_of(schema, &plan.request.item);
            let (expected, known) = (plan.expected, plan.known);
            let put = with_plan!(plan, types::Put::builder().set_item(Some(plan.request.item)));
            (
                TransactWriteItem::builder().put(put).build(),
                key,
                size,
                expected,
                known,
            )
        }
        TxWrite::Update { item, ignore_nulls } => update(prepare.update(item, ignore_nulls)?)?,
        TxWrite::Patch { key } => {
            let (key, actions) = patch_actions.finish(schema, key)?;
            update(prepare.patch(key, actions)?)?
        }
        TxWrite::Delete { item, whole_item } => {
            let plan = prepare.delete(item, whole_item)?;
            let size = expression_size(&plan) + limits::item_size(&plan.request.key);
            let key = plan.request.key.clone();
            let expected = plan.expected;
            let delete = with_plan!(plan, types::Delete::builder().set_key(Some(plan.request.key)));
            (
                TransactWriteItem::builder().delete(delete).build(),
                key,
                size,
                expected,
                None,
            )
        }
        TxWrite::Check(item) => {
            let plan = prepare.check(item)?;
            let size = expression_size(&plan) + limits::item_size(&plan.request.key);
            let key = plan.request.key.clone();
            let expected = plan.expected;
            let check = with_plan!(plan, types::ConditionCheck::builder().set_key(Some(plan.request.key)));
            (
                TransactWriteItem::builder().condition_check(check).build(),
                key,
                size,
                expected,
                None,
            )
        }
    };
    let action = PreparedAction {
        target,
        schema,
        key,
        expected,
        known,
        kind,
    };
    Ok((item, action, size))
}

/// An action built: its request, key, size, and the plan's record.
type Built = (TransactWriteItem, ItemMap, usize, Vec<Expectation>, Option<Known>);

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
                    if error::may_resend_identical(&error) && retries.wait(&self.config).await? {
                        tracing::debug!(parent: &span, attempt = retries.attempts(), "outcome unknown: sending the identical transaction again");
                        continue;
                    }
                    if let SdkError::ServiceError(service) = &error
                        && let TransactWriteItemsError::TransactionCanceledException(e) = service.err()
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
        Ok(Committed::new(self.actions, self.token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_fresh_and_fit() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.len() <= limits::MAX_CLIENT_REQUEST_TOKEN_LEN);
    }
}
