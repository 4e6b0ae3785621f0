use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[update_behavior]
    created_by: String,
}

fn main() {}
