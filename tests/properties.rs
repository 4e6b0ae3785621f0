//! Property: `from_item(to_item(x)) == x` for generated values of every supported type.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use dynamodb_mapper::{Attributes, Item};
use proptest::prelude::*;

#[path = "support/lambda_record.rs"]
mod lambda_record;
use uuid::Uuid;

#[derive(Attributes, Debug, Clone, PartialEq)]
struct Line {
    sku: String,
    quantity: u16,
    price: f64,
    gift: Option<bool>,
}

#[derive(Attributes, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[item(rename_all = "kebab-case")]
enum State {
    Open,
    OnHold,
    Closed,
}

#[derive(Item, Debug, Clone, PartialEq)]
#[item(rename_all = "camelCase")]
struct Order {
    #[partition_key]
    customer: String,
    #[sort_key]
    number: u64,
    a: i8,
    b: i16,
    c: i32,
    d: i64,
    e: i128,
    f: u8,
    g: u32,
    h: u128,
    ratio: f32,
    total: f64,
    paid: bool,
    note: Option<String>,
    lines: Vec<Line>,
    queue: VecDeque<Option<i32>>,
    attributes: HashMap<String, String>,
    ordered: BTreeMap<String, Vec<u8>>,
    labels: HashSet<String>,
    ranks: BTreeSet<i64>,
    digests: BTreeSet<Vec<u8>>,
    states: BTreeSet<State>,
    state: State,
    placed: DateTime<Utc>,
    shipped: Option<DateTime<Utc>>,
    id: Uuid,
    payload: Vec<u8>,
    raw: Bytes,
    #[ttl]
    expires: Option<i64>,
    #[attribute(serde)]
    meta: Option<(String, u32)>,
}

/// Integers DynamoDB stores exactly: at most 38 significant digits.
fn i128_in_range() -> impl Strategy<Value = i128> {
    let limit = 10i128.pow(38) - 1;
    prop_oneof![-limit..=limit, Just(limit), Just(-limit), Just(0)]
}

/// Finite floats in DynamoDB's range (1E-130 to 1E+126 in magnitude, or zero).
fn f64_in_range() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("storable", |v| v.is_finite()
            && (*v == 0.0 || (1e-130..1e126).contains(&v.abs()))),
        Just(0.0),
        Just(1e125),
        Just(-1e-130),
    ]
}

fn timestamp() -> impl Strategy<Value = DateTime<Utc>> {
    // Years 0000 to 9999, nanosecond precision.
    (-62_167_219_200i64..253_402_300_799, 0u32..1_000_000_000)
        .prop_map(|(secs, nanos)| DateTime::from_timestamp(secs, nanos).unwrap())
}

fn state() -> impl Strategy<Value = State> {
    prop_oneof![Just(State::Open), Just(State::OnHold), Just(State::Closed)]
}

fn line() -> impl Strategy<Value = Line> {
    (any::<String>(), any::<u16>(), f64_in_range(), any::<Option<bool>>()).prop_map(|(sku, quantity, price, gift)| {
        Line {
            sku,
            quantity,
            price,
            gift,
        }
    })
}

prop_compose! {
    fn order()(
        keys in (any::<String>(), any::<u64>()),
        ints in (any::<i8>(), any::<i16>(), any::<i32>(), any::<i64>(), i128_in_range(), any::<u8>(), any::<u32>(), 0..10u128.pow(38)),
        floats in (any::<f32>().prop_filter("finite", |v| v.is_finite()), f64_in_range()),
        paid in any::<bool>(),
        note in any::<Option<String>>(),
        lines in proptest::collection::vec(line(), 0..4),
        queue in proptest::collection::vec_deque(any::<Option<i32>>(), 0..4),
        attributes in proptest::collection::hash_map(any::<String>(), any::<String>(), 0..4),
        ordered in proptest::collection::btree_map(any::<String>(), proptest::collection::vec(any::<u8>(), 0..6), 0..4),
        sets in (
            proptest::collection::hash_set(any::<String>(), 0..4),
            proptest::collection::btree_set(any::<i64>(), 0..4),
            proptest::collection::btree_set(proptest::collection::vec(any::<u8>(), 0..4), 0..4),
            proptest::collection::btree_set(state(), 0..3),
        ),
        state in state(),
        times in (timestamp(), proptest::option::of(timestamp())),
        id in any::<u128>(),
        payload in proptest::collection::vec(any::<u8>(), 0..32),
        raw in proptest::collection::vec(any::<u8>(), 0..8),
        expires in any::<Option<i64>>(),
        meta in any::<Option<(String, u32)>>(),
    ) -> Order {
        Order {
            customer: keys.0,
            number: keys.1,
            a: ints.0, b: ints.1, c: ints.2, d: ints.3, e: ints.4, f: ints.5, g: ints.6, h: ints.7,
            ratio: floats.0,
            total: floats.1,
            paid,
            note,
            lines,
            queue,
            attributes,
            ordered,
            labels: sets.0,
            ranks: sets.1,
            digests: sets.2,
            states: sets.3,
            state,
            placed: times.0,
            shipped: times.1,
            id: Uuid::from_u128(id),
            payload,
            raw: Bytes::from(raw),
            expires,
            meta,
        }
    }
}

/// `item` read as a Lambda stream record's new image, which the decoder reads in place.
fn read_in_place(order: &Order, item: &dynamodb_mapper::ItemMap) -> Order {
    let record = lambda_record::insert(order.key_item().unwrap(), item.clone());
    let change = dynamodb_mapper::stream::ChangeDecoder::<Order>::with_extensions("orders", [])
        .decode_event_record(&record)
        .expect("reads back in place");
    assert_eq!(change.key, order.key());
    change.new.expect("a new image")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn from_item_inverts_to_item(order in order()) {
        let item = order.to_item().expect("every generated value is storable");
        prop_assert_eq!(&read_in_place(&order, &item), &order);
        prop_assert_eq!(Order::from_item(item).expect("reads back"), order);
    }

    /// Timestamps compare as text exactly as they compare as times, so that sort keys and
    /// range conditions on them work.
    #[test]
    fn timestamp_text_order_is_time_order(a in timestamp(), b in timestamp()) {
        use dynamodb_mapper::value::ToAttributeValue;
        let text = |t: &DateTime<Utc>| t.to_attribute_value().unwrap().unwrap().as_s().unwrap().clone();
        prop_assert_eq!(a.cmp(&b), text(&a).cmp(&text(&b)));
    }
}
