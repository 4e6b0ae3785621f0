use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[version]
    #[atomic_counter]
    version: Option<u64>,
}

fn main() {}
