//! [`CapacityMeter`]: the capacity units operations consumed, read from their results.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Adds up the capacity units consumed by the operations it is given to. Handing a meter to an
/// operation (`.capacity(&meter)`) asks DynamoDB to report the capacity that request consumed
/// (`ReturnConsumedCapacity = TOTAL`). Clones share the total.
///
/// ```no_run
/// # use dynamodb_mapper::{Item, Table, ops::CapacityMeter};
/// # #[derive(Item, Clone)] #[item(table = "orders")]
/// # struct Order { #[partition_key] customer: String, #[sort_key] id: String }
/// # async fn run(orders: Table<Order>, order: Order) -> Result<(), dynamodb_mapper::Error> {
/// let meter = CapacityMeter::new();
/// orders.put(&order).capacity(&meter).await?;
/// let page = orders.query("42").capacity(&meter).page().await?;
/// println!("{} units", meter.total());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct CapacityMeter {
    /// The total, as the bits of an `f64`.
    total: Arc<AtomicU64>,
}

impl CapacityMeter {
    /// A meter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// The capacity units consumed so far.
    pub fn total(&self) -> f64 {
        f64::from_bits(self.total.load(Ordering::Relaxed))
    }

    /// Adds `units`.
    pub(crate) fn add(&self, units: f64) {
        let mut current = self.total.load(Ordering::Relaxed);
        loop {
            let next = (f64::from_bits(current) + units).to_bits();
            match self
                .total
                .compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }
}
