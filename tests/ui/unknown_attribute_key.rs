use dynamodb_mapper::Item;

#[derive(Item)]
struct Customer {
    #[partition_key]
    id: String,
    #[attribute(renmae = "e-mail")]
    email: String,
}

fn main() {}
