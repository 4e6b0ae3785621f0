use dynamodb_mapper::Attributes;

#[derive(Attributes)]
#[item(index(name = "by_status", projection = "keys_only"))]
struct Audit {
    status: String,
}

fn main() {}
