use dynamodb_mapper::Item;

#[derive(Item)]
struct Order {
    #[partition_key]
    id: Option<String>,
}

fn main() {}
