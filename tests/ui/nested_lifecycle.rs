use std::collections::HashMap;

use chrono::{DateTime, Utc};
use dynamodb_mapper::{Attributes, Item};

#[derive(Attributes)]
struct Versioned {
    #[version]
    version: Option<u64>,
}

#[derive(Attributes)]
struct Counted {
    #[atomic_counter]
    visits: i64,
}

#[derive(Attributes)]
struct Expiring {
    #[ttl]
    expires: Option<i64>,
}

#[derive(Attributes)]
struct Stamped {
    #[auto_timestamp]
    at: Option<DateTime<Utc>>,
}

#[derive(Attributes)]
struct Identified {
    #[auto_uuid]
    token: Option<String>,
}

#[derive(Item)]
struct Snapshot {
    #[partition_key]
    id: String,
}

#[derive(Item)]
struct Order {
    #[partition_key]
    id: String,
    versioned: Versioned,
    counted: Option<Counted>,
    expiring: Vec<Expiring>,
    stamped: HashMap<String, Stamped>,
    identified: Option<Vec<Identified>>,
    snapshot: Snapshot,
}

fn main() {}
