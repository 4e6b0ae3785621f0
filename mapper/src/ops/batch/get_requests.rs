//! The requests of a batch get: keys checked and grouped per table, chunked into requests of
//! 100 keys, and each item or unprocessed key DynamoDB answers found back among the keys sent.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
use aws_sdk_dynamodb::types::KeysAndAttributes;

use super::get::{GetGroup, Slots};
use super::{self as batch, Batch, KeyId, KeyNames, Round, Sender, TableKeys};
use crate::error::{Error, RefusalKind};
use crate::expr::Placeholders;
use crate::extension::ItemImage;
use crate::item::ItemMap;
use crate::limits::MAX_BATCH_GET_KEYS;
use crate::schema::ItemSchema;

/// How one table is read: the same for all its keys in a request.
struct TableRead {
    names: KeyNames,
    consistent: bool,
    projection: Option<&'static ItemSchema>,
    expression: Option<String>,
    attribute_names: Option<HashMap<String, String>>,
}

/// The keys of a batch get, checked, as the rounds send them.
pub(super) struct Gets {
    pub(super) entries: Vec<Entry>,
    pub(super) slots: Vec<Box<dyn Slots>>,
    /// Each key, to find the items and unprocessed keys DynamoDB answers.
    index: HashMap<KeyId, usize>,
    tables: HashMap<Arc<str>, TableRead>,
    /// Keys of requests that failed for good.
    pub(super) failed: usize,
    /// The identity of an answered item or key, written here to be found in `index`.
    scratch: Vec<u8>,
}

pub(super) struct Entry {
    table: Arc<str>,
    /// The key, until a request takes it; an unprocessed key comes back in DynamoDB's answer.
    key: Option<ItemMap>,
    group: usize,
    index: usize,
}

pub(super) fn prepare(groups: Vec<GetGroup>, consistent: &[String]) -> Result<Gets, Error> {
    let total = groups.iter().map(|g| g.keys.len()).sum();
    let mut entries = Vec::with_capacity(total);
    let mut index = HashMap::with_capacity(total);
    let mut keys = TableKeys::default();
    let mut tables: HashMap<Arc<str>, TableRead> = HashMap::new();
    let mut slots = Vec::with_capacity(groups.len());
    for (g, group) in groups.into_iter().enumerate() {
        let table: Arc<str> = Arc::from(group.target.name());
        let names = keys.register(&table, group.schema)?;
        match tables.get(&table) {
            Some(read) if read.projection.map(|p| p.type_name) != group.projection.map(|p| p.type_name) => {
                return Err(Error::refused(
                    RefusalKind::InvalidArgument,
                    format!(
                        "table `{table}` is read with two projections in one batch get; \
                         DynamoDB takes one per table: use two batches"
                    ),
                ));
            }
            Some(_) => {}
            None => {
                let (expression, attribute_names) = projection(group.projection, names)?;
                tables.insert(
                    table.clone(),
                    TableRead {
                        names,
                        consistent: consistent.iter().any(|c| **c == *table),
                        projection: group.projection,
                        expression,
                        attribute_names,
                    },
                );
            }
        }
        let image = if group.projection.is_some() {
            ItemImage::Partial
        } else {
            ItemImage::Whole
        };
        slots.push((group.slots)(group.target.clone(), image, group.keys.len()));
        let position = |i: usize| format!("key {i} of get #{g} from table `{table}`");
        for (i, key) in group.keys.into_iter().enumerate() {
            let key = key.map_err(|e| batch::locate(Error::from(e), &position(i)))?;
            crate::plan::check_key(group.schema, &key).map_err(|e| batch::locate(e, &position(i)))?;
            let id = names.key_id(&table, &key).ok_or_else(|| {
                Error::refused(
                    RefusalKind::InvalidKey,
                    format!("{}: the key attributes are missing or not a key type", position(i)),
                )
            })?;
            let at = entries.len();
            if let Some(first) = index.insert(id, at) {
                let first: &Entry = &entries[first];
                return Err(batch::duplicate(
                    &table,
                    &position(i),
                    &format!("key {} of get #{}", first.index, first.group),
                ));
            }
            entries.push(Entry {
                table: table.clone(),
                key: Some(key),
                group: g,
                index: i,
            });
        }
    }
    Ok(Gets {
        entries,
        slots,
        index,
        tables,
        failed: 0,
        scratch: Vec::new(),
    })
}

/// The projection expression for `schema`, with the key attributes added so that each item
/// can be matched to its key.
fn projection(
    schema: Option<&'static ItemSchema>,
    names: KeyNames,
) -> Result<(Option<String>, Option<AttributeNames>), Error> {
    let Some(schema) = schema else {
        return Ok((None, None));
    };
    let mut placeholders = Placeholders::new();
    let mut text = crate::ops::read::projection(Some(schema), &mut placeholders)?.unwrap_or_default();
    for key in std::iter::once(names.partition).chain(names.sort) {
        if schema.attribute(key).is_none() {
            text.push_str(", ");
            text.push_str(&placeholders.name(key));
        }
    }
    crate::limits::check_expression("projection", &text)?;
    let rendered = placeholders.finish(&[Some(&text)])?;
    Ok((Some(text), rendered.names))
}

type AttributeNames = HashMap<String, String>;

impl Gets {
    /// The key of `chunk` an item or unprocessed key DynamoDB answered stands for: its
    /// position in `chunk`, and the key's place in the batch.
    fn find(&mut self, table: &str, item: &ItemMap, chunk: &[usize]) -> Option<(usize, usize)> {
        let read = self.tables.get(table)?;
        read.names.write_key_id(table, item, &mut self.scratch)?;
        let at = *self.index.get(self.scratch.as_slice())?;
        Some((chunk.iter().position(|&c| c == at)?, at))
    }

    /// The keys of `chunk` that a request took and no answer gave back (the request failed),
    /// rebuilt from their identities.
    fn restore_keys(&mut self, chunk: &[usize]) {
        if chunk.iter().all(|&at| self.entries[at].key.is_some()) {
            return;
        }
        for (id, &at) in &self.index {
            let entry = &mut self.entries[at];
            if entry.key.is_none() && chunk.contains(&at) {
                entry.key = id.to_key(self.tables[&entry.table].names);
            }
        }
    }
}

impl Batch for Gets {
    const OPERATION: &'static str = "BatchGetItem";
    type Answer = BatchGetItemOutput;

    /// Requests of at most 100 keys, in order.
    fn len(&self) -> usize {
        self.entries.len()
    }

    fn chunks(&self, pending: &[usize]) -> Vec<Vec<usize>> {
        pending.chunks(MAX_BATCH_GET_KEYS).map(<[usize]>::to_vec).collect()
    }

    fn request(
        &mut self,
        sender: &Sender,
        chunk: &[usize],
    ) -> impl Future<Output = Result<BatchGetItemOutput, Error>> + Send + use<> {
        self.restore_keys(chunk);
        let mut by_table: HashMap<Arc<str>, Vec<ItemMap>> = HashMap::new();
        let mut order: Vec<Arc<str>> = Vec::new();
        for &at in chunk {
            let entry = &mut self.entries[at];
            let keys = by_table.entry(entry.table.clone()).or_insert_with(|| {
                order.push(entry.table.clone());
                Vec::new()
            });
            // The request takes the key: an unprocessed key comes back in the answer, and a
            // request that fails is sent again from the keys' identities.
            keys.extend(entry.key.take());
        }
        let tables = order.iter().map(|t| &**t).collect::<Vec<_>>().join(",");
        let items: HashMap<String, KeysAndAttributes> = by_table
            .into_iter()
            .map(|(table, keys)| {
                let read = &self.tables[&table];
                let keys_and_attributes = KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .set_consistent_read(read.consistent.then_some(true))
                    .set_projection_expression(read.expression.clone())
                    .set_expression_attribute_names(read.attribute_names.clone())
                    .build()
                    .expect("keys are set");
                (table.to_string(), keys_and_attributes)
            })
            .collect();
        let client = sender.client.clone();
        let capacity = sender.capacity.clone();
        let meter = sender.meter.clone();
        async move {
            let request = client
                .batch_get_item()
                .set_request_items(Some(items))
                .set_return_consumed_capacity(capacity)
                .send();
            crate::ops::send_to(&tables, "BatchGetItem", meter.as_ref(), crate::ops::sent(request)).await
        }
    }

    fn settle(&mut self, chunk: Vec<usize>, outcome: Result<BatchGetItemOutput, Error>, round: &mut Round) {
        let output = match outcome {
            Ok(output) => output,
            Err(error) if error.is_retryable() => {
                for at in chunk {
                    round.again(at);
                }
                return round.retryable(error);
            }
            Err(error) => {
                self.failed += chunk.len();
                return round.failed(error);
            }
        };
        for used in output.consumed_capacity.iter().flatten() {
            round.consumed(used.capacity_units());
        }
        let mut answered = vec![false; chunk.len()];
        for (table, items) in output.responses.into_iter().flatten() {
            for item in items {
                let Some((n, at)) = self.find(&table, &item, &chunk) else {
                    tracing::warn!(table, "an item matches no key of its request");
                    continue;
                };
                answered[n] = true;
                let entry = &self.entries[at];
                self.slots[entry.group].found(entry.index, item);
                round.done();
            }
        }
        let mut unprocessed = vec![false; chunk.len()];
        for (table, keys) in output.unprocessed_keys.into_iter().flatten() {
            for key in keys.keys {
                match self.find(&table, &key, &chunk) {
                    Some((n, at)) => {
                        unprocessed[n] = true;
                        self.entries[at].key = Some(key);
                    }
                    None => tracing::warn!(table, "an unprocessed key matches no key of its request"),
                }
            }
        }
        for (n, &at) in chunk.iter().enumerate() {
            if answered[n] {
                continue;
            }
            if unprocessed[n] {
                round.again(at);
            } else {
                let entry = &self.entries[at];
                self.slots[entry.group].missing(entry.index);
                round.done();
            }
        }
    }
}
