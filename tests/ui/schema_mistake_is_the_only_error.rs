use dynamodb_mapper::{Item, Mapper};

// Two partition keys: the only error, though the code below uses the type everywhere.
#[derive(Item, Debug, Clone)]
#[item(table = "orders")]
struct Order {
    #[partition_key]
    id: String,
    #[partition_key]
    customer: String,
    total: u64,
}

async fn uses(mapper: Mapper, order: Order) -> Result<(), dynamodb_mapper::Error> {
    let orders = mapper.table::<Order>()?;
    orders.put(&order).await?;
    let _found: Option<Order> = orders.get("o-1").await?;
    let _again: Option<Order> = orders.get(("o-1", 7)).await?;
    orders.delete("o-1").await?;
    let _all: Vec<Order> = orders.scan().all().await?;
    let _written = orders.put_all(vec![order.clone()]).await?;
    let _read = orders.get_all(["a", "b"]).await?;
    let _item = order.to_item()?;
    let f = Order::fields();
    let _patched = orders.patch("o-1").set(&f.total, 5).condition(f.total.lt(10)).await?;
    Ok(())
}

fn main() {
    let _ = uses;
}
