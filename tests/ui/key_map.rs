use std::collections::HashMap;

use dynamodb_mapper::Item;

#[derive(Item)]
struct Order {
    #[partition_key]
    id: String,
    #[index_partition_key("by_labels")]
    labels: HashMap<String, String>,
}

fn main() {}
