//! [`Change<T>`]: one stream record, typed.

use std::fmt;
use std::time::SystemTime;

use aws_sdk_dynamodb::types::StreamViewType;

use crate::item::Item;

/// What happened to the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// A new item was written (`INSERT`).
    Insert,
    /// A stored item was changed (`MODIFY`).
    Modify,
    /// The item was deleted (`REMOVE`), by a request or by its time to live
    /// ([`Change::ttl_expired`]).
    Remove,
}

impl ChangeKind {
    /// The stream's name for it: `INSERT`, `MODIFY` or `REMOVE`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Insert => "INSERT",
            ChangeKind::Modify => "MODIFY",
            ChangeKind::Remove => "REMOVE",
        }
    }

    /// The kind a stream's event name names; `None` for any other text.
    pub fn from_event_name(name: &str) -> Option<ChangeKind> {
        match name {
            "INSERT" => Some(ChangeKind::Insert),
            "MODIFY" => Some(ChangeKind::Modify),
            "REMOVE" => Some(ChangeKind::Remove),
            _ => None,
        }
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One change of one item, decoded from a stream record: what happened, the item's key, the
/// images the stream's view type carries as `T`, and where the record sits in its stream.
///
/// Images are decoded exactly as table reads decode items (the derive's conversions, then
/// the extensions' `after_read` before them). Which images are there follows the view type,
/// never the record's shape:
///
/// | view type | `INSERT` | `MODIFY` | `REMOVE` |
/// |---|---|---|---|
/// | `KEYS_ONLY` | key | key | key |
/// | `NEW_IMAGE` | `new` | `new` | key |
/// | `OLD_IMAGE` | key | `old` | `old` |
/// | `NEW_AND_OLD_IMAGES` | `new` | `old`, `new` | `old` |
///
/// Made by a [`ChangeDecoder`](super::ChangeDecoder).
#[non_exhaustive]
pub struct Change<T: Item> {
    /// Insert, modify or remove.
    pub kind: ChangeKind,
    /// The item's primary key (always there, whatever the view type).
    pub key: T::Key,
    /// The item before the change: a `MODIFY` or `REMOVE` on a stream with old images.
    pub old: Option<T>,
    /// The item after the change: an `INSERT` or `MODIFY` on a stream with new images.
    pub new: Option<T>,
    /// What the stream writes of each change, when the record says (every DynamoDB Streams
    /// record does).
    pub view: Option<StreamViewType>,
    /// A unique id of the event.
    pub event_id: String,
    /// The shard the record was read from, when known (a reader of the stream knows it; a
    /// Lambda event does not say).
    pub shard_id: Option<String>,
    /// The record's sequence number in its shard: a checkpoint, or the identifier of a failed
    /// record in a Lambda partial-batch response.
    pub sequence_number: String,
    /// When the change was written to the stream, approximately (to the second), when the
    /// record says.
    pub approximate_creation_time: Option<SystemTime>,
    /// The record's size in bytes, when the record says.
    pub size_bytes: Option<u64>,
    /// Whether this is a `REMOVE` by DynamoDB's time-to-live process (the record's user
    /// identity is the service `dynamodb.amazonaws.com`), not by a request.
    pub ttl_expired: bool,
}

impl<T: Item> Change<T> {
    /// The item as it is after the change: the new image, else the old one (a `REMOVE`, or a
    /// stream without new images); `None` on a `KEYS_ONLY` stream.
    pub fn item(&self) -> Option<&T> {
        self.new.as_ref().or(self.old.as_ref())
    }
}

impl<T> fmt::Debug for Change<T>
where
    T: Item + fmt::Debug,
    T::Key: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Change")
            .field("kind", &self.kind)
            .field("key", &self.key)
            .field("old", &self.old)
            .field("new", &self.new)
            .field("view", &self.view)
            .field("event_id", &self.event_id)
            .field("shard_id", &self.shard_id)
            .field("sequence_number", &self.sequence_number)
            .field("approximate_creation_time", &self.approximate_creation_time)
            .field("size_bytes", &self.size_bytes)
            .field("ttl_expired", &self.ttl_expired)
            .finish()
    }
}

impl<T> Clone for Change<T>
where
    T: Item + Clone,
    T::Key: Clone,
{
    fn clone(&self) -> Self {
        Change {
            kind: self.kind,
            key: self.key.clone(),
            old: self.old.clone(),
            new: self.new.clone(),
            view: self.view.clone(),
            event_id: self.event_id.clone(),
            shard_id: self.shard_id.clone(),
            sequence_number: self.sequence_number.clone(),
            approximate_creation_time: self.approximate_creation_time,
            size_bytes: self.size_bytes,
            ttl_expired: self.ttl_expired,
        }
    }
}

impl<T> PartialEq for Change<T>
where
    T: Item + PartialEq,
    T::Key: PartialEq,
{
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
            && self.key == other.key
            && self.old == other.old
            && self.new == other.new
            && self.view == other.view
            && self.event_id == other.event_id
            && self.shard_id == other.shard_id
            && self.sequence_number == other.sequence_number
            && self.approximate_creation_time == other.approximate_creation_time
            && self.size_bytes == other.size_bytes
            && self.ttl_expired == other.ttl_expired
    }
}
