use dynamodb_mapper::Item;

#[derive(Item)]
#[item(table = "")]
struct Customer {
    #[partition_key]
    id: String,
}

fn main() {}
