use dynamodb_mapper::Item;

#[derive(Item)]
struct Order {
    #[partition_key]
    #[sort_key]
    id: String,
}

fn main() {}
