use dynamodb_mapper::{Item, Table};

#[derive(Item, Clone)]
#[item(table = "orders")]
struct Order {
    #[partition_key]
    id: String,
    total: u64,
}

#[derive(Item, Clone)]
#[item(table = "customers")]
struct Customer {
    #[partition_key]
    id: String,
    email: String,
}

fn write(orders: Table<Order>, order: Order) {
    let _ = orders.put(&order).condition(Customer::fields().email.eq("a@b.c"));
}

fn main() {
    let _ = write;
}
