//! The builders of one action of a [`TransactWrite`]: its condition, and for a patch its
//! update actions.

use super::write::{Pending, TxWrite};
use super::{TransactWrite, TxWriteHandle};
use crate::error::{Error, RefusalKind};
use crate::expr::IntoCondition;
use crate::item::Item;
use crate::ops::Marker;
use crate::ops::single::{PatchActions, patch_actions};

/// An action just added to a [`TransactWrite`]: give it a condition, then take its
/// [`handle`](Self::handle) (or drop it: the action stays added).
pub struct TxAction<'a, T> {
    tx: &'a mut TransactWrite,
    index: usize,
    _item: Marker<T>,
}

impl<T> std::fmt::Debug for TxAction<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxAction")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

/// An update by typed actions just added to a [`TransactWrite`], as
/// [`Table::patch`](crate::Table::patch) builds one (the same actions, checked the same way):
/// `set`, `add`, `remove`, `append`, ..., and the version that was read
/// ([`expect_version`](Self::expect_version)). It updates a stored item: when none is stored
/// the transaction is cancelled and the action's reason
/// [`is_item_missing`](crate::ops::CancellationReason::is_item_missing), unless it is an
/// [`upsert`](Self::upsert).
pub struct TxPatch<'a, T> {
    tx: &'a mut TransactWrite,
    index: usize,
    _item: Marker<T>,
}

impl<T> std::fmt::Debug for TxPatch<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxPatch")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl<'a, T> TxAction<'a, T> {
    pub(super) fn new(tx: &'a mut TransactWrite, index: usize) -> Self {
        TxAction {
            tx,
            index,
            _item: Marker::default(),
        }
    }

    fn pending(&mut self) -> &mut Pending {
        self.tx.pending(self.index)
    }

    /// Applies the action only if `condition` holds for the stored item (ANDed with the
    /// extensions' conditions and earlier ones).
    pub fn condition(mut self, condition: impl IntoCondition<T>) -> Self {
        self.pending().and_condition(condition.into_condition());
        self
    }

    /// For an update: leaves stored attributes alone where the item has no value, instead of
    /// removing them. Refused at send on any other action.
    pub fn ignore_nulls(mut self) -> Self {
        let pending = self.pending();
        match &mut pending.write {
            Ok(TxWrite::Update { ignore_nulls, .. }) => *ignore_nulls = true,
            Ok(other) => {
                let what = other.name();
                pending.write = Err(Error::refused(
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
        TxWriteHandle::new(self.tx.id, self.index)
    }
}

impl<T> From<TxAction<'_, T>> for TxWriteHandle<T> {
    fn from(action: TxAction<'_, T>) -> Self {
        action.handle()
    }
}

impl<'a, T> TxPatch<'a, T> {
    pub(super) fn new(tx: &'a mut TransactWrite, index: usize) -> Self {
        TxPatch {
            tx,
            index,
            _item: Marker::default(),
        }
    }

    fn patch_actions(&mut self) -> &mut PatchActions {
        &mut self.tx.pending(self.index).patch_actions
    }

    /// Applies only if `condition` holds for the stored item.
    pub fn condition(self, condition: impl IntoCondition<T>) -> Self {
        self.tx.pending(self.index).and_condition(condition.into_condition());
        self
    }

    /// The action's typed handle.
    pub fn handle(self) -> TxWriteHandle<T> {
        TxWriteHandle::new(self.tx.id, self.index)
    }
}

patch_actions!(TxPatch<'a, T>);

impl<T: Item> From<TxPatch<'_, T>> for TxWriteHandle<T> {
    fn from(patch: TxPatch<'_, T>) -> Self {
        patch.handle()
    }
}
