//! `PutItem`.

use std::future::{Future, IntoFuture};
use std::pin::Pin;

use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};

use crate::error::Error;
use crate::expr::{Condition, Placeholders};
use crate::extension::Operation;
use crate::item::{Item, ItemMap};
use crate::table::Table;

/// Writes an item, replacing any item with the same key. Made by [`Table::put`].
#[must_use = "an operation does nothing until it is awaited"]
pub struct Put<'a, T> {
    table: &'a Table<T>,
    item: &'a T,
    condition: Option<Condition>,
}

impl<'a, T: Item> Put<'a, T> {
    pub(crate) fn new(table: &'a Table<T>, item: &'a T) -> Self {
        Put {
            table,
            item,
            condition: None,
        }
    }

    /// Writes only if `condition` holds for the stored item (or for an empty item if there is
    /// none); otherwise fails with [`Error::ConditionFailed`], which carries the stored item.
    pub fn condition(mut self, condition: Condition) -> Self {
        self.condition = Some(condition);
        self
    }

    /// Writes the item.
    pub async fn send(self) -> Result<(), Error> {
        self.execute(None, |_| ()).await.map(drop)
    }

    /// Writes the item and returns the one it replaced, if any.
    pub async fn return_old(self) -> Result<Option<T>, Error> {
        let table = self.table;
        match self.execute(Some(ReturnValue::AllOld), |_| ()).await?.0 {
            Some(old) => table.read(old).map(Some),
            None => Ok(None),
        }
    }

    /// Writes the item and returns it as written: with the values the extensions set (a new
    /// version, timestamps, generated ids).
    pub async fn return_item(self) -> Result<T, Error> {
        let table = self.table;
        let (_, written) = self.execute(None, ItemMap::clone).await?;
        table.read(written)
    }

    /// Sends the put; `keep` sees the item as it is sent and its result is returned beside the
    /// replaced item.
    async fn execute<K>(
        self,
        return_values: Option<ReturnValue>,
        keep: impl FnOnce(&ItemMap) -> K,
    ) -> Result<(Option<ItemMap>, K), Error> {
        let table = self.table;
        let mut item = self.item.to_item()?;
        let condition = table.before_write(Operation::Put, &mut item, self.condition, None)?;
        let kept = keep(&item);
        let mut placeholders = Placeholders::new();
        let condition = super::render(condition, &mut placeholders)?;
        let expressions = placeholders.finish(&[condition.as_deref()])?;

        let request = table
            .client()
            .put_item()
            .table_name(table.name())
            .set_item(Some(item))
            .set_condition_expression(condition)
            .set_expression_attribute_names(expressions.names)
            .set_expression_attribute_values(expressions.values)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .set_return_values(return_values)
            .set_return_consumed_capacity(super::capacity_request(table.mapper()))
            .send();
        let output = super::send(table, "PutItem", request).await?;
        Ok((output.attributes.filter(|a| !a.is_empty()), kept))
    }
}

impl<'a, T: Item + Sync> IntoFuture for Put<'a, T> {
    type Output = Result<(), Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
