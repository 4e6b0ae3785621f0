//! A clock for the tests of timestamps: it starts at 2030-01-01T00:00:00Z and moves on one
//! minute at each reading, so that every write's time is known and distinct.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use dynamodb_mapper::extension::AutoTimestamps;

/// `AutoTimestamps` reading a clock that moves on one minute per reading: the first write is
/// at [`at(0)`](at), the next at `at(1)`, and so on.
pub fn stepping_clock() -> AutoTimestamps {
    let minutes = Arc::new(AtomicI64::new(0));
    AutoTimestamps::with_clock(Arc::new(move || {
        start() + chrono::Duration::minutes(minutes.fetch_add(1, Ordering::SeqCst))
    }))
}

/// The time of the stepping clock's reading number `minute`.
pub fn at(minute: i64) -> Option<DateTime<Utc>> {
    Some(start() + chrono::Duration::minutes(minute))
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()
}
