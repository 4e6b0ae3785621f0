use std::collections::HashSet;

use dynamodb_mapper::Item;

#[derive(Item)]
struct Order {
    #[partition_key]
    id: String,
    #[sort_key]
    labels: HashSet<String>,
}

fn main() {}
