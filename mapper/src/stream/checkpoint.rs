//! [`Checkpoint`]: where a change-stream reader is in each shard of a stream, to save and to
//! resume from.

use std::collections::BTreeMap;

use super::Change;
use crate::item::Item;

/// Where reading stands in one shard.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum ShardPosition {
    /// Nothing of the shard processed yet: read it from its oldest record (`TRIM_HORIZON`).
    Start,
    /// Nothing of the shard processed yet, and reading began at its newest end (`LATEST`):
    /// resuming reads from its newest end again, so changes written meanwhile are missed.
    Latest,
    /// Every record up to and including this sequence number processed: resume right after it
    /// (`AFTER_SEQUENCE_NUMBER`).
    After(String),
    /// The shard is closed and every record of it processed; its children come next.
    Finished,
}

/// The position of a change-stream reader in every shard it has started: shard id →
/// [`ShardPosition`] (for most shards, the sequence number of the last change processed).
///
/// Take it from the reader ([`ChangeStream::checkpoint`](super::ChangeStream::checkpoint))
/// whenever you want to save it — after each change, every N changes, or on shutdown — and
/// give it back to [`ChangeReader::from_checkpoint`](super::ChangeReader::from_checkpoint)
/// to resume: every change after it is read, each exactly once. It only ever counts changes
/// the stream has *yielded*, never records read ahead. With the `serde` feature it is
/// `Serialize` and `Deserialize` (save it as JSON, in a table, in a file).
///
/// A finished shard (closed, every record processed) stays in the checkpoint until each of
/// its children has an entry, so that a resumed reader knows those children come next;
/// then it drops out, keeping the checkpoint as small as the stream's open shards.
///
/// ```
/// use dynamodb_mapper::stream::{Checkpoint, ShardPosition};
///
/// let mut checkpoint = Checkpoint::new();
/// checkpoint.set("shardId-0001", ShardPosition::After("100".into()));
/// assert_eq!(checkpoint.sequence_number("shardId-0001"), Some("100"));
/// assert_eq!(checkpoint.len(), 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Checkpoint {
    shards: BTreeMap<String, ShardPosition>,
}

impl Checkpoint {
    /// An empty checkpoint: a reader given it reads every shard from its oldest record.
    pub fn new() -> Self {
        Checkpoint::default()
    }

    /// The position in `shard_id`, if the checkpoint has one.
    pub fn position(&self, shard_id: &str) -> Option<&ShardPosition> {
        self.shards.get(shard_id)
    }

    /// The sequence number of the last change processed in `shard_id`, if any.
    pub fn sequence_number(&self, shard_id: &str) -> Option<&str> {
        match self.shards.get(shard_id) {
            Some(ShardPosition::After(sequence)) => Some(sequence),
            _ => None,
        }
    }

    /// Every shard and its position, in shard id order.
    pub fn shards(&self) -> impl Iterator<Item = (&str, &ShardPosition)> {
        self.shards.iter().map(|(id, position)| (id.as_str(), position))
    }

    /// How many shards the checkpoint holds.
    pub fn len(&self) -> usize {
        self.shards.len()
    }

    /// Whether it holds no shard.
    pub fn is_empty(&self) -> bool {
        self.shards.is_empty()
    }

    /// Sets the position in `shard_id`.
    pub fn set(&mut self, shard_id: impl Into<String>, position: ShardPosition) {
        self.shards.insert(shard_id.into(), position);
    }

    /// Forgets `shard_id`: a reader resuming from the checkpoint reads it as a shard it
    /// never saw. Returns its position.
    pub fn remove(&mut self, shard_id: &str) -> Option<ShardPosition> {
        self.shards.remove(shard_id)
    }

    /// Records `change` as processed: its shard's position moves to its sequence number.
    /// A change without a shard id (one decoded from a Lambda event) leaves the checkpoint
    /// as it is, and so does one older than the position already held. The reader's own
    /// checkpoint also records the ends of shards; this only the changes.
    pub fn advance<T: Item>(&mut self, change: &Change<T>) {
        if let Some(shard) = &change.shard_id {
            self.advance_to(shard, &change.sequence_number);
        }
    }

    /// Moves `shard_id`'s position to `sequence_number`, unless it already stands later.
    pub(crate) fn advance_to(&mut self, shard_id: &str, sequence_number: &str) {
        match self.shards.get_mut(shard_id) {
            Some(ShardPosition::Finished) => {}
            Some(ShardPosition::After(current)) if !sequence_before(current, sequence_number) => {}
            Some(position) => *position = ShardPosition::After(sequence_number.to_owned()),
            None => {
                self.shards
                    .insert(shard_id.to_owned(), ShardPosition::After(sequence_number.to_owned()));
            }
        }
    }

    /// Adds `shard_id` at `position` if the checkpoint has nothing for it yet.
    #[cfg(feature = "streams")]
    pub(crate) fn start(&mut self, shard_id: &str, position: ShardPosition) {
        self.shards.entry(shard_id.to_owned()).or_insert(position);
    }

    /// Drops each finished shard every child of which (`children`: parent → children) has an
    /// entry.
    #[cfg(feature = "streams")]
    pub(crate) fn prune(&mut self, children: &std::collections::HashMap<String, Vec<String>>) {
        let done: Vec<String> = self
            .shards
            .iter()
            .filter(|(id, position)| {
                **position == ShardPosition::Finished
                    && children
                        .get(id.as_str())
                        .is_some_and(|kids| !kids.is_empty() && kids.iter().all(|k| self.shards.contains_key(k)))
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in done {
            self.shards.remove(&id);
        }
    }
}

/// Whether sequence number `a` comes before `b` in a shard: sequence numbers are decimal
/// strings of up to 40 digits, compared by length, then digit by digit.
pub(crate) fn sequence_before(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    (a.len(), a) < (b.len(), b)
}

#[cfg(test)]
mod tests {
    #[cfg(feature = "streams")]
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn sequence_numbers_compare_as_numbers() {
        assert!(sequence_before("9", "10"));
        assert!(sequence_before("0099", "100"));
        assert!(!sequence_before("100", "100"));
        assert!(!sequence_before("200", "100"));
    }

    #[test]
    #[cfg(feature = "streams")]
    fn positions_only_move_forward_and_finished_shards_drop_out_after_their_children() {
        let mut checkpoint = Checkpoint::new();
        checkpoint.advance_to("a", "20");
        checkpoint.advance_to("a", "10");
        assert_eq!(checkpoint.sequence_number("a"), Some("20"));
        checkpoint.set("a", ShardPosition::Finished);
        let children = HashMap::from([("a".to_owned(), vec!["b".to_owned(), "c".to_owned()])]);
        checkpoint.start("b", ShardPosition::Start);
        checkpoint.prune(&children);
        assert_eq!(
            checkpoint.position("a"),
            Some(&ShardPosition::Finished),
            "c has no entry yet"
        );
        checkpoint.start("c", ShardPosition::Start);
        checkpoint.prune(&children);
        assert_eq!(checkpoint.position("a"), None);
        assert_eq!(checkpoint.len(), 2);
    }
}
