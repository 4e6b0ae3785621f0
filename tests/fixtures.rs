//! The benchmark's three conversions of `Order` do the same work: the hand-written one builds
//! exactly the derive's map, and every path gives the order back.

use dynamodb_mapper::Item;
use dynamodb_mapper_workspace::fixtures::{Order, from_item_by_hand, to_item_by_hand};

#[test]
fn hand_written_item_equals_the_derived_one() {
    let order = Order::sample();
    let derived = order.to_item().unwrap();
    assert_eq!(to_item_by_hand(&order), derived);
    // The sample leaves `deliveredAt` unset, and it is not written.
    assert_eq!(derived.len(), 17);
    assert!(!derived.contains_key("deliveredAt"));
}

#[test]
fn both_readers_give_the_order_back() {
    let order = Order::sample();
    let item = order.to_item().unwrap();
    assert_eq!(Order::from_item(item.clone()).unwrap(), order);
    assert_eq!(from_item_by_hand(item).unwrap(), order);
}

#[test]
fn hand_written_conversion_round_trips_a_delivered_order() {
    let mut order = Order::sample();
    order.delivered_at = Some(order.created_at + chrono::Duration::days(2));
    order.coupon_code = None;
    order.tags.clear();
    let item = to_item_by_hand(&order);
    assert_eq!(item, order.to_item().unwrap());
    assert_eq!(from_item_by_hand(item.clone()).unwrap(), order);
    assert_eq!(Order::from_item(item).unwrap(), order);
}

#[test]
fn serde_dynamo_round_trips_the_order() {
    let order = Order::sample();
    let item: std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> =
        serde_dynamo::to_item(&order).unwrap();
    let back: Order = serde_dynamo::from_item(item).unwrap();
    assert_eq!(back, order);
}

#[test]
fn hand_written_reader_reports_bad_items() {
    let mut item = Order::sample().to_item().unwrap();
    item.remove("email");
    assert_eq!(from_item_by_hand(item).unwrap_err(), "email: missing attribute");
}
