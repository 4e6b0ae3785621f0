//! Update planning: which attribute of an item an update `SET`s, `REMOVE`s or writes only if
//! it is not stored yet. A pure function of the schema, the item and the actions already
//! there (the extensions' and the caller's); the table-driven tests pin every case.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::expr::{Path, SetValue, UpdateAction, UpdateExpression, UpdateValue};
use crate::item::ItemMap;
use crate::schema::{TableSchema, UpdateBehavior};

/// Adds an action for every attribute of `item` (the key already taken out) that has none:
///
/// | attribute | present in the item | absent |
/// |---|---|---|
/// | declared, `write_always` | `SET a = :v` | `REMOVE a` if `remove_absent`, else nothing |
/// | declared, `write_if_not_exists` | `SET a = if_not_exists(a, :v)` | nothing |
/// | added by an extension (not declared) | `SET a = :v` | — |
/// | a key attribute | nothing (the key addresses the item) | nothing |
/// | already written by an action | nothing (the action wins) | nothing |
pub(crate) fn plan(
    schema: &'static TableSchema,
    mut item: ItemMap,
    update: &mut UpdateExpression,
    remove_absent: bool,
) {
    // The attributes the extensions or the caller already write (usually a handful): the
    // actions before those this adds.
    let given = update.actions().len();
    let is_written =
        |update: &UpdateExpression, name: &str| update.actions()[..given].iter().any(|a| a.path().root() == name);
    for attribute in schema.item.all_attributes() {
        let name = attribute.name;
        if schema.is_key(name) || is_written(update, name) {
            item.remove(name);
            continue;
        }
        let keep_stored = attribute.update_behavior() == UpdateBehavior::WriteIfNotExists;
        let path = Path::static_attr(name);
        let action = match item.remove(name) {
            Some(value) if keep_stored => UpdateAction::Set(
                path.clone(),
                UpdateValue::if_not_exists(path, UpdateValue::Value(value)).into(),
            ),
            Some(value) => UpdateAction::Set(path, UpdateValue::Value(value).into()),
            None if remove_absent && !keep_stored => UpdateAction::Remove(path),
            None => continue,
        };
        update.push_new(action);
    }
    // What is left was added by an extension (a checksum, a composite index key).
    for (name, value) in item {
        if schema.is_key(&name) || is_written(update, &name) {
            continue;
        }
        update.push_new(UpdateAction::Set(Path::attr(name), UpdateValue::Value(value).into()));
    }
}

/// The item a patch creates when none is stored: the key of `item` (which may also hold the
/// version read) and what each top-level action writes into an empty item. A path below the
/// top level writes nothing here (DynamoDB refuses it on a missing map), nor does arithmetic
/// on an attribute (absent from a missing item, so DynamoDB refuses it too): a required
/// attribute written that way makes the upsert refused.
pub(crate) fn created_item(schema: &'static TableSchema, item: &ItemMap, actions: &[UpdateAction]) -> ItemMap {
    let mut created: ItemMap = item
        .iter()
        .filter(|(name, _)| schema.is_key(name))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    for action in actions {
        let path = action.path();
        if !path.is_top_level() {
            continue;
        }
        let value = match action {
            UpdateAction::Set(_, SetValue::Operand(value)) => written(value),
            // On a missing item an attribute operand is absent, and DynamoDB refuses the sum.
            UpdateAction::Set(_, SetValue::Plus(a, b) | SetValue::Minus(a, b)) => written(a).and(written(b)),
            UpdateAction::Add(_, value) => Some(value.clone()),
            _ => None,
        };
        match value {
            Some(value) => created.insert(path.root().to_owned(), value),
            None => created.remove(path.root()),
        };
    }
    created
}

/// What a `SET` operand writes into an empty item.
fn written(value: &UpdateValue) -> Option<AttributeValue> {
    match value {
        UpdateValue::Value(value) => Some(value.clone()),
        UpdateValue::Path(_) => None,
        UpdateValue::IfNotExists(_, fallback) => written(fallback),
        UpdateValue::ListAppend(a, b) => match (written(a), written(b)) {
            (Some(AttributeValue::L(mut a)), Some(AttributeValue::L(b))) => {
                a.extend(b);
                Some(AttributeValue::L(a))
            }
            (a, b) => a.or(b),
        },
    }
}
