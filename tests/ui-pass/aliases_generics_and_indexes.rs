//! Types the derive cannot see through (aliases, type parameters) are checked by trait bounds,
//! not refused; index keys may be optional (sparse indexes) and a global index may use the
//! table's partition key field; index keys may be generic or carry lifecycle attributes.

use chrono::{DateTime, Utc};
use dynamodb_mapper::schema::IndexKind;
use dynamodb_mapper::value::{TimeFormat, UnixMillis};
use dynamodb_mapper::{Item, schema::Tag};

type Version = u64;
type Timestamp = DateTime<Utc>;
type Millis = UnixMillis;
type Id = String;

#[derive(Item)]
struct Saga {
    #[partition_key]
    #[index_partition_key("correlation")]
    saga_name: Id,
    #[sort_key]
    saga_id: String,
    #[index_sort_key("correlation")]
    correlation_id: String,
    #[index_partition_key("by_owner")]
    owner: Option<String>,
    #[version]
    version: Option<Version>,
    #[auto_timestamp]
    updated_at: Option<Timestamp>,
    #[auto_uuid]
    token: Option<Id>,
}

#[derive(Item)]
struct Ranked<T> {
    #[partition_key]
    id: String,
    #[index_partition_key("by_rank")]
    rank: T,
    #[index_sort_key("by_rank")]
    #[auto_timestamp]
    updated_at: Option<DateTime<Utc>>,
    #[index_partition_key("by_score")]
    #[atomic_counter]
    score: i64,
}

/// A timestamp of a type parameter or an alias: its format comes from the type.
#[derive(Item)]
struct Stamped<T> {
    #[partition_key]
    id: String,
    #[auto_timestamp]
    at: Option<T>,
    #[auto_timestamp]
    #[update_behavior(write_if_not_exists)]
    created: Millis,
}

#[derive(Item)]
struct Expiring<T> {
    #[partition_key]
    id: String,
    #[ttl]
    expires_at: T,
}

fn main() {
    let correlation = Saga::TABLE.index("correlation").unwrap();
    assert_eq!(correlation.kind, IndexKind::Global);
    assert_eq!(Saga::TABLE.index("by_owner").unwrap().kind, IndexKind::Global);
    let version = Saga::TABLE.attribute("version").unwrap();
    assert!(matches!(version.tags[0], Tag::Version { max, .. } if max == u64::MAX as u128));
    let _ = Expiring::<i64>::TABLE.ttl_attribute();
    assert_eq!(Ranked::<u32>::TABLE.indexes.len(), 2);
    let _ = Expiring::<Option<DateTime<Utc>>>::TABLE;
    let stamped = Stamped::<dynamodb_mapper::value::JavaInstant>::TABLE;
    let format = |name: &str| {
        stamped.attribute(name).unwrap().tags.iter().find_map(|t| match t {
            Tag::AutoTimestamp { format, .. } => Some(*format),
            _ => None,
        })
    };
    assert_eq!(format("at"), Some(TimeFormat::Java));
    assert_eq!(format("created"), Some(TimeFormat::Millis));
}
