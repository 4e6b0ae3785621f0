use dynamodb_mapper::Item;

#[derive(Item)]
struct Session {
    #[partition_key]
    id: String,
    #[ttl]
    expires: u64,
    #[ttl]
    purge: u64,
}

fn main() {}
