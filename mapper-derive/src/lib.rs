//! The derives of [`dynamodb-mapper`](https://docs.rs/dynamodb-mapper). Use them through that
//! crate, which re-exports them and documents every attribute.
//!
//! The derive parses the input into a model (`ast`, `attr`), checks the schema rules
//! (`check`), collecting every error (`ctxt`), and generates code (`expand`). When there are
//! errors, it emits them beside impls of the right shape (`fallback`) so that only the real
//! mistakes are reported.

mod ast;
mod attr;
mod case;
mod check;
mod ctxt;
mod expand;
mod fallback;
mod fields;
mod types;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

use crate::ast::{Container, Derive};
use crate::ctxt::Ctxt;

/// Derives `dynamodb_mapper::Item`: a table's item type. See the `dynamodb_mapper::Item`
/// documentation for the attribute reference.
#[proc_macro_derive(
    Item,
    attributes(
        item,
        attribute,
        partition_key,
        sort_key,
        skip,
        default,
        flatten,
        index_partition_key,
        index_sort_key,
        ttl,
        version,
        atomic_counter,
        auto_timestamp,
        auto_uuid,
        update_behavior,
        tag
    )
)]
pub fn derive_item(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    derive(&input, Derive::Item).into()
}

/// Derives `dynamodb_mapper::Attributes` for a struct stored inside an item (as a nested map
/// or flattened with `#[attribute(flatten)]`), or the string conversion of a unit enum.
#[proc_macro_derive(
    Attributes,
    attributes(
        item,
        attribute,
        partition_key,
        sort_key,
        skip,
        default,
        flatten,
        index_partition_key,
        index_sort_key,
        ttl,
        version,
        atomic_counter,
        auto_timestamp,
        auto_uuid,
        update_behavior,
        tag
    )
)]
pub fn derive_attributes(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    derive(&input, Derive::Attributes).into()
}

fn derive(input: &DeriveInput, derive: Derive) -> proc_macro2::TokenStream {
    let cx = Ctxt::default();
    let container = Container::from_ast(&cx, input, derive);
    if let Some(container) = &container {
        check::check(&cx, container, derive);
    }
    match cx.finish() {
        Some(errors) => {
            let krate = container
                .as_ref()
                .map_or_else(|| syn::parse_quote!(::dynamodb_mapper), expand::crate_path);
            let fallback = fallback::expand(input, derive, &krate);
            quote::quote!(#errors #fallback)
        }
        None => expand::expand(container.as_ref().expect("no errors means a model"), derive),
    }
}
