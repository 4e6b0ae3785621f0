use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[attribute(version)]
    version: Option<u64>,
}

fn main() {}
