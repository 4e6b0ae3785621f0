use dynamodb_mapper::Item;

#[derive(Item)]
struct Page {
    #[partition_key]
    url: String,
    #[atomic_counter(start = 10, inc = 0)]
    views: u64,
}

fn main() {}
