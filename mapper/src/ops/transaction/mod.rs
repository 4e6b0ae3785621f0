//! Transactions: writes applied all together or not at all ([`TransactWrite`]), reads in one
//! snapshot ([`TransactGet`]), and the read-modify-write loop over several items
//! ([`TransactReadModifyWrite`]). Each action is planned through the extensions like the single
//! operation it mirrors; the outcome ([`Committed`], or the reasons of a cancellation) is read
//! from what each plan recorded.

mod action;
mod get;
mod handle;
mod outcome;
mod read_modify_write;
mod send;
mod write;

pub use action::{TxAction, TxPatch};
pub use get::{TransactGet, TransactGetOutput};
pub use handle::{OfGet, OfWrite, TxGetHandle, TxHandle, TxWriteHandle};
pub use outcome::{Committed, PartialItem, WrittenItem};
pub use read_modify_write::TransactReadModifyWrite;
pub use write::TransactWrite;

pub(crate) use send::transaction_client;
