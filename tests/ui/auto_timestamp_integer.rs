use dynamodb_mapper::Item;

// An integer does not say whether it counts seconds or milliseconds.
#[derive(Item)]
struct Reading {
    #[partition_key]
    id: String,
    #[auto_timestamp]
    taken_at: Option<i64>,
}

fn main() {}
