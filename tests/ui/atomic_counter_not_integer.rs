use dynamodb_mapper::Item;

#[derive(Item)]
struct Page {
    #[partition_key]
    url: String,
    #[atomic_counter]
    views: String,
}

fn main() {}
