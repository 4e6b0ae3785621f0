//! `UpdateItem` from a whole item.

use aws_sdk_dynamodb::operation::update_item::{UpdateItemError, UpdateItemOutput};
use aws_sdk_dynamodb::types::ReturnValue;

use super::{Common, Sending, conditional_request};
use crate::error::{ConvertError, Error};
use crate::item::{Item, ItemMap};
use crate::ops::Marker;
use crate::ops::send_on_await;
use crate::plan::{self, Plan, UpdateRequest};
use crate::target::Target;

/// Updates the stored item from a whole item: `SET` for its present attributes, `REMOVE` for
/// the absent ones (`None`, empty sets), unless [`ignore_nulls`](Update::ignore_nulls). Creates
/// the item if there is none. Returns the item as stored after the update. Made by
/// [`Table::update`](crate::Table::update).
#[must_use = "an operation does nothing until it is awaited"]
pub struct Update<T> {
    pub(super) common: Common,
    item: Result<ItemMap, ConvertError>,
    ignore_nulls: bool,
    _item: Marker<T>,
}

impl<T: Item> Update<T> {
    pub(crate) fn new(target: Target, item: &T) -> Self {
        Update {
            common: Common::new(target),
            item: item.to_item(),
            ignore_nulls: false,
            _item: Marker::default(),
        }
    }

    /// Leaves stored attributes alone where the item has no value (`None`, an empty set),
    /// instead of removing them: a partial update.
    pub fn ignore_nulls(mut self) -> Self {
        self.ignore_nulls = true;
        self
    }

    /// Sends the update and returns the item as stored after it.
    pub fn send(mut self) -> impl Future<Output = Result<T, Error>> + Send + 'static {
        let plan = self
            .item
            .map_err(Error::from)
            .and_then(|item| self.common.write(T::TABLE).update(item, self.ignore_nulls));
        let sending = plan.map(|plan| update_request::<T>(self.common, plan));
        async move { read_updated(sending?.output().await?) }
    }
}

/// The request of an update plan, reading back the new image (`ALL_NEW`).
pub(super) fn update_request<T: Item>(
    common: Common,
    plan: Plan<UpdateRequest>,
) -> Sending<UpdateItemOutput, UpdateItemError> {
    let UpdateRequest { key, expression } = plan.request;
    conditional_request!(update_item, common, plan, T::TABLE, "UpdateItem", |request| request
        .set_key(Some(key))
        .update_expression(expression)
        .return_values(ReturnValue::AllNew))
}

/// The item an update's answer holds, as stored after it.
pub(super) fn read_updated<T: Item>((output, target): (UpdateItemOutput, Target)) -> Result<T, Error> {
    plan::read::decode_written(
        target.chain(),
        T::TABLE,
        target.name(),
        output.attributes.unwrap_or_default(),
    )
}

send_on_await!([T: Item + 'static] Update<T> => Result<T, Error>);
