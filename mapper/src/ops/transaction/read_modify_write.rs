//! The read-modify-write loop of optimistic locking, over several items in one transaction.

use std::marker::PhantomData;

use std::sync::Arc;

use super::{Committed, TransactGet, TransactGetOutput, TransactWrite};
use crate::error::Error;
use crate::ops::send_on_await;
use crate::ops::{ChangeOutcome, ModifyError};
use crate::retry::{Retries, RetryPolicy};
use crate::target::Config;

/// Reads items in one snapshot ([`TransactGet`]), lets a change closure decide what to write
/// ([`TransactWrite`]), and commits it; when another writer got there first, reads again, runs
/// the closure again and retries. Made by
/// [`Mapper::transact_read_modify_write`](crate::Mapper::transact_read_modify_write).
///
/// Each attempt reads the items afresh (consistent, as one snapshot), so the closure always
/// sees the stored versions, and builds a new transaction with a new client request token
/// (an identical resend of one attempt keeps its token; see [`TransactWrite`]). So do not give
/// the transaction a token of your own inside the change: a second attempt would reuse it with
/// other versions, which DynamoDB refuses (`IdempotentParameterMismatch`).
///
/// It retries, after a jittered backoff ([`RetryPolicy`], 8 attempts by default), when the
/// transaction is cancelled only by version conflicts, `TransactionConflict`s or throttling,
/// or fails with a retryable error. It stops at once when the closure refuses
/// ([`ModifyError::Refused`]), when an action's own condition fails (the
/// [`TransactionCanceled`](crate::ops::TransactionCanceled) is returned, typed), or on any other
/// error. A closure that adds no action ends the loop with an empty [`Committed`], sending
/// nothing.
///
/// ```no_run
/// # use dynamodb_mapper::{Item, Mapper, Table, expr::Condition, ops::ModifyError};
/// # #[derive(Item, Clone)] #[item(table = "accounts")]
/// # struct Account { #[partition_key] id: String, balance: i64, #[version] version: Option<u64> }
/// # #[derive(Debug)] struct InsufficientFunds;
/// # async fn run(mapper: Mapper, accounts: Table<Account>) -> Result<(), dynamodb_mapper::Error> {
/// let mut reads = mapper.transact_get();
/// let from = reads.get(&accounts, "alice");
/// let to = reads.get(&accounts, "bob");
/// let result = mapper
///     .transact_read_modify_write(reads, |items, tx| {
///         // The reads' own handles, each taken once: only a missing account is `None`.
///         let (Some(mut a), Some(mut b)) = (items.take(from).expect("a read's handle"), items.take(to).expect("a read's handle")) else {
///             return Err(InsufficientFunds);
///         };
///         if a.balance < 25 {
///             return Err(InsufficientFunds);
///         }
///         a.balance -= 25;
///         b.balance += 25;
///         tx.update(&accounts, &a).condition(Condition::attr("balance").ge(25));
///         tx.update(&accounts, &b);
///         Ok(())
///     })
///     .await;
/// match result {
///     Ok(_) => println!("moved"),
///     Err(ModifyError::Refused(InsufficientFunds)) => println!("not enough money"),
///     Err(ModifyError::Failed(e)) => return Err(e),
/// }
/// # Ok(()) }
/// ```
///
/// # Cancel safety
///
/// Each attempt reads, runs the change, and sends one transaction, which applies whole or
/// not at all; attempts before the last were cancelled (nothing written). Dropping the future
/// while a transaction is in flight leaves it applied or not, unknown to the caller, and the
/// change may have run several times (keep it free of side effects). Running the loop again
/// is **not** a safe way to find out: it reads the state the dropped attempt may have made and
/// applies the change on top. Re-read instead, or make the change idempotent (record an
/// operation id in the items and refuse when it is already there).
#[must_use = "an operation does nothing until it is awaited"]
pub struct TransactReadModifyWrite<'f, F> {
    config: Arc<Config>,
    reads: TransactGet,
    change: F,
    policy: RetryPolicy,
    /// The change may borrow for `'f`.
    _borrows: PhantomData<&'f ()>,
}

impl<F> std::fmt::Debug for TransactReadModifyWrite<'_, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransactReadModifyWrite")
            .field("reads", &self.reads)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl<'f, F, R> TransactReadModifyWrite<'f, F>
where
    F: FnMut(&mut TransactGetOutput, &mut TransactWrite) -> R + 'f,
    R: ChangeOutcome,
{
    pub(crate) fn new(config: Arc<Config>, reads: TransactGet, change: F) -> Self {
        TransactReadModifyWrite {
            config,
            reads,
            change,
            policy: RetryPolicy::default(),
            _borrows: PhantomData,
        }
    }

    /// How often and how long to retry.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Runs the loop; returns the last, committed transaction.
    pub async fn send(mut self) -> Result<Committed, ModifyError<R::Refusal>> {
        let mut retries = Retries::new(self.policy);
        loop {
            let mut items = if self.reads.is_empty() {
                TransactGetOutput::empty()
            } else {
                self.reads.clone().send().await?
            };
            let mut tx = TransactWrite::new(self.config.clone());
            (self.change)(&mut items, &mut tx)
                .into_result()
                .map_err(ModifyError::Refused)?;
            if tx.is_empty() {
                return Ok(Committed::empty());
            }
            let error = match tx.send().await {
                Ok(committed) => return Ok(committed),
                Err(error) => error,
            };
            let again = match &error {
                Error::TransactionCanceled(canceled) => canceled.is_conflict(),
                error => error.is_retryable(),
            };
            if !again {
                return Err(error.into());
            }
            if !retries.wait(&self.config).await? {
                return Err(Error::TooManyConflicts {
                    attempts: retries.attempts(),
                    last: Box::new(error),
                }
                .into());
            }
            tracing::debug!(attempt = retries.attempts(), %error, "transaction conflict: reading again");
        }
    }
}

send_on_await!(['f, F, R] TransactReadModifyWrite<'f, F> => Result<Committed, ModifyError<R::Refusal>>, + 'f,
    where
        F: FnMut(&mut TransactGetOutput, &mut TransactWrite) -> R + Send + 'f,
        R: ChangeOutcome + 'f,
        R::Refusal: Send + 'f);
