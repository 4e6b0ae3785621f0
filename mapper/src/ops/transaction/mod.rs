//! Transactions: writes applied all together or not at all, reads in one snapshot, and the
//! read-modify-write loop over several items.

mod get;
mod read_modify_write;
mod write;

pub use get::{TransactGet, TransactGetOutput, TxGetHandle};
pub use read_modify_write::TransactReadModifyWrite;
pub use write::{Committed, TransactWrite, TxAction, TxPatch, TxWriteHandle};
