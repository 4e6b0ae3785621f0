use dynamodb_mapper::Item;

#[derive(Item)]
#[item(tabel = "customers")]
struct Customer {
    #[partition_key]
    id: String,
}

fn main() {}
