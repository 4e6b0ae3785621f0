use dynamodb_mapper::Item;

struct Cache;

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[attribute(skip)]
    cache: Cache,
}

fn main() {}
