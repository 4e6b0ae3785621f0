use dynamodb_mapper::Item;

#[derive(Item)]
struct Session {
    #[partition_key]
    #[attribute(serde)]
    id: String,
}

fn main() {}
