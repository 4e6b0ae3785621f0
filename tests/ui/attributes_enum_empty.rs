use dynamodb_mapper::Attributes;

#[derive(Attributes)]
enum Never {}

fn main() {}
