use dynamodb_mapper::Item;

#[derive(Item)]
#[item(crate = "not a path")]
struct Customer {
    #[partition_key]
    id: String,
}

fn main() {}
