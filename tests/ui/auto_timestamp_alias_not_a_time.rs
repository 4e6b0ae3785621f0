use dynamodb_mapper::Item;

// The derive cannot see through an alias: the field's type is checked by a trait bound.
type Stamp = String;

#[derive(Item)]
struct Reading {
    #[partition_key]
    id: String,
    #[auto_timestamp]
    taken_at: Option<Stamp>,
}

fn main() {}
