//! Decoding a Lambda DynamoDB event of 100 `MODIFY` records of a realistic item ([`Order`],
//! old and new images), already deserialized from JSON, two ways: the mapper's
//! `ChangeDecoder::decode_event` into `Vec<Change<Order>>`, and by hand with
//! `serde_dynamo::from_item` on each record's images (cloned out of the borrowed event, as a
//! handler that keeps the event does) into [`SerdeOrder`], the same struct as serde reads it
//! (its binary attribute through a `deserialize_with`: serde reads a `Vec<u8>` as a list).
//! A third row moves the images out of an owned event into `serde_dynamo::from_item`, as a
//! handler that consumes its event can (the event's copy is made outside the timing); the
//! decoder reads a borrowed event in both comparisons. JSON parsing is excluded from all.
//!
//! After criterion's group, a summary prints each side's median time, the ratios, the same
//! ratios measured in interleaved pairs (which a shared machine's drift between criterion's
//! runs does not skew), and how many allocations one event's decoding makes (counted by the
//! global allocator below, outside criterion's timing).
//!
//! ```text
//! cargo bench --bench stream_decode
//! ```

use std::collections::{HashMap, HashSet};
use std::hint::black_box;
use std::time::SystemTime;

use aws_lambda_events::event::dynamodb::Event;
use criterion::Criterion;
use dynamodb_mapper::Item;
use dynamodb_mapper::stream::{Change, ChangeDecoder};
use dynamodb_mapper_workspace::bench_support::{CountingAllocator, allocations, criterion_median, paired_ratio};
use dynamodb_mapper_workspace::fixtures::{Address, LineItem, Order, OrderStatus};
use serde::{Deserialize, Deserializer};
use serde_json::json;
use uuid::Uuid;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const GROUP: &str = "stream_decode";
const FUNCTIONS: [&str; 3] = ["change_decoder", "serde_dynamo_by_hand", "serde_dynamo_moving"];
const RECORDS: usize = 100;

/// [`Order`] as a serde user reads it from the same attributes.
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
struct SerdeOrder {
    customer_id: String,
    order_id: Uuid,
    status: OrderStatus,
    created_at: chrono::DateTime<chrono::Utc>,
    delivered_at: Option<chrono::DateTime<chrono::Utc>>,
    email: String,
    total_cents: u64,
    loyalty_points: i32,
    item_count: u16,
    priority: u8,
    tax_rate: f64,
    gift_wrap: bool,
    coupon_code: Option<String>,
    shipping_address: Address,
    lines: Vec<LineItem>,
    metadata: HashMap<String, String>,
    tags: HashSet<String>,
    #[serde(deserialize_with = "binary")]
    signature: Vec<u8>,
}

/// A `B` attribute, which serde_dynamo hands over as bytes.
fn binary<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
    struct Bytes;
    impl serde::de::Visitor<'_> for Bytes {
        type Value = Vec<u8>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("binary")
        }
        fn visit_bytes<E>(self, v: &[u8]) -> Result<Vec<u8>, E> {
            Ok(v.to_vec())
        }
        fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
            Ok(v)
        }
    }
    deserializer.deserialize_byte_buf(Bytes)
}

impl From<SerdeOrder> for Order {
    fn from(o: SerdeOrder) -> Order {
        dynamodb_mapper_workspace::order_with!(o, Order {})
    }
}

/// An event of `RECORDS` `MODIFY` records, built as Lambda delivers it (JSON, parsed once).
fn event() -> Event {
    let mut old = Order::sample();
    let mut records = Vec::with_capacity(RECORDS);
    for i in 0..RECORDS {
        old.customer_id = format!("customer-{i}");
        let mut new = old.clone();
        new.total_cents += 100;
        let image = |order: &Order| -> serde_json::Value {
            let item: serde_dynamo::Item = order.to_item().expect("the sample converts").into();
            serde_json::to_value(item).expect("an item serializes")
        };
        let keys =
            serde_json::to_value(serde_dynamo::Item::from(old.key_item().expect("a key"))).expect("a key serializes");
        records.push(json!({
            "eventID": format!("event-{i}"),
            "eventName": "MODIFY",
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2024-01-01T00:00:00.000",
            "dynamodb": {
                "ApproximateCreationDateTime": 1_700_000_000 + i,
                "Keys": keys,
                "OldImage": image(&old),
                "NewImage": image(&new),
                "SequenceNumber": format!("{}", 1_000_000 + i),
                "SizeBytes": 2000,
                "StreamViewType": "NEW_AND_OLD_IMAGES"
            }
        }));
    }
    serde_json::from_value(json!({ "Records": records })).expect("a Lambda event")
}

fn with_decoder(decoder: &ChangeDecoder<Order>, event: &Event) -> Vec<Change<Order>> {
    decoder
        .decode_event(event)
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("every record decodes")
}

fn by_hand(event: &Event) -> Vec<(SerdeOrder, SerdeOrder)> {
    event
        .records
        .iter()
        .map(|record| {
            let old: SerdeOrder = serde_dynamo::from_item(record.change.old_image.clone()).expect("the old image");
            let new: SerdeOrder = serde_dynamo::from_item(record.change.new_image.clone()).expect("the new image");
            (old, new)
        })
        .collect()
}

fn moving(event: Event) -> Vec<(SerdeOrder, SerdeOrder)> {
    event
        .records
        .into_iter()
        .map(|record| {
            let old: SerdeOrder = serde_dynamo::from_item(record.change.old_image).expect("the old image");
            let new: SerdeOrder = serde_dynamo::from_item(record.change.new_image).expect("the new image");
            (old, new)
        })
        .collect()
}

fn count_allocations<O>(run: impl FnOnce() -> O) -> usize {
    let before = allocations();
    let output = black_box(run());
    let count = allocations() - before;
    drop(output);
    count
}

fn main() {
    let event = event();
    let decoder = ChangeDecoder::<Order>::with_extensions("orders", []);

    // Both sides read the same orders.
    let decoded = with_decoder(&decoder, &event);
    let hand = by_hand(&event);
    assert_eq!(moving(event.clone()), hand);
    assert_eq!(decoded.len(), RECORDS);
    for (change, (old, new)) in decoded.iter().zip(hand) {
        assert_eq!(change.old, Some(Order::from(old)));
        assert_eq!(change.new, Some(Order::from(new)));
    }
    let counts = [
        count_allocations(|| with_decoder(&decoder, black_box(&event))),
        count_allocations(|| by_hand(black_box(&event))),
        {
            let owned = event.clone();
            count_allocations(|| moving(black_box(owned)))
        },
    ];

    let started = SystemTime::now();
    let mut criterion = Criterion::default().configure_from_args();
    {
        let mut group = criterion.benchmark_group(GROUP);
        group.bench_function(FUNCTIONS[0], |b| {
            b.iter_with_large_drop(|| with_decoder(&decoder, black_box(&event)))
        });
        group.bench_function(FUNCTIONS[1], |b| b.iter_with_large_drop(|| by_hand(black_box(&event))));
        group.bench_function(FUNCTIONS[2], |b| {
            b.iter_batched(|| event.clone(), moving, criterion::BatchSize::LargeInput)
        });
        group.finish();
    }
    criterion.final_summary();
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }

    println!();
    println!("Stream decode summary: a Lambda event of {RECORDS} MODIFY records of Order (old and new images)");
    let medians = FUNCTIONS.map(|function| criterion_median(GROUP, function, started));
    for ((function, median), count) in FUNCTIONS.iter().zip(&medians).zip(&counts) {
        let time = median.map_or("not measured".to_owned(), |ns| format!("{:.1} µs", ns / 1_000.0));
        println!(
            "  {function:<21} {time:>12}   {count:>6} allocations ({:.1} per record)",
            *count as f64 / RECORDS as f64
        );
    }
    // Paired, as criterion measures: outputs dropped outside the timing.
    let paired = paired_ratio(
        20,
        || by_hand(black_box(&event)),
        || with_decoder(&decoder, black_box(&event)),
    );
    println!(
        "  paired: serde_dynamo by hand ÷ change decoder = {paired:.2}x faster (target ≥ 2x: {})",
        if paired >= 2.0 { "met" } else { "MISSED" }
    );
    match medians {
        [Some(decoder), Some(serde), moving] => {
            println!(
                "  serde_dynamo by hand ÷ change decoder = {:.2}x faster (target ≥ 2x: {})",
                serde / decoder,
                if serde / decoder >= 2.0 { "met" } else { "MISSED" }
            );
            if let Some(moving) = moving {
                println!(
                    "  serde_dynamo moving ÷ change decoder = {:.2}x faster",
                    moving / decoder
                );
            }
        }
        _ => println!("  ratio skipped: the decoder and serde_dynamo by hand need measuring in this run"),
    }
}
