use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key]
    #[partition_key]
    id: String,
}

fn main() {}
