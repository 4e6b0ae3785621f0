//! `PutItem`.

use aws_sdk_dynamodb::types::ReturnValue;

use super::{Common, conditional_request};
use crate::error::{ConvertError, Error};
use crate::item::{Item, ItemMap};
use crate::ops::Marker;
use crate::ops::send_on_await;
use crate::plan;
use crate::target::Target;

/// Writes an item, replacing any item with the same key. Made by [`Table::put`](crate::Table::put).
#[must_use = "an operation does nothing until it is awaited"]
pub struct Put<T> {
    pub(super) common: Common,
    item: Result<ItemMap, ConvertError>,
    _item: Marker<T>,
}

impl<T: Item> Put<T> {
    pub(crate) fn new(target: Target, item: &T) -> Self {
        Put {
            common: Common::new(target),
            item: item.to_item(),
            _item: Marker::default(),
        }
    }

    /// Writes the item.
    pub async fn send(self) -> Result<(), Error> {
        self.execute(None, false).await.map(drop)
    }

    /// Writes the item and returns the one it replaced, if any.
    pub async fn return_old(self) -> Result<Option<T>, Error> {
        let target = self.common.target.clone();
        match self.execute(Some(ReturnValue::AllOld), false).await?.0 {
            Some(old) => plan::read::decode_written(target.chain(), T::TABLE, target.name(), old).map(Some),
            None => Ok(None),
        }
    }

    /// Writes the item and returns it as written: with the values the extensions set (a new
    /// version, timestamps, generated ids).
    pub async fn return_item(self) -> Result<T, Error> {
        let target = self.common.target.clone();
        let (_, written) = self.execute(None, true).await?;
        let written = written.unwrap_or_default();
        plan::read::decode_written(target.chain(), T::TABLE, target.name(), written)
    }

    /// Sends the put; returns the replaced item and, if `keep`, the item as sent.
    async fn execute(
        mut self,
        return_values: Option<ReturnValue>,
        keep: bool,
    ) -> Result<(Option<ItemMap>, Option<ItemMap>), Error> {
        let plan = self.common.write(T::TABLE).put(self.item?)?;
        let item = plan.request.item;
        let kept = keep.then(|| item.clone());
        let output = conditional_request!(put_item, self.common, plan, T::TABLE, "PutItem", |request| request
            .set_item(Some(item))
            .set_return_values(return_values))
        .await?;
        Ok((output.attributes.filter(|a| !a.is_empty()), kept))
    }
}

send_on_await!([T: Item + 'static] Put<T> => Result<(), Error>);
