use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[version]
    version: Option<u64>,
    #[version]
    revision: Option<u64>,
}

fn main() {}
