//! [`ChangeStream`]: the shards of a stream read in lineage order, as one
//! `futures::Stream` of typed changes, with the checkpoint of what it yielded.

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, Stream, StreamExt};

use super::checkpoint::{Checkpoint, ShardPosition};
use super::fetch::{Context, Cursor, Step, step};
use super::reader::StartAt;
use super::shards::{ListedShard, list_shards, stream_arn};
use super::{Change, ChangeDecoder};
use crate::error::Error;
use crate::item::Item;
use crate::retry::sleep;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Waiting,
    Reading,
    Done,
}

struct Shard {
    parent: Option<String>,
    status: Status,
    /// Listed by the first listing (read from `LATEST` when the reader begins there).
    first_seen: bool,
}

enum Event<T: Item> {
    Change(Result<Change<T>, Error>, String, Option<String>),
    Finished(String),
    Fatal(Error),
}

/// The changes of a table's stream, as a `futures::Stream` of `Result<Change<T>, Error>`:
/// made by [`ChangeReader::stream`](super::ChangeReader::stream). `'static` and `Send` (when
/// `T` is), so it can be spawned.
///
/// A record that does not decode is yielded as an [`Error::UnreadableChange`] in its place,
/// and the stream goes on. Any other error (records trimmed, no stream, throttling beyond
/// the retry policy) is yielded once, and the stream ends. On an enabled stream it never
/// ends otherwise: at the newest end it waits for changes (backing off while shards are
/// idle). It ends by itself when every shard of the stream is closed and read (a disabled
/// stream).
///
/// [`checkpoint`](Self::checkpoint) is the position after the last item yielded — an
/// unreadable change counts as read — and the ends of the shards read.
pub struct ChangeStream<T: Item> {
    context: Arc<Context>,
    decoder: ChangeDecoder<T>,
    checkpoint: Checkpoint,
    resuming: bool,
    start: StartAt,
    arn: Option<BoxFuture<'static, Result<String, Error>>>,
    arn_known: bool,
    shards: HashMap<String, Shard>,
    children: HashMap<String, Vec<String>>,
    listing: Option<BoxFuture<'static, Result<Vec<ListedShard>, Error>>>,
    listings: u32,
    want_listing: bool,
    timer: Option<BoxFuture<'static, Result<(), Error>>>,
    steps: FuturesUnordered<BoxFuture<'static, (Cursor, Step)>>,
    reading: usize,
    ready: VecDeque<Event<T>>,
    ended: bool,
}

impl<T: Item> std::fmt::Debug for ChangeStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeStream")
            .field("table", &self.context.table)
            .field("checkpoint", &self.checkpoint)
            .field("shards", &self.shards.len())
            .field("reading", &self.reading)
            .finish_non_exhaustive()
    }
}

impl<T: Item> ChangeStream<T> {
    pub(crate) fn new(
        context: Arc<Context>,
        decoder: ChangeDecoder<T>,
        start: StartAt,
        checkpoint: Option<Checkpoint>,
    ) -> Self {
        ChangeStream {
            arn: Some(Box::pin(stream_arn(context.clone()))),
            context,
            decoder,
            resuming: checkpoint.is_some(),
            checkpoint: checkpoint.unwrap_or_default(),
            start,
            arn_known: false,
            shards: HashMap::new(),
            children: HashMap::new(),
            listing: None,
            listings: 0,
            want_listing: true,
            timer: None,
            steps: FuturesUnordered::new(),
            reading: 0,
            ready: VecDeque::new(),
            ended: false,
        }
    }

    /// The position after everything yielded so far: save it, and resume from it with
    /// [`ChangeReader::from_checkpoint`](super::ChangeReader::from_checkpoint).
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// The ARN of the stream read, once found (after the first poll).
    pub fn stream_arn(&self) -> Option<String> {
        self.arn_known.then(|| self.context.arn())
    }

    fn merge(&mut self, listed: Vec<ListedShard>) {
        let first = self.listings == 1;
        for shard in listed {
            if let Some(parent) = &shard.parent {
                let kids = self.children.entry(parent.clone()).or_default();
                if !kids.contains(&shard.id) {
                    kids.push(shard.id.clone());
                }
            }
            // A listed ending sequence number is not trusted to mean "read": only a page
            // without a next iterator ends a shard (some servers list one on open shards).
            match self.shards.get(&shard.id) {
                Some(_) => {}
                None => {
                    self.shards.insert(
                        shard.id,
                        Shard {
                            parent: shard.parent,
                            status: Status::Waiting,
                            first_seen: first,
                        },
                    );
                }
            }
        }
        self.checkpoint.prune(&self.children);
    }

    /// Whether a child of `shard`, or a child of one, has a position in the checkpoint.
    fn descendant_in_checkpoint(&self, shard: &str) -> bool {
        let mut pending: Vec<&str> = vec![shard];
        while let Some(id) = pending.pop() {
            for child in self.children.get(id).into_iter().flatten() {
                if self.checkpoint.position(child).is_some() {
                    return true;
                }
                pending.push(child);
            }
        }
        false
    }

    /// Starts every shard whose parent is done (or unknown), as many as the reader may read.
    fn start_ready_shards(&mut self) {
        loop {
            let next = self.shards.iter().find_map(|(id, shard)| {
                let parent_done = shard
                    .parent
                    .as_ref()
                    .and_then(|p| self.shards.get(p))
                    .is_none_or(|p| p.status == Status::Done);
                (shard.status == Status::Waiting && parent_done).then(|| id.clone())
            });
            let Some(id) = next else { return };
            let position = match self.checkpoint.position(&id) {
                Some(position) => position.clone(),
                // A shard the checkpoint left out once its children were in it was read to
                // its end before them.
                None if self.resuming && self.descendant_in_checkpoint(&id) => ShardPosition::Finished,
                None if !self.resuming
                    && self.start == StartAt::Latest
                    && self.shards.get(&id).is_some_and(|s| s.first_seen) =>
                {
                    ShardPosition::Latest
                }
                None => ShardPosition::Start,
            };
            if position == ShardPosition::Finished {
                if let Some(shard) = self.shards.get_mut(&id) {
                    shard.status = Status::Done;
                }
                continue;
            }
            if self.reading >= self.context.options.max_concurrent_shards {
                return;
            }
            if let Some(shard) = self.shards.get_mut(&id) {
                shard.status = Status::Reading;
            }
            self.checkpoint.start(&id, position.clone());
            self.checkpoint.prune(&self.children);
            self.reading += 1;
            let cursor = Cursor {
                shard_id: id,
                start: position,
                last_read: None,
                iterator: None,
                idle: 0,
            };
            self.steps.push(Box::pin(step(self.context.clone(), cursor)));
        }
    }

    fn handle(&mut self, cursor: Cursor, outcome: Step) {
        let ended = match outcome {
            Step::Records(records) => {
                self.decode(&cursor.shard_id, &records);
                false
            }
            Step::Ended(records) => {
                self.decode(&cursor.shard_id, &records);
                true
            }
            Step::Failed(error) => {
                self.ready.push_back(Event::Fatal(error));
                return;
            }
        };
        if ended {
            self.reading -= 1;
            if let Some(shard) = self.shards.get_mut(&cursor.shard_id) {
                shard.status = Status::Done;
            }
            self.ready.push_back(Event::Finished(cursor.shard_id));
            // Its children may be new: list the shards again (within the describe rate).
            self.want_listing = true;
        } else {
            self.steps.push(Box::pin(step(self.context.clone(), cursor)));
        }
    }

    fn decode(&mut self, shard_id: &str, records: &[aws_sdk_dynamodbstreams::types::Record]) {
        for record in records {
            let sequence = record.dynamodb.as_ref().and_then(|r| r.sequence_number.clone());
            let change = self.decoder.decode_record(record, Some(shard_id));
            self.ready
                .push_back(Event::Change(change, shard_id.to_owned(), sequence));
        }
    }

    /// Whether every shard known is closed and read, and the shards were listed since.
    fn all_read(&self) -> bool {
        !self.want_listing
            && self.listing.is_none()
            && self.reading == 0
            && self.listings > 0
            && self.shards.values().all(|s| s.status == Status::Done)
    }

    fn fail(&mut self, error: Error) {
        self.ready.push_back(Event::Fatal(error));
    }
}

// No field is ever pinned in place: the futures are boxed.
impl<T: Item> Unpin for ChangeStream<T> {}

impl<T: Item> Stream for ChangeStream<T> {
    type Item = Result<Change<T>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(event) = this.ready.pop_front() {
                match event {
                    Event::Change(change, shard, sequence) => {
                        if let Some(sequence) = sequence {
                            this.checkpoint.advance_to(&shard, &sequence);
                        }
                        return Poll::Ready(Some(change));
                    }
                    Event::Finished(shard) => {
                        this.checkpoint.set(shard, ShardPosition::Finished);
                        this.checkpoint.prune(&this.children);
                        continue;
                    }
                    Event::Fatal(error) => {
                        this.ended = true;
                        this.ready.clear();
                        return Poll::Ready(Some(Err(error)));
                    }
                }
            }
            if this.ended {
                return Poll::Ready(None);
            }
            if let Some(arn) = this.arn.as_mut() {
                match arn.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(error)) => {
                        this.arn = None;
                        this.fail(error);
                        continue;
                    }
                    Poll::Ready(Ok(found)) => {
                        this.arn = None;
                        if let Ok(mut arn) = this.context.arn.lock() {
                            *arn = Some(found);
                        }
                        this.arn_known = true;
                    }
                }
            }
            if this.listing.is_none() && this.want_listing {
                this.want_listing = false;
                this.listing = Some(Box::pin(list_shards(this.context.clone())));
            }
            let mut progressed = false;
            if let Some(listing) = this.listing.as_mut()
                && let Poll::Ready(listed) = listing.as_mut().poll(cx)
            {
                this.listing = None;
                progressed = true;
                match listed {
                    Ok(listed) => {
                        this.listings += 1;
                        this.merge(listed);
                        let config = this.context.config.clone();
                        let every = this.context.options.discovery_interval;
                        this.timer = Some(Box::pin(async move { sleep(&config, every).await }));
                    }
                    Err(error) => this.fail(error),
                }
            }
            if this.listings > 0 {
                this.start_ready_shards();
            }
            if let Poll::Ready(Some((cursor, outcome))) = this.steps.poll_next_unpin(cx) {
                this.handle(cursor, outcome);
                continue;
            }
            if let Some(timer) = this.timer.as_mut()
                && let Poll::Ready(waited) = timer.as_mut().poll(cx)
            {
                this.timer = None;
                match waited {
                    Ok(()) => this.want_listing = true,
                    Err(error) => this.fail(error),
                }
                continue;
            }
            if progressed {
                continue;
            }
            if this.all_read() && this.ready.is_empty() {
                return Poll::Ready(None);
            }
            return Poll::Pending;
        }
    }
}
