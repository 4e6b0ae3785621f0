use dynamodb_mapper::Item;

struct Money {
    cents: u64,
}

#[derive(Item)]
struct Order {
    #[partition_key]
    id: String,
    total: Money,
}

fn main() {}
