//! `DeleteItem`.

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;

use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};

use crate::error::{ConvertError, Error};
use crate::expr::Condition;
use crate::item::{Item, ItemMap};
use crate::ops::CapacityMeter;
use crate::plan::{self, Action, Write, WriteKind};
use crate::target::Target;

/// Deletes one item by key. Made by [`Table::delete`](crate::Table::delete) and
/// [`Table::delete_item`](crate::Table::delete_item). Deleting an item that does not exist
/// succeeds, unless a condition says otherwise.
#[must_use = "an operation does nothing until it is awaited"]
pub struct Delete<T> {
    target: Target,
    /// The key, or the whole item for `delete_item`.
    target_item: Result<ItemMap, ConvertError>,
    whole_item: bool,
    condition: Option<Condition>,
    meter: Option<CapacityMeter>,
    _item: PhantomData<fn() -> T>,
}

impl<T: Item> Delete<T> {
    pub(crate) fn new(target: Target, target_item: Result<ItemMap, ConvertError>, whole_item: bool) -> Self {
        Delete {
            target,
            target_item,
            whole_item,
            condition: None,
            meter: None,
            _item: PhantomData,
        }
    }

    /// Deletes only if `condition` holds for the stored item; otherwise fails with
    /// [`Error::ConditionFailed`], which carries the stored item.
    pub fn condition(mut self, condition: impl Into<Condition>) -> Self {
        self.condition = Some(condition.into());
        self
    }

    /// Adds the capacity the request consumes to `meter`.
    pub fn capacity(mut self, meter: &CapacityMeter) -> Self {
        self.meter = Some(meter.clone());
        self
    }

    /// Deletes the item.
    pub async fn send(self) -> Result<(), Error> {
        self.execute(None).await.map(drop)
    }

    /// Deletes the item and returns it, if there was one.
    pub async fn return_old(self) -> Result<Option<T>, Error> {
        let target = self.target.clone();
        match self.execute(Some(ReturnValue::AllOld)).await? {
            Some(old) => plan::read::decode_written(target.chain(), T::TABLE, target.name(), old).map(Some),
            None => Ok(None),
        }
    }

    async fn execute(self, return_values: Option<ReturnValue>) -> Result<Option<ItemMap>, Error> {
        let target = &self.target;
        let item = self.target_item?;
        let kind = if self.whole_item {
            WriteKind::DeleteItem(item)
        } else {
            WriteKind::Delete(item)
        };
        let plan = plan::prepare(
            target.chain(),
            T::TABLE,
            target.name(),
            Write::single(kind, self.condition),
        )?;
        let Action::Delete { key } = plan.action else {
            unreachable!("a delete plans a delete")
        };
        let request = target
            .client()
            .delete_item()
            .table_name(target.name())
            .set_key(Some(key))
            .set_condition_expression(plan.condition)
            .set_expression_attribute_names(plan.names)
            .set_expression_attribute_values(plan.values)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .set_return_values(return_values)
            .set_return_consumed_capacity(target.capacity_request(self.meter.is_some()))
            .send();
        let output = crate::ops::send(target, T::TABLE, "DeleteItem", self.meter.as_ref(), request).await?;
        Ok(output.attributes.filter(|a| !a.is_empty()))
    }
}

impl<T: Item + 'static> IntoFuture for Delete<T> {
    type Output = Result<(), Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
