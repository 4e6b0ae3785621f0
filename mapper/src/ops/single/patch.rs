//! `UpdateItem` from update actions: a partial update of an item by key.

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::{ConvertError, Error, RefusalKind};
use crate::expr::{Condition, Path, SetValue, UpdateExpression, UpdateValue};
use crate::item::{Item, ItemMap};
use crate::ops::CapacityMeter;
use crate::plan::{self, Write, WriteKind};
use crate::schema::Tag;
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
    target: Target,
    key: Result<ItemMap, ConvertError>,
    actions: UpdateExpression,
    /// The first value that could not be converted.
    invalid: Option<ConvertError>,
    version: Option<Result<AttributeValue, ConvertError>>,
    condition: Option<Condition>,
    meter: Option<CapacityMeter>,
    _item: PhantomData<fn() -> T>,
}

impl<T: Item> Patch<T> {
    pub(crate) fn new(target: Target, key: Result<ItemMap, ConvertError>) -> Self {
        Patch {
            target,
            key,
            actions: UpdateExpression::new(),
            invalid: None,
            version: None,
            condition: None,
            meter: None,
            _item: PhantomData,
        }
    }

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

    /// `SET path = value`.
    pub fn set(mut self, path: impl Into<Path>, value: impl ToAttributeValue) -> Self {
        if let Some(value) = self.value(value) {
            self.actions.set(path, UpdateValue::Value(value));
        }
        self
    }

    /// `SET path = expression`: `if_not_exists`, `list_append`, arithmetic
    /// ([`UpdateValue`]).
    pub fn set_to(mut self, path: impl Into<Path>, value: impl Into<SetValue>) -> Self {
        self.actions.set(path, value);
        self
    }

    /// `REMOVE path`.
    pub fn remove(mut self, path: impl Into<Path>) -> Self {
        self.actions.remove(path);
        self
    }

    /// `ADD path value`: adds to a number (atomically) or adds elements to a set.
    pub fn add(mut self, path: impl Into<Path>, value: impl ToAttributeValue) -> Self {
        if let Some(value) = self.value(value) {
            self.actions.add(path, value);
        }
        self
    }

    /// `DELETE path value`: removes elements from a set.
    pub fn delete(mut self, path: impl Into<Path>, value: impl ToAttributeValue) -> Self {
        if let Some(value) = self.value(value) {
            self.actions.delete(path, value);
        }
        self
    }

    /// Adds every action of `actions` (replacing earlier actions on the same paths).
    pub fn actions(mut self, actions: UpdateExpression) -> Self {
        for action in actions.actions() {
            self.actions.replace(action.clone());
        }
        self
    }

    /// Applies only if the stored `#[version]` is still `version` (the one read), and writes
    /// the next one, as a whole-item update does.
    pub fn expect_version(mut self, version: impl ToAttributeValue) -> Self {
        self.version = Some(
            version
                .to_attribute_value()
                .and_then(|v| v.ok_or_else(|| ConvertError::custom("the expected version cannot be None"))),
        );
        self
    }

    /// Applies only if `condition` holds for the stored item; otherwise fails with
    /// [`Error::ConditionFailed`], which carries the stored item.
    pub fn condition(mut self, condition: impl Into<Condition>) -> Self {
        self.condition = Some(condition.into());
        self
    }

    /// Adds the capacity the request consumes to `meter`.
    pub fn capacity(mut self, meter: &CapacityMeter) -> Self {
        self.meter = Some(meter.clone());
        self
    }

    /// Sends the patch and returns the item as stored after it.
    pub async fn send(self) -> Result<T, Error> {
        if let Some(invalid) = self.invalid {
            return Err(invalid.into());
        }
        let mut key = self.key?;
        if let Some(version) = self.version {
            let name = T::TABLE
                .item
                .tagged(|t| matches!(t, Tag::Version { .. }))
                .next()
                .map(|a| a.name)
                .ok_or_else(|| {
                    Error::refused(
                        RefusalKind::InvalidArgument,
                        format!("`{}` has no `#[version]` to expect", T::SCHEMA.type_name),
                    )
                })?;
            key.insert(name.to_owned(), version?);
        }
        let kind = WriteKind::Patch {
            key,
            actions: self.actions,
        };
        let plan = plan::prepare(
            self.target.chain(),
            T::TABLE,
            self.target.name(),
            Write::single(kind, self.condition),
        )?;
        super::update::send_update(&self.target, plan, self.meter.as_ref()).await
    }
}

impl<T: Item + 'static> IntoFuture for Patch<T> {
    type Output = Result<T, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
