use dynamodb_mapper::Item;

#[derive(Item)]
struct Order {
    #[partition_key]
    id: String,
    #[sort_key]
    shipped: bool,
}

fn main() {}
