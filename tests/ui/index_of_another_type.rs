use dynamodb_mapper::{Item, Table};

#[derive(Item, Clone)]
#[item(table = "orders")]
struct Order {
    #[partition_key]
    id: String,
    #[index_partition_key("by_status")]
    status: String,
}

#[derive(Item, Clone)]
#[item(table = "customers")]
struct Customer {
    #[partition_key]
    id: String,
    #[index_partition_key("by_email")]
    email: String,
}

fn read(orders: Table<Order>) {
    let _ = orders.index(Customer::BY_EMAIL);
}

fn main() {
    let _ = read;
}
