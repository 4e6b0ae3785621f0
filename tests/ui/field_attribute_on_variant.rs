use dynamodb_mapper::Attributes;

#[derive(Attributes)]
enum Tier {
    #[partition_key]
    Free,
    Pro,
}

fn main() {}
