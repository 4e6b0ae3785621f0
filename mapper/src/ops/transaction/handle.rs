//! Typed handles on the actions of a transaction: the same shape for writes and gets.

use std::fmt;

use crate::error::{Error, RefusalKind};
use crate::ops::Marker;

/// A typed handle on one action of a transaction: the transaction that made it, the action's
/// position, and the item type it reads back. A result answers only its own transaction's
/// handles: another's is refused ([`RefusalKind::ForeignHandle`]), never read as the action
/// at the same position. [`TxWriteHandle`] for the actions of a [`TransactWrite`](super::TransactWrite),
/// [`TxGetHandle`] for the gets of a [`TransactGet`](super::TransactGet).
pub struct TxHandle<T, Of> {
    transaction: u64,
    index: usize,
    _types: Marker<(T, Of)>,
}

/// Marks the handle of an action of a [`TransactWrite`](super::TransactWrite).
#[derive(Debug)]
pub enum OfWrite {}

/// Marks the handle of a get of a [`TransactGet`](super::TransactGet).
#[derive(Debug)]
pub enum OfGet {}

/// A typed handle on one action of a [`TransactWrite`](super::TransactWrite): after the commit
/// it reads the item as written from [`Committed`](super::Committed); after a cancellation, that
/// action's reason and stored item from
/// [`TransactionCanceled`](crate::ops::TransactionCanceled).
pub type TxWriteHandle<T> = TxHandle<T, OfWrite>;

/// A typed handle on one get of a [`TransactGet`](super::TransactGet): reads its item from the
/// [`TransactGetOutput`](super::TransactGetOutput).
pub type TxGetHandle<T> = TxHandle<T, OfGet>;

impl<T, Of> TxHandle<T, Of> {
    pub(crate) fn new(transaction: u64, index: usize) -> Self {
        TxHandle {
            transaction,
            index,
            _types: Marker::default(),
        }
    }

    /// The action's position in the result of `transaction`; refused for a handle of another
    /// transaction.
    pub(crate) fn position_in(&self, transaction: u64) -> Result<usize, Error> {
        if self.transaction == transaction {
            Ok(self.index)
        } else {
            Err(Error::refused(
                RefusalKind::ForeignHandle,
                format!(
                    "this handle (action {}) belongs to another transaction, or to an earlier attempt of a read-modify-write: a result answers only its own transaction's handles",
                    self.index
                ),
            ))
        }
    }

    /// The action's position: 0 for the first one added.
    pub fn index(&self) -> usize {
        self.index
    }
}

impl<T, Of> Clone for TxHandle<T, Of> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T, Of> Copy for TxHandle<T, Of> {}

impl<T, Of> fmt::Debug for TxHandle<T, Of> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TxHandle")
            .field("transaction", &self.transaction)
            .field("index", &self.index)
            .field("item", &std::any::type_name::<T>())
            .finish()
    }
}
