//! Compile-time diagnostics of `#[derive(Item)]` and `#[derive(Attributes)]`.
//!
//! Each file in `tests/ui/` makes one mistake (`many_errors.rs` makes several) and its
//! `.stderr` pins the exact message and span the user sees. The files in `tests/ui-pass/` use
//! every attribute correctly and must compile.
//!
//! After a deliberate change to a message, regenerate the expected output with
//! `TRYBUILD=overwrite cargo test --test ui` and review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui-pass/*.rs");
}
