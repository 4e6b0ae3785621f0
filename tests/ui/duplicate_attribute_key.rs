use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[attribute(rename = "mail", rename = "email")]
    email: String,
}

fn main() {}
