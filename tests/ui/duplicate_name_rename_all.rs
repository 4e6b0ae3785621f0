use dynamodb_mapper::Item;

#[derive(Item)]
#[item(rename_all = "lowercase")]
struct Customer {
    #[partition_key]
    id: String,
    first_name: String,
    firstname: String,
}

fn main() {}
