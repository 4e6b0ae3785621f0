//! `UpdateItem` from update actions: a partial update of an item by key.

use aws_sdk_dynamodb::types::AttributeValue;

use super::Common;
use crate::error::{ConvertError, Error, RefusalKind};
use crate::expr::{Path, SetValue, UpdateExpression, UpdateValue};
use crate::item::{Item, ItemMap};
use crate::ops::Marker;
use crate::ops::send_on_await;
use crate::schema::{TableSchema, Tag};
use crate::target::Target;
use crate::value::ToAttributeValue;

/// Updates the item with a key by update actions, without reading or sending the whole item.
/// Made by [`Table::patch`](crate::Table::patch). Creates the item if there is none; returns
/// the item as stored after the update.
///
/// The extensions apply as to an update: the `#[atomic_counter]`s count, `#[auto_timestamp]`s
/// are set, unset `#[auto_uuid]`s are generated if none is stored. The `#[version]` moves on
/// by its increment; given the version that was read
/// ([`expect_version`](Patch::expect_version)), the patch applies only if it is still the one
/// stored, as a whole-item update would.
///
/// ```no_run
/// # use dynamodb_mapper::{Item, Table};
/// # #[derive(Item, Clone)] #[item(table = "orders")]
/// # struct Order { #[partition_key] id: String, status: String, notes: Option<String>, #[version] version: Option<u64> }
/// # async fn run(orders: Table<Order>) -> Result<(), dynamodb_mapper::Error> {
/// let order: Order = orders
///     .patch("order-1")
///     .set("status", "shipped")
///     .remove("notes")
///     .expect_version(3u64)
///     .await?;
/// # Ok(()) }
/// ```
#[must_use = "an operation does nothing until it is awaited"]
pub struct Patch<T> {
    pub(super) common: Common,
    key: Result<ItemMap, ConvertError>,
    actions: PatchActions,
    _item: Marker<T>,
}

/// The actions of a patch and the version it expects, as the caller adds them: the same for
/// [`Patch`] and a transaction's [`TxPatch`](crate::ops::TxPatch).
#[derive(Default)]
pub(crate) struct PatchActions {
    actions: UpdateExpression,
    /// The first value that could not be converted.
    invalid: Option<ConvertError>,
    version: Option<Result<AttributeValue, ConvertError>>,
}

impl PatchActions {
    fn value(&mut self, value: impl ToAttributeValue) -> Option<AttributeValue> {
        match value.to_attribute_value() {
            Ok(Some(value)) => Some(value),
            Ok(None) => {
                self.invalid.get_or_insert(ConvertError::custom(
                    "a patch value cannot be None or an empty set: remove the attribute instead",
                ));
                None
            }
            Err(e) => {
                self.invalid.get_or_insert(e);
                None
            }
        }
    }

    pub(crate) fn set(&mut self, path: Path, value: impl ToAttributeValue) {
        if let Some(value) = self.value(value) {
            self.actions.set(path, UpdateValue::Value(value));
        }
    }

    pub(crate) fn set_to(&mut self, path: Path, value: SetValue) {
        self.actions.set(path, value);
    }

    pub(crate) fn remove(&mut self, path: Path) {
        self.actions.remove(path);
    }

    pub(crate) fn add(&mut self, path: Path, value: impl ToAttributeValue) {
        if let Some(value) = self.value(value) {
            self.actions.add(path, value);
        }
    }

    pub(crate) fn delete(&mut self, path: Path, value: impl ToAttributeValue) {
        if let Some(value) = self.value(value) {
            self.actions.delete(path, value);
        }
    }

    pub(crate) fn extend(&mut self, actions: UpdateExpression) {
        for action in actions.actions() {
            self.actions.replace(action.clone());
        }
    }

    pub(crate) fn expect_version(&mut self, version: impl ToAttributeValue) {
        self.version = Some(
            version
                .to_attribute_value()
                .and_then(|v| v.ok_or_else(|| ConvertError::custom("the expected version cannot be None"))),
        );
    }

    /// The patch's item map (the key, and the version read if one is expected: where the
    /// extensions find it, see [`Operation::Patch`](crate::extension::Operation::Patch)) and
    /// its actions.
    pub(crate) fn finish(
        self,
        schema: &'static TableSchema,
        mut key: ItemMap,
    ) -> Result<(ItemMap, UpdateExpression), Error> {
        if let Some(invalid) = self.invalid {
            return Err(invalid.into());
        }
        if let Some(version) = self.version {
            let name = schema
                .item
                .tagged(|t| matches!(t, Tag::Version { .. }))
                .next()
                .map(|a| a.name)
                .ok_or_else(|| {
                    Error::refused(
                        RefusalKind::InvalidArgument,
                        format!("`{}` has no `#[version]` to expect", schema.item.type_name),
                    )
                })?;
            key.insert(name.to_owned(), version?);
        }
        Ok((key, self.actions))
    }
}

/// The actions of a patch, on a builder that holds a [`PatchActions`] (through
/// `patch_actions(&mut self)`): written once for [`Patch`] and the transaction's
/// [`TxPatch`](crate::ops::TxPatch).
macro_rules! patch_actions {
    ($($builder:ident<$($life:lifetime,)? T>),*) => {$(
        impl<$($life,)? T: crate::Item> $builder<$($life,)? T> {
            /// `SET path = value`.
            pub fn set(mut self, path: impl Into<crate::expr::Path>, value: impl crate::value::ToAttributeValue) -> Self {
                self.patch_actions().set(path.into(), value);
                self
            }

            /// `SET path = expression`: `if_not_exists`, `list_append`, arithmetic
            /// ([`UpdateValue`](crate::expr::UpdateValue)).
            pub fn set_to(mut self, path: impl Into<crate::expr::Path>, value: impl Into<crate::expr::SetValue>) -> Self {
                self.patch_actions().set_to(path.into(), value.into());
                self
            }

            /// `REMOVE path`.
            pub fn remove(mut self, path: impl Into<crate::expr::Path>) -> Self {
                self.patch_actions().remove(path.into());
                self
            }

            /// `ADD path value`: adds to a number (atomically) or adds elements to a set.
            pub fn add(mut self, path: impl Into<crate::expr::Path>, value: impl crate::value::ToAttributeValue) -> Self {
                self.patch_actions().add(path.into(), value);
                self
            }

            /// `DELETE path value`: removes elements from a set.
            pub fn delete(mut self, path: impl Into<crate::expr::Path>, value: impl crate::value::ToAttributeValue) -> Self {
                self.patch_actions().delete(path.into(), value);
                self
            }

            /// Adds every action of `actions` (replacing earlier actions on the same paths).
            pub fn actions(mut self, actions: crate::expr::UpdateExpression) -> Self {
                self.patch_actions().extend(actions);
                self
            }

            /// Applies only if the stored `#[version]` is still `version` (the one read), and
            /// writes the next one, as a whole-item update does.
            pub fn expect_version(mut self, version: impl crate::value::ToAttributeValue) -> Self {
                self.patch_actions().expect_version(version);
                self
            }
        }
    )*};
}

pub(crate) use patch_actions;

patch_actions!(Patch<T>);

impl<T: Item> Patch<T> {
    pub(crate) fn new(target: Target, key: Result<ItemMap, ConvertError>) -> Self {
        Patch {
            common: Common::new(target),
            key,
            actions: PatchActions::default(),
            _item: Marker::default(),
        }
    }

    fn patch_actions(&mut self) -> &mut PatchActions {
        &mut self.actions
    }

    /// Sends the patch and returns the item as stored after it.
    pub async fn send(mut self) -> Result<T, Error> {
        let (key, actions) = self.actions.finish(T::TABLE, self.key?)?;
        let plan = self.common.write(T::TABLE).patch(key, actions)?;
        super::update::send_update(&self.common, plan).await
    }
}

send_on_await!([T: Item + 'static] Patch<T> => Result<T, Error>);
