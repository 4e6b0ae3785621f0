use dynamodb_mapper::Attributes;

#[derive(Attributes)]
enum Payment {
    Cash,
    Card { last4: String },
}

fn main() {}
