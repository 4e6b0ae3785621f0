use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[index_sort_key("by_created")]
    created: u64,
}

fn main() {}
