use dynamodb_mapper::{Attributes, Item};

#[derive(Attributes)]
enum Tier {
    Free,
}

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[attribute(default)]
    tier: Tier,
}

fn main() {}
