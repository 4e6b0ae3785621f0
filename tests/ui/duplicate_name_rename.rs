use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    email: String,
    #[attribute(rename = "email")]
    contact: String,
}

fn main() {}
