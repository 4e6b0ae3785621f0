use dynamodb_mapper::Item;

#[derive(Item)]
struct Session {
    #[partition_key]
    id: String,
    #[attribute(skip)]
    #[version]
    version: Option<u64>,
}

fn main() {}
