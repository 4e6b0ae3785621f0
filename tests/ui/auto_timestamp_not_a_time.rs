use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[auto_timestamp]
    updated: String,
}

fn main() {}
