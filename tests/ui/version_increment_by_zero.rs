use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[version(increment_by = 0)]
    version: Option<u64>,
}

fn main() {}
