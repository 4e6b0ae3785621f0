use dynamodb_mapper::Item;

#[derive(Item)]
struct CustomerId(String);

fn main() {}
