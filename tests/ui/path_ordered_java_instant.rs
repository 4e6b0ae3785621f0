use chrono::Utc;
use dynamodb_mapper::Item;
use dynamodb_mapper::value::JavaInstant;

#[derive(Item, Clone)]
#[item(table = "events")]
struct Event {
    #[partition_key]
    id: String,
    seen: JavaInstant,
}

fn main() {
    let _ = Event::fields().seen.lt(JavaInstant::new(Utc::now()));
}
