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
    #[sort_key]
    audit: Audit,
}

fn main() {}
