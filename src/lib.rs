//! Shared code of the workspace's tests, examples and benchmarks. Not published.

pub mod bench_support;
pub mod clock;
pub mod fixtures;
pub mod local;

/// The README's code, compiled as a doctest so that it cannot drift from the crate.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
