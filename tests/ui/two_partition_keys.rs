use dynamodb_mapper::Item;

#[derive(Item)]
struct Order {
    #[partition_key]
    customer: String,
    #[partition_key]
    order: String,
}

fn main() {}
