//! Between the item map and the SDK: a write becomes a [`Plan`] here, by one code path whatever
//! sends it (a single request, a chunk of a batch, an action of a transaction), and a returned
//! item is read back through one path too ([`read`]).
//!
//! Preparing a write: run the extensions' `before_write` on the item map, take the key, turn
//! the item into update actions ([`update`]) when it is an update, render every expression
//! through one placeholder allocator, and check the result against DynamoDB's
//! [limits](crate::limits). Each kind of write has its own method on [`Write`] and its own
//! request type, so whoever sends a plan knows its shape. Nothing here sends anything.
//!
//! A plan also carries what the extensions recorded (the values a write expects to find, such
//! as the version read) and, when asked, what the write is known to store: the outcome of a
//! transaction is read from there, never worked out again from the extensions' rules.

mod known;
pub(crate) mod read;
pub(crate) mod update;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

pub(crate) use known::Known;

use crate::error::{Error, RefusalKind};
use crate::expr::{Condition, Path, Placeholders, UpdateAction, UpdateExpression};
use crate::extension::{BeforeWrite, Chain, Expectation, Operation, WriteMode};
use crate::item::ItemMap;
use crate::limits::{self, KeyRole};
use crate::schema::{KeySchema, TableSchema};
use crate::value::ConvertError;
use crate::value::ScalarType;

/// Where and how a write is prepared: the table, the caller's condition, the mode.
pub(crate) struct Write<'a> {
    chain: &'a Chain,
    schema: &'static TableSchema,
    table: &'a str,
    /// The caller's condition, ANDed with the extensions'.
    condition: Option<Condition>,
    mode: WriteMode,
    /// A batch write's opt-out of the version condition.
    skip_version_check: bool,
    /// Whether the write is an action of a transaction: it keeps what it is known to store
    /// (a transaction gets no item back) and measures its share of the 4 MB.
    in_transaction: bool,
}

/// A `PutItem`'s item, and its size as DynamoDB counts it (for a batch's and a transaction's
/// limits, without counting it again).
#[derive(Debug)]
pub(crate) struct PutRequest {
    pub(crate) item: ItemMap,
    pub(crate) size: usize,
}

/// An `UpdateItem`'s key and update expression.
#[derive(Debug)]
pub(crate) struct UpdateRequest {
    pub(crate) key: ItemMap,
    pub(crate) expression: String,
}

/// The key of a `DeleteItem` or of a transaction's condition check.
#[derive(Debug)]
pub(crate) struct KeyRequest {
    pub(crate) key: ItemMap,
}

/// A write ready to send: its request, its condition, the placeholders they use, and what the
/// extensions recorded.
#[derive(Debug)]
pub(crate) struct Plan<R> {
    pub(crate) request: R,
    pub(crate) condition: Option<String>,
    pub(crate) names: Option<HashMap<String, String>>,
    pub(crate) values: Option<HashMap<String, AttributeValue>>,
    /// What the write expects to find stored, as the extensions recorded it.
    pub(crate) expected: Vec<Expectation>,
    /// What the write is known to store, when asked for ([`Write::in_transaction`]).
    pub(crate) known: Option<Known>,
    /// Whether the write applies only to a stored item (a patch that does not create one): a
    /// failed condition with no item stored is then a missing item.
    pub(crate) requires_item: bool,
    /// The bytes the write counts toward a transaction's 4 MB ([`Write::in_transaction`];
    /// 0 otherwise): see [`Counted`].
    pub(crate) transaction_size: usize,
}

/// What a write of a transaction counts toward its 4 MB ("the aggregate size of the items"),
/// besides its expressions' texts and placeholder names: the item it writes where the plan
/// holds it whole (a put, the update of a whole item), else its key; and the values it sends
/// besides. The update of a whole item sends its item's values in its update expression:
/// the item is measured once, by its check, and of the expression's values only those of the
/// extensions' own actions (a counter's step, a user's extension) are added to it.
#[derive(Clone, Copy)]
struct Counted {
    /// The bytes measured already: the item or key as its check measured it, and for the
    /// update of a whole item its extensions' action values.
    bytes: usize,
    /// How many of the request's values (the first ones rendered) those bytes include.
    values_counted: usize,
}

/// Whether a patch may create its item.
#[derive(Clone, Copy)]
pub(crate) enum PatchMode {
    /// Only a stored item: the request requires the item's partition key to be stored.
    Existing,
    /// Creates the item if there is none. `decodes` reads the item a creation would store,
    /// so that a patch that would leave an item no read can decode is refused.
    Upsert {
        decodes: fn(ItemMap) -> Result<(), ConvertError>,
    },
}

/// What the extensions left of a write, before it becomes a request.
struct Prepared {
    item: ItemMap,
    update: Option<UpdateExpression>,
    conditions: Vec<Condition>,
    expected: Vec<Expectation>,
}

impl<'a> Write<'a> {
    /// A write of a single request on `table`, with the caller's `condition`.
    pub(crate) fn new(chain: &'a Chain, schema: &'static TableSchema, table: &'a str) -> Self {
        Write {
            chain,
            schema,
            table,
            condition: None,
            mode: WriteMode::Single,
            skip_version_check: false,
            in_transaction: false,
        }
    }

    /// ANDs the caller's condition into the write.
    pub(crate) fn condition(mut self, condition: Option<Condition>) -> Self {
        self.condition = condition;
        self
    }

    /// One action of a transaction, which keeps what it is known to store and measures its
    /// share of the transaction's size.
    pub(crate) fn in_transaction(mut self) -> Self {
        self.mode = WriteMode::Transaction;
        self.in_transaction = true;
        self
    }

    /// One write of a batch request, optionally without the version's condition.
    pub(crate) fn in_batch(mut self, skip_version_check: bool) -> Self {
        self.mode = WriteMode::Batch;
        self.skip_version_check = skip_version_check;
        self
    }

    /// A put of a whole item.
    pub(crate) fn put(mut self, item: ItemMap) -> Result<Plan<PutRequest>, Error> {
        let schema = self.schema;
        let prepared = self.before_write(Operation::Put, item, None)?;
        let size = check_item(schema, &prepared.item)?;
        let known = self.in_transaction.then(|| Known::put(&prepared.item));
        let item = prepared.item;
        let counted = Counted {
            bytes: size,
            values_counted: 0,
        };
        self.finish(
            PutRequest { item, size },
            prepared.conditions,
            prepared.expected,
            known,
            counted,
        )
    }

    /// An update from a whole item; absent attributes are removed unless `ignore_nulls`.
    pub(crate) fn update(mut self, item: ItemMap, ignore_nulls: bool) -> Result<Plan<UpdateRequest>, Error> {
        let prepared = self.before_write(Operation::Update, item, Some(UpdateExpression::new()))?;
        let size = check_item(self.schema, &prepared.item)?;
        self.update_request(prepared, !ignore_nulls, Some(size))
    }

    /// An update from actions. `key` holds the key and, if the caller gave it, the version
    /// that was read.
    pub(crate) fn patch(
        mut self,
        key: ItemMap,
        actions: UpdateExpression,
        mode: PatchMode,
    ) -> Result<Plan<UpdateRequest>, Error> {
        let schema = self.schema;
        let mut prepared = self.before_write(Operation::Patch, key, Some(actions))?;
        match mode {
            PatchMode::Existing => prepared.conditions.push(Condition::function(
                "attribute_exists",
                Path::static_attr(schema.partition_key.name),
                None,
            )),
            PatchMode::Upsert { decodes } => {
                let actions = prepared.update.as_ref().map_or(&[][..], UpdateExpression::actions);
                decodes(update::created_item(schema, &prepared.item, actions)).map_err(|e| {
                    Error::refused(
                        RefusalKind::IncompleteUpsert,
                        format!(
                            "an upsert of a `{}` could create an item that cannot be read: {e}; \
                             set every attribute a read needs, or patch without `upsert`",
                            schema.item.type_name
                        ),
                    )
                })?;
            }
        }
        let mut plan = self.update_request(prepared, false, None)?;
        plan.requires_item = matches!(mode, PatchMode::Existing);
        Ok(plan)
    }

    /// A delete by key (`whole_item` false), or of an item that was read.
    pub(crate) fn delete(mut self, item: ItemMap, whole_item: bool) -> Result<Plan<KeyRequest>, Error> {
        let prepared = self.before_write(Operation::Delete { whole_item }, item, None)?;
        self.key_request(prepared)
    }

    /// A transaction's condition check on the item with this key.
    pub(crate) fn check(mut self, key: ItemMap) -> Result<Plan<KeyRequest>, Error> {
        let prepared = self.before_write(Operation::ConditionCheck, key, None)?;
        if prepared.conditions.is_empty() {
            return Err(Error::refused(
                RefusalKind::InvalidArgument,
                "a condition check needs a condition",
            ));
        }
        self.key_request(prepared)
    }

    /// A delete or a condition check: the key taken out of the item.
    fn key_request(self, mut prepared: Prepared) -> Result<Plan<KeyRequest>, Error> {
        let key = take_key(self.schema, &mut prepared.item)?;
        let counted = self.count_key(&key);
        let request = KeyRequest { key };
        self.finish(request, prepared.conditions, prepared.expected, None, counted)
    }

    /// A write that counts its key toward a transaction's size (measured only in one).
    fn count_key(&self, key: &ItemMap) -> Counted {
        Counted {
            bytes: if self.in_transaction { limits::item_size(key) } else { 0 },
            values_counted: 0,
        }
    }

    /// Runs the extensions' `before_write` on the item.
    fn before_write(
        &mut self,
        operation: Operation,
        mut item: ItemMap,
        mut update: Option<UpdateExpression>,
    ) -> Result<Prepared, Error> {
        let mut conditions: Vec<Condition> = self.condition.take().into_iter().collect();
        let mut expected = Vec::new();
        if !self.chain.is_empty() {
            let mut cx = BeforeWrite::new(
                operation,
                self.mode,
                self.schema,
                self.table,
                &mut item,
                &mut conditions,
                update.as_mut(),
                &mut expected,
            )
            .skip_version_check(self.skip_version_check);
            self.chain.before_write(&mut cx)?;
        }
        Ok(Prepared {
            item,
            update,
            conditions,
            expected,
        })
    }

    /// The update of a whole item (`item_size` its checked size) or a patch: the item's
    /// attributes become actions beside the extensions' and the caller's.
    fn update_request(
        self,
        prepared: Prepared,
        remove_absent: bool,
        item_size: Option<usize>,
    ) -> Result<Plan<UpdateRequest>, Error> {
        let Prepared {
            mut item,
            update,
            conditions,
            expected,
        } = prepared;
        let key = take_key(self.schema, &mut item)?;
        let mut update = update.unwrap_or_default();
        // The values of the actions already there (the extensions'), when the item's own are
        // counted whole by its size.
        let actions_size = match item_size {
            Some(_) if self.in_transaction => update.actions().iter().map(UpdateAction::values_size).sum(),
            _ => 0,
        };
        update::plan(self.schema, item, &mut update, remove_absent);
        // A whole-item update names every attribute it keeps; a patch leaves the rest alone.
        let known = self
            .in_transaction
            .then(|| Known::update(&key, &update, !remove_absent));
        let mut placeholders = Placeholders::new();
        let expression = update.render_into(&mut placeholders)?.ok_or_else(|| {
            Error::refused(
                RefusalKind::NothingToWrite,
                format!("the update of a `{}` item writes nothing", self.schema.item.type_name),
            )
        })?;
        limits::check_expression("update", &expression)?;
        // The update of a whole item counts the item, whose values its expression sends, and
        // its extensions' action values; a patch counts its key and every value.
        let counted = match item_size {
            Some(size) => Counted {
                bytes: size + actions_size,
                values_counted: placeholders.value_count(),
            },
            None => self.count_key(&key),
        };
        let request = UpdateRequest { key, expression };
        self.finish_with(request, placeholders, conditions, expected, known, counted)
    }

    fn finish<R: Expressed>(
        self,
        request: R,
        conditions: Vec<Condition>,
        expected: Vec<Expectation>,
        known: Option<Known>,
        counted: Counted,
    ) -> Result<Plan<R>, Error> {
        self.finish_with(request, Placeholders::new(), conditions, expected, known, counted)
    }

    /// Renders the condition through the request's placeholders and checks both.
    fn finish_with<R: Expressed>(
        self,
        request: R,
        mut placeholders: Placeholders,
        conditions: Vec<Condition>,
        expected: Vec<Expectation>,
        known: Option<Known>,
        counted: Counted,
    ) -> Result<Plan<R>, Error> {
        let condition = Condition::all_of(conditions)
            .map(|c| c.render_into(&mut placeholders))
            .transpose()?;
        if let Some(text) = &condition {
            limits::check_expression("condition", text)?;
        }
        let transaction_size = if self.in_transaction {
            let texts = [request.expression(), condition.as_deref()];
            counted.bytes
                + placeholders.size_from(counted.values_counted)
                + texts.iter().flatten().map(|text| text.len()).sum::<usize>()
        } else {
            0
        };
        let rendered = placeholders.finish(&[request.expression(), condition.as_deref()])?;
        Ok(Plan {
            request,
            condition,
            names: rendered.names,
            values: rendered.values,
            expected,
            known,
            requires_item: false,
            transaction_size,
        })
    }
}

/// A request's own expression, rendered through the plan's placeholders.
trait Expressed {
    fn expression(&self) -> Option<&str> {
        None
    }
}

impl Expressed for PutRequest {}
impl Expressed for KeyRequest {}
impl Expressed for UpdateRequest {
    fn expression(&self) -> Option<&str> {
        Some(&self.expression)
    }
}

/// A put's or update's whole item: its key and index keys, its size (returned).
fn check_item(schema: &'static TableSchema, item: &ItemMap) -> Result<usize, Error> {
    check_key(schema, item)?;
    check_index_keys(schema, item)?;
    limits::check_item_size(item, format_args!("the `{}` item", schema.item.type_name))
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

/// The primary key attributes an item (or a key) carries, copied; those it lacks are left out.
pub(crate) fn key_of(schema: &'static TableSchema, item: &ItemMap) -> ItemMap {
    key_schemas(schema)
        .filter_map(|(key, _)| item.get_key_value(key.name))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
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
        let partition = index.partition_keys.iter().map(|k| (k, KeyRole::Partition));
        let keys = partition.chain(index.sort_keys.iter().map(|k| (k, KeyRole::Sort)));
        for (key, role) in keys {
            if schema.is_key(key.name) {
                continue;
            }
            if let Some(value) = item.get(key.name) {
                check_key_value(key, role, value, Some(index.name))?;
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
