//! Batches: writes and gets of any number of items across tables, in requests of DynamoDB's
//! sizes, with what DynamoDB leaves undone sent again in rounds and what is left handed back.
//!
//! What batch writes and batch gets share is here: the identity of a key (to find a leftover
//! among the requests sent, and to refuse duplicates), the rounds that send and resend the
//! requests, and the options of a batch.

mod get;
mod get_requests;
mod key;
mod one_table;
mod rounds;
mod write;
mod write_requests;

pub use get::{BatchGet, BatchGetOutput, Fetched, GetHandle};
pub use one_table::{GetAll, GetAllOutput, WriteAll, WriteAllOutput};
pub use write::{BatchWrite, BatchWriteOutput, DeleteHandle, DeleteItemHandle, PutHandle, WriteHandle};

use std::any::Any;

pub(crate) use key::{KeyId, KeyNames, TableKeys};
pub(crate) use rounds::{Batch, Round, Sender, send};

use crate::error::{Error, RefusalKind};
use crate::ops::CapacityMeter;
use crate::retry::RetryPolicy;

/// How many requests of a batch are in flight at once, unless set.
pub(crate) const DEFAULT_CONCURRENCY: usize = 8;

/// The typed outcomes of each call of a batch, kept for the handles that call returned.
/// (Public only in name, for [`WriteHandle`]'s hidden method: its module is private.)
#[doc(hidden)]
#[derive(Debug)]
pub struct Groups {
    batch: u64,
    groups: Vec<Option<Box<dyn Any + Send>>>,
}

impl Groups {
    pub(crate) fn new(batch: u64, groups: Vec<Box<dyn Any + Send>>) -> Self {
        Groups {
            batch,
            groups: groups.into_iter().map(Some).collect(),
        }
    }

    /// The outcomes of the call `group` of batch `batch` (a handle's position), taken out:
    /// refused for a handle of another batch, empty when taken before.
    pub(crate) fn take<V: Any + Default>(&mut self, (batch, group): (u64, usize)) -> Result<V, Error> {
        let foreign = || {
            Error::refused(
                RefusalKind::ForeignHandle,
                "this handle belongs to another batch: a result answers only its own batch's handles",
            )
        };
        if batch != self.batch {
            return Err(foreign());
        }
        match self.groups.get_mut(group).ok_or_else(foreign)?.take() {
            None => Ok(V::default()),
            Some(values) => values.downcast::<V>().map(|v| *v).map_err(|_| foreign()),
        }
    }
}

/// The options every batch has.
#[derive(Debug, Clone)]
pub(crate) struct BatchOptions {
    pub(crate) retry: RetryPolicy,
    pub(crate) concurrency: usize,
    pub(crate) meter: Option<CapacityMeter>,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            retry: RetryPolicy::default(),
            concurrency: DEFAULT_CONCURRENCY,
            meter: None,
        }
    }
}

/// The options every batch builder has, on a builder with a `fn batch_options(&mut self) ->
/// &mut BatchOptions`: written once for [`BatchWrite`], [`BatchGet`], [`WriteAll`] and
/// [`GetAll`].
macro_rules! batch_options {
    ($($builder:ident $(<$($param:ident),*>)?),*) => {$(
        impl$(<$($param),*>)? $builder$(<$($param),*>)? {
            /// How the rounds of what DynamoDB leaves undone are retried: their number
            /// ([`RetryPolicy::max_rounds`](crate::RetryPolicy::max_rounds), no limit by
            /// default), the rounds in a row without progress (3 by default), the backoff
            /// between them and the deadline (see [`BatchWrite`](crate::ops::BatchWrite)).
            pub fn retry(mut self, policy: crate::RetryPolicy) -> Self {
                self.batch_options().retry = policy;
                self
            }

            /// How many requests are in flight at once (8 by default; 0 is refused when
            /// sending).
            pub fn concurrency(mut self, requests: usize) -> Self {
                self.batch_options().concurrency = requests;
                self
            }

            /// Adds the capacity every request consumes to `meter`.
            pub fn capacity(mut self, meter: &crate::ops::CapacityMeter) -> Self {
                self.batch_options().meter = Some(meter.clone());
                self
            }
        }
    )*};
}

batch_options!(BatchWrite, BatchGet, WriteAll<H>, GetAll<T, O>);

/// Refuses a concurrency of 0.
pub(crate) fn check_concurrency(concurrency: usize) -> Result<(), Error> {
    if concurrency == 0 {
        return Err(Error::refused(
            RefusalKind::InvalidArgument,
            "`concurrency(0)`: a batch sends at least one request at a time",
        ));
    }
    Ok(())
}

/// A refusal of a duplicate key, naming the table and both positions.
pub(crate) fn duplicate(table: &str, what: &str, first: &str) -> Error {
    Error::refused(
        RefusalKind::DuplicateKey,
        format!(
            "{what} has the same key as {first} in table `{table}`: one batch request cannot \
             touch an item twice"
        ),
    )
}

/// Adds a position to a refusal's message; other errors pass unchanged.
pub(crate) fn locate(error: Error, position: &str) -> Error {
    match error {
        Error::Refused(refusal) => Error::refused(refusal.kind(), format!("{position}: {}", refusal.message())),
        other => other,
    }
}
