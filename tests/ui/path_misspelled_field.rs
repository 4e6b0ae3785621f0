use dynamodb_mapper::Item;

#[derive(Item, Clone)]
#[item(table = "customers")]
struct Customer {
    #[partition_key]
    id: String,
    email: String,
}

fn main() {
    let _ = Customer::fields().emial.eq("a@b.c");
}
