use dynamodb_mapper::Item;

#[derive(Item)]
struct Session {
    #[partition_key]
    id: String,
    #[sort_key]
    #[atomic_counter]
    seq: u64,
}

fn main() {}
