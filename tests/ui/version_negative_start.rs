use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[version(start_at = -1)]
    version: Option<u64>,
}

fn main() {}
