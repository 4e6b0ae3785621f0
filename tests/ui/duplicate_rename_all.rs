use dynamodb_mapper::Item;

#[derive(Item)]
#[item(rename_all = "camelCase", rename_all = "snake_case")]
struct Customer {
    #[partition_key]
    id: String,
}

fn main() {}
