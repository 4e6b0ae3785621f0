use dynamodb_mapper::Item;

#[derive(Item, Clone)]
#[item(table = "orders")]
struct Order {
    #[partition_key]
    id: String,
    total: u64,
}

fn main() {
    let _ = Order::fields().total.eq("abc");
}
