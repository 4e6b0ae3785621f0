use dynamodb_mapper::Item;

#[derive(Item)]
struct Session {
    #[partition_key]
    id: String,
    #[ttl]
    expires: Option<u16>,
}

fn main() {}
