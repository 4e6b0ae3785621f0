use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    id: String,
    name: String,
}

fn main() {}
