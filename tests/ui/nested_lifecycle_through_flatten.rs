use dynamodb_mapper::{Attributes, Item};

#[derive(Attributes)]
struct Audit {
    #[version]
    version: Option<u64>,
}

/// Flattening carries the version into `Wrapper`, which is then stored as a map.
#[derive(Attributes)]
struct Wrapper {
    #[attribute(flatten)]
    audit: Audit,
}

#[derive(Item)]
struct Order {
    #[partition_key]
    id: String,
    wrapper: Wrapper,
}

fn main() {}
