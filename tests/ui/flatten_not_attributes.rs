use dynamodb_mapper::Item;

#[derive(Item)]
struct Session {
    #[partition_key]
    id: String,
    #[attribute(flatten)]
    audit: String,
}

fn main() {}
