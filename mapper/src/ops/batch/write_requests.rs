//! The requests of a batch write: each write prepared through the extensions, chunked into
//! requests of DynamoDB's sizes, and what each answer says of each write.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemOutput;
use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};

use super::write::{Group, Source};
use super::{self as batch, Batch, KeyId, KeyNames, Round, Sender, TableKeys};
use crate::error::{Error, RefusalKind};
use crate::limits::{self, MAX_BATCH_WRITE_ITEMS, MAX_BATCH_WRITE_SIZE};
use crate::plan::{Plan, PutRequest, Write};

/// The writes of a batch, prepared, as the rounds send them.
pub(super) struct Writes {
    pub(super) groups: Vec<Group>,
    pub(super) entries: Vec<Entry>,
    /// Each write's key, to find the writes DynamoDB leaves unprocessed.
    index: HashMap<KeyId, usize>,
    keys: TableKeys,
    skip_version_check: bool,
}

/// One write.
pub(super) struct Entry {
    /// The request, until it is sent; back when DynamoDB returns it unprocessed.
    request: Option<WriteRequest>,
    size: usize,
    group: usize,
    index: usize,
}

impl Group {
    /// Where write `i` of this group (number `g`) is, for error messages.
    fn position(&self, g: usize, i: usize) -> String {
        format!("write {i} of `{}` #{g} to table `{}`", self.what, self.table)
    }

    /// Write `i` as an item map (and how to write it).
    fn source(&self, g: usize, i: usize) -> Result<Source, Error> {
        self.values
            .write(i)
            .expect("a write is prepared only while its value is held")
            .map_err(|e| batch::locate(Error::from(e), &self.position(g, i)))
    }

    /// Runs write `i` through the extensions into a request, refusing what DynamoDB would
    /// reject. Returns its key, the request and the size the 16 MB limit counts.
    fn prepare(
        &self,
        g: usize,
        i: usize,
        source: Result<Source, Error>,
        skip_version_check: bool,
    ) -> Result<(KeyId, WriteRequest, usize), Error> {
        let position = || self.position(g, i);
        let write = Write::new(self.target.chain(), self.schema, &self.table).in_batch(skip_version_check);
        let names = KeyNames::of(self.schema);
        let (id, request, size) = match source? {
            Source::Put(item) => {
                let plan = write.put(item).map_err(|e| batch::locate(e, &position()))?;
                unconditional(&plan, &position)?;
                let PutRequest { item, size } = plan.request;
                let id = names.key_id(&self.table, &item);
                let put = aws_sdk_dynamodb::types::PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map_err(build_error)?;
                (id, WriteRequest::builder().put_request(put).build(), size)
            }
            Source::Delete { item, whole_item } => {
                let plan = write
                    .delete(item, whole_item)
                    .map_err(|e| batch::locate(e, &position()))?;
                unconditional(&plan, &position)?;
                let key = plan.request.key;
                let id = names.key_id(&self.table, &key);
                let size = limits::item_size(&key);
                let delete = DeleteRequest::builder()
                    .set_key(Some(key))
                    .build()
                    .map_err(build_error)?;
                (id, WriteRequest::builder().delete_request(delete).build(), size)
            }
        };
        let id = id.ok_or_else(|| {
            Error::refused(
                RefusalKind::InvalidKey,
                format!("{}: the key attributes are missing or not a key type", position()),
            )
        })?;
        Ok((id, request, size))
    }
}

impl Writes {
    /// Prepares every write, refusing the batch at the first one DynamoDB would reject, or
    /// a second write of one item.
    pub(super) fn prepare(groups: Vec<Group>, skip_version_check: bool) -> Result<Writes, Error> {
        let total = groups.iter().map(|g| g.values.len()).sum();
        let mut entries = Vec::with_capacity(total);
        let mut index = HashMap::with_capacity(total);
        let mut keys = TableKeys::default();
        for (g, group) in groups.iter().enumerate() {
            keys.register(&group.table, group.schema)?;
            // Every value is converted before any is prepared: each step runs over the whole
            // group while its code is warm, rather than all steps over each value in turn.
            let sources: Vec<_> = (0..group.values.len()).map(|i| group.source(g, i)).collect();
            for (i, source) in sources.into_iter().enumerate() {
                let (id, request, size) = group.prepare(g, i, source, skip_version_check)?;
                if let Some(first) = index.insert(id, entries.len()) {
                    let first: &Entry = &entries[first];
                    return Err(batch::duplicate(
                        &group.table,
                        &group.position(g, i),
                        &format!("write {} of #{}", first.index, first.group),
                    ));
                }
                entries.push(Entry {
                    request: Some(request),
                    size,
                    group: g,
                    index: i,
                });
            }
        }
        Ok(Writes {
            groups,
            entries,
            index,
            keys,
            skip_version_check,
        })
    }

    /// Prepares the write `at` anew, after its request was throttled.
    fn prepare_again(&mut self, at: usize) -> Result<(), Error> {
        let entry = &self.entries[at];
        let group = &self.groups[entry.group];
        let source = group.source(entry.group, entry.index);
        let (id, request, size) = group.prepare(entry.group, entry.index, source, self.skip_version_check)?;
        // An extension may have generated a new key; both map to this write.
        match self.index.get(&id) {
            Some(&other) if other != at => {
                let other = &self.entries[other];
                return Err(batch::duplicate(
                    &group.table,
                    &group.position(entry.group, entry.index),
                    &format!("write {} of #{}", other.index, other.group),
                ));
            }
            Some(_) => {}
            None => {
                self.index.insert(id, at);
            }
        }
        let entry = &mut self.entries[at];
        entry.request = Some(request);
        entry.size = size;
        Ok(())
    }

    /// The write of an unprocessed request DynamoDB returned, if it is one of `chunk`'s.
    fn find(&self, table: &str, request: &WriteRequest, chunk: &[usize]) -> Option<usize> {
        let names = self.keys.get(table)?;
        let key = match (&request.put_request, &request.delete_request) {
            (Some(put), _) => &put.item,
            (None, Some(delete)) => &delete.key,
            (None, None) => return None,
        };
        let at = *self.index.get(&names.key_id(table, key)?)?;
        chunk.iter().position(|&c| c == at)
    }
}

/// Refuses a write to which an extension added a condition: a batch request cannot carry one.
fn unconditional<R>(plan: &Plan<R>, position: &dyn Fn() -> String) -> Result<(), Error> {
    if plan.condition.is_some() || plan.names.is_some() || plan.values.is_some() {
        return Err(Error::refused(
            RefusalKind::ConditionInBatch,
            format!(
                "{}: an extension added a condition, and a batch write cannot carry one",
                position()
            ),
        ));
    }
    Ok(())
}

fn build_error(error: aws_sdk_dynamodb::error::BuildError) -> Error {
    Error::Configuration(format!("could not build a batch write request: {error}"))
}

/// Splits the writes `pending` into requests: at most 25 writes and 16 MB each, in order.
fn chunks(pending: &[usize], sizes: impl Fn(usize) -> usize) -> Vec<Vec<usize>> {
    let mut chunks = Vec::with_capacity(pending.len().div_ceil(MAX_BATCH_WRITE_ITEMS));
    let mut current = Vec::with_capacity(MAX_BATCH_WRITE_ITEMS);
    let mut size = 0;
    for &at in pending {
        let entry_size = sizes(at);
        if current.len() == MAX_BATCH_WRITE_ITEMS || (!current.is_empty() && size + entry_size > MAX_BATCH_WRITE_SIZE) {
            chunks.push(std::mem::replace(
                &mut current,
                Vec::with_capacity(MAX_BATCH_WRITE_ITEMS),
            ));
            size = 0;
        }
        current.push(at);
        size += entry_size;
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

impl Batch for Writes {
    const OPERATION: &'static str = "BatchWriteItem";
    type Answer = BatchWriteItemOutput;

    fn len(&self) -> usize {
        self.entries.len()
    }

    fn chunks(&self, pending: &[usize]) -> Vec<Vec<usize>> {
        chunks(pending, |at| self.entries[at].size)
    }

    fn request(
        &mut self,
        sender: &Sender,
        chunk: &[usize],
    ) -> impl Future<Output = Result<BatchWriteItemOutput, Error>> + Send + use<> {
        let mut items: HashMap<String, Vec<WriteRequest>> = HashMap::new();
        let mut tables: Vec<&str> = Vec::new();
        for &at in chunk {
            let entry = &mut self.entries[at];
            let table = &*self.groups[entry.group].table;
            if !tables.contains(&table) {
                tables.push(table);
            }
            // Moved, not copied: DynamoDB returns what it leaves unprocessed, and a throttled
            // request is prepared again.
            let request = entry.request.take().expect("a pending write holds its request");
            match items.get_mut(table) {
                Some(writes) => writes.push(request),
                None => {
                    items.insert(table.to_owned(), vec![request]);
                }
            }
        }
        let tables = tables.join(",");
        let client = sender.client.clone();
        let capacity = sender.capacity.clone();
        let meter = sender.meter.clone();
        async move {
            let request = client
                .batch_write_item()
                .set_request_items(Some(items))
                .set_return_consumed_capacity(capacity)
                .send();
            crate::ops::send_to(&tables, "BatchWriteItem", meter.as_ref(), crate::ops::sent(request)).await
        }
    }

    fn settle(&mut self, chunk: Vec<usize>, outcome: Result<BatchWriteItemOutput, Error>, round: &mut Round) {
        match outcome {
            Ok(output) => {
                for used in output.consumed_capacity.iter().flatten() {
                    round.consumed(used.capacity_units());
                }
                let mut returned: Vec<Option<WriteRequest>> = vec![None; chunk.len()];
                for (table, requests) in output.unprocessed_items.into_iter().flatten() {
                    for request in requests {
                        match self.find(&table, &request, &chunk) {
                            Some(n) => returned[n] = Some(request),
                            None => tracing::warn!(table, "an unprocessed write matches no write of its request"),
                        }
                    }
                }
                for (at, request) in chunk.into_iter().zip(returned) {
                    let entry = &mut self.entries[at];
                    match request {
                        Some(request) => {
                            entry.request = Some(request);
                            round.again(at);
                        }
                        None => {
                            self.groups[entry.group].values.forget(entry.index);
                            round.done();
                        }
                    }
                }
            }
            // DynamoDB wrote none of them: prepared anew, they go to the next round.
            Err(error) if error.is_throttling() => {
                for at in chunk {
                    match self.prepare_again(at) {
                        Ok(()) => round.again(at),
                        Err(error) => round.failed(error),
                    }
                }
                round.retryable(error);
            }
            // Not retryable, or of unknown outcome: left over, with the error.
            Err(error) => round.failed(error),
        }
    }
}

#[cfg(test)]
mod tests {

    fn chunks(pending: &[usize], sizes: &[usize]) -> Vec<Vec<usize>> {
        super::chunks(pending, |at| sizes[at])
    }

    #[test]
    fn requests_hold_at_most_25_writes_in_order() {
        let pending: Vec<usize> = (0..60).collect();
        let chunks = chunks(&pending, &[10; 60]);
        assert_eq!(chunks.iter().map(Vec::len).collect::<Vec<_>>(), [25, 25, 10]);
        assert_eq!(chunks.concat(), pending);
    }

    #[test]
    fn requests_hold_at_most_16_mb() {
        let mb = 1024 * 1024;
        // 400 KB items: 25 of them are 10 MB, under the limit.
        let small = [400 * 1024; 30];
        let pending: Vec<usize> = (0..30).collect();
        assert_eq!(
            chunks(&pending, &small).iter().map(Vec::len).collect::<Vec<_>>(),
            [25, 5]
        );
        // Writes whose sizes add up past 16 MB start a new request (sizes as the limit counts
        // them; a single item is at most 400 KB, so only requests of big writes get here).
        let big = [6 * mb, 6 * mb, 4 * mb, 1, 6 * mb];
        let pending: Vec<usize> = (0..5).collect();
        assert_eq!(chunks(&pending, &big), [vec![0, 1, 2], vec![3, 4]]);
    }
}
