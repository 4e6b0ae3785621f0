use dynamodb_mapper::{Attributes, Item};

#[derive(Attributes)]
struct Audit {
    created_by: String,
}

#[derive(Item)]
struct Session {
    #[partition_key]
    id: String,
    #[attribute(flatten)]
    #[attribute(rename = "audit_info")]
    audit: Audit,
}

fn main() {}
