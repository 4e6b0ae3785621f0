use dynamodb_mapper::Item;

#[derive(Item)]
#[item(index(name = "by_status", projection = "key_only"))]
#[item(index(name = "by_total", projection = "include"))]
#[item(index(name = "by_owner", projection = "all", include("total")))]
#[item(index(name = "by_day", include()))]
#[item(index(projection = "all"))]
#[item(index(name = "by_status", sort = "x"))]
struct Order {
    #[partition_key]
    id: String,
    #[index_partition_key("by_status")]
    status: String,
    #[index_partition_key("by_total")]
    total: u64,
    #[index_partition_key("by_owner")]
    owner: String,
    #[index_partition_key("by_day")]
    day: String,
}

fn main() {}
