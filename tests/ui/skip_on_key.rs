use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[sort_key]
    #[attribute(skip)]
    region: String,
}

fn main() {}
