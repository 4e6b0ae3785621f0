//! `GetItem`.

use std::marker::PhantomData;

use crate::error::{ConvertError, Error};
use crate::expr::Placeholders;
use crate::extension::ItemImage;
use crate::item::{Attributes, Item, ItemMap};
use crate::ops::CapacityMeter;
use crate::ops::send_on_await;
use crate::schema::ItemSchema;
use crate::target::Target;

/// Reads one item by key. Made by [`Table::get`](crate::Table::get); returns `None` if there
/// is no such item.
#[must_use = "an operation does nothing until it is awaited"]
pub struct Get<T, O = T> {
    target: Target,
    key: Result<ItemMap, ConvertError>,
    consistent_read: bool,
    projection: Option<&'static ItemSchema>,
    meter: Option<CapacityMeter>,
    _types: PhantomData<fn() -> (T, O)>,
}

impl<T, O> std::fmt::Debug for Get<T, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Get")
            .field("table", &self.target.name())
            .field("key", &self.key)
            .field("consistent_read", &self.consistent_read)
            .field("projection", &self.projection.map(|p| p.type_name))
            .finish_non_exhaustive()
    }
}

impl<T: Item> Get<T> {
    pub(crate) fn new(target: Target, key: Result<ItemMap, ConvertError>) -> Self {
        Get {
            target,
            key,
            consistent_read: false,
            projection: None,
            meter: None,
            _types: PhantomData,
        }
    }
}

impl<T: Item, O: Attributes> Get<T, O> {
    /// Reads the latest write (strongly consistent), at twice the read capacity.
    pub fn consistent_read(mut self) -> Self {
        self.consistent_read = true;
        self
    }

    /// Reads only the attributes of `P`, a struct deriving [`Attributes`] whose fields are a
    /// subset of the item's. Extensions see a [partial](ItemImage::Partial) item.
    pub fn project<P: Attributes>(self) -> Get<T, P> {
        Get {
            target: self.target,
            key: self.key,
            consistent_read: self.consistent_read,
            projection: Some(P::SCHEMA),
            meter: self.meter,
            _types: PhantomData,
        }
    }

    /// Adds the capacity the request consumes to `meter`.
    pub fn capacity(mut self, meter: &CapacityMeter) -> Self {
        self.meter = Some(meter.clone());
        self
    }

    /// Reads the item.
    pub async fn send(self) -> Result<Option<O>, Error> {
        let target = &self.target;
        let key = self.key?;
        crate::plan::check_key(T::TABLE, &key)?;
        let mut placeholders = Placeholders::new();
        let projection = crate::ops::read::projection(self.projection, &mut placeholders)?;
        let expressions = placeholders.finish(&[projection.as_deref()])?;

        let request = target
            .client()
            .get_item()
            .table_name(target.name())
            .set_key(Some(key))
            .consistent_read(self.consistent_read)
            .set_projection_expression(projection)
            .set_expression_attribute_names(expressions.names)
            .set_return_consumed_capacity(target.capacity_request(self.meter.is_some()))
            .send();
        let output = crate::ops::send(
            target,
            T::TABLE,
            "GetItem",
            self.meter.as_ref(),
            crate::ops::sent(request),
        )
        .await?;
        let image = if self.projection.is_some() {
            ItemImage::Partial
        } else {
            ItemImage::Whole
        };
        match output.item {
            Some(item) => crate::plan::read::decode(target.chain(), T::TABLE, target.name(), image, item).map(Some),
            None => Ok(None),
        }
    }
}

send_on_await!([T: Item + 'static, O: Attributes + Send + 'static] Get<T, O> => Result<Option<O>, Error>);
