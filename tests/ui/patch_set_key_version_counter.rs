use dynamodb_mapper::{Item, Table};

#[derive(Item, Clone)]
#[item(table = "orders")]
struct Order {
    #[partition_key]
    id: String,
    #[version]
    version: Option<u64>,
    #[atomic_counter]
    views: u64,
}

fn patch(orders: Table<Order>) {
    let f = Order::fields();
    let _ = orders.patch("o-1").set(&f.id, "o-2");
    let _ = orders.patch("o-1").set(&f.version, 3);
    let _ = orders.patch("o-1").add(&f.views, 1);
}

fn main() {
    let _ = patch;
}
