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
    // Neither the key nor what an action writes is set from the item.
    item.retain(|name, _| !schema.is_key(name) && !is_written(update, name));
    for attribute in schema.item.all_attributes() {
        // A patch's item holds only what the extensions added (a version, a timestamp): once
        // it is used up, no declared attribute has anything left to do.
        if item.is_empty() && !remove_absent {
            return;
        }
        let name = attribute.name;
        let keep_stored = attribute.update_behavior() == UpdateBehavior::WriteIfNotExists;
        let action = match take(&mut item, name) {
            Some(value) if keep_stored => {
                let path = Path::static_attr(name);
                UpdateAction::Set(
                    path.clone(),
                    UpdateValue::if_not_exists(path, UpdateValue::Value(value)).into(),
                )
            }
            Some(value) => UpdateAction::Set(Path::static_attr(name), UpdateValue::Value(value).into()),
            None if remove_absent && !keep_stored && !schema.is_key(name) && !is_written(update, name) => {
                UpdateAction::Remove(Path::static_attr(name))
            }
            None => continue,
        };
        update.push_new(action);
    }
    // What is left was added by an extension (a checksum, a composite index key), written in
    // the order of its names so that the same item renders the same expression.
    let mut added: Vec<_> = item.into_iter().collect();
    added.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
    for (name, value) in added {
        update.push_new(UpdateAction::Set(Path::attr(name), UpdateValue::Value(value).into()));
    }
}

/// Takes `name` out of `item`; a small item (a patch's, holding the version at most) is
/// searched by comparing names, which costs less than hashing `name`.
fn take(item: &mut ItemMap, name: &str) -> Option<AttributeValue> {
    if item.len() <= 2 && !item.keys().any(|key| key == name) {
        return None;
    }
    item.remove(name)
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
