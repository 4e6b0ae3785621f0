//! The read-modify-write loop of optimistic locking.

use std::marker::PhantomData;

use super::{Get, Update};
use crate::error::{ConvertError, Error};
use crate::item::{Item, ItemMap};
use crate::ops::ChangeOutcome;
use crate::ops::ModifyError;
use crate::ops::send_on_await;
use crate::retry::{Retries, RetryPolicy};
use crate::target::Target;

/// Reads an item (consistently), applies a change and writes it back with
/// [`update`](crate::Table::update). If another writer got there first (the `#[version]` moved
/// on), applies the change again to the item stored now — which the failed write returned, so
/// no extra read — after a jittered backoff ([`RetryPolicy`], 8 attempts by default). Made by
/// [`Table::read_modify_write`](crate::Table::read_modify_write).
///
/// Throttling and server errors are retried the same way with the same item. The loop stops
/// at once when the change refuses ([`ModifyError::Refused`]) or the item is gone
/// ([`Error::ItemNotFound`]). The item type must have a `#[version]`
/// ([`Versioned`](crate::Versioned)): without one nothing would detect a conflict, so it does
/// not compile:
///
/// ```compile_fail
/// # use dynamodb_mapper::{Item, Table};
/// #[derive(Item)]
/// #[item(table = "notes")]
/// struct Note { #[partition_key] id: String, text: String }
/// # async fn run(notes: Table<Note>) {
/// notes.read_modify_write("n-1", |n| n.text.push('!')).await;
/// # }
/// ```
///
/// # Cancel safety
///
/// Each attempt reads the item and sends one conditional write. Dropping the future while a
/// write is in flight leaves it applied or not, unknown to the caller; earlier attempts lost
/// their race and wrote nothing. Running it again is **not** a safe way to find out: it would
/// read the item the dropped write may have stored and apply the change a second time. Re-read
/// and check (the version moved on, or a marker your change writes), or make the change
/// idempotent.
#[must_use = "an operation does nothing until it is awaited"]
pub struct ReadModifyWrite<'f, T, F> {
    target: Target,
    key: Result<ItemMap, ConvertError>,
    change: F,
    policy: RetryPolicy,
    /// The change may borrow for `'f`.
    _types: crate::ops::Marker<(T, &'f ())>,
}

impl<T, F> std::fmt::Debug for ReadModifyWrite<'_, T, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadModifyWrite")
            .field("table", &self.target.name())
            .field("key", &self.key)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl<'f, T: Item, F, R> ReadModifyWrite<'f, T, F>
where
    F: FnMut(&mut T) -> R + 'f,
    R: ChangeOutcome,
{
    pub(crate) fn new(target: Target, key: Result<ItemMap, ConvertError>, change: F) -> Self {
        ReadModifyWrite {
            target,
            key,
            change,
            policy: RetryPolicy::default(),
            _types: PhantomData,
        }
    }

    /// How often and how long to retry.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Runs the loop; returns the item as stored.
    pub async fn send(mut self) -> Result<T, ModifyError<R::Refusal>> {
        let table = self.target.name().to_owned();
        let not_found = || Error::ItemNotFound { table: table.clone() };
        let mut item = Get::<T>::new(self.target.clone(), self.key)
            .consistent_read()
            .send()
            .await?
            .ok_or_else(not_found)?;
        let mut retries = Retries::new(self.policy);
        (self.change)(&mut item).into_result().map_err(ModifyError::Refused)?;
        loop {
            let error = match Update::new(self.target.clone(), &item).send().await {
                Ok(written) => return Ok(written),
                Err(error) => error,
            };
            let retry_same = error.is_retryable();
            let stored = match &error {
                Error::ConditionFailed(failed) => Some(failed.item::<T>()),
                _ => None,
            };
            if stored.is_none() && !retry_same {
                return Err(error.into());
            }
            if !retries.wait(self.target.config()).await? {
                return Err(Error::TooManyConflicts {
                    attempts: retries.attempts(),
                    last: Box::new(error),
                }
                .into());
            }
            if let Some(stored) = stored {
                tracing::debug!(table = %table, attempt = retries.attempts(), "version conflict: applying the change to the stored item");
                item = stored.map_err(Error::from)?.ok_or_else(not_found)?;
                (self.change)(&mut item).into_result().map_err(ModifyError::Refused)?;
            }
        }
    }
}

send_on_await!(['f, T, F, R] ReadModifyWrite<'f, T, F> => Result<T, ModifyError<R::Refusal>>, + 'f,
    where
        T: Item + Send + 'static,
        F: FnMut(&mut T) -> R + Send + 'f,
        R: ChangeOutcome + 'f,
        R::Refusal: Send + 'f);
