//! `UpdateItem` from a whole item.

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;

use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};

use crate::error::{ConvertError, Error};
use crate::expr::Condition;
use crate::item::{Item, ItemMap};
use crate::ops::CapacityMeter;
use crate::plan::{self, Action, Write, WriteKind, WritePlan};
use crate::target::Target;

/// Updates the stored item from a whole item: `SET` for its present attributes, `REMOVE` for
/// the absent ones (`None`, empty sets), unless [`ignore_nulls`](Update::ignore_nulls). Creates
/// the item if there is none. Returns the item as stored after the update. Made by
/// [`Table::update`](crate::Table::update).
#[must_use = "an operation does nothing until it is awaited"]
pub struct Update<T> {
    target: Target,
    item: Result<ItemMap, ConvertError>,
    condition: Option<Condition>,
    ignore_nulls: bool,
    meter: Option<CapacityMeter>,
    _item: PhantomData<fn() -> T>,
}

impl<T: Item> Update<T> {
    pub(crate) fn new(target: Target, item: &T) -> Self {
        Update {
            target,
            item: item.to_item(),
            condition: None,
            ignore_nulls: false,
            meter: None,
            _item: PhantomData,
        }
    }

    /// Updates only if `condition` holds for the stored item; otherwise fails with
    /// [`Error::ConditionFailed`], which carries the stored item.
    pub fn condition(mut self, condition: impl Into<Condition>) -> Self {
        self.condition = Some(condition.into());
        self
    }

    /// Leaves stored attributes alone where the item has no value (`None`, an empty set),
    /// instead of removing them: a partial update.
    pub fn ignore_nulls(mut self) -> Self {
        self.ignore_nulls = true;
        self
    }

    /// Adds the capacity the request consumes to `meter`.
    pub fn capacity(mut self, meter: &CapacityMeter) -> Self {
        self.meter = Some(meter.clone());
        self
    }

    /// Sends the update and returns the item as stored after it.
    pub async fn send(self) -> Result<T, Error> {
        let kind = WriteKind::Update {
            item: self.item?,
            ignore_nulls: self.ignore_nulls,
        };
        let plan = plan::prepare(
            self.target.chain(),
            T::TABLE,
            self.target.name(),
            Write::single(kind, self.condition),
        )?;
        send_update(&self.target, plan, self.meter.as_ref()).await
    }
}

/// Sends an update plan and reads back the new image (`ALL_NEW`).
pub(super) async fn send_update<T: Item>(
    target: &Target,
    plan: WritePlan,
    meter: Option<&CapacityMeter>,
) -> Result<T, Error> {
    let Action::Update { key, expression } = plan.action else {
        unreachable!("an update plans an update")
    };
    let request = target
        .client()
        .update_item()
        .table_name(target.name())
        .set_key(Some(key))
        .set_update_expression(expression)
        .set_condition_expression(plan.condition)
        .set_expression_attribute_names(plan.names)
        .set_expression_attribute_values(plan.values)
        .return_values(ReturnValue::AllNew)
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .set_return_consumed_capacity(target.capacity_request(meter.is_some()))
        .send();
    let output = crate::ops::send(target, T::TABLE, "UpdateItem", meter, request).await?;
    plan::read::decode_written(
        target.chain(),
        T::TABLE,
        target.name(),
        output.attributes.unwrap_or_default(),
    )
}

impl<T: Item + 'static> IntoFuture for Update<T> {
    type Output = Result<T, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
