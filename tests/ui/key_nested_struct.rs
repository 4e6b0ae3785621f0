use dynamodb_mapper::{Attributes, Item};

#[derive(Attributes, Clone)]
struct Address {
    street: String,
    city: String,
}

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[sort_key]
    address: Address,
}

fn main() {}
