use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[index_partition_key("e")]
    email: String,
}

fn main() {}
