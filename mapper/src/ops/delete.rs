//! `DeleteItem`.

use std::future::{Future, IntoFuture};
use std::pin::Pin;

use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};

use crate::error::{ConvertError, Error};
use crate::expr::{Condition, Placeholders};
use crate::extension::Operation;
use crate::item::{Item, ItemMap};
use crate::table::Table;

/// Deletes one item by key. Made by [`Table::delete`] and [`Table::delete_item`]. Deleting an
/// item that does not exist succeeds, unless a condition says otherwise.
#[must_use = "an operation does nothing until it is awaited"]
pub struct Delete<'a, T> {
    table: &'a Table<T>,
    /// The key, or the whole item for `delete_item`.
    target: Result<ItemMap, ConvertError>,
    whole_item: bool,
    condition: Option<Condition>,
}

impl<'a, T: Item> Delete<'a, T> {
    pub(crate) fn new(table: &'a Table<T>, target: Result<ItemMap, ConvertError>, whole_item: bool) -> Self {
        Delete {
            table,
            target,
            whole_item,
            condition: None,
        }
    }

    /// Deletes only if `condition` holds for the stored item; otherwise fails with
    /// [`Error::ConditionFailed`], which carries the stored item.
    pub fn condition(mut self, condition: Condition) -> Self {
        self.condition = Some(condition);
        self
    }

    /// Deletes the item.
    pub async fn send(self) -> Result<(), Error> {
        self.execute(None).await.map(drop)
    }

    /// Deletes the item and returns it, if there was one.
    pub async fn return_old(self) -> Result<Option<T>, Error> {
        let table = self.table;
        match self.execute(Some(ReturnValue::AllOld)).await? {
            Some(old) => table.read(old).map(Some),
            None => Ok(None),
        }
    }

    async fn execute(self, return_values: Option<ReturnValue>) -> Result<Option<ItemMap>, Error> {
        let table = self.table;
        let mut target = self.target?;
        let operation = Operation::Delete {
            whole_item: self.whole_item,
        };
        let condition = table.before_write(operation, &mut target, self.condition, None)?;
        let key = table.key_of(&target)?;
        let mut placeholders = Placeholders::new();
        let condition = super::render(condition, &mut placeholders)?;
        let expressions = placeholders.finish(&[condition.as_deref()])?;

        let request = table
            .client()
            .delete_item()
            .table_name(table.name())
            .set_key(Some(key))
            .set_condition_expression(condition)
            .set_expression_attribute_names(expressions.names)
            .set_expression_attribute_values(expressions.values)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .set_return_values(return_values)
            .set_return_consumed_capacity(super::capacity_request(table.mapper()))
            .send();
        let output = super::send(table, "DeleteItem", request).await?;
        Ok(output.attributes.filter(|a| !a.is_empty()))
    }
}

impl<'a, T: Item + Sync> IntoFuture for Delete<'a, T> {
    type Output = Result<(), Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
