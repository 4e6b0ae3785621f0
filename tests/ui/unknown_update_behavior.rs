use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[update_behavior(write_if_not_exist)]
    created_by: String,
}

fn main() {}
