use std::collections::HashSet;

use dynamodb_mapper::{Item, Table};

#[derive(Item, Clone)]
#[item(table = "orders")]
struct Order {
    #[partition_key]
    id: String,
    tags: HashSet<String>,
}

fn patch(orders: Table<Order>) {
    let _ = orders
        .patch("o-1")
        .append(&Order::fields().tags, HashSet::from(["new".to_owned()]));
}

fn main() {
    let _ = patch;
}
