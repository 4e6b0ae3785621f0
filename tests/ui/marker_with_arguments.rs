use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key("id")]
    id: String,
}

fn main() {}
