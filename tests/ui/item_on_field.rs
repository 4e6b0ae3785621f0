use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key]
    #[item(table = "customers")]
    id: String,
}

fn main() {}
