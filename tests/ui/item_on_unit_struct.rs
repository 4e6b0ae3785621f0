use dynamodb_mapper::Item;

#[derive(Item)]
struct Marker;

fn main() {}
