use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[index_partition_key("by_email")]
    #[index_sort_key("by_email")]
    email: String,
}

fn main() {}
