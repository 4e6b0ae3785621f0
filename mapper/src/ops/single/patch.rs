//! `UpdateItem` from update actions: a partial update of an item by key.

use aws_sdk_dynamodb::types::AttributeValue;

use super::Common;
use crate::error::{ConvertError, Error, RefusalKind};
use crate::expr::{Path, SetValue, UpdateExpression, UpdateValue};
use crate::item::{Item, ItemMap};
use crate::ops::Marker;
use crate::ops::send_on_await;
use crate::plan::PatchMode;
use crate::schema::TableSchema;
use crate::target::Target;
use crate::value::ToAttributeValue;

/// Updates the stored item with a key by typed update actions, without reading or sending
/// the whole item. Made by [`Table::patch`](crate::Table::patch); returns the item as stored
/// after the update.
///
/// The actions take the item type's [field paths](crate::expr::Field) (`Order::fields()`),
/// and each is allowed only where DynamoDB allows it, by the field's type: [`add`](Patch::add)
/// on numbers and sets, [`delete`](Patch::delete) on sets, [`append`](Patch::append) on lists,
/// [`remove`](Patch::remove) only of what a read can do without (an `Option` or an
/// `#[attribute(default)]` field). Keys, the `#[version]` and the `#[atomic_counter]`s cannot
/// be written by a patch: the key addresses the item and the extensions own the others.
///
/// **A patch updates an existing item.** The request requires the item to be stored; when it
/// is not, the patch fails with [`Error::ItemNotFound`] and writes nothing.
/// [`upsert`](Patch::upsert) lets it create the item instead, and is refused before sending
/// unless the actions (with the extensions') write every attribute a read needs.
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
/// # struct Order { #[partition_key] id: String, status: String, notes: Option<String>, total: u64, #[version] version: Option<u64> }
/// # async fn run(orders: Table<Order>) -> Result<(), dynamodb_mapper::Error> {
/// let f = Order::fields();
/// let order: Order = orders
///     .patch("order-1")
///     .set(&f.status, "shipped")
///     .remove(&f.notes)
///     .add(&f.total, 250)
///     .expect_version(3u64)
///     .await?;
/// # Ok(()) }
/// ```
///
/// The compiler refuses what DynamoDB or the item's schema would:
///
/// ```compile_fail
/// # use dynamodb_mapper::{Item, Table};
/// # #[derive(Item, Clone)] #[item(table = "orders")]
/// # struct Order { #[partition_key] id: String, status: String }
/// # async fn run(orders: Table<Order>) {
/// let f = Order::fields();
/// orders.patch("order-1").add(&f.status, "x"); // ADD works on numbers and sets
/// # }
/// ```
#[must_use = "an operation does nothing until it is awaited"]
pub struct Patch<T> {
    pub(super) common: Common,
    key: Result<ItemMap, ConvertError>,
    actions: PatchActions,
    _item: Marker<T>,
}

/// The actions of a patch, the version it expects and whether it may create the item, as the
/// caller adds them: the same for [`Patch`] and a transaction's
/// [`TxPatch`](crate::ops::TxPatch).
#[derive(Default)]
pub(crate) struct PatchActions {
    actions: UpdateExpression,
    /// The first value that could not be converted.
    invalid: Option<ConvertError>,
    version: Option<Result<AttributeValue, ConvertError>>,
    upsert: bool,
}

impl PatchActions {
    /// A value to write at `path`, or `None` (and the error kept, naming the path) when it
    /// cannot be.
    fn value(&mut self, path: &Path, value: Result<Option<AttributeValue>, ConvertError>) -> Option<AttributeValue> {
        let error = match value {
            Ok(Some(value)) => return Some(value),
            Ok(None) => {
                ConvertError::custom("a patch value cannot be None or an empty set: remove the attribute instead")
            }
            Err(e) => e,
        };
        self.invalid.get_or_insert(error.in_attribute(&path.to_string()));
        None
    }

    pub(crate) fn set(&mut self, path: Path, value: Result<Option<AttributeValue>, ConvertError>) {
        if let Some(value) = self.value(&path, value) {
            self.actions.set(path, UpdateValue::Value(value));
        }
    }

    pub(crate) fn set_if_not_exists(&mut self, path: Path, value: Result<Option<AttributeValue>, ConvertError>) {
        if let Some(value) = self.value(&path, value) {
            let value = UpdateValue::if_not_exists(path.clone(), UpdateValue::Value(value));
            self.actions.set(path, value);
        }
    }

    pub(crate) fn set_to(&mut self, path: Path, value: Result<SetValue, ConvertError>) {
        match value {
            Ok(value) => {
                self.actions.set(path, value);
            }
            Err(e) => {
                self.invalid.get_or_insert(e);
            }
        }
    }

    /// `SET path = if_not_exists(path, 0) - value`: absent counts as zero, as `ADD` does.
    pub(crate) fn subtract(&mut self, path: Path, value: Result<Option<AttributeValue>, ConvertError>) {
        if let Some(value) = self.value(&path, value) {
            let zero = UpdateValue::Value(AttributeValue::N("0".to_owned()));
            let stored = UpdateValue::if_not_exists(path.clone(), zero);
            self.actions.set(path, stored.minus(UpdateValue::Value(value)));
        }
    }

    /// `SET path = list_append(if_not_exists(path, []), values)`, or the other way round to
    /// prepend: an absent list counts as empty.
    pub(crate) fn append(&mut self, path: Path, values: Result<Option<AttributeValue>, ConvertError>, front: bool) {
        if let Some(values) = self.value(&path, values) {
            let empty = UpdateValue::Value(AttributeValue::L(Vec::new()));
            let stored = UpdateValue::if_not_exists(path.clone(), empty);
            let values = UpdateValue::Value(values);
            let joined = if front {
                values.list_append(stored)
            } else {
                stored.list_append(values)
            };
            self.actions.set(path, joined);
        }
    }

    pub(crate) fn remove(&mut self, path: Path) {
        self.actions.remove(path);
    }

    pub(crate) fn add(&mut self, path: Path, value: Result<Option<AttributeValue>, ConvertError>) {
        if let Some(value) = self.value(&path, value) {
            self.actions.add(path, value);
        }
    }

    pub(crate) fn delete(&mut self, path: Path, value: Result<Option<AttributeValue>, ConvertError>) {
        if let Some(value) = self.value(&path, value) {
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

    pub(crate) fn upsert(&mut self) {
        self.upsert = true;
    }

    /// The patch's item map (the key, and the version read if one is expected: where the
    /// extensions find it, see [`Operation::Patch`](crate::extension::Operation::Patch)), its
    /// actions, and whether it may create the item (`decodes` reading what it would create).
    pub(crate) fn finish(
        self,
        schema: &'static TableSchema,
        mut key: ItemMap,
        decodes: fn(ItemMap) -> Result<(), ConvertError>,
    ) -> Result<(ItemMap, UpdateExpression, PatchMode), Error> {
        if let Some(invalid) = self.invalid {
            return Err(invalid.into());
        }
        if let Some(version) = self.version {
            let name = schema.item.version_attribute().map(|(a, _)| a.name).ok_or_else(|| {
                Error::refused(
                    RefusalKind::InvalidArgument,
                    format!("`{}` has no `#[version]` to expect", schema.item.type_name),
                )
            })?;
            key.insert(name.to_owned(), version?);
        }
        let mode = match self.upsert {
            true => PatchMode::Upsert { decodes },
            false => PatchMode::Existing,
        };
        Ok((key, self.actions, mode))
    }
}

/// Whether `item` reads as a `T`: what an upsert checks of the item it could create.
pub(crate) fn decodes<T: Item>(item: ItemMap) -> Result<(), ConvertError> {
    T::from_item(item).map(drop)
}

/// The actions of a patch, on a builder that holds a [`PatchActions`] (through
/// `patch_actions(&mut self)`): written once for [`Patch`] and the transaction's
/// [`TxPatch`](crate::ops::TxPatch).
macro_rules! patch_actions {
    ($($builder:ident<$($life:lifetime,)? T>),*) => {$(
        impl<$($life,)? T: crate::Item> $builder<$($life,)? T> {
            /// `SET field = value`.
            pub fn set<V, P, C>(
                mut self,
                field: impl crate::expr::FieldRef<T, V, P, C>,
                value: impl crate::expr::FieldValue<V>,
            ) -> Self
            where
                P: crate::expr::role::Writable,
                C: crate::expr::Codec<V>,
            {
                let field = field.field();
                self.patch_actions().set(field.path().clone(), field.encode(value));
                self
            }

            /// `SET field = if_not_exists(field, value)`: writes `value` only where the
            /// attribute is not stored yet.
            pub fn set_if_not_exists<V, P, C>(
                mut self,
                field: impl crate::expr::FieldRef<T, V, P, C>,
                value: impl crate::expr::FieldValue<V>,
            ) -> Self
            where
                P: crate::expr::role::Writable,
                C: crate::expr::Codec<V>,
            {
                let field = field.field();
                self.patch_actions().set_if_not_exists(field.path().clone(), field.encode(value));
                self
            }

            /// `SET field = other + value` (or `-`): the sum of an attribute and a value,
            /// made by [`Field::plus`](crate::expr::Field::plus) and
            /// [`Field::minus`](crate::expr::Field::minus).
            pub fn set_to<V, P, C>(
                mut self,
                field: impl crate::expr::FieldRef<T, V, P, C>,
                value: crate::expr::Arithmetic<T, V>,
            ) -> Self
            where
                P: crate::expr::role::Writable,
            {
                self.patch_actions().set_to(field.field().path().clone(), value.value);
                self
            }

            /// `REMOVE field`: only what a read can do without (an `Option` or an
            /// `#[attribute(default)]` field, a list element, a map entry).
            pub fn remove<V, P, C>(mut self, field: impl crate::expr::FieldRef<T, V, P, C>) -> Self
            where
                P: crate::expr::role::Removable,
            {
                self.patch_actions().remove(field.field().path().clone());
                self
            }

            /// `ADD field value`: adds to a number (atomically; an absent number counts as 0)
            /// or adds elements to a set.
            pub fn add<V, P>(
                mut self,
                field: impl crate::expr::FieldRef<T, V, P, crate::expr::Own>,
                value: impl crate::expr::FieldValue<V>,
            ) -> Self
            where
                V: crate::expr::Addable + crate::value::ToAttributeValue,
                P: crate::expr::role::Writable,
            {
                let field = field.field();
                self.patch_actions().add(field.path().clone(), field.encode(value));
                self
            }

            /// `SET field = if_not_exists(field, 0) - value`: subtracts from a number (an
            /// absent number counts as 0).
            pub fn subtract<V, P>(
                mut self,
                field: impl crate::expr::FieldRef<T, V, P, crate::expr::Own>,
                value: impl crate::expr::FieldValue<V>,
            ) -> Self
            where
                V: crate::expr::Number + crate::value::ToAttributeValue,
                P: crate::expr::role::Writable,
            {
                let field = field.field();
                self.patch_actions().subtract(field.path().clone(), field.encode(value));
                self
            }

            /// `DELETE field value`: removes the elements of `value` from a set.
            pub fn delete<V, P>(
                mut self,
                field: impl crate::expr::FieldRef<T, V, P, crate::expr::Own>,
                value: impl crate::expr::FieldValue<V>,
            ) -> Self
            where
                V: crate::expr::SetOf + crate::value::ToAttributeValue,
                P: crate::expr::role::Writable,
            {
                let field = field.field();
                self.patch_actions().delete(field.path().clone(), field.encode(value));
                self
            }

            /// Appends `values` to a list (an absent list counts as empty).
            pub fn append<V, P>(
                mut self,
                field: impl crate::expr::FieldRef<T, V, P, crate::expr::Own>,
                values: impl crate::expr::FieldValue<V>,
            ) -> Self
            where
                V: crate::expr::ListOf,
                P: crate::expr::role::Writable,
            {
                crate::expr::assert_list::<V>();
                let field = field.field();
                self.patch_actions().append(field.path().clone(), field.encode(values), false);
                self
            }

            /// Puts `values` in front of a list (an absent list counts as empty).
            pub fn prepend<V, P>(
                mut self,
                field: impl crate::expr::FieldRef<T, V, P, crate::expr::Own>,
                values: impl crate::expr::FieldValue<V>,
            ) -> Self
            where
                V: crate::expr::ListOf,
                P: crate::expr::role::Writable,
            {
                crate::expr::assert_list::<V>();
                let field = field.field();
                self.patch_actions().append(field.path().clone(), field.encode(values), true);
                self
            }

            /// Adds every action of `actions`, written with untyped paths (replacing earlier
            /// actions on the same paths): the escape hatch for what the typed actions do not
            /// cover. Nothing checks these paths against the item's schema.
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

            /// Creates the item when none is stored, instead of failing with
            /// [`Error::ItemNotFound`](crate::Error::ItemNotFound). Refused before sending
            /// ([`RefusalKind::IncompleteUpsert`](crate::RefusalKind::IncompleteUpsert)) unless
            /// the actions, with the extensions' (the version, counters, timestamps), write
            /// every attribute a read of the item needs: no patch creates an item that cannot
            /// be read.
            pub fn upsert(mut self) -> Self {
                self.patch_actions().upsert();
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
    pub fn send(mut self) -> impl Future<Output = Result<T, Error>> + Send + 'static {
        let plan = self
            .key
            .map_err(Error::from)
            .and_then(|key| self.actions.finish(T::TABLE, key, decodes::<T>))
            .and_then(|(key, actions, mode)| self.common.write(T::TABLE).patch(key, actions, mode));
        let sending = plan.map(|plan| {
            (
                plan.requires_item,
                super::update::update_request::<T>(self.common, plan),
            )
        });
        async move {
            let (requires_item, sending) = sending?;
            let answer = sending.output().await.map_err(|error| match error {
                Error::ConditionFailed(failed) if requires_item && failed.item_map().is_none() => Error::ItemNotFound {
                    table: failed.table().to_owned(),
                },
                error => error,
            })?;
            super::update::read_updated(answer)
        }
    }
}

send_on_await!([T: Item + 'static] Patch<T> => Result<T, Error>);
