use dynamodb_mapper::Item;

#[derive(Item)]
struct Order<'a> {
    #[partition_key]
    id: &'a str,
}

fn main() {}
