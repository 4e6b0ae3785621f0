use dynamodb_mapper::Item;

#[derive(Item)]
#[item(table = "my customers!")]
struct Customer {
    #[partition_key]
    id: String,
    #[index_partition_key("by email")]
    email: String,
}

fn main() {}
