use dynamodb_mapper::{Item, Versioned};

#[derive(Item)]
struct Note {
    #[partition_key]
    id: String,
}

fn read_modify_write<T: Versioned>() {}

fn main() {
    read_modify_write::<Note>();
}
