use dynamodb_mapper::Item;

#[derive(Item)]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
