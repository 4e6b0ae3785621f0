use dynamodb_mapper::Attributes;

#[derive(Attributes)]
#[item(table = "tiers")]
enum Tier {
    Free,
    Pro,
}

fn main() {}
