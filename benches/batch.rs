//! Batch writes on the tests' local DynamoDB (`dynamodb_mapper_workspace::local`: the in-process
//! server, or the one `DYNAMODB_ENDPOINT` names), reached over loopback HTTP: 10,000 items written by the mapper's batch write, by 10,000 single puts
//! through the mapper, and by the same `BatchWriteItem` requests built by hand with the raw
//! SDK (25 writes each, 8 in flight, as the mapper sends them). After criterion's groups, a
//! summary prints each median and the two ratios the design targets: single puts ÷ batch
//! (≥ 10×) and raw throughput ÷ mapper throughput (the mapper at ≥ 0.95× of raw).
//!
//! The in-process server answers in microseconds, so this measures the per-item cost of the
//! server and of both clients more than round trips, which is what batching saves against a
//! real endpoint. `BATCH_BENCH_LATENCY_MS` adds that much latency to every request (the
//! testing feature's fault injection) to show the ratio with a network round trip.
//!
//! ```text
//! cargo bench --bench batch -- --sample-size 10 --measurement-time 5 --warm-up-time 1
//! BATCH_BENCH_ITEMS=2000 cargo bench --bench batch   # fewer items, on a slow server
//! BATCH_BENCH_ITEMS=2000 BATCH_BENCH_LATENCY_MS=1 cargo bench --bench batch
//! ```

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use criterion::{BatchSize, Criterion};
use dynamodb_mapper::testing::{Faults, Times};
use dynamodb_mapper::{Mapper, Table};
use dynamodb_mapper_workspace::bench_support::criterion_median;
use dynamodb_mapper_workspace::fixtures::{Order, to_item_by_hand};
use dynamodb_mapper_workspace::local;
use futures::StreamExt;
use uuid::Uuid;

/// How many items each run writes (`BATCH_BENCH_ITEMS`, 10,000 by default).
fn items() -> usize {
    std::env::var("BATCH_BENCH_ITEMS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000)
}
/// The latency added to every request (`BATCH_BENCH_LATENCY_MS`, none by default).
fn latency() -> Option<Duration> {
    std::env::var("BATCH_BENCH_LATENCY_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map(Duration::from_millis)
}

/// Requests in flight at once: the mapper's default, and the raw side's.
const CONCURRENCY: usize = 8;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    client: Client,
    /// Adds the latency, when asked for; its record of requests is cleared before each run.
    faults: Option<Faults>,
    orders: Table<Order>,
    items: Vec<Order>,
}

impl Fixture {
    fn new() -> Fixture {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        // Both sides send their requests through the same client; the tests' strict request
        // checks are left out, as they parse every request body and are no part of either side.
        let faults = latency().map(|delay| {
            let faults = Faults::new();
            for operation in ["PutItem", "BatchWriteItem"] {
                faults.on(operation).latency(delay, Times::Always);
            }
            faults
        });
        let client = runtime.block_on(async {
            let builder = local::client_builder().without_strict_checks();
            match &faults {
                Some(faults) => builder.faults(faults).build(),
                None => builder.build(),
            }
        });
        let mapper = Mapper::new(client.clone());
        let orders = mapper
            .table_named::<Order>(&local::unique_table_name("bench-orders"))
            .expect("a table name");
        runtime
            .block_on(orders.create_table().send())
            .expect("the orders table");
        let items = (0..items())
            .map(|i| {
                let mut order = Order::sample();
                order.customer_id = format!("CUST#{:04}", i % 500);
                order.order_id = Uuid::from_u128(i as u128 + 1);
                order
            })
            .collect();
        Fixture {
            runtime,
            client,
            faults,
            orders,
            items,
        }
    }

    async fn mapper_batch(&self, items: Vec<Order>) {
        let written = self.orders.put_all(items).await.expect("batch write");
        assert!(written.unprocessed.is_empty(), "{:?}", written.errors);
    }

    async fn mapper_single_puts(&self) {
        for item in &self.items {
            self.orders.put(item).await.expect("put");
        }
    }

    /// The same requests by hand: convert, 25 writes per request, 8 in flight, and whatever
    /// comes back unprocessed sent again.
    async fn raw_batch(&self) {
        let table = self.orders.name().to_owned();
        let mut pending: Vec<WriteRequest> = self
            .items
            .iter()
            .map(|order| {
                let put = PutRequest::builder()
                    .set_item(Some(to_item_by_hand(order)))
                    .build()
                    .expect("an item");
                WriteRequest::builder().put_request(put).build()
            })
            .collect();
        while !pending.is_empty() {
            let mut chunks = Vec::with_capacity(pending.len().div_ceil(25));
            while !pending.is_empty() {
                let rest = pending.split_off(pending.len().min(25));
                chunks.push(std::mem::replace(&mut pending, rest));
            }
            let outputs: Vec<_> = futures::stream::iter(chunks.into_iter().map(|chunk| {
                let request = HashMap::from([(table.clone(), chunk)]);
                self.client.batch_write_item().set_request_items(Some(request)).send()
            }))
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
            for output in outputs {
                let output = output.expect("batch write");
                pending.extend(
                    output
                        .unprocessed_items
                        .into_iter()
                        .flatten()
                        .flat_map(|(_, left)| left),
                );
            }
        }
    }

    async fn stored(&self) -> usize {
        let mut count = 0;
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(self.orders.name())
                .select(aws_sdk_dynamodb::types::Select::Count)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan");
            count += page.count as usize;
            start = page.last_evaluated_key.filter(|k| !k.is_empty());
            if start.is_none() {
                return count;
            }
        }
    }
}

const GROUP: &str = "batch_write";

fn main() {
    let fixture = Fixture::new();
    // Every side writes every item.
    fixture.runtime.block_on(fixture.mapper_batch(fixture.items.clone()));
    let count = fixture.items.len();
    assert_eq!(fixture.runtime.block_on(fixture.stored()), count);
    fixture.runtime.block_on(fixture.raw_batch());
    assert_eq!(fixture.runtime.block_on(fixture.stored()), count);

    let started = SystemTime::now();
    let mut criterion = Criterion::default().sample_size(10).configure_from_args();
    let mut group = criterion.benchmark_group(GROUP);
    // Outside the timing: the items the mapper takes, and clearing the fault injection's record
    // of requests, which would otherwise grow from run to run.
    let setup = || {
        if let Some(faults) = &fixture.faults {
            faults.clear_requests();
        }
        fixture.items.clone()
    };
    group.bench_function("mapper_batch", |b| {
        b.iter_batched(
            setup,
            |items| fixture.runtime.block_on(fixture.mapper_batch(items)),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("raw_sdk_batch", |b| {
        b.iter_batched(
            setup,
            |_| fixture.runtime.block_on(fixture.raw_batch()),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("mapper_single_puts", |b| {
        b.iter_batched(
            setup,
            |_| fixture.runtime.block_on(fixture.mapper_single_puts()),
            BatchSize::PerIteration,
        )
    });
    group.finish();
    criterion.final_summary();

    let batch = criterion_median(GROUP, "mapper_batch", started);
    let raw = criterion_median(GROUP, "raw_sdk_batch", started);
    let single = criterion_median(GROUP, "mapper_single_puts", started);
    let shown = |ns: Option<f64>| ns.map_or("-".to_owned(), |ns| format!("{:.1} ms", ns / 1e6));
    println!();
    println!(
        "{count} items, {CONCURRENCY} requests in flight, local DynamoDB at {}, added latency {:?}",
        local::endpoint(),
        latency().unwrap_or_default()
    );
    println!("  mapper batch write    {:>12}", shown(batch));
    println!("  raw SDK BatchWriteItem{:>12}", shown(raw));
    println!("  mapper single puts    {:>12}", shown(single));
    if let (Some(batch), Some(single)) = (batch, single) {
        println!(
            "  single puts / batch:          {:.1}x   (target >= 10x)",
            single / batch
        );
    }
    if let (Some(batch), Some(raw)) = (batch, raw) {
        println!("  mapper throughput / raw:      {:.3}x  (target >= 0.95x)", raw / batch);
    }
}
