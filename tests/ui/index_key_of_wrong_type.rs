use dynamodb_mapper::{Item, Table};

#[derive(Item, Clone)]
#[item(table = "orders")]
struct Order {
    #[partition_key]
    id: String,
    #[index_partition_key("by_status")]
    status: String,
    #[index_sort_key("by_status")]
    placed: u64,
}

fn read(orders: Table<Order>) {
    let _ = orders.index(Order::BY_STATUS).query(42);
    let _ = orders.index(Order::BY_STATUS).query("open").sort_gt("yesterday");
}

fn main() {
    let _ = read;
}
