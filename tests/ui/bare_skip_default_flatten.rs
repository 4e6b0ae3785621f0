use dynamodb_mapper::{Attributes, Item};

#[derive(Attributes, Default)]
struct Audit {
    by: String,
}

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[skip]
    cache: String,
    #[default]
    notes: Vec<String>,
    #[flatten]
    audit: Audit,
}

fn main() {}
