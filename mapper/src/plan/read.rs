//! The read path: every item DynamoDB returns (a get, a query or scan page, an update's new
//! image, a replaced or deleted item, a failed condition's stored item) goes through the
//! extensions' `after_read`, then is decoded, here and nowhere else.

use crate::error::Error;
use crate::extension::{Chain, ItemImage};
use crate::item::{Attributes, ItemMap};
use crate::schema::TableSchema;

/// Runs `after_read` on `item` and decodes it into `O`.
pub(crate) fn decode<O: Attributes>(
    chain: &Chain,
    schema: &'static TableSchema,
    table: &str,
    image: ItemImage,
    mut item: ItemMap,
) -> Result<O, Error> {
    chain.after_read(schema, table, image, &mut item)?;
    Ok(crate::item::decode(item)?)
}

/// Decodes an item a successful write returned. A failure is
/// [`Error::WrittenButUnreadable`], carrying the item as returned: the write must not be
/// retried.
pub(crate) fn decode_written<O: Attributes>(
    chain: &Chain,
    schema: &'static TableSchema,
    table: &str,
    item: ItemMap,
) -> Result<O, Error> {
    let raw = item.clone();
    decode(chain, schema, table, ItemImage::Whole, item).map_err(|source| Error::WrittenButUnreadable {
        table: table.to_owned(),
        item: raw,
        source: Box::new(source),
    })
}

/// Passes the item a failed condition returned through `after_read`. If an extension refuses
/// it, the failed condition stays the error (so retry loops keep working), with the
/// extension's error attached.
pub(crate) fn condition_failed(chain: &Chain, schema: &'static TableSchema, table: &str, error: Error) -> Error {
    let mut error = error;
    if let Error::ConditionFailed(failed) = &mut error
        && let Some(item) = failed.item_map_mut()
    {
        let raw = item.clone();
        if let Err(refused) = chain.after_read(schema, table, ItemImage::Whole, item) {
            *item = raw;
            failed.set_after_read_error(refused);
        }
    }
    error
}
