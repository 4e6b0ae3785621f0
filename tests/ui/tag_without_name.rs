use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[tag(pii)]
    email: String,
}

fn main() {}
