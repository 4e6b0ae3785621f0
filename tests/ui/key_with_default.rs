use dynamodb_mapper::Item;

#[derive(Item)]
struct Session {
    #[partition_key]
    #[attribute(default)]
    id: String,
}

fn main() {}
