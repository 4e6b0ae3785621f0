use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[index_partition_key("by_email")]
    email: String,
    #[index_sort_key("by_email")]
    created: u64,
    #[index_sort_key("by_email")]
    updated: u64,
}

fn main() {}
