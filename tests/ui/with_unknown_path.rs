use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[attribute(with = no_such_module)]
    email: String,
}

fn main() {}
