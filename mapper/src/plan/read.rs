//! The read path: every item DynamoDB returns (a get, a query or scan page, a batch get, an
//! update's new image, a replaced or deleted item, a failed condition's stored item) goes
//! through the extensions' `after_read`, then is decoded, here and nowhere else.
//!
//! Decoding moves the values out of the item, so nothing is copied in case it fails: an item
//! that does not decode is named by its key, which the derive reads last so that it is still
//! in the item when another attribute fails.

use crate::__private::InPlace;
use crate::error::{Error, UnreadableItem};
use crate::extension::{Chain, ItemImage};
use crate::item::{Attributes, ItemMap};
use crate::schema::TableSchema;
use crate::value::MapRef;

/// Runs `after_read` on `item` and decodes it into `O`.
pub(crate) fn decode<O: Attributes>(
    chain: &Chain,
    schema: &'static TableSchema,
    table: &str,
    image: ItemImage,
    item: ItemMap,
) -> Result<O, Error> {
    decode_keyed(chain, schema, table, image, item).map_err(|unreadable| unreadable.error)
}

/// Runs `after_read` on `item` and decodes it into `O`; a failure keeps the item's key (the
/// key attributes left in it).
pub(crate) fn decode_keyed<O: Attributes>(
    chain: &Chain,
    schema: &'static TableSchema,
    table: &str,
    image: ItemImage,
    mut item: ItemMap,
) -> Result<O, Box<UnreadableItem>> {
    let unreadable = |item: &ItemMap, error: Error| {
        Box::new(UnreadableItem {
            key: super::key_of(schema, item),
            error,
        })
    };
    if let Err(refused) = chain.after_read(schema, table, image, &mut item) {
        return Err(unreadable(&item, refused));
    }
    O::read_attributes(&mut item).map_err(|e| unreadable(&item, e.in_item(O::SCHEMA.type_name).into()))
}

/// Runs `after_read` on an item that must be left whole, and decodes it into `O`: read in
/// place when no extension acts on reads, else a copy goes through the chain.
pub(crate) fn decode_in_place<O: Attributes>(
    chain: &Chain,
    schema: &'static TableSchema,
    table: &str,
    image: ItemImage,
    item: &dyn MapRef,
) -> Result<O, Error> {
    if chain.acts_after_read() {
        return decode(chain, schema, table, image, item.to_item_map());
    }
    O::read_from(&mut InPlace::new(item)).map_err(|e| e.in_item(O::SCHEMA.type_name).into())
}

/// Decodes an item a successful write returned. A failure is
/// [`Error::WrittenButUnreadable`], carrying the item's key: the write must not be retried.
pub(crate) fn decode_written<O: Attributes>(
    chain: &Chain,
    schema: &'static TableSchema,
    table: &str,
    item: ItemMap,
) -> Result<O, Error> {
    decode_keyed(chain, schema, table, ItemImage::Whole, item).map_err(|unreadable| {
        let UnreadableItem { key, error } = *unreadable;
        written_but_unreadable(table, key, error)
    })
}

/// [`decode_written`] of an item that stays whole (what a transaction is known to have
/// written, which its outcome keeps).
pub(crate) fn decode_written_in_place<O: Attributes>(
    chain: &Chain,
    schema: &'static TableSchema,
    table: &str,
    item: &ItemMap,
) -> Result<O, Error> {
    decode_in_place(chain, schema, table, ItemImage::Whole, item)
        .map_err(|error| written_but_unreadable(table, super::key_of(schema, item), error))
}

fn written_but_unreadable(table: &str, key: ItemMap, error: Error) -> Error {
    Error::WrittenButUnreadable {
        table: table.to_owned(),
        key,
        source: Box::new(error),
    }
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
