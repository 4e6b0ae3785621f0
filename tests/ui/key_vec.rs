use dynamodb_mapper::Item;

#[derive(Item)]
struct Order {
    #[partition_key]
    ids: Vec<String>,
}

fn main() {}
