use dynamodb_mapper::Item;

#[derive(Item)]
#[item(index(name = "by_emial", projection = "keys_only"))]
struct Customer {
    #[partition_key]
    id: String,
    #[index_partition_key("by_email")]
    email: String,
}

fn main() {}
