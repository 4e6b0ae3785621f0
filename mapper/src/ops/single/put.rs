//! `PutItem`.

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

/// Writes an item, replacing any item with the same key. Made by [`Table::put`](crate::Table::put).
#[must_use = "an operation does nothing until it is awaited"]
pub struct Put<T> {
    target: Target,
    item: Result<ItemMap, ConvertError>,
    condition: Option<Condition>,
    meter: Option<CapacityMeter>,
    _item: PhantomData<fn() -> T>,
}

impl<T: Item> Put<T> {
    pub(crate) fn new(target: Target, item: &T) -> Self {
        Put {
            target,
            item: item.to_item(),
            condition: None,
            meter: None,
            _item: PhantomData,
        }
    }

    /// Writes only if `condition` holds for the stored item (or for an empty item if there is
    /// none); otherwise fails with [`Error::ConditionFailed`], which carries the stored item.
    pub fn condition(mut self, condition: impl Into<Condition>) -> Self {
        self.condition = Some(condition.into());
        self
    }

    /// Adds the capacity the request consumes to `meter`.
    pub fn capacity(mut self, meter: &CapacityMeter) -> Self {
        self.meter = Some(meter.clone());
        self
    }

    /// Writes the item.
    pub async fn send(self) -> Result<(), Error> {
        self.execute(None, false).await.map(drop)
    }

    /// Writes the item and returns the one it replaced, if any.
    pub async fn return_old(self) -> Result<Option<T>, Error> {
        let target = self.target.clone();
        match self.execute(Some(ReturnValue::AllOld), false).await?.0 {
            Some(old) => plan::read::decode_written(target.chain(), T::TABLE, target.name(), old).map(Some),
            None => Ok(None),
        }
    }

    /// Writes the item and returns it as written: with the values the extensions set (a new
    /// version, timestamps, generated ids).
    pub async fn return_item(self) -> Result<T, Error> {
        let target = self.target.clone();
        let (_, written) = self.execute(None, true).await?;
        let written = written.unwrap_or_default();
        plan::read::decode_written(target.chain(), T::TABLE, target.name(), written)
    }

    /// Sends the put; returns the replaced item and, if `keep`, the item as sent.
    async fn execute(
        self,
        return_values: Option<ReturnValue>,
        keep: bool,
    ) -> Result<(Option<ItemMap>, Option<ItemMap>), Error> {
        let target = &self.target;
        let write = Write::single(WriteKind::Put(self.item?), self.condition);
        let plan = plan::prepare(target.chain(), T::TABLE, target.name(), write)?;
        let Action::Put { item } = plan.action else {
            unreachable!("a put plans a put")
        };
        let kept = keep.then(|| item.clone());
        let request = target
            .client()
            .put_item()
            .table_name(target.name())
            .set_item(Some(item))
            .set_condition_expression(plan.condition)
            .set_expression_attribute_names(plan.names)
            .set_expression_attribute_values(plan.values)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .set_return_values(return_values)
            .set_return_consumed_capacity(target.capacity_request(self.meter.is_some()))
            .send();
        let output = crate::ops::send(target, T::TABLE, "PutItem", self.meter.as_ref(), request).await?;
        Ok((output.attributes.filter(|a| !a.is_empty()), kept))
    }
}

impl<T: Item + 'static> IntoFuture for Put<T> {
    type Output = Result<(), Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
