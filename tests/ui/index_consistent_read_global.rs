use dynamodb_mapper::{Item, Table};

#[derive(Item, Clone)]
#[item(table = "orders")]
struct Order {
    #[partition_key]
    customer: String,
    #[sort_key]
    id: String,
    #[index_partition_key("by_status")]
    status: String,
    #[index_sort_key("by_total")]
    total: u64,
}

fn read(orders: Table<Order>) {
    // A local index reads consistently; a global index does not.
    let _ = orders.index(Order::BY_TOTAL).query("ana").consistent_read();
    let _ = orders.index(Order::BY_STATUS).query("open").consistent_read();
}

fn main() {
    let _ = read;
}
