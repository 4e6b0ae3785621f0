use dynamodb_mapper::{Item, Table};

#[derive(Item, Clone)]
#[item(table = "orders")]
struct Order {
    #[partition_key]
    id: String,
    status: String,
}

fn patch(orders: Table<Order>) {
    let _ = orders.patch("o-1").add(&Order::fields().status, "x");
}

fn main() {
    let _ = patch;
}
