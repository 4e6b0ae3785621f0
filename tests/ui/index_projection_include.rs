use dynamodb_mapper::Item;

#[derive(Item)]
#[item(rename_all = "camelCase")]
#[item(index(name = "by_status", include("totalAmount", "total_amount", "status", "id", "totl", "totalAmount")))]
#[item(index(name = "by_status", projection = "keys_only"))]
struct Order {
    #[partition_key]
    id: String,
    #[index_partition_key("by_status")]
    status: String,
    total_amount: u64,
}

fn main() {}
