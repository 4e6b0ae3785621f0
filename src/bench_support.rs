//! What the benchmarks share: an allocation-counting global allocator, criterion's saved
//! medians, and a ratio measured in interleaved pairs.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

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

/// Where criterion writes its results, found as criterion finds it: `$CRITERION_HOME`, then
/// `$CARGO_TARGET_DIR/criterion`, then the target directory `cargo metadata` reports (the
/// workspace's `target/`, or one a cargo config sets), then `target/criterion`.
pub fn criterion_home() -> PathBuf {
    // Found once: `cargo metadata` is a process.
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(find_criterion_home).clone()
}

fn find_criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    cargo_metadata_target_dir()
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("criterion")
}

fn cargo_metadata_target_dir() -> Option<PathBuf> {
    let cargo = std::env::var_os("CARGO")?;
    let output = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    metadata.get("target_directory")?.as_str().map(PathBuf::from)
}

/// One benchmark's median time, as criterion recorded it.
#[derive(Debug, Clone, PartialEq)]
pub enum Median {
    /// Nanoseconds per iteration.
    Measured(f64),
    /// The benchmark did not run in this run (a filter, `--test`, `--list`, a mode that skips
    /// criterion): results of an earlier run are not used.
    NotMeasured,
    /// The estimates could not be read.
    Unreadable(String),
}

impl Median {
    /// The nanoseconds, if measured in this run.
    pub fn ns(&self) -> Option<f64> {
        match self {
            Median::Measured(ns) => Some(*ns),
            Median::NotMeasured | Median::Unreadable(_) => None,
        }
    }
}

/// The median time of `group/function` from the estimates criterion wrote since `started`
/// (taken before the benchmarks ran).
pub fn median(group: &str, function: &str, started: SystemTime) -> Median {
    let path = criterion_home()
        .join(group)
        .join(function)
        .join("new")
        .join("estimates.json");
    match std::fs::metadata(&path).and_then(|m| m.modified()) {
        Ok(modified) if modified >= started => {}
        _ => return Median::NotMeasured,
    }
    let estimates: serde_json::Value = match std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
    {
        Ok(estimates) => estimates,
        Err(e) => return Median::Unreadable(format!("{}: {e}", path.display())),
    };
    match estimates
        .get("median")
        .and_then(|m| m.get("point_estimate"))
        .and_then(serde_json::Value::as_f64)
    {
        Some(ns) => Median::Measured(ns),
        None => Median::Unreadable(format!("{}: no median.point_estimate", path.display())),
    }
}

/// The median of `group/function` in nanoseconds, if criterion measured it since `started`.
pub fn criterion_median(group: &str, function: &str, started: SystemTime) -> Option<f64> {
    median(group, function, started).ns()
}

/// The ratio of `a`'s time to `b`'s, measured in pairs: 41 blocks, each timing `iterations`
/// calls of one then of the other (the order alternating), and the median of the blocks'
/// ratios. Drift in the machine's speed (other tenants, frequency) touches both sides of a
/// block alike, where criterion's groups run minutes apart. The calls are timed in runs of
/// [`PAIRED_CHUNK`], and each run's outputs are dropped after its timing, as criterion's
/// `iter_batched` drops them.
pub fn paired_ratio<A, B>(iterations: usize, mut a: impl FnMut() -> A, mut b: impl FnMut() -> B) -> f64 {
    paired_ratio_consuming(iterations, || (), || (), |()| a(), |()| b())
}

/// How many calls are timed together: few enough that their inputs and outputs stay in the
/// cache, as they do for a program converting one item at a time.
pub const PAIRED_CHUNK: usize = 8;

/// [`paired_ratio`] of calls that consume an input: the inputs of each run of
/// [`PAIRED_CHUNK`] calls are made by `input_a` / `input_b` just before its timing, as
/// criterion's `iter_batched` makes them, so that making them (copying an item, say) is not
/// timed.
pub fn paired_ratio_consuming<I, J, A, B>(
    iterations: usize,
    mut input_a: impl FnMut() -> I,
    mut input_b: impl FnMut() -> J,
    mut a: impl FnMut(I) -> A,
    mut b: impl FnMut(J) -> B,
) -> f64 {
    fn time<I, O>(iterations: usize, input: &mut impl FnMut() -> I, run: &mut impl FnMut(I) -> O) -> f64 {
        let mut elapsed = Duration::ZERO;
        let mut left = iterations;
        while left > 0 {
            let count = left.min(PAIRED_CHUNK);
            left -= count;
            let mut inputs: Vec<I> = (0..count).map(|_| input()).collect();
            let mut outputs = Vec::with_capacity(count);
            let start = Instant::now();
            for input in inputs.drain(..) {
                outputs.push(run(input));
            }
            elapsed += start.elapsed();
            drop(outputs);
        }
        elapsed.as_secs_f64()
    }
    let mut ratios: Vec<f64> = (0..41)
        .map(|block| {
            if block % 2 == 0 {
                let a = time(iterations, &mut input_a, &mut a);
                a / time(iterations, &mut input_b, &mut b)
            } else {
                let b = time(iterations, &mut input_b, &mut b);
                time(iterations, &mut input_a, &mut a) / b
            }
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2]
}
