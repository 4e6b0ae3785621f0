use dynamodb_mapper::Attributes;

#[derive(Attributes)]
#[item(table = "addresses")]
struct Address {
    street: String,
}

fn main() {}
