use dynamodb_mapper::Item;

#[derive(Item, Clone)]
#[item(table = "matches")]
struct Match {
    #[partition_key]
    id: String,
    #[index_partition_key("by_bracket", order = 1)]
    tournament: String,
    #[index_partition_key("by_bracket", order = 3)]
    region: String,
    #[index_sort_key("by_round")]
    round: String,
    #[index_sort_key("by_round")]
    game: u32,
    #[index_partition_key("by_round")]
    player: String,
}

fn main() {}
