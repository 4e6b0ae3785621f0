use dynamodb_mapper::Item;

#[derive(Item)]
struct Session {
    #[partition_key]
    #[update_behavior(write_if_not_exists)]
    id: String,
}

fn main() {}
