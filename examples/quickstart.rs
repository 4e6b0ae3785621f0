//! Define an item, create its table, then put, get, update, query and delete.
//!
//! Runs against whatever endpoint the AWS configuration gives; locally:
//!
//! ```sh
//! scripts/with-local-dynamodb cargo run --example quickstart
//! ```

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use dynamodb_mapper::expr::Condition;
use dynamodb_mapper::{Item, Mapper};
use futures::TryStreamExt;

#[derive(Item, Debug, Clone, PartialEq)]
#[item(table = "quickstart-orders", rename_all = "camelCase")]
struct Order {
    #[partition_key]
    customer_id: String,
    #[sort_key]
    order_id: String,
    #[index_partition_key("by_status")]
    status: String,
    total_cents: u64,
    placed_at: DateTime<Utc>,
    gift_note: Option<String>,
    tags: HashSet<String>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let mapper = Mapper::new(aws_sdk_dynamodb::Client::new(&config));
    let orders = mapper.table::<Order>()?;

    if !orders.exists().await? {
        orders.create_table().await?;
        println!("created table {} with index by_status", orders.name());
    }

    let placed_at = Utc::now();
    for (n, status) in ["open", "open", "shipped"].into_iter().enumerate() {
        let order = Order {
            customer_id: "ana".into(),
            order_id: format!("2024-05-0{}", n + 1),
            status: status.into(),
            total_cents: 1_000 * (n as u64 + 1),
            placed_at,
            gift_note: None,
            tags: HashSet::from(["web".to_owned()]),
        };
        orders.put(&order).await?;
        println!("put {} / {} ({status})", order.customer_id, order.order_id);
    }

    let mut order = orders
        .get(("ana", "2024-05-02"))
        .await?
        .ok_or("the order was just written")?;
    println!("got {order:?}");

    order.gift_note = Some("Happy birthday!".into());
    order.status = "shipped".into();
    let order = orders.update(&order).await?;
    println!("updated: status={}, gift_note={:?}", order.status, order.gift_note);

    let may: Vec<Order> = orders.query("ana").sort_begins_with("2024-05").all().await?;
    println!("query ana / 2024-05*: {} orders", may.len());

    let mut shipped = orders.index(Order::BY_STATUS).query("shipped").stream();
    while let Some(order) = shipped.try_next().await? {
        println!("shipped: {} ({} cents)", order.order_id, order.total_cents);
    }

    let big: Vec<Order> = orders
        .scan()
        .filter(Condition::attr("totalCents").ge(2_000u64))
        .all()
        .await?;
    println!("scan totalCents >= 2000: {} orders", big.len());

    orders
        .delete(("ana", "2024-05-01"))
        .condition(Condition::attr("status").eq("open"))
        .await?;
    println!("deleted ana / 2024-05-01");
    match orders
        .delete_item(&order)
        .condition(Condition::attr("status").eq("open"))
        .await
    {
        Err(dynamodb_mapper::Error::ConditionFailed(failed)) => {
            let stored: Order = failed.item()?.ok_or("the item is stored")?;
            println!("refused to delete {}: it is {}", stored.order_id, stored.status);
        }
        other => return Err(format!("expected a failed condition, got {other:?}").into()),
    }

    orders.delete_table().await?;
    println!("deleted table {}", orders.name());
    Ok(())
}
