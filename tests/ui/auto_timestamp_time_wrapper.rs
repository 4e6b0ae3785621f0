use dynamodb_mapper::Item;
use dynamodb_mapper::value::UnixSeconds;

// `AutoTimestamps` writes `DateTime<Utc>`'s text: a number type would not read it back.
#[derive(Item)]
struct Reading {
    #[partition_key]
    id: String,
    #[auto_timestamp]
    taken_at: Option<UnixSeconds>,
}

fn main() {}
