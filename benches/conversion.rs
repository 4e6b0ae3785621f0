//! Conversion of a realistic item ([`Order`]) to and from DynamoDB's attribute map, three ways:
//! the mapper's `#[derive(Item)]`, hand-written code against `AttributeValue`, and
//! `serde_dynamo`.
//!
//! After criterion's groups, a summary prints each conversion's median time, the ratios of the
//! derive to the other two, the same two ratios measured in interleaved pairs (which a shared
//! machine's drift between criterion's groups does not skew), and how many allocations one
//! conversion makes (counted by the global allocator below, outside criterion's timing).
//!
//! ```text
//! cargo bench --bench conversion
//! ```

use std::collections::HashMap;
use std::hint::black_box;
use std::time::SystemTime;

use aws_sdk_dynamodb::types::AttributeValue;
use criterion::{BatchSize, Criterion};
use dynamodb_mapper::Item;
use dynamodb_mapper_workspace::bench_support::{
    self, CountingAllocator, Median, allocations, paired_ratio, paired_ratio_consuming,
};
use dynamodb_mapper_workspace::fixtures::{Order, from_item_by_hand, to_item_by_hand};

type ItemMap = HashMap<String, AttributeValue>;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// The two directions, as criterion group names.
const GROUPS: [&str; 2] = ["to_item", "from_item"];
/// The three implementations, as criterion function names, in the summary's order.
const FUNCTIONS: [&str; 3] = ["derive", "hand_written", "serde_dynamo"];

fn derive_to_item(order: &Order) -> ItemMap {
    order.to_item().expect("the sample converts")
}

fn serde_to_item(order: &Order) -> ItemMap {
    serde_dynamo::to_item(order).expect("the sample serializes")
}

fn derive_from_item(item: ItemMap) -> Order {
    Order::from_item(item).expect("the derived item reads back")
}

fn hand_from_item(item: ItemMap) -> Order {
    from_item_by_hand(item).expect("the derived item reads back")
}

fn serde_from_item(item: ItemMap) -> Order {
    serde_dynamo::from_item(item).expect("the serde_dynamo item reads back")
}

fn bench_to_item(c: &mut Criterion, order: &Order) {
    let mut group = c.benchmark_group(GROUPS[0]);
    // The map is dropped outside the timing: the measure is the conversion alone.
    group.bench_function(FUNCTIONS[0], |b| {
        b.iter_with_large_drop(|| derive_to_item(black_box(order)))
    });
    group.bench_function(FUNCTIONS[1], |b| {
        b.iter_with_large_drop(|| to_item_by_hand(black_box(order)))
    });
    group.bench_function(FUNCTIONS[2], |b| {
        b.iter_with_large_drop(|| serde_to_item(black_box(order)))
    });
    group.finish();
}

fn bench_from_item(c: &mut Criterion, derived: &ItemMap, serde_item: &ItemMap) {
    let mut group = c.benchmark_group(GROUPS[1]);
    // Each iteration reads a fresh owned map; cloning it is not timed, nor is dropping the order.
    group.bench_function(FUNCTIONS[0], |b| {
        b.iter_batched(
            || derived.clone(),
            |item| derive_from_item(black_box(item)),
            BatchSize::SmallInput,
        )
    });
    group.bench_function(FUNCTIONS[1], |b| {
        b.iter_batched(
            || derived.clone(),
            |item| hand_from_item(black_box(item)),
            BatchSize::SmallInput,
        )
    });
    group.bench_function(FUNCTIONS[2], |b| {
        b.iter_batched(
            || serde_item.clone(),
            |item| serde_from_item(black_box(item)),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// How many allocations (and reallocations) one call of `convert` makes.
fn count_allocations<I, O>(input: I, convert: impl FnOnce(I) -> O) -> usize {
    let input = black_box(input);
    let before = allocations();
    let output = black_box(convert(input));
    let count = allocations() - before;
    drop(output);
    count
}

/// Allocations per conversion, by group then function (the order of [`GROUPS`] and
/// [`FUNCTIONS`]).
fn measure_allocations(order: &Order, derived: &ItemMap, serde_item: &ItemMap) -> [[usize; 3]; 2] {
    // One untimed round first, so that nothing initialised lazily is counted.
    drop(derive_from_item(derive_to_item(order)));
    drop(hand_from_item(to_item_by_hand(order)));
    drop(serde_from_item(serde_to_item(order)));
    [
        [
            count_allocations(order, derive_to_item),
            count_allocations(order, to_item_by_hand),
            count_allocations(order, serde_to_item),
        ],
        [
            count_allocations(derived.clone(), derive_from_item),
            count_allocations(derived.clone(), hand_from_item),
            count_allocations(serde_item.clone(), serde_from_item),
        ],
    ]
}

fn format_time(ns: f64) -> String {
    if ns >= 1_000_000.0 {
        format!("{:.3} ms", ns / 1_000_000.0)
    } else if ns >= 1_000.0 {
        format!("{:.3} µs", ns / 1_000.0)
    } else {
        format!("{ns:.1} ns")
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

/// In interleaved pairs, per direction: the derive's time ÷ hand-written code's, and
/// serde_dynamo's ÷ the derive's. A read consumes its item: the copies it reads are made
/// before each side's timing, as criterion's `iter_batched` makes them.
fn paired_ratios(order: &Order, derived: &ItemMap, serde_item: &ItemMap) -> [Paired; 2] {
    let derived_copy = || derived.clone();
    [
        Paired {
            vs_hand: paired_ratio(
                2_000,
                || derive_to_item(black_box(order)),
                || to_item_by_hand(black_box(order)),
            ),
            serde_slower: paired_ratio(
                2_000,
                || serde_to_item(black_box(order)),
                || derive_to_item(black_box(order)),
            ),
        },
        Paired {
            vs_hand: paired_ratio_consuming(
                2_000,
                derived_copy,
                derived_copy,
                |item| derive_from_item(black_box(item)),
                |item| hand_from_item(black_box(item)),
            ),
            serde_slower: paired_ratio_consuming(
                2_000,
                || serde_item.clone(),
                derived_copy,
                |item| serde_from_item(black_box(item)),
                |item| derive_from_item(black_box(item)),
            ),
        },
    ]
}

/// One direction's paired ratios.
struct Paired {
    /// The derive's time ÷ hand-written code's.
    vs_hand: f64,
    /// serde_dynamo's time ÷ the derive's: how many times faster the derive is.
    serde_slower: f64,
}

fn print_summary(allocations: &[[usize; 3]; 2], paired: [Paired; 2], started: SystemTime) {
    let home = bench_support::criterion_home();
    println!();
    println!("Conversion summary: Order, median time and allocations per conversion");
    println!("(criterion results read from {})", home.display());
    for ((group, allocations), paired) in GROUPS.iter().zip(allocations).zip(paired) {
        println!();
        println!("{group}");
        let medians: Vec<Median> = FUNCTIONS
            .iter()
            .map(|function| bench_support::median(group, function, started))
            .collect();
        for ((function, median), count) in FUNCTIONS.iter().zip(&medians).zip(allocations) {
            let time = match median {
                Median::Measured(ns) => format_time(*ns),
                Median::NotMeasured => "not measured".to_owned(),
                Median::Unreadable(_) => "unreadable".to_owned(),
            };
            println!("  {function:<13} {time:>12}   {count:>4} allocations");
        }
        match medians.as_slice() {
            [
                Median::Measured(derive),
                Median::Measured(hand),
                Median::Measured(serde),
            ] => {
                let vs_hand = derive / hand;
                let vs_serde = derive / serde;
                println!(
                    "  derive ÷ hand-written = {vs_hand:.3}x (target ≤ 1.10x: {})",
                    verdict(vs_hand <= 1.10)
                );
                println!(
                    "  derive ÷ serde_dynamo = {vs_serde:.3}x, {:.2}x faster (target ≥ 3x faster: {})",
                    serde / derive,
                    verdict(serde / derive >= 3.0)
                );
            }
            _ => {
                println!(
                    "  ratios skipped: they need all three of {group}/{{{}}} measured in this run \
                     (a filter or test mode leaves some out: run `cargo bench --bench conversion`)",
                    FUNCTIONS.join(",")
                );
                for median in &medians {
                    if let Median::Unreadable(reason) = median {
                        println!("  note: {reason}");
                    }
                }
            }
        }
        println!(
            "  paired: derive ÷ hand-written = {:.3}x (target ≤ 1.10x: {})",
            paired.vs_hand,
            verdict(paired.vs_hand <= 1.10)
        );
        println!(
            "  paired: derive {:.2}x faster than serde_dynamo (target ≥ 3x faster: {})",
            paired.serde_slower,
            verdict(paired.serde_slower >= 3.0)
        );
        println!(
            "  allocations: derive {} vs hand-written {} (target ≤ hand-written: {})",
            allocations[0],
            allocations[1],
            verdict(allocations[0] <= allocations[1])
        );
    }
}

fn main() {
    let order = Order::sample();
    let derived = derive_to_item(&order);
    let serde_item = serde_to_item(&order);
    if to_item_by_hand(&order) != derived {
        eprintln!("warning: the hand-written item differs from the derived one");
    }

    let allocations = measure_allocations(&order, &derived, &serde_item);

    let started = SystemTime::now();
    let mut criterion = Criterion::default().configure_from_args();
    bench_to_item(&mut criterion, &order);
    bench_from_item(&mut criterion, &derived, &serde_item);
    criterion.final_summary();

    // `--list` only names the benchmarks.
    if !std::env::args().any(|arg| arg == "--list") {
        print_summary(&allocations, paired_ratios(&order, &derived, &serde_item), started);
    }
}
