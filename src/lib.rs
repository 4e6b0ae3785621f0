//! Shared code of the workspace's tests, examples and benchmarks. Not published.

pub mod fixtures;
pub mod local;
