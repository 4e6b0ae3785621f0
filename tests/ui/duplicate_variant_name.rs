use dynamodb_mapper::Attributes;

#[derive(Attributes)]
enum Tier {
    Free,
    #[attribute(rename = "Free")]
    Trial,
}

fn main() {}
