//! `GetItem`.

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;

use crate::error::{ConvertError, Error};
use crate::expr::Placeholders;
use crate::item::{Attributes, Item, ItemMap};
use crate::schema::ItemSchema;
use crate::table::Table;

/// Reads one item by key. Made by [`Table::get`]; returns `None` if there is no such item.
#[must_use = "an operation does nothing until it is awaited"]
pub struct Get<'a, T, O = T> {
    table: &'a Table<T>,
    key: Result<ItemMap, ConvertError>,
    consistent_read: bool,
    projection: Option<&'static ItemSchema>,
    _output: PhantomData<fn() -> O>,
}

impl<'a, T: Item> Get<'a, T> {
    pub(crate) fn new(table: &'a Table<T>, key: Result<ItemMap, ConvertError>) -> Self {
        Get {
            table,
            key,
            consistent_read: false,
            projection: None,
            _output: PhantomData,
        }
    }
}

impl<'a, T: Item, O: Attributes> Get<'a, T, O> {
    /// Reads the latest write (strongly consistent), at twice the read capacity.
    pub fn consistent_read(mut self) -> Self {
        self.consistent_read = true;
        self
    }

    /// Reads only the attributes of `P`, a struct deriving [`Attributes`] whose fields are a
    /// subset of the item's.
    pub fn project<P: Attributes>(self) -> Get<'a, T, P> {
        Get {
            table: self.table,
            key: self.key,
            consistent_read: self.consistent_read,
            projection: Some(P::SCHEMA),
            _output: PhantomData,
        }
    }

    /// Reads the item.
    pub async fn send(self) -> Result<Option<O>, Error> {
        let table = self.table;
        let key = self.key?;
        let mut placeholders = Placeholders::new();
        let projection = super::projection(self.projection, &mut placeholders)?;
        let expressions = placeholders.finish(&[projection.as_deref()])?;

        let request = table
            .client()
            .get_item()
            .table_name(table.name())
            .set_key(Some(key))
            .consistent_read(self.consistent_read)
            .set_projection_expression(projection)
            .set_expression_attribute_names(expressions.names)
            .set_return_consumed_capacity(super::capacity_request(table.mapper()))
            .send();
        let output = super::send(table, "GetItem", request).await?;
        match output.item {
            Some(item) => table.read(item).map(Some),
            None => Ok(None),
        }
    }
}

impl<'a, T: Item + 'a, O: Attributes + Send + 'a> IntoFuture for Get<'a, T, O> {
    type Output = Result<Option<O>, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
