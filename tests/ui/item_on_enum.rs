use dynamodb_mapper::Item;

#[derive(Item)]
enum Tier {
    Free,
    Pro,
}

fn main() {}
