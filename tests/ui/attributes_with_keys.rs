use dynamodb_mapper::Attributes;

#[derive(Attributes)]
struct Address {
    #[partition_key]
    street: String,
    #[index_sort_key("by_city")]
    city: String,
}

fn main() {}
