//! `DeleteItem`.

use aws_sdk_dynamodb::operation::delete_item::{DeleteItemError, DeleteItemOutput};
use aws_sdk_dynamodb::types::ReturnValue;

use super::{Common, Sending, conditional_request};
use crate::error::{ConvertError, Error};
use crate::item::{Item, ItemMap};
use crate::ops::Marker;
use crate::ops::send_on_await;
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
    pub fn send(self) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let sending = self.request(None);
        async move { sending?.output().await.map(drop) }
    }

    /// Deletes the item and returns it, if there was one.
    pub fn return_old(self) -> impl Future<Output = Result<Option<T>, Error>> + Send + 'static {
        let sending = self.request(Some(ReturnValue::AllOld));
        async move {
            let (output, target) = sending?.output().await?;
            super::read_old(output.attributes, &target)
        }
    }

    fn request(
        mut self,
        return_values: Option<ReturnValue>,
    ) -> Result<Sending<DeleteItemOutput, DeleteItemError>, Error> {
        let plan = self.common.write(T::TABLE).delete(self.target_item?, self.whole_item)?;
        let key = plan.request.key;
        Ok(conditional_request!(
            delete_item,
            self.common,
            plan,
            T::TABLE,
            "DeleteItem",
            |request| { request.set_key(Some(key)).set_return_values(return_values) }
        ))
    }
}

send_on_await!([T: Item + 'static] Delete<T> => Result<(), Error>);
