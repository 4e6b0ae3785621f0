//! `TransactWriteItems`: up to 100 writes on any tables, all applied or none.

use std::fmt;
use std::sync::Arc;

use super::send::Prepared;
use super::{Committed, TxAction, TxPatch};
use crate::error::{ConvertError, Error};
use crate::expr::{Condition, IntoCondition};
use crate::item::{Item, ItemMap, KeyFrom};
use crate::ops::CapacityMeter;
use crate::ops::send_on_await;
use crate::ops::single::PatchActions;
use crate::retry::RetryPolicy;
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
/// Each action returns a typed [`TxWriteHandle`](crate::ops::TxWriteHandle): after the commit it reads the item as written
/// from [`Committed`]; after a cancellation it reads that action's reason and stored item from
/// [`TransactionCanceled`](crate::ops::TransactionCanceled).
///
/// Refused before sending ([`Error::Refused`]): no action
/// ([`NothingToWrite`](crate::RefusalKind::NothingToWrite)), more than 100
/// ([`TooManyActions`](crate::RefusalKind::TooManyActions)), two actions on one item
/// ([`SameItemTwice`](crate::RefusalKind::SameItemTwice)), more than 4 MB
/// ([`TransactionTooLarge`](crate::RefusalKind::TransactionTooLarge): the item a put or an
/// update of a whole item writes, the key of any other action, and every value an action
/// sends beyond its item, with the expressions' texts and names, measured as DynamoDB
/// measures items), a client request token over
/// 36 characters ([`InvalidToken`](crate::RefusalKind::InvalidToken)).
///
/// # Idempotency
///
/// Every transaction carries a client request token: the caller's
/// ([`client_request_token`](Self::client_request_token)) or a fresh random one. When the
/// outcome of a request is unknown (a timeout, a dropped connection, a 5xx), it was
/// throttled, or the same token is still being applied (`TransactionInProgress`), the
/// *identical* request (the same bytes, the same token) is sent again, as the
/// [`retry`](Self::retry) policy allows, so DynamoDB applies it at most once. These resends
/// are the SDK's own retries of the request, configured by the policy for this request: the
/// request is neither kept nor copied for them. A rebuilt
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
///
/// # Cancel safety
///
/// A transaction is one request (sent again, identical, while its outcome is unknown): all
/// its actions apply or none does. Dropped before the request left, nothing is written;
/// dropped while it was in flight, it may have been applied, and the caller does not know.
/// To find out without applying it twice, give the transaction a
/// [`client_request_token`](Self::client_request_token) of your own and send the identical
/// transaction again with it within ten minutes: DynamoDB applies a token once and answers
/// the same for every resend.
#[must_use = "a transaction does nothing until it is sent"]
pub struct TransactWrite {
    config: Arc<Config>,
    /// Which transaction this is, for its handles.
    pub(super) id: u64,
    actions: Vec<Pending>,
    token: Option<String>,
    /// The resend policy, when not the default.
    policy: Option<RetryPolicy>,
    meter: Option<CapacityMeter>,
}

/// One action as the caller gave it.
pub(super) struct Pending {
    pub(super) target: Target,
    pub(super) schema: &'static TableSchema,
    pub(super) write: Result<TxWrite, Error>,
    pub(super) condition: Option<Condition>,
    /// A patch's actions, as the caller adds them.
    pub(super) patch_actions: PatchActions,
}

/// What an action writes, before the extensions run.
pub(super) enum TxWrite {
    Put(ItemMap),
    Update {
        item: ItemMap,
        ignore_nulls: bool,
    },
    Patch {
        key: ItemMap,
        /// Whether an item reads as the action's type, for an upsert's check.
        decodes: fn(ItemMap) -> Result<(), ConvertError>,
    },
    Delete {
        item: ItemMap,
        whole_item: bool,
    },
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
            id: crate::ops::next_request_id(),
            actions: Vec::new(),
            token: None,
            policy: None,
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
        let patch = |key| TxWrite::Patch {
            key,
            decodes: crate::ops::single::decodes::<T>,
        };
        let index = self.push(table, T::key_from(key).map(patch));
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
        condition: impl IntoCondition<T>,
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

    /// How often to send the identical request (with the same token) when its outcome is
    /// unknown or it was throttled: the policy's attempts count every send, the first included,
    /// and its delays set the backoff between them. It replaces the client's retry settings
    /// for this request (its deadline does not apply: each attempt is bounded by the client's
    /// timeouts). Default: 3 attempts, 20 ms to 1 s apart;
    /// [`RetryPolicy::never`](crate::RetryPolicy::never) sends it once.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// Adds the capacity the transaction consumes to `meter`.
    pub fn capacity(mut self, meter: &CapacityMeter) -> Self {
        self.meter = Some(meter.clone());
        self
    }

    /// Sends the transaction. On success, returns what each action wrote; on a cancellation,
    /// [`Error::TransactionCanceled`] with a typed reason per action.
    pub fn send(self) -> impl Future<Output = Result<Committed, Error>> + Send + 'static {
        // Prepared before the future is made: the future holds the request, not the builder.
        let sending =
            Prepared::new(self.config, self.id, self.actions, self.token, self.policy, self.meter).map(Prepared::send);
        async move { sending?.await }
    }
}

send_on_await!([] TransactWrite => Result<Committed, Error>);

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
