use dynamodb_mapper::Item;

#[derive(Item)]
struct Event<K> {
    #[partition_key]
    id: K,
}

fn assert_item<T: Item + 'static>() {}

fn main() {
    assert_item::<Event<bool>>();
}
