use std::collections::HashMap;

use chrono::{DateTime, Utc};
use dynamodb_mapper::value::{FromAttributeValue, KeyAttribute, ToAttributeValue};
use dynamodb_mapper::{Attributes, Item, KeyFrom};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Attributes, Debug, Clone, Copy, PartialEq)]
#[item(rename_all = "SCREAMING_SNAKE_CASE")]
enum Tier {
    Free,
    #[attribute(rename = "PREMIUM")]
    Pro,
}

#[derive(Attributes, Debug, Clone, PartialEq)]
#[item(rename_all = "camelCase")]
struct Address {
    street_name: String,
    #[attribute(default)]
    city: String,
}

#[derive(Attributes, Debug, Clone, PartialEq, Default)]
struct Audit {
    created_by: String,
    #[auto_timestamp]
    created_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
enum Payment {
    Cash,
    Card { last4: String },
}

#[derive(Item, Debug, Clone, PartialEq)]
#[item(table = "customers", rename_all = "snake_case", crate = "dynamodb_mapper")]
#[item(index(name = "by_email", projection = "keys_only"), index(name = "by_created", include("version", "credits")))]
#[item(index(name = "by_email_tier", projection = "all"))]
struct Customer {
    #[partition_key]
    #[auto_uuid]
    id: Uuid,
    #[sort_key]
    #[index_sort_key("by_email")]
    region: String,
    #[index_partition_key("by_email")]
    #[index_partition_key("by_email_tier")]
    #[attribute(rename = "e-mail")]
    email: String,
    #[index_sort_key("by_email_tier")]
    tier: Tier,
    #[index_sort_key("by_created")]
    created: u64,
    #[version(start_at = 1, increment_by = 2)]
    version: Option<u64>,
    #[atomic_counter(start = 100, inc = -1)]
    credits: i64,
    #[atomic_counter]
    logins: Option<u32>,
    #[auto_timestamp]
    #[update_behavior(write_always)]
    updated_at: DateTime<Utc>,
    #[auto_uuid]
    request: Option<String>,
    #[ttl]
    expires: Option<DateTime<Utc>>,
    #[update_behavior(write_if_not_exists)]
    #[tag("immutable")]
    #[tag("pii")]
    created_by: String,
    #[attribute(with = dynamodb_mapper::value::epoch_seconds)]
    last_seen: DateTime<Utc>,
    #[attribute(with = "dynamodb_mapper::value::epoch_seconds")]
    first_seen: i64,
    #[attribute(serde)]
    payment: Payment,
    #[attribute(default)]
    settings: HashMap<String, String>,
    address: Option<Address>,
    #[attribute(flatten)]
    audit: Audit,
    #[attribute(skip)]
    cache: Vec<String>,
    r#type: String,
}

#[derive(Item, Debug, Clone, PartialEq)]
struct Event<K, S, P>
where
    S: Clone,
{
    #[partition_key]
    stream: K,
    #[sort_key]
    seq: S,
    payload: P,
    #[index_partition_key("by_source")]
    source: String,
    #[attribute(skip)]
    scratch: Option<P>,
}

#[derive(Item, Debug, Clone, PartialEq)]
struct Tagged<T: Clone + Default, U> {
    #[partition_key]
    id: String,
    #[ttl]
    expires: u64,
    #[attribute(default)]
    labels: Vec<T>,
    #[attribute(skip)]
    scratch: T,
    #[attribute(serde)]
    extra: U,
}

fn assert_item<T: Item + 'static>() {}

fn assert_key<T: KeyFrom<K>, K>() {}

fn assert_value<T: ToAttributeValue + FromAttributeValue + KeyAttribute>() {}

/// Typed paths of every kind of field: stored names after renames and flattening, converters,
/// nested structs, map entries, generic item types.
fn typed_paths() {
    let f = Customer::fields();
    assert_eq!(f.email.path().to_string(), "e-mail");
    assert_eq!(f.r#type.path().to_string(), "type");
    assert_eq!(f.audit.nested(|a| a.created_by).path().to_string(), "created_by");
    assert_eq!(f.address.nested(|a| a.street_name).path().to_string(), "address.streetName");
    assert_eq!(f.settings.key("theme").path().to_string(), "settings.theme");
    let _ = f.expires.lt(Utc::now()).and(f.last_seen.eq(Utc::now()));
    let _ = f.payment.eq(Payment::Cash).or(f.tier.is_in([Tier::Free, Tier::Pro]));
    let _ = f.credits.ge(0).and(f.logins.exists()).and(f.version.eq(3));
    let _ = f.settings.key("theme").eq("dark").and(f.first_seen.ne(0));
    let e = Event::<String, u64, Vec<u8>>::fields();
    let _ = e.seq.gt(3).and(e.payload.begins_with(b"\x01".as_slice()));
    let t = Tagged::<String, Payment>::fields();
    let _ = t.labels.contains("x").and(t.expires.lt(5)).and(t.labels.size().le(10));
}

fn main() {
    typed_paths();
    assert_item::<Customer>();
    assert_key::<Customer, (Uuid, &str)>();
    assert_item::<Event<String, u64, Vec<u8>>>();
    assert_key::<Event<String, u64, Vec<u8>>, (&str, u64)>();
    assert_item::<Tagged<String, Payment>>();
    assert_value::<Tier>();
    use dynamodb_mapper::schema::Projection;
    let projection = |name| Customer::TABLE.index(name).unwrap().projection;
    assert_eq!(projection("by_email"), Projection::KeysOnly);
    assert_eq!(projection("by_created"), Projection::Include(&["version", "credits"]));
    assert_eq!(projection("by_email_tier"), Projection::All);
}
