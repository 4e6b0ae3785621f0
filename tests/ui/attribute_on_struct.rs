use dynamodb_mapper::Item;

#[derive(Item)]
#[attribute(rename = "customers")]
struct Customer {
    #[partition_key]
    id: String,
}

fn main() {}
