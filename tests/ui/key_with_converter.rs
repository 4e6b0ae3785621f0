use dynamodb_mapper::Item;

#[derive(Item)]
struct Session {
    #[partition_key]
    #[attribute(with = dynamodb_mapper::value::epoch_seconds)]
    started: u64,
}

fn main() {}
