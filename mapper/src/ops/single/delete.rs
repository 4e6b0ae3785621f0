//! `DeleteItem`.

use aws_sdk_dynamodb::types::ReturnValue;

use super::{Common, conditional_request};
use crate::error::{ConvertError, Error};
use crate::item::{Item, ItemMap};
use crate::ops::Marker;
use crate::ops::send_on_await;
use crate::plan;
use crate::target::Target;

/// Deletes one item by key. Made by [`Table::delete`](crate::Table::delete) and
/// [`Table::delete_item`](crate::Table::delete_item). Deleting an item that does not exist
/// succeeds, unless a condition says otherwise.
#[must_use = "an operation does nothing until it is awaited"]
pub struct Delete<T> {
    pub(super) common: Common,
    /// The key, or the whole item for `delete_item`.
    target_item: Result<ItemMap, ConvertError>,
    whole_item: bool,
    _item: Marker<T>,
}

impl<T: Item> Delete<T> {
    pub(crate) fn new(target: Target, target_item: Result<ItemMap, ConvertError>, whole_item: bool) -> Self {
        Delete {
            common: Common::new(target),
            target_item,
            whole_item,
            _item: Marker::default(),
        }
    }

    /// Deletes the item.
    pub async fn send(self) -> Result<(), Error> {
        self.execute(None).await.map(drop)
    }

    /// Deletes the item and returns it, if there was one.
    pub async fn return_old(self) -> Result<Option<T>, Error> {
        let target = self.common.target.clone();
        match self.execute(Some(ReturnValue::AllOld)).await? {
            Some(old) => plan::read::decode_written(target.chain(), T::TABLE, target.name(), old).map(Some),
            None => Ok(None),
        }
    }

    async fn execute(mut self, return_values: Option<ReturnValue>) -> Result<Option<ItemMap>, Error> {
        let plan = self.common.write(T::TABLE).delete(self.target_item?, self.whole_item)?;
        let key = plan.request.key;
        let output = conditional_request!(delete_item, self.common, plan, T::TABLE, "DeleteItem", |request| {
            request.set_key(Some(key)).set_return_values(return_values)
        })
        .await?;
        Ok(output.attributes.filter(|a| !a.is_empty()))
    }
}

send_on_await!([T: Item + 'static] Delete<T> => Result<(), Error>);
