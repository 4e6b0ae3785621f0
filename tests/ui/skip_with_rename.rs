use dynamodb_mapper::Item;

#[derive(Item)]
struct Session {
    #[partition_key]
    id: String,
    #[attribute(skip)]
    #[attribute(rename = "cache")]
    cached: String,
}

fn main() {}
