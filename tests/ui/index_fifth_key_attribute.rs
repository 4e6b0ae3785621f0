use dynamodb_mapper::Item;

#[derive(Item, Clone)]
#[item(table = "matches")]
struct Match {
    #[partition_key]
    id: String,
    #[index_sort_key("by_place", order = 1)]
    a: String,
    #[index_sort_key("by_place", order = 2)]
    b: String,
    #[index_sort_key("by_place", order = 3)]
    c: String,
    #[index_sort_key("by_place", order = 4)]
    d: String,
    #[index_sort_key("by_place", order = 5)]
    e: String,
    #[index_partition_key("by_place")]
    tournament: String,
}

fn main() {}
