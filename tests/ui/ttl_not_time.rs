use dynamodb_mapper::Item;

#[derive(Item)]
struct Session {
    #[partition_key]
    id: String,
    #[ttl]
    expires: String,
}

fn main() {}
