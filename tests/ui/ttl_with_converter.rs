use dynamodb_mapper::Item;

#[derive(Item)]
struct Session {
    #[partition_key]
    id: String,
    #[ttl]
    #[attribute(serde)]
    expires: u64,
}

fn main() {}
