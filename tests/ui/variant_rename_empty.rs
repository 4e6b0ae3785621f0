use dynamodb_mapper::Attributes;

#[derive(Attributes)]
enum Tier {
    #[attribute(rename = "")]
    Free,
    Pro,
}

fn main() {}
