use dynamodb_mapper::Attributes;

#[derive(Attributes)]
enum Tier {
    #[attribute(renam = "FREE")]
    Free,
    Pro,
}

fn main() {}
