use dynamodb_mapper::Item;

#[derive(Item)]
#[item(rename_all = "camelCase")]
#[allow(non_snake_case)]
struct Customer {
    #[partition_key]
    id: String,
    first_name: String,
    firstName: String,
}

fn main() {}
