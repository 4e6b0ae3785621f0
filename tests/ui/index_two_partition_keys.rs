use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[index_partition_key("by_contact")]
    email: String,
    #[index_partition_key("by_contact")]
    phone: String,
}

fn main() {}
