//! Between the item map and the SDK: a write becomes a [`WritePlan`] here, by one code path
//! whatever sends it (a single request, a chunk of a batch, an action of a transaction), and a
//! returned item is read back through one path too ([`read`]).
//!
//! Preparing a write: run the extensions' `before_write` on the item map, take the key, turn
//! the item into update actions ([`update`]) when it is an update, render every expression
//! through one placeholder allocator, and check the result against DynamoDB's
//! [limits](crate::limits). Nothing here sends anything.

pub(crate) mod read;
pub(crate) mod update;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::{Error, RefusalKind};
use crate::expr::{Condition, Placeholders, UpdateExpression};
use crate::extension::{BeforeWrite, Chain, Operation, WriteMode};
use crate::item::ItemMap;
use crate::limits::{self, KeyRole};
use crate::schema::{KeySchema, TableSchema};
use crate::value::ScalarType;

/// What to write, as the caller gave it.
#[derive(Debug)]
pub(crate) enum WriteKind {
    /// A put of a whole item.
    Put(ItemMap),
    /// An update from a whole item; absent attributes are removed unless `ignore_nulls`.
    Update { item: ItemMap, ignore_nulls: bool },
    /// An update from actions. `key` holds the key and, if given, the version that was read.
    Patch { key: ItemMap, actions: UpdateExpression },
    /// A delete by key.
    Delete(ItemMap),
    /// A delete of an item that was read.
    DeleteItem(ItemMap),
    /// A transaction's condition check on the item with this key.
    ConditionCheck(ItemMap),
}

/// A write and how it is sent.
#[derive(Debug)]
pub(crate) struct Write {
    pub(crate) kind: WriteKind,
    /// The caller's condition, ANDed with the extensions'.
    pub(crate) condition: Option<Condition>,
    pub(crate) mode: WriteMode,
    /// A batch write's opt-out of the version condition.
    pub(crate) skip_version_check: bool,
}

impl Write {
    /// A single request's write.
    pub(crate) fn single(kind: WriteKind, condition: Option<Condition>) -> Self {
        Write {
            kind,
            condition,
            mode: WriteMode::Single,
            skip_version_check: false,
        }
    }
}

/// The request a write becomes.
#[derive(Debug)]
pub(crate) enum Action {
    Put { item: ItemMap },
    Update { key: ItemMap, expression: Option<String> },
    Delete { key: ItemMap },
    ConditionCheck { key: ItemMap },
}

/// A write ready to send: the action, its condition and the placeholders they use.
#[derive(Debug)]
pub(crate) struct WritePlan {
    pub(crate) action: Action,
    pub(crate) condition: Option<String>,
    pub(crate) names: Option<HashMap<String, String>>,
    pub(crate) values: Option<HashMap<String, AttributeValue>>,
}

impl WritePlan {
    /// The primary key of the item written.
    pub(crate) fn key(&self) -> &ItemMap {
        match &self.action {
            Action::Put { item } => item,
            Action::Update { key, .. } | Action::Delete { key } | Action::ConditionCheck { key } => key,
        }
    }
}

/// Prepares a write on table `table` of `schema`.
pub(crate) fn prepare(
    chain: &Chain,
    schema: &'static TableSchema,
    table: &str,
    write: Write,
) -> Result<WritePlan, Error> {
    prepare_keeping(chain, schema, table, write, false).map(|(plan, _)| plan)
}

/// Prepares a write, and if `keep`, also returns the item map of a put, update or patch as the
/// extensions left it (before an update's item becomes actions): what a transaction knows it
/// wrote, as it gets no item back.
pub(crate) fn prepare_keeping(
    chain: &Chain,
    schema: &'static TableSchema,
    table: &str,
    write: Write,
    keep: bool,
) -> Result<(WritePlan, Option<ItemMap>), Error> {
    let Write {
        kind,
        condition,
        mode,
        skip_version_check,
    } = write;
    let (operation, mut item, mut update, ignore_nulls) = match kind {
        WriteKind::Put(item) => (Operation::Put, item, None, false),
        WriteKind::Update { item, ignore_nulls } => {
            (Operation::Update, item, Some(UpdateExpression::new()), ignore_nulls)
        }
        WriteKind::Patch { key, actions } => (Operation::Patch, key, Some(actions), true),
        WriteKind::Delete(key) => (Operation::Delete { whole_item: false }, key, None, false),
        WriteKind::DeleteItem(item) => (Operation::Delete { whole_item: true }, item, None, false),
        WriteKind::ConditionCheck(key) => (Operation::ConditionCheck, key, None, false),
    };
    let mut conditions: Vec<Condition> = condition.into_iter().collect();
    if !chain.is_empty() {
        let mut cx = BeforeWrite::new(
            operation,
            mode,
            schema,
            table,
            &mut item,
            &mut conditions,
            update.as_mut(),
        )
        .skip_version_check(skip_version_check);
        chain.before_write(&mut cx)?;
    }
    if matches!(operation, Operation::Put | Operation::Update) {
        check_key(schema, &item)?;
        check_index_keys(schema, &item)?;
        limits::check_item_size(&item, format_args!("the `{}` item", schema.item.type_name))?;
    }

    let kept =
        (keep && matches!(operation, Operation::Put | Operation::Update | Operation::Patch)).then(|| item.clone());
    let mut placeholders = Placeholders::new();
    let action = match operation {
        Operation::Put => Action::Put { item },
        Operation::Update | Operation::Patch => {
            let key = take_key(schema, &mut item)?;
            let mut update = update.unwrap_or_default();
            update::plan(schema, item, &mut update, !ignore_nulls);
            let expression = update.render_into(&mut placeholders)?;
            if let Some(text) = &expression {
                limits::check_expression("update", text)?;
            }
            Action::Update { key, expression }
        }
        Operation::ConditionCheck => {
            if conditions.is_empty() {
                return Err(Error::refused(
                    RefusalKind::InvalidArgument,
                    "a condition check needs a condition",
                ));
            }
            Action::ConditionCheck {
                key: take_key(schema, &mut item)?,
            }
        }
        _ => Action::Delete {
            key: take_key(schema, &mut item)?,
        },
    };
    let condition = Condition::all(conditions)
        .map(|c| c.render_into(&mut placeholders))
        .transpose()?;
    if let Some(text) = &condition {
        limits::check_expression("condition", text)?;
    }
    let update_text = match &action {
        Action::Update { expression, .. } => expression.as_deref(),
        _ => None,
    };
    let rendered = placeholders.finish(&[update_text, condition.as_deref()])?;
    let plan = WritePlan {
        action,
        condition,
        names: rendered.names,
        values: rendered.values,
    };
    Ok((plan, kept))
}

/// The key attributes of `schema`'s table, with their roles.
fn key_schemas(schema: &'static TableSchema) -> impl Iterator<Item = (KeySchema, KeyRole)> {
    std::iter::once((schema.partition_key, KeyRole::Partition)).chain(schema.sort_key.map(|k| (k, KeyRole::Sort)))
}

/// Checks the primary key attributes an item (or a key) carries: present, of the key's type,
/// not empty, not too large.
pub(crate) fn check_key(schema: &'static TableSchema, item: &ItemMap) -> Result<(), Error> {
    for (key, role) in key_schemas(schema) {
        match item.get(key.name) {
            Some(value) => check_key_value(&key, role, value, None)?,
            None => return Err(missing_key(schema, &key)),
        }
    }
    Ok(())
}

/// Moves the primary key attributes out of `item` (an update's key must not be `SET`).
fn take_key(schema: &'static TableSchema, item: &mut ItemMap) -> Result<ItemMap, Error> {
    let mut key = HashMap::with_capacity(2);
    for (key_schema, role) in key_schemas(schema) {
        match item.remove_entry(key_schema.name) {
            Some((name, value)) => {
                check_key_value(&key_schema, role, &value, None)?;
                key.insert(name, value);
            }
            None => return Err(missing_key(schema, &key_schema)),
        }
    }
    Ok(key)
}

fn missing_key(schema: &'static TableSchema, key: &KeySchema) -> Error {
    Error::refused(
        RefusalKind::InvalidKey,
        format!(
            "the `{}` item has no key attribute `{}`",
            schema.item.type_name, key.name
        ),
    )
}

/// The index keys an item carries (an item without one is not in that index).
fn check_index_keys(schema: &'static TableSchema, item: &ItemMap) -> Result<(), Error> {
    for index in schema.indexes {
        let keys = std::iter::once((index.partition_key, KeyRole::Partition))
            .chain(index.sort_key.map(|k| (k, KeyRole::Sort)));
        for (key, role) in keys {
            if schema.is_key(key.name) {
                continue;
            }
            if let Some(value) = item.get(key.name) {
                check_key_value(&key, role, value, Some(index.name))?;
            }
        }
    }
    Ok(())
}

/// A key attribute's name in a refusal: "`pk`", or "`pk` of index `by_status`".
struct KeyName<'a> {
    key: &'a str,
    index: Option<&'a str>,
}

impl std::fmt::Display for KeyName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.index {
            Some(index) => write!(f, "{}` of index `{index}", self.key),
            None => f.write_str(self.key),
        }
    }
}

/// A key value: the key's scalar type, not empty, within its size limit.
pub(crate) fn check_key_value(
    key: &KeySchema,
    role: KeyRole,
    value: &AttributeValue,
    index: Option<&str>,
) -> Result<(), Error> {
    // Formatted only into a refusal's message.
    let name = KeyName { key: key.name, index };
    let matches = matches!(
        (value, key.scalar_type),
        (AttributeValue::S(_), ScalarType::S)
            | (AttributeValue::N(_), ScalarType::N)
            | (AttributeValue::B(_), ScalarType::B)
    );
    if !matches
        && matches!(
            value,
            AttributeValue::S(_) | AttributeValue::N(_) | AttributeValue::B(_)
        )
    {
        return Err(Error::refused(
            RefusalKind::InvalidKey,
            format!(
                "key attribute `{name}` is of type {:?}, not {}",
                key.scalar_type,
                crate::value::type_of(value)
            ),
        ));
    }
    limits::check_key_value(name, role, value)
}

#[cfg(test)]
mod tests;
