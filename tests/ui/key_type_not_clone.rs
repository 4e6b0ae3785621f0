use dynamodb_mapper::{Attributes, Item};

#[derive(Attributes)]
enum Region {
    Eu,
    Us,
}

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[sort_key]
    region: Region,
}

fn main() {}
