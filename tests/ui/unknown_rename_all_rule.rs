use dynamodb_mapper::Item;

#[derive(Item)]
#[item(rename_all = "camelcase")]
struct Customer {
    #[partition_key]
    id: String,
}

fn main() {}
