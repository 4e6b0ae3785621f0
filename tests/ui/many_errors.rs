use dynamodb_mapper::Item;

#[derive(Item, Debug)]
#[item(tabel = "customers", rename_all = "camelcase")]
struct Customer {
    #[partition_key]
    id: Option<String>,
    #[attribute(renmae = "mail")]
    email: String,
    #[version]
    version: u64,
    #[atomic_counter]
    logins: String,
    #[ttl]
    expires: String,
}

fn main() {
    let item = dynamodb_mapper::ItemMap::new();
    let customer = Customer::from_item(item);
    println!("{customer:?}");
}
