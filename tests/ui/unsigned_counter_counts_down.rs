use dynamodb_mapper::Item;

#[derive(Item)]
struct Stock {
    #[partition_key]
    sku: String,
    #[atomic_counter(start = 100, inc = -1)]
    remaining: u64,
}

fn main() {}
