use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[version]
    #[attribute(serde)]
    version: Option<u64>,
}

fn main() {}
