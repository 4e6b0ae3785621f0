use dynamodb_mapper::Item;

#[derive(Item)]
struct Doc {
    #[partition_key]
    id: String,
    #[version(start_at = 1000)]
    version: Option<u8>,
}

fn main() {}
