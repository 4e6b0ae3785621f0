use dynamodb_mapper::Item;

#[derive(Item)]
struct Doc {
    #[partition_key]
    id: String,
    #[attribute(default)]
    #[attribute(serde)]
    meta: Vec<(String, u32)>,
}

fn main() {}
