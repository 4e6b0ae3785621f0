use dynamodb_mapper::Item;

#[derive(Item)]
struct Session {
    #[partition_key]
    id: String,
    #[attribute(with = dynamodb_mapper::value::epoch_seconds, serde)]
    started: u64,
}

fn main() {}
