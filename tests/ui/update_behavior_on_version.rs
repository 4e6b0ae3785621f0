use dynamodb_mapper::Item;

#[derive(Item)]
struct Doc {
    #[partition_key]
    id: String,
    #[version]
    #[update_behavior(write_if_not_exists)]
    version: Option<u64>,
}

fn main() {}
