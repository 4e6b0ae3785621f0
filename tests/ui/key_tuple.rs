use dynamodb_mapper::Item;

#[derive(Item)]
struct Order {
    #[partition_key]
    id: (String, u32),
}

fn main() {}
