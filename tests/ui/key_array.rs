use dynamodb_mapper::Item;

#[derive(Item)]
struct Order {
    #[partition_key]
    id: [u8; 16],
}

fn main() {}
