use dynamodb_mapper::{Item, Table};

#[derive(Item, Clone)]
#[item(table = "matches")]
struct Match {
    #[partition_key]
    id: String,
    #[index_partition_key("by_bracket")]
    tournament: String,
    #[index_sort_key("by_bracket", order = 1)]
    round: String,
    #[index_sort_key("by_bracket", order = 2)]
    game: u32,
}

fn read(matches: Table<Match>) {
    // `game` comes after `round`: a condition on it needs an equality on `round` first.
    let _ = matches.index(Match::BY_BRACKET).query("W24").sort_ge(2u32);
    // After a range, no other sort condition.
    let _ = matches.index(Match::BY_BRACKET).query("W24").sort_gt("SEMI").sort_eq(2u32);
}

fn main() {
    let _ = read;
}
