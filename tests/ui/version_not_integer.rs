use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[version]
    version: Option<String>,
}

fn main() {}
