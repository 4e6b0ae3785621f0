use dynamodb_mapper::Item;

#[derive(Item)]
struct Session {
    #[partition_key]
    #[default]
    id: String,
}

fn main() {}
