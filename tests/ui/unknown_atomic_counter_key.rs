use dynamodb_mapper::Item;

#[derive(Item)]
struct Page {
    #[partition_key]
    url: String,
    #[atomic_counter(increment = 2)]
    views: u64,
}

fn main() {}
