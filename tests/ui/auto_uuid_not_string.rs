use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key]
    #[auto_uuid]
    id: u64,
}

fn main() {}
