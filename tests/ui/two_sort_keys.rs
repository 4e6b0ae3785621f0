use dynamodb_mapper::Item;

#[derive(Item)]
struct Order {
    #[partition_key]
    customer: String,
    #[sort_key]
    created: u64,
    #[sort_key]
    order: String,
}

fn main() {}
