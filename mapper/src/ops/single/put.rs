//! `PutItem`.

use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
use aws_sdk_dynamodb::types::ReturnValue;

use super::{Common, Sending, conditional_request};
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
    pub fn send(self) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let sending = self.request(None, false);
        async move { sending?.0.output().await.map(drop) }
    }

    /// Writes the item and returns the one it replaced, if any.
    pub fn return_old(self) -> impl Future<Output = Result<Option<T>, Error>> + Send + 'static {
        let sending = self.request(Some(ReturnValue::AllOld), false);
        async move {
            let (output, target) = sending?.0.output().await?;
            super::read_old(output.attributes, &target)
        }
    }

    /// Writes the item and returns it as written: with the values the extensions set (a new
    /// version, timestamps, generated ids).
    pub fn return_item(self) -> impl Future<Output = Result<T, Error>> + Send + 'static {
        let sending = self.request(None, true);
        async move {
            let (sending, written) = sending?;
            let (_, target) = sending.output().await?;
            let written = written.unwrap_or_default();
            plan::read::decode_written(target.chain(), T::TABLE, target.name(), written)
        }
    }

    /// The put's request, and, if `keep`, the item as sent.
    fn request(
        mut self,
        return_values: Option<ReturnValue>,
        keep: bool,
    ) -> Result<(Sending<PutItemOutput, PutItemError>, Option<ItemMap>), Error> {
        let plan = self.common.write(T::TABLE).put(self.item?)?;
        let item = plan.request.item;
        let kept = keep.then(|| item.clone());
        let sending = conditional_request!(put_item, self.common, plan, T::TABLE, "PutItem", |request| request
            .set_item(Some(item))
            .set_return_values(return_values));
        Ok((sending, kept))
    }
}

send_on_await!([T: Item + 'static] Put<T> => Result<(), Error>);
