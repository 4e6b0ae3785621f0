//! What the benchmarks share: an allocation-counting global allocator, criterion's saved
//! medians, and a ratio measured in interleaved pairs.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Counts every allocation and reallocation, then hands it to the system allocator. A
/// benchmark installs it with `#[global_allocator] static GLOBAL: CountingAllocator =
/// CountingAllocator;` and reads [`allocations`].
pub struct CountingAllocator;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

/// How many allocations (and reallocations) the process has made so far.
pub fn allocations() -> usize {
    ALLOCATIONS.load(Ordering::Relaxed)
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds the contract.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Where criterion keeps its results.
pub fn criterion_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"), PathBuf::from);
    target.join("criterion")
}

/// Criterion's median estimate of the latest run of `group/function`, in nanoseconds.
pub fn criterion_median(group: &str, function: &str) -> Option<f64> {
    let path = criterion_dir().join(group).join(function).join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let estimates: serde_json::Value = serde_json::from_str(&text).ok()?;
    estimates["median"]["point_estimate"].as_f64()
}

/// The ratio of `a`'s time to `b`'s, measured in pairs: 41 blocks, each timing `iterations`
/// calls of one then of the other (the order alternating), and the median of the blocks'
/// ratios. Drift in the machine's speed (other tenants, frequency) touches both sides of a
/// block alike, where criterion's groups run minutes apart. The calls' outputs are dropped
/// after each side's timing, as criterion's `iter_with_large_drop` does.
pub fn paired_ratio<A, B>(iterations: usize, mut a: impl FnMut() -> A, mut b: impl FnMut() -> B) -> f64 {
    fn time<O>(iterations: usize, run: &mut impl FnMut() -> O) -> f64 {
        let mut outputs = Vec::with_capacity(iterations);
        let start = Instant::now();
        for _ in 0..iterations {
            outputs.push(run());
        }
        let elapsed = start.elapsed().as_secs_f64();
        drop(outputs);
        elapsed
    }
    let mut ratios: Vec<f64> = (0..41)
        .map(|block| {
            if block % 2 == 0 {
                let a = time(iterations, &mut a);
                a / time(iterations, &mut b)
            } else {
                let b = time(iterations, &mut b);
                time(iterations, &mut a) / b
            }
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2]
}
