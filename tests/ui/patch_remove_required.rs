use dynamodb_mapper::{Item, Table};

#[derive(Item, Clone)]
#[item(table = "orders")]
struct Order {
    #[partition_key]
    id: String,
    status: String,
    note: Option<String>,
}

fn patch(orders: Table<Order>) {
    let f = Order::fields();
    let _ = orders.patch("o-1").remove(&f.note).remove(&f.status);
}

fn main() {
    let _ = patch;
}
