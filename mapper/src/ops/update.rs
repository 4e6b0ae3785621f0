//! `UpdateItem` from a whole item.

use std::future::{Future, IntoFuture};
use std::pin::Pin;

use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};

use crate::error::Error;
use crate::expr::{Condition, Path, Placeholders, UpdateExpression, UpdateValue};
use crate::extension::Operation;
use crate::item::Item;
use crate::schema::UpdateBehavior;
use crate::table::Table;

/// Updates the stored item from a whole item: `SET` for its present attributes, `REMOVE` for
/// the absent ones (`None`, empty sets), unless [`ignore_nulls`](Update::ignore_nulls). Creates
/// the item if there is none. Returns the item as stored after the update. Made by
/// [`Table::update`].
#[must_use = "an operation does nothing until it is awaited"]
pub struct Update<'a, T> {
    table: &'a Table<T>,
    item: &'a T,
    condition: Option<Condition>,
    ignore_nulls: bool,
}

impl<'a, T: Item> Update<'a, T> {
    pub(crate) fn new(table: &'a Table<T>, item: &'a T) -> Self {
        Update {
            table,
            item,
            condition: None,
            ignore_nulls: false,
        }
    }

    /// Updates only if `condition` holds for the stored item; otherwise fails with
    /// [`Error::ConditionFailed`], which carries the stored item.
    pub fn condition(mut self, condition: Condition) -> Self {
        self.condition = Some(condition);
        self
    }

    /// Leaves stored attributes alone where the item has no value (`None`, an empty set),
    /// instead of removing them: a partial update.
    pub fn ignore_nulls(mut self) -> Self {
        self.ignore_nulls = true;
        self
    }

    /// Sends the update and returns the item as stored after it.
    pub async fn send(self) -> Result<T, Error> {
        let table = self.table;
        let mut item = self.item.to_item()?;
        let mut update = UpdateExpression::new();
        let condition = table.before_write(Operation::Update, &mut item, self.condition, Some(&mut update))?;
        let key = table.key_of(&item)?;
        // Every attribute the extensions left alone: SET when present, REMOVE when absent.
        for attribute in T::SCHEMA.all_attributes() {
            let path = Path::attr(attribute.name);
            if T::TABLE.is_key(attribute.name) || update.action(&path).is_some() {
                continue;
            }
            let keep_stored = attribute.update_behavior() == UpdateBehavior::WriteIfNotExists;
            match item.remove(attribute.name) {
                Some(value) if keep_stored => {
                    update.set(
                        path.clone(),
                        UpdateValue::if_not_exists(path, UpdateValue::Value(value)),
                    );
                }
                Some(value) => {
                    update.set(path, UpdateValue::Value(value));
                }
                None if self.ignore_nulls || keep_stored => {}
                None => {
                    update.remove(path);
                }
            }
        }
        // Attributes an extension added that the struct does not declare (a checksum, a
        // composite index key): SET as they are.
        for (name, value) in item {
            let path = Path::attr(name.as_str());
            if !T::TABLE.is_key(&name) && update.action(&path).is_none() {
                update.set(path, UpdateValue::Value(value));
            }
        }

        let mut placeholders = Placeholders::new();
        let update_text = update.render(&mut placeholders)?;
        let condition = super::render(condition, &mut placeholders)?;
        let expressions = placeholders.finish(&[update_text.as_deref(), condition.as_deref()])?;

        let request = table
            .client()
            .update_item()
            .table_name(table.name())
            .set_key(Some(key))
            .set_update_expression(update_text)
            .set_condition_expression(condition)
            .set_expression_attribute_names(expressions.names)
            .set_expression_attribute_values(expressions.values)
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .set_return_consumed_capacity(super::capacity_request(table.mapper()))
            .send();
        let output = super::send(table, "UpdateItem", request).await?;
        table.read(output.attributes.unwrap_or_default())
    }
}

impl<'a, T: Item + Send + Sync> IntoFuture for Update<'a, T> {
    type Output = Result<T, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
